"""`gate access`: access requests decided against the descriptor of the dataset they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model.descriptor import Descriptor
from ..errors import GateError, RequestError
from ..verdict import DatasetVerdict, GateFailure, Verdict
from .outcome import explainer, record_input, violations_of
from .datasets import DatasetIndex
from .session import ACCESS_ENTRYPOINT, Options, Session, repo_for


def access_input(request: dict[str, Any], descriptor: Descriptor | None, context: dict[str, Any]) -> dict[str, Any]:
    """The input document for data.gate.access.decision (names holding PII masked)."""
    return {"request": request, "dataset": _redacted_descriptor(descriptor) if descriptor else None, "context": context}


def _redacted_descriptor(descriptor: Descriptor) -> dict[str, Any]:
    """The descriptor as a policy sees it, names holding PII masked; once per descriptor content."""
    from ..facts.pii.redact import Redactor

    key = (descriptor.relpath, descriptor.sha256)
    if key not in _REDACTED:
        if len(_REDACTED) > 4096:
            _REDACTED.clear()
        _REDACTED[key] = Redactor().document({**descriptor.document, "path": descriptor.relpath})
    return _REDACTED[key]


_REDACTED: dict[tuple[str, str], dict[str, Any]] = {}


def decide_access(requests: list[tuple[dict[str, Any], str]], options: Options, session: Session | None = None,
                  record: Path | None = None, explain: bool = False) -> Verdict:
    """Decide access requests, each given with the file (or 'command line') it came from."""
    repo = repo_for([], options)
    own = session is None
    session = session or Session.open(options)
    try:
        session.require_pinned_time_allowed("gate access")
        add_explanations = explainer(session, explain)
        context = session.context(repo)
        decided, failures = [], []
        for request, origin in requests:
            label = f"{request.get('subject')} {request.get('action')} {request.get('dataset')}"
            try:
                dataset_id = request.get("dataset")
                if not isinstance(dataset_id, str):
                    raise RequestError("a request names its dataset by id (a string)")
                descriptor = DatasetIndex.lookup(repo, dataset_id)
                document = access_input(request, descriptor, context)
                decision = session.decide(ACCESS_ENTRYPOINT, document)
                add_explanations(decision, document)
                record_input(record, "access", label, document)
            except GateError as exc:
                failures.append(GateFailure(exc.path or origin, f"{origin}: {exc}" if not exc.path else str(exc)))
                continue
            decided.append(DatasetVerdict(
                id=label, path=origin, violations=violations_of(decision, None),
                facts={"request": request, "granted_by": decision.get("granted_by", [])},
                allow=decision["allow"],
            ))
        return session.verdict("access", decided, failures)
    finally:
        if own:
            session.close()
