"""Reviewed findings (.gate/pii-baseline.json): accepted findings stop failing, new ones still fail."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...model.descriptor import write_atomic
from ...errors import GateError
from ...model.documents import load_json, read_bounded
from .model import Finding
from .scanner import ScanResult

BASELINE = Path(".gate") / "pii-baseline.json"


class BaselineError(GateError):
    """The baseline file is unreadable or malformed."""


def _key(fingerprint: str, kind: str, file: str) -> tuple[str, str, str]:
    return fingerprint, kind, file


def load_baseline(path: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Entries keyed by (fingerprint, type, file); a missing file is an empty baseline."""
    if not path.exists():
        return {}
    document = load_json(read_bounded(path, BaselineError, str(path), limit=256 * 1024 * 1024), BaselineError, str(path))
    if not isinstance(document, dict) or document.get("version") != 1 or not isinstance(document.get("findings"), list):
        raise BaselineError("not a gate PII baseline (version 1 with a findings list)", str(path))
    entries = {}
    for index, entry in enumerate(document["findings"]):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("fingerprint", "type", "file")):
            raise BaselineError(f"findings[{index}]: needs fingerprint, type and file", str(path))
        entries[_key(entry["fingerprint"], entry["type"], entry["file"])] = entry
    return entries


def apply_baseline(result: ScanResult, entries: dict) -> None:
    """Move findings the baseline accepts out of the active findings."""
    if not entries:
        return
    for file_result in result.files:
        active: list[Finding] = []
        for finding in file_result.findings:
            if _key(finding.fingerprint, finding.type, finding.file) in entries:
                result.baselined.append(finding)
            else:
                active.append(finding)
        file_result.findings = active


def write_baseline(path: Path, result: ScanResult, entries: dict, reviewer: str, reason: str) -> int:
    """Accept every current finding (keeping earlier reviews), drop entries that match nothing; returns the count."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    kept: dict[tuple[str, str, str], dict[str, Any]] = {}
    for finding in result.findings + result.baselined:
        key = _key(finding.fingerprint, finding.type, finding.file)
        if key in kept:
            continue
        previous = entries.get(key)
        kept[key] = previous or {
            "fingerprint": finding.fingerprint, "type": finding.type, "file": finding.file,
            "location": {"row": finding.row, "column": finding.column}, "preview": finding.preview,
            "reason": reason, "reviewer": reviewer, "reviewed": now,
        }
    ordered = sorted(kept.values(), key=lambda e: (e["file"], e["type"], e["fingerprint"]))
    lines = ['{', '  "version": 1,', '  "findings": [']
    lines += [f"    {json.dumps(e, sort_keys=True)}{',' if i < len(ordered) - 1 else ''}" for i, e in enumerate(ordered)]
    lines += ["  ]", "}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, "\n".join(lines) + "\n")
    return len(ordered)
