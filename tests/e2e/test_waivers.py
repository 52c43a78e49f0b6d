"""Waivers: scoped, time-boxed, reviewed in policy data, decided in Rego, never hidden."""

from __future__ import annotations

import json

import pytest

from conftest import ENGINES, run_gate, write

NOW = "2026-11-23T00:00:00Z"


def _waivers(tmp_path, *entries: str, name: str = "waivers.yaml"):
    return write(tmp_path / name, "waivers:\n" + "".join(entries))


def _entry(rule: str, dataset: str, expires: str | None = "2026-12-31", **scope: str) -> str:
    text = f"  - rule: {rule}\n    dataset: {dataset}\n"
    text += "".join(f"    {k}: {v}\n" for k, v in scope.items())
    text += "    justification: reviewed exception (TICKET-7)\n    approver: carol@example.com\n"
    if expires:
        text += f"    expires: {expires}\n"
    return text


def _check(directory, data, engine: str, now: str = NOW):
    proc = run_gate("check", str(directory), "--engine", engine, "--data", str(data), "--now", now, "--format", "json")
    body = json.loads(proc.stdout)
    [dataset] = body["datasets"]
    return proc.returncode, dataset


@pytest.fixture
def two_violations(data_repo):
    # confidential and curated: below the trust minimum AND without a signed lock
    return data_repo("two", classification="confidential", trust="curated")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_scoped_waiver_waives_exactly_its_violation(two_violations, tmp_path, engine):
    plain = _waivers(tmp_path, name="none.yaml")
    code, dataset = _check(two_violations, plain.parent / "none.yaml", engine) if False else (None, None)
    data = _waivers(tmp_path, _entry("signature.missing", "two", file="datasets/two/dataset.lock"))
    code, dataset = _check(two_violations, data, engine)
    levels = {v["id"]: v["level"] for v in dataset["violations"]}
    assert levels == {"signature.missing": "waived", "source.trust_below_minimum": "deny"}
    assert code == 1 and dataset["verdict"] == "fail"
    waived = next(v for v in dataset["violations"] if v["level"] == "waived")
    assert waived["waiver"]["justification"] == "reviewed exception (TICKET-7)"
    assert waived["waiver"]["approver"] == "carol@example.com" and waived["waived_level"] == "deny"
    # a scope that does not match leaves the violation active (and the waiver stale)
    data = _waivers(tmp_path, _entry("signature.missing", "two", file="datasets/two/other.lock"), name="w2.yaml")
    _, dataset = _check(two_violations, data, engine)
    levels = {v["id"]: v["level"] for v in dataset["violations"]}
    assert levels == {"signature.missing": "deny", "source.trust_below_minimum": "deny", "waiver.stale": "warn"}
    # waiving both lets the dataset pass, and the report still shows both
    data = _waivers(tmp_path, _entry("signature.missing", "two"), _entry("source.trust_below_minimum", "two"),
                    name="w3.yaml")
    code, dataset = _check(two_violations, data, engine)
    assert code == 0 and dataset["verdict"] == "pass"
    assert sorted(v["level"] for v in dataset["violations"]) == ["waived", "waived"]
    text = run_gate("check", str(two_violations), "--engine", engine, "--data", str(data), "--now", NOW).stdout
    assert text.count("waived until 2026-12-31 by carol@example.com: reviewed exception (TICKET-7)") == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_an_expired_waiver_fails_again_and_says_so(two_violations, tmp_path, engine):
    data = _waivers(tmp_path, _entry("signature.missing", "two", expires="2026-11-22"))
    code, dataset = _check(two_violations, data, engine)
    levels = {v["id"]: v["level"] for v in dataset["violations"]}
    assert levels["signature.missing"] == "deny" and levels["waiver.expired"] == "warn"
    note = next(v for v in dataset["violations"] if v["id"] == "waiver.expired")
    assert "expired on 2026-11-22" in note["message"] and code == 1
    # valid through the whole day it names
    code, dataset = _check(two_violations, data, engine, now="2026-11-22T23:59:59Z")
    assert {v["id"]: v["level"] for v in dataset["violations"]}["signature.missing"] == "waived"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stale_waiver_is_reported(data_repo, tmp_path, engine):
    directory = data_repo("clean")
    data = _waivers(tmp_path, _entry("integrity.file_mismatch", "clean"))
    code, dataset = _check(directory, data, engine)
    assert code == 0 and [v["id"] for v in dataset["violations"]] == ["waiver.stale"]
    assert "matches no violation" in dataset["violations"][0]["message"]


@pytest.mark.parametrize("field,fragment", [("expires", "expires is mandatory"), ("approver", "approver is required"),
                                            ("justification", "justification is required")])
def test_a_waiver_without_expiry_or_approver_is_rejected_at_load(data_repo, tmp_path, field, fragment):
    directory = data_repo("clean")
    entry = _entry("integrity.file_mismatch", "clean", expires=None if field == "expires" else "2026-12-31")
    entry = "".join(line + "\n" for line in entry.splitlines() if not line.strip().startswith(f"{field}:")) \
        if field != "expires" else entry
    data = _waivers(tmp_path, entry)
    proc = run_gate("check", str(directory), "--data", str(data))
    assert proc.returncode == 2
    assert str(data) in proc.stderr and fragment in proc.stderr and ":2:" in proc.stderr


def test_bad_waiver_values_are_rejected(data_repo, tmp_path):
    directory = data_repo("clean")
    for body, fragment in ((_entry("x", "clean", expires="someday"), "not a date"),
                           (_entry("x", "clean", colour="blue"), "unknown field 'colour'"),
                           ("  - just a string\n", "must be a mapping")):
        data = _waivers(tmp_path, body, name=f"bad-{len(fragment)}.yaml")
        proc = run_gate("check", str(directory), "--data", str(data))
        assert proc.returncode == 2 and fragment in proc.stderr, proc.stderr


def test_waivers_file_in_a_policy_directory_is_loaded(two_violations, tmp_path):
    write(tmp_path / "pol" / "waivers.yaml", "waivers:\n" + _entry("signature.missing", "two"))
    write(tmp_path / "pol" / "noop.rego", "package gate.rules.dataset.noop\n")
    proc = run_gate("check", str(two_violations), "--policy", str(tmp_path / "pol"), "--now", NOW, "--format", "sarif")
    results = json.loads(proc.stdout)["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["signature.missing"]
    assert suppressed[0]["suppressions"][0]["status"] == "accepted"
    assert "TICKET-7" in suppressed[0]["suppressions"][0]["justification"]
