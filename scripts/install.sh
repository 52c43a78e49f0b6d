#!/usr/bin/env bash
# Installs gate from this checkout with its test tools, plus OPA's own engine in-process.
# OPA's wheel declares Python >= 3.14 but is plain ctypes and runs on 3.11+, hence the flags;
# without it gate still works, on regorus.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --disable-pip-version-check -q -e ".[test]"
python -m pip install --disable-pip-version-check -q --no-deps --ignore-requires-python \
    opa-golib-python-bindings==0.4.4
gate --version
