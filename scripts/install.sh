#!/usr/bin/env bash
# Installs gate from this checkout with its test tools and the NER extra (spaCy and its small English
# model, gate/facts/pii/ner.py), plus OPA's own engine in-process.
# OPA's wheel declares Python >= 3.14 but is plain ctypes and runs on 3.11+, hence the flags;
# without it gate still works, on regorus.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --disable-pip-version-check -q -e ".[test,ner]"
# An editable install compiles nothing, and where PYTHONDONTWRITEBYTECODE is set (many CI images and
# containers) every `gate` process would compile its own modules again (~0.1 s): compile them once.
python -m compileall -q gate >/dev/null
python -m pip install --disable-pip-version-check -q --no-deps --ignore-requires-python \
    opa-golib-python-bindings==0.4.4
# Headless Chromium (Debian package) renders the compliance report's HTML in the tests; gate itself
# never needs it. Installed where apt-get runs as root; GATE_SKIP_CHROMIUM=1 skips it.
if [ -z "${GATE_SKIP_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 \
        && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    if ! { apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; }; }; then
        echo "note: could not install chromium; the HTML rendering test will be skipped" >&2
    fi
fi
gate --version
