"""Human output: one line per violation and a summary line; colour only on a TTY."""

from __future__ import annotations

from ..verdict import ERROR, FAIL, PASS, WARN, Verdict, Violation
from .interface import Reporter, shown

_COLORS = {PASS: "32", WARN: "33", FAIL: "31", ERROR: "35", "deny": "31", "warn": "33", "waived": "36"}


class TextReporter(Reporter):
    """Plain lines a person reads in a terminal or a CI log."""

    def __init__(self, color: bool = False):
        self.color = color

    def _paint(self, text: str, key: str) -> str:
        if not self.color or key not in _COLORS:
            return text
        return f"\033[{_COLORS[key]}m{text}\033[0m"

    def _violation(self, v: Violation) -> str:
        where = v.file or ""
        if where and v.line:
            where = f"{where}:{v.line}"
        level = self._paint(f"{v.level:<4}", v.level)
        tail = f"  ({where})" if where else ""
        waiver = v.details.get("waiver") if v.level == "waived" else None
        if isinstance(waiver, dict):
            tail += (f"\n        waived until {waiver.get('expires')} by {waiver.get('approver')}: "
                     f"{waiver.get('justification')}")
        explained = v.details.get("explain")
        if isinstance(explained, dict):
            tail += f"\n        rule {explained.get('rule')}"
            for path, value in (explained.get("looked_at") or {}).items():
                tail += f"\n          {path} = {value}"
        return f"  {level}  {v.severity:<8}  {v.id}: {v.message}{tail}"

    def render(self, verdict: Verdict) -> str:
        verdict = shown(verdict)
        lines = []
        for dataset in verdict.datasets:
            status = self._paint(dataset.verdict.upper(), dataset.verdict)
            lines.append(f"{status:<4}  {dataset.id}  ({dataset.path})")
            lines.extend(self._violation(v) for v in dataset.violations)
            granted = dataset.facts.get("granted_by") if verdict.kind == "access" else None
            if granted and dataset.verdict != FAIL:
                lines.append(f"  granted by: {', '.join(granted)}")
        for error in verdict.errors:
            lines.append(f"{self._paint('ERROR', ERROR)}  {error.message}")
        counts = {key: 0 for key in (PASS, WARN, FAIL, ERROR)}
        for dataset in verdict.datasets:
            counts[dataset.verdict] += 1
        noun = "requests" if verdict.kind == "access" else "datasets"
        if verdict.kind == "manifest":
            noun = "manifests"
        pinned = f"; decision time pinned to {verdict.now}" if verdict.now_pinned else ""
        summary = (
            f"{len(verdict.datasets) + len(verdict.errors)} {noun}: {counts[PASS]} pass, {counts[WARN]} warn, "
            f"{counts[FAIL]} fail, {len(verdict.errors) + counts[ERROR]} error; verdict {verdict.verdict} "
            f"(engine {verdict.engine}, policies {verdict.policy_digest[:19]}{pinned})"
        )
        lines.append(self._paint(summary, verdict.verdict))
        return "\n".join(lines) + "\n"
