"""Golden files: one fixed verdict — every verdict level, a waived and an error-level violation, a
failure, a pinned time, a notice, names with control characters — rendered in every report format and
compared byte for byte with tests/golden/. A change of format shows as a diff to review; regenerate
with GATE_UPDATE_GOLDEN=1 after reviewing it."""

from __future__ import annotations

import os

import pytest

from conftest import TESTS
from gate import report
from gate.policy.policyset import RuleInfo
from gate.verdict import DatasetVerdict, GateFailure, Verdict, Violation

GOLDEN = TESTS / "golden"
SUFFIX = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "github": "txt"}


def _verdict() -> Verdict:
    waiver = {"rule": "signature.missing", "dataset": "churn", "justification": "reviewed exception (T-7)",
              "approver": "carol@example.com", "expires": "2099-01-01"}
    datasets = (
        DatasetVerdict("clean", "datasets/clean/dataset.yaml", (), {}),
        DatasetVerdict("churn", "datasets/churn/dataset.yaml", (
            Violation("compliance.retention_ending", "warn", "low", "retention ends on 2026-12-20, in 18 days",
                      "datasets/churn/dataset.yaml", "source.retention_days", 14),
            Violation("signature.missing", "waived", "high", "the lock is not signed", "datasets/churn/dataset.lock",
                      details={"waiver": waiver, "waived_level": "deny"}),
        ), {}),
        DatasetVerdict("crawl", "datasets/crawl/dataset.yaml", (
            Violation("source.trust_below_minimum", "deny", "high",
                      "source public-web-crawl is 'raw'; confidential data needs 'partner' or above",
                      "datasets/crawl/dataset.yaml", "source.trust", 10),
            Violation("integrity.file_mismatch", "deny", "critical",
                      "datasets/crawl/data/a\x1b[31m.csv does not match the manifest",
                      "datasets/crawl/data/a\x1b[31m.csv"),
        ), {}),
        DatasetVerdict("labels", "datasets/labels/dataset.yaml", (
            Violation("facts.not_computed", "error", "high",
                      "the poisoning facts could not be computed: no table to analyse",
                      "datasets/labels/dataset.yaml"),
        ), {}),
    )
    rules = {
        "source.trust_below_minimum": RuleInfo("source.trust_below_minimum", "Source below the required trust",
                                               "Confidential data comes from sources at partner trust or above.",
                                               "high", "gate.rules.dataset.source", "policies/gate/rules/source.rego", 12),
        "integrity.file_mismatch": RuleInfo("integrity.file_mismatch", "File changed since locking",
                                            "A covered file's digest differs from the lock.", "critical",
                                            "gate.rules.dataset.integrity", "policies/gate/rules/integrity.rego", 33),
    }
    return Verdict("opa", "sha256:" + "ab" * 32, "0.1.0", datasets,
                   (GateFailure("datasets/broken/dataset.yaml", "datasets/broken/dataset.yaml:3: id: required field "
                                                                "is missing"),),
                   kind="dataset", rules=rules, now="2026-12-02T00:00:00Z", now_pinned=True,
                   notices=("the committed fact cache was ignored",))


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_every_report_format_matches_its_golden_file(fmt, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    rendered = report.get(fmt).render(_verdict())
    golden = GOLDEN / f"verdict.{SUFFIX[fmt]}" if fmt != "github" else GOLDEN / "verdict.github.txt"
    if os.environ.get("GATE_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with GATE_UPDATE_GOLDEN=1 and review it"
    assert rendered == golden.read_text(encoding="utf-8"), f"{fmt} output changed: review, then GATE_UPDATE_GOLDEN=1"


def test_the_golden_verdict_covers_every_level_and_escapes_names():
    import json
    from xml.etree import ElementTree

    import jsonschema

    verdict = _verdict()
    assert [d.verdict for d in verdict.datasets] == ["pass", "warn", "fail", "error"]
    for golden in GOLDEN.glob("verdict.*"):
        assert "\x1b" not in golden.read_text(encoding="utf-8"), golden.name  # escaped, never raw
    sarif = json.loads((GOLDEN / "verdict.sarif").read_text(encoding="utf-8"))
    schema = json.loads((TESTS / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels["facts.not_computed"] == "error" and levels["compliance.retention_ending"] == "warning"
    junit = ElementTree.fromstring((GOLDEN / "verdict.xml").read_text(encoding="utf-8").split("\n", 1)[1])
    assert junit.get("errors") == "2" and junit.get("failures") == "2"
    assert "::error file=datasets/labels/dataset.yaml" in (GOLDEN / "verdict.github.txt").read_text(encoding="utf-8")
