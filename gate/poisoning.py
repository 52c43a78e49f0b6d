"""`gate scan poisoning`: one table (a file, a directory of files, or a dataset through its view),
read by the one reader, analysed for poisoning and, against a reference, for drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .data.reader import is_table
from .model.descriptor import DESCRIPTOR_NAME, Descriptor, load_descriptor
from .errors import GateError
from .facts.files import FileRead, read_file
from .repo import Repo
from .verdict import Report


def reads_for(path: Path, repo: Repo) -> tuple[list[FileRead], Descriptor | None]:
    """A file, a descriptor, or a directory holding one (or holding loose files): each table file read
    once, with its parts; the descriptor, if any."""
    from .facts.view import PENDING, build_view

    shown = repo.rel(path)
    if not path.exists() and not path.is_symlink():
        raise GateError("no such file or directory", shown)
    if not repo.contains(path):
        raise GateError("points outside the repository, not read", shown)
    if path.is_dir() and (path / DESCRIPTOR_NAME).is_file():
        path = path / DESCRIPTOR_NAME
    if path.name == DESCRIPTOR_NAME:
        view = build_view(load_descriptor(path, repo), repo)
        bad = [f for f in view.files if f.status not in (PENDING, "missing")]
        if bad:
            raise GateError(f"{bad[0].path} is {bad[0].status.replace('_', ' ')}: the dataset's files do not agree "
                            "with its lock and globs (see `gate check`)", view.descriptor.relpath)
        files = [f for f in view.pending() if not f.sealed]
        reads = [read_file(f.open_path, f.path, view.descriptor.schema.format, keep=True) for f in files]
        return _tables(reads, view.descriptor.relpath), view.descriptor
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not repo.skipped(p))
        for file in files:
            if not repo.contains(file):
                raise GateError("points outside the repository, not read", repo.rel(file))
        reads = [read_file(file, repo.rel(file), keep=True) for file in files]
        return _tables(reads, shown), None
    return _tables([read_file(path, shown, keep=True)], shown), None


def _tables(reads: list[FileRead], shown: str) -> list[FileRead]:
    """The table files; one the reader could not read unambiguously stops the analysis (exit 2)."""
    tables = [r for r in reads if r.outcome is not None and is_table(r.outcome.format)]
    if not tables:
        raise GateError("no csv, tsv, parquet or jsonl files to analyse (not a table)", shown)
    for read in tables:
        if read.outcome.problems:
            problem = read.outcome.problems[0]
            raise GateError(f"cannot analyse: {problem.message}", read.path, problem.line)
        if not read.outcome.columns and read.outcome.format in ("csv", "tsv"):
            raise GateError("empty file: no header row", read.path)
    return tables


def run_scan(path: Path, repo: Repo, label: str | None, text: str | None, features: tuple[str, ...],
             reference: Path | None, all_scores: bool = False) -> dict[str, Any]:
    """The body of `gate scan poisoning`."""
    from .facts.collect import reference_view, table_of
    from .facts.drift import drift
    from .facts.poisoning import all_scores as every_row
    from .facts.poisoning import analyze
    from .facts.view import build_view

    reads, descriptor = reads_for(path, repo)
    if descriptor is not None:
        label = label or descriptor.schema.label
        text = text or descriptor.schema.text
        features = features or descriptor.schema.features
    if not label:
        raise GateError("no label column: give --label (or schema.label in the descriptor)", reads[0].path)
    table = table_of(reads)
    result = analyze(table, label, text, features, source=reads[0].path if len(reads) == 1 else None)
    body: dict[str, Any] = {"files": table.files, "poisoning": result.facts, "timing_s": result.timing,
                            "problems": {r.path: [p.to_json() for p in r.outcome.problems]
                                         for r in reads if r.outcome.problems}}
    ref_reads, ref_descriptor = None, None
    if reference is not None:
        ref_reads, ref_descriptor = reads_for(reference, repo)
    elif descriptor is not None and descriptor.reference:
        ref_view = reference_view(build_view(descriptor, repo))
        ref_reads, ref_descriptor = reads_for(ref_view.descriptor.path, repo)
    if ref_reads is not None:
        ref_table = table_of(ref_reads)
        body["drift"] = {**drift(table.frame, ref_table.frame, label, text, features),
                         "reference": [r.path for r in ref_reads]}
        if result.facts.get("status") == "ok":
            result.facts["floor"] = _floor(ref_descriptor, ref_reads, ref_table, descriptor, label, text, features, repo,
                                           reads, result.facts.get("features") or [])
    if all_scores:
        body["rows"] = every_row(result)
    return body


def _floor(ref_descriptor: Descriptor | None, ref_reads: list[FileRead], ref_table, descriptor: Descriptor | None,
           label: str, text: str | None, features: tuple[str, ...], repo: Repo,
           scanned: list[FileRead], analysed: list[str]) -> dict[str, Any]:
    """The noise floor `gate check` would use (collect.vouched_floor): only a dataset whose lock vouches
    for its files; loose files give none."""
    from .facts.collect import vouched_floor
    from .facts.poisoning import analyze
    from .facts.view import build_view

    if ref_descriptor is None:
        return {"status": "none", "reason": "the reference is not a dataset with a lock"}
    ref = build_view(ref_descriptor, repo)

    def analyse(tables, key):
        return analyze(ref_table, label, text, features, source=tables[0].path if len(tables) == 1 else None,
                       progress=False).facts

    return vouched_floor(ref, {r.path: r for r in ref_reads}, descriptor.path if descriptor else None, label, analyse,
                         scanned, analysed)


def judge(body: dict[str, Any], data_files: tuple[Path, ...], repo: Repo) -> Report:
    """The scan's facts judged by the policy's poisoning rules (poisoning.rego, with the thresholds of
    the policy data and ``data_files``), as `gate check` judges them: ``violations`` and the
    ``thresholds`` applied are added to the body; exit 1 on any violation. The data issues' warnings
    (data_quality.rego) are added as ``data_quality``: shown, but a scan for poisoning does not fail
    on them (`gate check --fail-on warn` does)."""
    from .run.session import DATA_QUALITY_RULES, POISONING_RULES, Options, Session

    session = Session.open(Options(data_files=tuple(data_files), repo_root=repo.root))
    try:
        facts = {"poisoning": body["poisoning"], **({"drift": body["drift"]} if "drift" in body else {})}
        body["violations"] = session.rule_violations(POISONING_RULES, {"facts": facts})
        body["data_quality"] = session.rule_violations(DATA_QUALITY_RULES, {"facts": facts}, ("warn",))
        body["thresholds"] = session.data("org.poisoning", {})
    finally:
        session.close()
    return Report(body, found=len(body["violations"]))

