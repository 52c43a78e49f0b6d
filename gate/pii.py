"""`gate scan pii`: which files to scan (a dataset's files through its view), scanning, baseline."""

from __future__ import annotations

import os
from pathlib import Path

from .model.descriptor import DESCRIPTOR_NAME, MANIFEST_NAME, load_descriptor
from .errors import GateError
from .facts.pii import ScanResult, scan_paths
from .facts.pii.baseline import BASELINE, apply_baseline, load_baseline
from .facts.pii.marks import load_key
from .repo import Repo
from .verdict import Report

_NOT_DATA = {DESCRIPTOR_NAME, MANIFEST_NAME, ".gate.yaml"}


def targets_for(paths: list[Path], repo: Repo) -> tuple[list[tuple[Path, str, str | None]], list[dict[str, str]]]:
    """Files to scan: files as given; directories recursively — a dataset's files as its view covers
    them (every one, hidden or not; problems with the coverage are errors), other files all."""
    from .facts.view import PENDING, build_view

    items: dict[str, tuple[Path, str, str | None]] = {}
    errors: list[dict[str, str]] = []
    for path in paths:
        shown = repo.rel(path)
        if path.is_dir() and not path.is_symlink():
            path = Path(os.path.abspath(path))
            datasets = repo.descriptors(path)
            for descriptor_path in datasets:
                try:
                    view = build_view(load_descriptor(descriptor_path, repo), repo)
                except GateError as exc:
                    errors.append({"file": exc.path or shown, "message": str(exc)})
                    continue
                for file in view.files:
                    if file.status == PENDING and not file.sealed:
                        items.setdefault(file.path, (file.open_path, file.path, view.descriptor.schema.format))
                    elif file.status not in (PENDING, "missing") and not file.sealed:
                        errors.append({"file": file.path, "message": f"{file.path}: {file.reason or file.status}, "
                                                                    "not scanned"})
            owners = [p.parent for p in datasets]
            for file in sorted(p for p in path.rglob("*") if not p.is_dir() or p.is_symlink()):
                if any(owner == file.parent or owner in file.parents for owner in owners) or repo.skipped(file):
                    continue
                if file.name in _NOT_DATA:
                    continue
                _add_file(file, repo, items, errors)
        elif path.exists() or path.is_symlink():
            _add_file(path, repo, items, errors)
        else:
            errors.append({"file": shown, "message": f"{shown}: no such file or directory"})
    return list(items.values()), errors


def _add_file(path: Path, repo: Repo, items, errors) -> None:
    shown = repo.rel(path)
    if not repo.contains(path):
        errors.append({"file": shown, "message": f"{shown}: points outside the repository, not read"})
    elif path.is_file():
        items.setdefault(shown, (path, shown, None))
    elif path.exists():
        errors.append({"file": shown, "message": f"{shown}: not a regular file, not read"})
    else:
        errors.append({"file": shown, "message": f"{shown}: no such file"})


def scan(paths: list[Path], repo: Repo, min_confidence: float,
         baseline: Path | None) -> tuple[ScanResult, list[dict[str, str]], dict]:
    """Scan paths; findings the baseline accepts are moved aside. Returns result, target errors, baseline entries."""
    items, errors = targets_for(paths, repo)
    entries = load_baseline(baseline) if baseline is not None else {}
    result = scan_paths(items, load_key(), min_confidence)
    apply_baseline(result, entries)
    return result, errors, entries


def scan_report(paths: list[Path], repo: Repo, min_confidence: float, baseline: Path | None,
                update_baseline: bool = False, reviewer: str | None = None, reason: str | None = None) -> Report:
    """`gate scan pii`: the redacted body of the scan (findings, files, summary, errors); with
    ``update_baseline`` every finding is written to the baseline and accepted. Exit 2 when a file could
    not be read unambiguously (not a clean file), 1 on any finding not in the baseline."""
    from .facts.pii.baseline import write_baseline
    from .facts.pii.redact import Redactor

    result, target_errors, entries = scan(paths or [repo.root], repo, min_confidence, baseline)
    errors = target_errors + result.errors
    notes = ()
    if update_baseline:
        where = baseline or default_baseline(repo)
        count = write_baseline(where, result, entries, reviewer, reason)
        notes = (f"baseline {repo.rel(where)}: {count} accepted finding(s)",)
        result.baselined.extend(result.findings)
        for file_result in result.files:
            file_result.findings = []
    body = Redactor().document({**result.to_json(), "errors": errors})
    return Report(body, errors=len(errors) + int(bool(body["summary"]["problems"])), found=len(body["findings"]),
                  notes=notes)


def default_baseline(repo: Repo) -> Path:
    """.gate/pii-baseline.json in the repository."""
    return repo.root / BASELINE
