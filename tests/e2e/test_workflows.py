"""Every workflow and action validates against the schemas check-jsonschema vendors (offline)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted(ROOT.glob(".github/workflows/*.yml")) + sorted((ROOT / "examples").rglob(".github/workflows/*.yml"))
ACTIONS = sorted(ROOT.glob(".github/actions/*/action.yml"))


def _validate(schema: str, path) -> subprocess.CompletedProcess:
    command = shutil.which("check-jsonschema")
    if command is None:
        pytest.skip("check-jsonschema is not installed")
    return subprocess.run([command, "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=120)


def test_there_is_something_to_validate():
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "gate.yml"} <= names and ACTIONS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflow_validates(path):
    proc = _validate("vendor.github-workflows", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_action_validates(path):
    proc = _validate("vendor.github-actions", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump({"name": "x", "on": "push", "jobs": {"a": {"steps": [{"uses": 3}]}}}))
    assert _validate("vendor.github-workflows", broken).returncode != 0


def test_reusable_workflow_is_callable_and_uploads_sarif():
    workflow = yaml.safe_load((ROOT / ".github/workflows/gate.yml").read_text())
    assert "workflow_call" in workflow[True]  # PyYAML reads the bare key `on` as True
    action = yaml.safe_load((ROOT / ".github/actions/gate/action.yml").read_text())
    uses = [step.get("uses", "") for step in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert set(action["inputs"]) >= {"paths", "policy", "fail-on", "changed-since"}
