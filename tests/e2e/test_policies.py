"""`gate policy test` on every engine (shipped tests, failing and duplicate tests, JUnit), and custom
rules collected without editing entrypoints."""

from __future__ import annotations

import json

import pytest

from conftest import ENGINES, EXAMPLES, NOW, run_gate, run_json, write
from gate.policy import builtin_policy_dir, load_policy_set

CUSTOM = EXAMPLES / "custom-rules"


@pytest.mark.parametrize("engine", ENGINES)
def test_shipped_rego_tests_pass(engine):
    proc = run_gate("policy", "test", "--engine", engine, "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    body = json.loads(proc.stdout)
    assert body["engine"] == engine
    assert body["counts"]["fail"] == 0 and body["counts"]["error"] == 0
    assert body["counts"]["pass"] == len(load_policy_set([builtin_policy_dir()]).tests()) >= 40


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failing_rego_test_fails_the_run(engine, tmp_path):
    write(tmp_path / "p" / "x_test.rego", "package gate.rules.dataset.x\n\ntest_wrong if {\n\t1 == 2\n}\n\ntest_right if true\n")
    proc = run_gate("policy", "test", "--engine", engine, "--policy", str(tmp_path / "p"), "-v")
    assert proc.returncode == 1
    assert "FAIL  1:p/x_test.rego: data.gate.rules.dataset.x.test_wrong" in proc.stdout
    assert "PASS" in proc.stdout and "1 failed" in proc.stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_a_test_name_with_two_bodies_is_an_error_not_a_pass(engine, tmp_path):
    """Two bodies of one test name collapse into one rule: a false body would pass beside a true one."""
    write(tmp_path / "p" / "x_test.rego", "package acme.t\n\ntest_important if {\n\t1 == 2\n}\n\ntest_important if true\n")
    proc = run_gate("policy", "test", "--engine", engine, "--policy", str(tmp_path / "p"))
    assert proc.returncode == 2, proc.stdout
    assert "ERROR 1:p/x_test.rego: data.acme.t.test_important: this test name has more than one body" in proc.stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_policy_test_writes_junit(engine, tmp_path):
    from xml.etree import ElementTree

    write(tmp_path / "p" / "x_test.rego", "package gate.rules.dataset.x\n\ntest_wrong if {\n\t1 == 2\n}\n\ntest_right if true\n")
    out = tmp_path / "rego.xml"
    proc = run_gate("policy", "test", "--engine", engine, "--policy", str(tmp_path / "p"), "--format", "junit",
                    "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    root = ElementTree.parse(out).getroot()
    suite = next(s for s in root if s.get("name") == "data.gate.rules.dataset.x")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite}
    assert cases["test_wrong"].find("failure") is not None and cases["test_right"].find("failure") is None
    assert int(root.get("tests")) > 100 and root.get("failures") == "1" and root.get("errors") == "0"
    assert run_gate("policy", "test", "--format", "sarif").returncode == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_custom_rule_tests_run_beside_shipped_ones(engine):
    proc = run_gate("policy", "test", "--engine", engine, "--policy", str(CUSTOM))
    assert proc.returncode == 0, proc.stdout
    assert "0 failed" in proc.stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_custom_rule_is_collected_by_the_entrypoint(engine, data_repo):
    directory = data_repo("secret-stuff", classification="restricted")
    code, body = run_json("check", str(directory), "--engine", engine, "--policy", str(CUSTOM), "--now", NOW)
    ids = {v["id"] for v in body["datasets"][0]["violations"]}
    assert code == 1
    assert "acme.restricted_needs_ticket" in ids
    # without the custom rules only that rule's violation goes: the rule, not something else, denied it
    _, plain = run_json("check", str(directory), "--engine", engine, "--now", NOW)
    assert {v["id"] for v in plain["datasets"][0]["violations"]} == ids - {"acme.restricted_needs_ticket"}


@pytest.mark.parametrize("engine", ENGINES)
def test_data_override_changes_decisions(engine, data_repo, tmp_path):
    directory = data_repo("partner-data", trust="partner")
    assert run_gate("check", str(directory), "--engine", engine).returncode == 0
    stricter = write(tmp_path / "org.yaml", "org:\n  minimum_trust:\n    internal: internal\n")
    code, body = run_json("check", str(directory), "--engine", engine, "--data", str(stricter))
    assert code == 1
    [violation] = body["datasets"][0]["violations"]
    assert violation["id"] == "source.trust_below_minimum"
    assert violation["message"] == "source crm-export is 'partner'; internal data needs 'internal' or above"
    assert violation["line"] == 10 and violation["field"] == "source.trust"
