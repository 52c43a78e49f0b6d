"""`gate check`: the input document of each dataset (descriptor, facts, context), its decision and
the verdict; recorded inputs and explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model.descriptor import Descriptor, load_descriptor
from ..errors import EngineError, GateError, PolicyError
from ..repo import Repo
from ..verdict import DatasetVerdict, GateFailure, Verdict, Violation
from .datasets import DatasetIndex, discover
from .session import DATASET_ENTRYPOINT, Options, Session, open_cache, repo_for


def dataset_input(descriptor: Descriptor, facts: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The input document for data.gate.dataset.decision (names holding PII masked)."""
    from ..facts.pii.redact import Redactor

    dataset = Redactor().document({**descriptor.document, "path": descriptor.relpath})
    return {"dataset": dataset, "facts": facts, "context": context}


def _violations(decision: dict[str, Any], descriptor: Descriptor | None) -> tuple[Violation, ...]:
    out = []
    for raw in decision["violations"]:
        violation = Violation.from_policy(raw)
        if descriptor is not None and violation.line is None and violation.file == descriptor.relpath:
            line = descriptor.line_of(violation.field) or None
            violation = Violation(**{**violation.__dict__, "line": line})
        out.append(violation)
    return tuple(sorted(out, key=lambda v: (v.level != "deny", v.id, v.file or "", v.message)))


def dataset_facts(descriptor: Descriptor, repo: Repo, session: Session, cache=None, *, keep: bool = False,
                  base_version: dict[str, int] | None = None):
    """The dataset view and every fact of it (see gate.facts.collect)."""
    from ..facts.collect import collect
    from ..facts.view import build_view

    return collect(build_view(descriptor, repo), session.settings(base_version, repo.root), cache, keep=keep)


def dataset_documents(paths: list[Path], options: Options, session: Session, failures: list[GateFailure],
                      notices: list[str] | None = None, base_version: dict[str, int] | None = None):
    """(descriptor, shown path, input document) for every readable dataset under ``paths``; what
    cannot be read is added to ``failures``. The facts are computed here (cached by content)."""
    repo = repo_for(paths, options)
    notices = notices if notices is not None else []
    cache = open_cache(repo, options, notices)
    try:
        descriptors, found = discover(paths or [repo.root], repo)
        failures.extend(found)
        if not descriptors:
            return
        index = DatasetIndex.build(repo)
        context = session.context(repo)
        for path in descriptors:
            shown = repo.rel(path)
            try:
                descriptor = load_descriptor(path, repo)
                index.check_unique(descriptor)
                facts = dataset_facts(descriptor, repo, session, cache, base_version=base_version).facts
            except EngineError as exc:
                failures.append(GateFailure(shown, f"{shown}: {exc}"))
                continue
            except GateError as exc:
                failures.append(GateFailure(exc.path or shown, str(exc)))
                continue
            yield descriptor, shown, dataset_input(descriptor, facts, context)
    finally:
        if cache is not None:
            cache.close()


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


def _explainer(session: Session, explain: bool):
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


def check_paths(paths: list[Path], options: Options, session: Session | None = None,
                record: Path | None = None, explain: bool = False,
                base_version: dict[str, int] | None = None) -> Verdict:
    """Decide every dataset under ``paths`` (saving each input document under ``record``);
    ``base_version``: lock path -> version signed at the base revision (rollback check)."""
    own = session is None
    session = session or Session.open(options)
    try:
        failures: list[GateFailure] = []
        decided: list[DatasetVerdict] = []
        notices: list[str] = []
        add_explanations = _explainer(session, explain)
        for descriptor, shown, document in dataset_documents(paths, options, session, failures, notices,
                                                             base_version):
            try:
                decision = session.decide(DATASET_ENTRYPOINT, document)
            except GateError as exc:
                failures.append(GateFailure(shown, f"{shown}: {exc}"))
                continue
            add_explanations(decision, document)
            record_input(record, "dataset", descriptor.id, document)
            decided.append(DatasetVerdict(
                id=descriptor.id, path=shown, violations=_violations(decision, descriptor),
                facts=document["facts"], allow=decision["allow"],
            ))
        return session.verdict("dataset", decided, failures, notices)
    finally:
        if own:
            session.close()
