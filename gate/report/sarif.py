"""SARIF 2.1.0 for GitHub code scanning: one rule per policy rule, one result per violation."""

from __future__ import annotations

import hashlib
import json

from .._version import __version__
from ..verdict import Verdict, Violation
from .interface import Reporter, shown

SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
_LEVEL = {"deny": "error", "error": "error", "warn": "warning"}


class SarifReporter(Reporter):
    """One run; rules carry METADATA title/description and severity as level and security-severity."""

    def render(self, verdict: Verdict) -> str:
        verdict = shown(verdict)
        rule_ids = sorted(set(verdict.rules) | {v.id for d in verdict.datasets for v in d.violations})
        index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
        results = [self._result(v, index[v.id], dataset.path, dataset.facts) for dataset in verdict.datasets
                   for v in dataset.violations]
        results += [{
            "ruleId": "gate.error", "level": "error", "message": {"text": error.message},
            "locations": [_location(error.path, None)],
            "partialFingerprints": {"gateError/v1": _digest("error", error.path, error.message)},
        } for error in verdict.errors]
        rules = [self._rule(rule_id, verdict) for rule_id in rule_ids]
        if verdict.errors:
            rules.append({"id": "gate.error", "name": "GateError",
                          "shortDescription": {"text": "gate could not decide"},
                          "fullDescription": {"text": "An input could not be read or the policy engine failed; "
                                                      "the run fails closed."},
                          "defaultConfiguration": {"level": "error"},
                          "properties": {"security-severity": SECURITY_SEVERITY["high"], "tags": ["security"]}})
            for result in results:
                if result["ruleId"] == "gate.error":
                    result["ruleIndex"] = len(rules) - 1
        document = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "gate", "version": __version__, "semanticVersion": __version__,
                    "informationUri": "https://github.com/gate-dev/gate", "rules": rules,
                }},
                "invocations": [{"executionSuccessful": not verdict.errors}],
                "results": results,
                "properties": {"engine": verdict.engine, "policy_digest": verdict.policy_digest,
                               "verdict": verdict.verdict, "kind": verdict.kind, "now": verdict.now,
                               "now_pinned": verdict.now_pinned},
            }],
        }
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def _rule(self, rule_id: str, verdict: Verdict) -> dict:
        info = verdict.rules.get(rule_id)
        title = getattr(info, "title", "") or rule_id
        description = getattr(info, "description", "") or title
        severity = getattr(info, "severity", None) or _severity_seen(rule_id, verdict)
        rule = {
            "id": rule_id,
            "name": "".join(part.capitalize() for part in rule_id.replace(".", "_").split("_")),
            "shortDescription": {"text": title},
            "fullDescription": {"text": description},
            "defaultConfiguration": {"level": "error" if severity in ("critical", "high", "medium") else "warning"},
            "properties": {"security-severity": SECURITY_SEVERITY.get(severity, "5.5"), "tags": ["security"],
                           "severity": severity},
        }
        if info is not None:
            rule["properties"]["source"] = f"{info.file}:{info.line}"
        return rule

    def _result(self, violation: Violation, rule_index: int, dataset_path: str, facts: dict) -> dict:
        where = violation.file or dataset_path
        result = {
            "ruleId": violation.id,
            "ruleIndex": rule_index,
            "level": _LEVEL.get(violation.level, "warning"),
            "message": {"text": violation.message},
            "locations": [_location(where, violation.line)],
            "partialFingerprints": {
                "gateViolation/v1": _digest(violation.id, where, violation.field or "", violation.message),
            },
            "properties": {"severity": violation.severity, "dataset": dataset_path},
        }
        related = _finding_locations(violation, facts)
        if related:
            result["relatedLocations"] = related
        waiver = violation.details.get("waiver") if violation.level == "waived" else None
        if isinstance(waiver, dict):
            # a waived violation stays in the report, suppressed with its justification (SARIF 3.35)
            result["level"] = _LEVEL.get(str(violation.details.get("waived_level")), "warning")
            result["suppressions"] = [{
                "kind": "external", "status": "accepted",
                "justification": f"{waiver.get('justification')} (approved by {waiver.get('approver')}, "
                                 f"until {waiver.get('expires')})"}]
        return result


def _finding_locations(violation: Violation, facts: dict) -> list[dict]:
    """For a PII violation, where its first findings are: the data row's line in CSV, JSONL or text."""
    kind = violation.details.get("pii_type")
    examples = (((facts or {}).get("pii") or {}).get("by_type") or {}).get(kind, {}).get("examples", [])
    related = []
    for index, example in enumerate(examples):
        line = _data_line(example["file"], example["row"])
        column = f" [{example['column']}]" if example.get("column") else ""
        location = _location(example["file"], line)
        location["id"] = index
        location["message"] = {"text": f"{kind} {example['preview']} in record {example['row']}{column}"}
        related.append(location)
    return related


def _data_line(path: str, row: int) -> int | None:
    """1-based line of a record: CSV/TSV have a header line (records with embedded newlines shift it)."""
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix in ("csv", "tsv", "tab"):
        return row + 2
    if suffix in ("jsonl", "ndjson", "txt", "text", "md", "log"):
        return row + 1
    return None


def _severity_seen(rule_id: str, verdict: Verdict) -> str:
    for dataset in verdict.datasets:
        for violation in dataset.violations:
            if violation.id == rule_id:
                return violation.severity
    return "medium"


def _location(uri: str, line: int | None) -> dict:
    physical: dict = {"artifactLocation": {"uri": uri}}
    if line:
        physical["region"] = {"startLine": int(line)}
    return {"physicalLocation": physical}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
