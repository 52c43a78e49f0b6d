"""Report formats through the CLI: SARIF validates against the official 2.1.0 schema, JUnit parses,
GitHub annotates."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import EXAMPLES, EXAMPLE_REPO, NOW, PINNED, TESTS, run_gate, write

SARIF_SCHEMA = json.loads((TESTS / "schemas" / "sarif-schema-2.1.0.json").read_text())
DATASET_DIRS = sorted(p.parent for p in EXAMPLE_REPO.rglob("dataset.yaml"))


def _sarif(*args: str, **kwargs) -> tuple[int, dict]:
    proc = run_gate(*args, "--format", "sarif", "--now", NOW, **kwargs)
    document = json.loads(proc.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    return proc.returncode, document


@pytest.mark.parametrize("directory", DATASET_DIRS, ids=lambda p: p.name)
def test_sarif_of_every_example_validates(directory):
    code, document = _sarif("check", str(directory))
    [run] = document["runs"]
    assert run["properties"]["engine"] and run["properties"]["policy_digest"].startswith("sha256:")
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    # exit 0 for pass and warn: a warning is a result at level "warning", never "error"
    assert (code == 0) == (not [r for r in run["results"] if r["level"] == "error"])


def test_sarif_rules_carry_metadata_and_severity():
    _, document = _sarif("check", str(EXAMPLE_REPO))
    rules = {rule["id"]: rule for rule in document["runs"][0]["tool"]["driver"]["rules"]}
    trust = rules["source.trust_below_minimum"]
    assert trust["shortDescription"]["text"] == "Source trust below the classification's minimum"
    assert trust["properties"]["security-severity"] == "8.0"
    assert rules["integrity.file_mismatch"]["properties"]["security-severity"] == "9.5"
    result = next(r for r in document["runs"][0]["results"] if r["ruleId"] == "source.trust_below_minimum")
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "datasets/web-crawl/dataset.yaml"}, "region": {"startLine": 10}}


def test_sarif_fingerprints_are_stable_across_runs():
    first = _sarif("check", str(EXAMPLE_REPO))[1]["runs"][0]["results"]
    second = _sarif("check", str(EXAMPLE_REPO))[1]["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in second]
    assert len({json.dumps(r["partialFingerprints"]) for r in first}) == len(first)


def test_sarif_of_access_and_error_verdicts_validate(tmp_path):
    _sarif("access", "--request", *map(str, sorted((EXAMPLES / "requests").glob("*.json"))), "--repo", str(EXAMPLE_REPO),
           *PINNED)
    (tmp_path / ".git").mkdir()
    write(tmp_path / "d" / "dataset.yaml", "gate: [\n")
    code, document = _sarif("check", str(tmp_path))
    assert code == 2
    [result] = document["runs"][0]["results"]
    assert result["ruleId"] == "gate.error" and document["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_junit_parses_back():
    junitparser = pytest.importorskip("junitparser")
    proc = run_gate("check", str(EXAMPLE_REPO), "--format", "junit", "--now", NOW)
    assert proc.returncode == 1
    xml = junitparser.JUnitXml.fromstring(proc.stdout)
    suites = list(xml)
    assert len(suites) == len(DATASET_DIRS)
    failed = {}
    for suite in suites:
        for case in suite:
            if case.result and any(isinstance(r, junitparser.Failure) for r in case.result):
                failed.setdefault(suite.name.split(" ")[0], set()).add(case.name)
    assert failed == {
        "census-2019": {"compliance.retention_expired"},
        "chat-logs-2026": {"pii.type_not_allowed"},
        "sensor-escape": {"integrity.path_outside_repo"},
        "support-tickets-2026": {"integrity.file_mismatch"},
        "web-crawl": {"source.trust_below_minimum"},
        "loan-applications-2026": {"poisoning.backdoor_trigger"},
        "product-reviews-2026": {"poisoning.backdoor_trigger"},
    }
    assert all(suite.tests >= 20 for suite in suites), "every evaluated rule is a testcase"


def test_github_annotations_and_step_summary(tmp_path):
    summary = tmp_path / "summary.md"
    proc = run_gate("check", str(EXAMPLE_REPO), "--format", "github", "--now", NOW,
                    env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1
    line = next(l for l in proc.stdout.splitlines() if "source.trust_below_minimum" in l)
    assert line.startswith("::error file=datasets/web-crawl/dataset.yaml,line=10,title=source.trust_below_minimum (high)::")
    text = summary.read_text()
    assert text.startswith("## gate: ❌ fail") and "| ✅ | `churn-2026q1` | — |" in text


def test_sarif_points_pii_results_at_the_data_rows():
    _, document = _sarif("check", str(EXAMPLE_REPO / "datasets" / "chat-logs-2026"))
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["pii.type_not_allowed"] * 2  # PERSON (customer.name), PHONE
    [result] = [r for r in results if "PHONE" in r["message"]["text"]]
    related = result["relatedLocations"]
    assert related and all(r["physicalLocation"]["artifactLocation"]["uri"].endswith("chats.jsonl") for r in related)
    lines = (EXAMPLE_REPO / "datasets" / "chat-logs-2026" / "data" / "chats.jsonl").read_text().splitlines()
    for location in related:
        line = lines[location["physicalLocation"]["region"]["startLine"] - 1]
        assert "call me back" in line, "the region is the line holding the phone number"
        assert location["message"]["text"].startswith("PHONE ")


def test_one_run_writes_several_formats(tmp_path):
    proc = run_gate("check", str(EXAMPLE_REPO), "--format", "github", "--now", NOW,
                    "--report", f"sarif={tmp_path / 'g.sarif'}", "--report", f"json={tmp_path / 'g.json'}")
    assert proc.returncode == 1 and proc.stdout.startswith("::error")
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads((tmp_path / "g.sarif").read_text()))
    assert json.loads((tmp_path / "g.json").read_text())["verdict"] == "fail"
    bad = run_gate("check", str(EXAMPLE_REPO), "--report", "sarif")
    assert bad.returncode == 2 and "FORMAT=FILE" in bad.stderr
