"""What a decision leaves besides allow: its violations as the verdict shows them, the input recorded
for `gate policy impact`, and the explanations of `--explain`; shared by `gate check` and `gate access`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import GateError, PolicyError
from ..model.descriptor import Descriptor
from ..verdict import Violation
from .session import Session


def violations_of(decision: dict[str, Any], descriptor: Descriptor | None) -> tuple[Violation, ...]:
    """The decision's violations, with the descriptor line of their field, denies first."""
    out = []
    for raw in decision["violations"]:
        violation = Violation.from_policy(raw)
        if descriptor is not None and violation.line is None and violation.file == descriptor.relpath:
            line = descriptor.line_of(violation.field) or None
            violation = Violation(**{**violation.__dict__, "line": line})
        out.append(violation)
    return tuple(sorted(out, key=lambda v: (v.level != "deny", v.id, v.file or "", v.message)))


def record_input(directory: Path | None, kind: str, label: str, document: dict[str, Any]) -> None:
    """Save an input document for `gate policy impact` (facts only: PII and secrets are redacted
    previews already). One JSON file per decision, named by kind, label and content digest."""
    if directory is None:
        return
    import hashlib
    import json
    import re

    from ..model.descriptor import write_atomic

    from ..facts.pii.redact import Redactor

    body = Redactor().document({"gate_record": 1, "kind": kind, "label": label, "input": {**document, "context": {
        k: v for k, v in document.get("context", {}).items() if k != "now"}}})
    text = json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label)[:80]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"{kind}-{safe}-{digest}.json", text)
    except OSError as exc:
        raise GateError(f"cannot record input: {exc.strerror}", str(directory)) from None


def explainer(session: Session, explain: bool):
    """A function adding each violation's rule location and the input values it read (--explain)."""
    if not explain:
        return lambda decision, document: None
    if session.policies is None:
        raise PolicyError("--explain needs local policies; it does not work with --engine opa-server")
    from ..policy.explain import explain as explain_one, rule_index

    index = rule_index(session.policies)

    def add(decision: dict[str, Any], document: dict[str, Any]) -> None:
        for violation in decision["violations"]:
            found = explain_one(str(violation.get("id")), document, index)
            if found is not None:
                violation["explain"] = found
    return add
