"""--explain: each violation with its rule's file:line and the input values the rule read."""

from __future__ import annotations

import json
import re

import pytest

from conftest import PINNED, ENGINES, EXAMPLE_REPO, EXAMPLES, NOW, ROOT, run_gate


def _line_of(path: str, rule_id: str) -> int:
    lines = (ROOT / path).read_text().splitlines()
    meta = next(i for i, line in enumerate(lines) if line.strip() == f"#   id: {rule_id}")
    return next(i for i in range(meta, len(lines)) if re.match(r"^(deny|warn)\b", lines[i])) + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_check_explains_rule_location_and_inputs(engine):
    proc = run_gate("check", str(EXAMPLE_REPO / "datasets" / "web-crawl"), "--explain", "--engine", engine,
                    "--now", NOW, "--format", "json")
    [violation] = json.loads(proc.stdout)["datasets"][0]["violations"]
    explained = violation["explain"]
    line = _line_of("policies/gate/rules/dataset/source.rego", "source.trust_below_minimum")
    assert explained["rule"] == f"policies/gate/rules/dataset/source.rego:{line}"
    assert explained["looked_at"]["input.dataset.source.trust"] == '"raw"'
    assert explained["looked_at"]["input.dataset.classification"] == '"confidential"'
    text = run_gate("check", str(EXAMPLE_REPO / "datasets" / "web-crawl"), "--explain", "--engine", engine,
                    "--now", NOW).stdout
    assert f"rule policies/gate/rules/dataset/source.rego:{line}" in text
    assert 'input.dataset.source.trust = "raw"' in text


def test_access_explains_the_request_fields():
    proc = run_gate("access", "--request", str(EXAMPLES / "requests" / "08-dave-reads-churn-expired-grant.json"),
                    "--repo", str(EXAMPLE_REPO), "--now", NOW, *PINNED, "--explain", "--format", "json")
    [violation] = json.loads(proc.stdout)["datasets"][0]["violations"]
    assert violation["id"] == "access.grant_expired"
    assert violation["explain"]["rule"].startswith("policies/gate/rules/access/grants.rego:")
    assert violation["explain"]["looked_at"]["input.request.subject"] == '"dave"'


def test_explain_shows_no_raw_pii():
    data = (EXAMPLE_REPO / "datasets" / "chat-logs-2026" / "data" / "chats.jsonl").read_text()
    phones = {m for m in re.findall(r"\+?\d[\d ().-]{6,}\d", data) if sum(c.isdigit() for c in m) >= 7}
    emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", data))
    assert phones and emails
    proc = run_gate("check", str(EXAMPLE_REPO / "datasets" / "chat-logs-2026"), "--explain", "--now", NOW,
                    "--format", "json")
    body = json.loads(proc.stdout)
    explained = json.dumps([v.get("explain") for v in body["datasets"][0]["violations"]])
    assert "input.dataset.pii.allowed" in explained
    assert not [v for v in phones | emails if v in explained]


def test_without_explain_nothing_is_added():
    proc = run_gate("check", str(EXAMPLE_REPO / "datasets" / "web-crawl"), "--now", NOW, "--format", "json")
    assert "explain" not in json.loads(proc.stdout)["datasets"][0]["violations"][0]
