"""Violations and verdicts; the verdict owns the exit code."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

PASS, WARN, FAIL, ERROR = "pass", "warn", "fail", "error"
_KNOWN = {"id", "level", "severity", "message", "file", "field", "line"}
_RANK = {PASS: 0, WARN: 1, FAIL: 2, ERROR: 3}


@dataclass(frozen=True)
class Violation:
    """One deny or warn raised by a policy rule."""

    id: str
    """Stable rule id, e.g. ``source.trust_below_minimum``."""
    level: str
    """``deny`` or ``warn``."""
    severity: str
    """``critical``, ``high``, ``medium``, ``low`` or ``info``."""
    message: str
    """Why the rule fired, for people."""
    file: str | None = None
    """Repository-relative file the violation is about."""
    field: str | None = None
    """Descriptor field (dotted) the violation is about, when there is one."""
    line: int | None = None
    """1-based line in ``file``, when known."""
    details: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)
    """Any other keys the rule returned (e.g. ``pii_type``), passed through to reports."""

    @classmethod
    def from_policy(cls, raw: dict[str, Any]) -> "Violation":
        """Build from one violation object returned by an entrypoint."""
        line = raw.get("line")
        return cls(
            id=str(raw.get("id", "unknown")),
            level=str(raw.get("level", "deny")),
            severity=str(raw.get("severity", "medium")),
            message=str(raw.get("message", "")),
            file=raw.get("file"),
            field=raw.get("field"),
            line=line if isinstance(line, int) and not isinstance(line, bool) else None,
            details={k: v for k, v in raw.items() if k not in _KNOWN},
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in reports."""
        out = {**self.details, "id": self.id, "level": self.level, "severity": self.severity,
               "message": self.message}
        for key in ("file", "field", "line"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def _verdict_of(violations: tuple[Violation, ...]) -> str:
    """Errors (a fact that could not be computed) are errors, denies fail, warnings warn; waived
    violations are reported but decide nothing."""
    if any(v.level == "error" for v in violations):
        return ERROR
    if any(v.level == "deny" for v in violations):
        return FAIL
    if any(v.level != "waived" for v in violations):
        return WARN
    return PASS


@dataclass(frozen=True)
class DatasetVerdict:
    """The decision on one dataset (or one access request)."""

    id: str
    """Dataset id, or the request's subject/action/dataset for access decisions."""
    path: str
    """Repository-relative descriptor path (or request file)."""
    violations: tuple[Violation, ...] = ()
    """Every deny and warn, in a stable order."""
    facts: dict[str, Any] = field(default_factory=dict)
    """The facts the decision was made on (never raw PII or secrets)."""
    allow: bool | None = None
    """The entrypoint's own allow flag; fail closed when it disagrees with the violations."""

    @property
    def verdict(self) -> str:
        """pass, warn or fail."""
        verdict = _verdict_of(self.violations)
        if self.allow is False and verdict not in (FAIL, ERROR):
            return FAIL
        return verdict

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in reports."""
        return {
            "id": self.id,
            "path": self.path,
            "verdict": self.verdict,
            "violations": [v.to_json() for v in self.violations],
            "facts": self.facts,
        }


@dataclass(frozen=True)
class GateFailure:
    """A file or step that could not be decided: the run fails closed."""

    path: str
    """The file (or component) that failed."""
    message: str
    """One line saying why, naming the file."""

    def to_json(self) -> dict[str, str]:
        """The JSON form used in reports."""
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class Verdict:
    """The result of one gate run; owns the exit code."""

    engine: str
    """Name of the engine that decided."""
    policy_digest: str
    """sha256 over the loaded policy modules and data."""
    gate_version: str
    """Version of gate that produced the verdict."""
    datasets: tuple[DatasetVerdict, ...] = ()
    """One entry per dataset or access request decided."""
    errors: tuple[GateFailure, ...] = ()
    """Everything that could not be decided."""
    kind: str = "dataset"
    """``dataset`` or ``access``."""
    rules: dict[str, Any] = field(default_factory=dict, compare=False)
    """METADATA (title, description, severity, file, line) of the rules that could fire, by id."""
    now: str | None = None
    """The decision time (RFC 3339, UTC)."""
    now_pinned: bool = False
    """Whether the decision time was given (--now) rather than read from the clock."""
    notices: tuple[str, ...] = ()
    """Things the user should know that decide nothing (a cache that was ignored, and why)."""

    @property
    def verdict(self) -> str:
        """The worst of all dataset verdicts; error when anything failed to decide."""
        if self.errors:
            return ERROR
        worst = PASS
        for dataset in self.datasets:
            if _RANK[dataset.verdict] > _RANK[worst]:
                worst = dataset.verdict
        return worst

    def exit_code(self, fail_on_warn: bool = False) -> int:
        """0 pass/warn, 1 fail (or warn with fail_on_warn), 2 error."""
        verdict = self.verdict
        if verdict == ERROR:
            return 2
        if verdict == FAIL or (verdict == WARN and fail_on_warn):
            return 1
        return 0

    def to_json(self) -> dict[str, Any]:
        """The JSON verdict of DESIGN.md."""
        return {
            "verdict": self.verdict,
            "kind": self.kind,
            "engine": self.engine,
            "policy_digest": self.policy_digest,
            "gate_version": self.gate_version,
            "now": self.now,
            "now_pinned": self.now_pinned,
            "datasets": [d.to_json() for d in self.datasets],
            "errors": [e.to_json() for e in self.errors],
            "notices": list(self.notices),
        }


@dataclass(frozen=True)
class Report:
    """The result of a command that decides nothing about a dataset (lint, a scan, policy test, impact,
    audit verify), owning its exit code as Verdict does: 2 when something could not be read, checked or
    run, 1 when the command found what it looks for, else 0."""

    body: Any
    """What the command renders (its JSON body, or the objects its renderers take)."""
    errors: int = 0
    """How many things could not be read, checked or run."""
    found: int = 0
    """How many things the command looks for it found (findings, violations, failed tests, flips)."""
    notes: tuple[str, ...] = ()
    """Lines for standard error that decide nothing (a baseline written, a coverage floor missed)."""

    def exit_code(self) -> int:
        """2 on any error, 1 when something was found, else 0."""
        return 2 if self.errors else 1 if self.found else 0
