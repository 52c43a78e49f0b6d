"""Shared fixtures: the real gate command, real engines, real files and git repositories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gate.engine import installed_engines

# keys gate keeps outside repositories (cache, fingerprints) go to a directory of this test run, not
# the user's own ~/.config/gate
os.environ["XDG_CONFIG_HOME"] = __import__("tempfile").mkdtemp(prefix="gate-test-config-")
os.environ["XDG_STATE_HOME"] = __import__("tempfile").mkdtemp(prefix="gate-test-state-")
# an authenticated fact cache, as a CI secret gives one: facts of unchanged files are reused in CI mode
# too (tests of the cache itself set or clear it explicitly)
# (one key for the whole run: with pytest-xdist every worker derives it from the run's id, so that the
# gate processes of two workers deciding the same example repository authenticate each other's rows)
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID")
os.environ.setdefault("GATE_CACHE_KEY", __import__("hashlib").sha256(_RUN.encode()).hexdigest()[:48] if _RUN
                      else os.urandom(24).hex())

# NER (spaCy, gate/facts/pii/ner.py) costs every `gate` process that reads text about 1.5 s to load:
# off for the suite, on in the tests of NER itself (tests/unit/facts/pii/test_names.py,
# tests/e2e/test_ner.py), which set GATE_NER=on. GATE_NER=on python -m pytest runs everything with it.
os.environ.setdefault("GATE_NER", "off")
# pytest-xdist runs a worker per core: a worker's OpenMP pool sized to every core waits on the other
# worker's threads (a poisoning analysis took 368 s instead of 15 s). One native thread per worker.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_pool, "1")

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
"""The tests' own files: golden reports, schemas, data."""
# the `gate` processes the tests start read compiled modules: where PYTHONDONTWRITEBYTECODE is set each
# would compile gate again (~0.1 s each); compiled here once (only files changed since are compiled)
__import__("compileall").compile_dir(str(ROOT / "gate"), quiet=2)
EXAMPLES = ROOT / "examples"
EXAMPLE_REPO = EXAMPLES / "repo"
NOW = "2026-11-23T00:00:00Z"
PINNED = ("--data", str(ROOT / "tests" / "data" / "pinned-time.yaml"))
"""Policy data that lets access decisions take a pinned --now (refused by default)."""
ENGINES = installed_engines()


def gate_command() -> list[str]:
    """The installed `gate` console script (as a user runs it), else `python -m gate`."""
    found = shutil.which("gate")
    return [found] if found else [sys.executable, "-m", "gate"]


def run_gate(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120,
             input: str | None = None) -> subprocess.CompletedProcess:
    """Run gate; no run may ever print a traceback (none of these tests pass --debug)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("GATE_ENGINE", None)
    proc = subprocess.run(
        [*gate_command(), *args], cwd=cwd or ROOT, env=full_env, capture_output=True, text=True,
        timeout=timeout, input=input,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc


def run_json(*args: str, **kwargs) -> tuple[int, dict]:
    """Run gate with --format json and parse stdout."""
    proc = run_gate(*args, "--format", "json", **kwargs)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    """Every local engine installed here."""
    return request.param


def write(path: Path, text: str) -> Path:
    """Write a file, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


DESCRIPTOR = """\
gate: 1
id: {id}
title: Test dataset
owner: data-platform@example.com
classification: {classification}
purposes: [model-training]
source:
  id: crm-export
  name: CRM export
  trust: {trust}
  collected: 2026-03-31
  method: export
  legal_basis: contract
  data_subjects: customers
  retention_days: 3650
  contact: crm@example.com
files: [data/*.csv]
"""


@pytest.fixture
def data_repo(tmp_path: Path):
    """A fresh git repository with one clean, locked dataset; returns a builder."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)

    def add(dataset_id: str = "clean", classification: str = "internal", trust: str = "internal",
            rows: int = 20, lock: bool = True) -> Path:
        directory = root / "datasets" / dataset_id
        write(directory / "dataset.yaml", DESCRIPTOR.format(id=dataset_id, classification=classification, trust=trust))
        write(directory / "data" / "part-0.csv", "a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(rows)))
        if lock:
            proc = run_gate("manifest", "update", str(directory), "--repo", str(root))
            assert proc.returncode == 0, proc.stderr + proc.stdout
        return directory

    add.root = root
    return add
