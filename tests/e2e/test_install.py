"""A plain `pip install .` (no OPA engine) gives a working gate that decides on regorus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv

import pytest

from conftest import EXAMPLE_REPO, NOW, ROOT

pytestmark = pytest.mark.slow  # the fast subset (-m 'not slow') leaves it out


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory):
    base = tmp_path_factory.mktemp("plain")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", "build", "dist"),
                    symlinks=True)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    proc = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(source)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"pip install . failed: {proc.stderr[-2000:]}")
    return env_dir / "bin" / "gate", python


def _run(gate, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GATE_ENGINE")}
    return subprocess.run([str(gate), *args], capture_output=True, text=True, timeout=120, cwd="/", env=env)


def test_plain_install_has_no_opa_and_decides_on_regorus(plain_install):
    gate, python = plain_install
    assert subprocess.run([str(python), "-c", "import opa_bindings"], capture_output=True).returncode != 0
    proc = _run(gate, "check", str(EXAMPLE_REPO), "--format", "json", "--now", NOW)
    assert proc.returncode == 1, proc.stderr
    body = json.loads(proc.stdout)
    assert body["engine"] == "regorus"
    assert {d["id"]: d["verdict"] for d in body["datasets"]}["churn-2026q1"] == "pass"
    assert body["verdict"] == "fail"


def test_plain_install_names_the_engine_in_text_and_runs_policy_tests(plain_install):
    gate, _ = plain_install
    text = _run(gate, "check", str(EXAMPLE_REPO), "--now", NOW)
    assert "(engine regorus," in text.stdout.splitlines()[-1]
    tests = _run(gate, "policy", "test")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "(engine regorus)" in tests.stdout


def test_asking_for_opa_without_it_is_a_clear_error(plain_install):
    gate, _ = plain_install
    proc = _run(gate, "check", str(EXAMPLE_REPO), "--engine", "opa")
    assert proc.returncode == 2
    assert "opa-golib-python-bindings" in proc.stderr and "Traceback" not in proc.stderr

