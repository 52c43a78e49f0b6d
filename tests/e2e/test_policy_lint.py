"""`gate policy lint`: real modules, parsed by regorus, loaded into every installed engine."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import ENGINES, TESTS, run_gate, write

SARIF_SCHEMA = json.loads((TESTS / "schemas" / "sarif-schema-2.1.0.json").read_text())

BAD = """package gate.rules.dataset.acme

import data.gate.lib

# METADATA
# title: Hash check
# description: Uses a builtin regorus lacks.
# custom:
#   id: acme.hash
#   severity: high
deny contains lib.violation("acme.hash", "high", "x", null) if {
	crypto.sha256(input.dataset.id) == "never"
}

deny contains {"id": "acme.nometa", "message": "no metadata"} if {
	input.dataset.id == "x"
}

# METADATA
# title: Duplicate
# description: Same id as above.
# custom:
#   id: acme.hash
#   severity: low
warn contains {"id": "acme.hash"} if {
	input.dataset.id == "y"
}
"""

LOST = """package acme.checks

# METADATA
# title: Lost
# description: Never collected.
# custom:
#   id: acme.lost
#   severity: high
deny contains {"id": "acme.lost", "message": "never collected"} if {
	input.dataset.id == "x"
}
"""


def _lint(*args: str, cwd: Path | None = None):
    return run_gate("policy", "lint", *args, cwd=cwd)


def test_shipped_policies_lint_clean():
    proc = _lint()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("0 finding(s) in ")
    assert all(engine in proc.stdout for engine in ENGINES)


def test_lint_flags_each_problem_at_its_line(tmp_path):
    write(tmp_path / "pol" / "bad.rego", BAD)
    write(tmp_path / "pol" / "lost.rego", LOST)
    proc = _lint("pol", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = {(f["rule"], f["file"], f["line"], f.get("engine")) for f in json.loads(proc.stdout)["findings"]}
    expected = {
        ("lint.metadata_missing", "pol/bad.rego", 15, None),
        ("lint.duplicate_id", "pol/bad.rego", 19, None),
        ("lint.violation_without_message", "pol/bad.rego", 25, None),
        ("lint.uncollected_package", "pol/lost.rego", 9, None),
    }
    if "regorus" in ENGINES:
        expected.add(("lint.builtin_unsupported", "pol/bad.rego", 12, "regorus"))
    assert found == expected


def test_a_builtin_every_engine_has_is_not_flagged(tmp_path):
    write(tmp_path / "pol" / "ok.rego", BAD.replace("crypto.sha256(input.dataset.id)", "upper(input.dataset.id)")
          .replace('deny contains {"id": "acme.nometa"', '# METADATA\n# title: T\n# description: D\n# custom:\n'
                   '#   id: acme.nometa\n#   severity: low\ndeny contains {"id": "acme.nometa"')
          .replace("id: acme.hash\n#   severity: low", "id: acme.other\n#   severity: low")
          .replace('warn contains {"id": "acme.hash"}', 'warn contains {"id": "acme.other", "message": "m"}'))
    proc = _lint("pol", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_lint_flags_v0_syntax_and_parse_errors(tmp_path):
    write(tmp_path / "pol" / "old.rego", 'package gate.rules.dataset.old\n\ndeny[msg] {\n\tinput.x == 1\n\tmsg := "old"\n}\n')
    write(tmp_path / "pol" / "broken.rego", "package gate.rules.dataset.broken\n\ndeny contains x if {\n")
    proc = _lint("pol", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    found = {(f["rule"], f["file"], f.get("engine")) for f in json.loads(proc.stdout)["findings"]}
    assert ("lint.not_v1", "pol/old.rego", None) in found
    assert {e for r, f, e in found if r == "lint.parse_error" and f == "pol/broken.rego"} == set(ENGINES)
    assert "warning" not in proc.stderr  # regorus's v0 chatter is not passed on


def test_lint_sarif_validates(tmp_path):
    write(tmp_path / "pol" / "bad.rego", BAD)
    proc = _lint("pol", "--format", "sarif", cwd=tmp_path)
    document = json.loads(proc.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    results = document["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"lint.metadata_missing", "lint.duplicate_id"}
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)


@pytest.mark.parametrize("content", ["", "\x00\x01binary", "package\n", "package a.b\n" + "x := 1\n" * 20000],
                         ids=["empty", "binary", "bare-package", "huge"])
def test_lint_survives_odd_modules(tmp_path, content):
    write(tmp_path / "pol" / "odd.rego", content)
    proc = _lint("pol", cwd=tmp_path)
    assert proc.returncode in (0, 1, 2)
    if proc.returncode == 2:
        assert proc.stderr.startswith("gate: error:") and "odd.rego" in proc.stderr


def test_committed_policy_docs_are_current():
    from conftest import ROOT

    proc = run_gate("policy", "docs", "--output", str(ROOT / "docs" / "policies.md"), "--check")
    assert proc.returncode == 0, proc.stderr + " (regenerate: gate policy docs --output docs/policies.md)"


def test_policy_docs_name_every_rule_and_its_example(tmp_path):
    from conftest import ROOT

    from gate.policy import builtin_policy_dir, load_policy_set

    text = (ROOT / "docs" / "policies.md").read_text()
    ids = set(load_policy_set([builtin_policy_dir()]).rules())
    assert ids and all(f"\n## {rule_id}\n" in text for rule_id in ids)
    section = text.split("\n## signature.missing\n")[1].split("\n## ")[0]
    assert "custody.rego:" in section and "```rego" in section and "with input as" in section
    stale = tmp_path / "policies.md"
    stale.write_text(text.replace("Signature missing", "Signature absent"))
    proc = run_gate("policy", "docs", "--output", str(stale), "--check")
    assert proc.returncode == 1 and "stale" in proc.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_shipped_policies_have_90_percent_line_coverage(engine):
    proc = run_gate("policy", "test", "--engine", engine, "--coverage", "--min-coverage", "90", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    coverage = json.loads(proc.stdout)["coverage"]
    assert coverage["percent"] >= 90 and coverage["lines"] > 250
    assert not any(name.endswith("_test.rego") for name in coverage["modules"])
    assert coverage["modules"]["policies/gate/rules/dataset/integrity.rego"]["percent"] == 100.0


@pytest.mark.parametrize("engine", ENGINES)
def test_min_coverage_fails_on_an_untested_rule(engine, tmp_path):
    write(tmp_path / "p" / "extra.rego", "package gate.rules.dataset.extra\n\n" + "".join(
        f"# METADATA\n# title: T{i}\n# description: D\n# custom:\n#   id: extra.r{i}\n#   severity: low\n"
        f"warn contains {{\"id\": \"extra.r{i}\", \"message\": \"m\"}} if {{\n\tinput.dataset.x{i} == {i}\n"
        f"\tinput.dataset.y{i} == {i}\n\tinput.dataset.z{i} == {i}\n}}\n\n" for i in range(40)))
    write(tmp_path / "p" / "extra_test.rego", "package gate.rules.dataset.extra\n\ntest_first if {\n"
          "\tcount(warn) == 1 with input as {\"dataset\": {\"x0\": 0, \"y0\": 0, \"z0\": 0}}\n}\n")
    proc = run_gate("policy", "test", "--engine", engine, "--policy", str(tmp_path / "p"), "--min-coverage", "90")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "below --min-coverage 90%" in proc.stderr
    assert "extra.rego" in proc.stdout and "not covered:" in proc.stdout
