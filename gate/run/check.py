"""`gate check`: the input document of each dataset (descriptor, facts, context), its decision and
the verdict; recorded inputs and explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model.descriptor import Descriptor, load_descriptor
from ..errors import EngineError, GateError
from ..repo import Repo
from ..verdict import DatasetVerdict, GateFailure, Verdict
from .datasets import DatasetIndex, dataset_failure, discover
from .outcome import explainer, record_input, violations_of
from .session import DATASET_ENTRYPOINT, Options, Session, open_cache, repo_for


def dataset_input(descriptor: Descriptor, facts: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The input document for data.gate.dataset.decision (names holding PII masked)."""
    from ..facts.pii.redact import Redactor

    dataset = Redactor().document({**descriptor.document, "path": descriptor.relpath})
    return {"dataset": dataset, "facts": facts, "context": context}


def dataset_facts(descriptor: Descriptor, repo: Repo, session: Session, cache=None, *, keep: bool = False,
                  base_version: dict[str, int] | None = None, base_commit: str | None = None):
    """The dataset view and every fact of it (see gate.facts.collect)."""
    from ..facts.collect import collect
    from ..facts.view import build_view

    return collect(build_view(descriptor, repo), session.settings(base_version, repo.root, base_commit), cache,
                   keep=keep)


def dataset_documents(paths: list[Path], options: Options, session: Session, failures: list[GateFailure],
                      notices: list[str] | None = None, base_version: dict[str, int] | None = None,
                      base_commit: str | None = None):
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
                facts = dataset_facts(descriptor, repo, session, cache, base_version=base_version,
                                      base_commit=base_commit).facts
            except EngineError as exc:
                failures.append(GateFailure(shown, f"{shown}: {exc}"))
                continue
            except Exception as exc:  # noqa: BLE001 (see dataset_failure)
                failures.append(dataset_failure(shown, exc))
                continue
            yield descriptor, shown, dataset_input(descriptor, facts, context)
    finally:
        if cache is not None:
            cache.close()


def check_paths(paths: list[Path], options: Options, session: Session | None = None,
                record: Path | None = None, explain: bool = False,
                base_version: dict[str, int] | None = None, base_commit: str | None = None) -> Verdict:
    """Decide every dataset under ``paths`` (saving each input document under ``record``);
    ``base_version``: lock path -> version signed at the base revision (rollback check);
    ``base_commit``: that revision (a reference gives a noise floor only as it was there)."""
    own = session is None
    session = session or Session.open(options)
    try:
        failures: list[GateFailure] = []
        decided: list[DatasetVerdict] = []
        notices: list[str] = []
        add_explanations = explainer(session, explain)
        for descriptor, shown, document in dataset_documents(paths, options, session, failures, notices,
                                                             base_version, base_commit):
            try:
                decision = session.decide(DATASET_ENTRYPOINT, document)
            except GateError as exc:
                failures.append(GateFailure(shown, f"{shown}: {exc}"))
                continue
            add_explanations(decision, document)
            record_input(record, "dataset", descriptor.id, document)
            decided.append(DatasetVerdict(
                id=descriptor.id, path=shown, violations=violations_of(decision, descriptor),
                facts=document["facts"], allow=decision["allow"],
            ))
        return session.verdict("dataset", decided, failures, notices)
    finally:
        if own:
            session.close()
