"""`gate scan pii` and the pii facts of `gate check`: which files to scan, scanning, baseline."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from .descriptor import DESCRIPTOR_NAME, MANIFEST_NAME, Descriptor, load_descriptor
from .errors import GateError
from .facts.integrity import SEALED_SUFFIX, covered_files
from .facts.pii import ScanResult, scan_paths
from .facts.pii.baseline import BASELINE, apply_baseline, load_baseline
from .facts.pii.redact import KEY_FILE, load_key
from .repo import SKIP_DIRS, Repo

_NOT_DATA = {DESCRIPTOR_NAME, MANIFEST_NAME, ".gate.yaml", ".gitignore", ".gitattributes", ".pre-commit-config.yaml"}


def targets_for(paths: list[Path], repo: Repo) -> tuple[list[tuple[Path, str, str | None]], list[dict[str, str]]]:
    """Files to scan: files as given; directories recursively, following a descriptor's files where one exists."""
    items: dict[str, tuple[Path, str, str | None]] = {}
    errors: list[dict[str, str]] = []
    for path in paths:
        shown = repo.rel(path)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                if DESCRIPTOR_NAME in files:
                    dirs[:] = []
                    try:
                        descriptor = load_descriptor(Path(root) / DESCRIPTOR_NAME, repo)
                    except GateError as exc:
                        errors.append({"file": exc.path or shown, "message": str(exc)})
                        continue
                    _add_dataset(descriptor, repo, items, errors)
                    continue
                for name in sorted(files):
                    if name not in _NOT_DATA and not name.startswith("."):
                        _add_file(Path(root) / name, repo, None, items, errors)
        elif path.exists() or path.is_symlink():
            _add_file(path, repo, None, items, errors)
        else:
            errors.append({"file": shown, "message": f"{shown}: no such file or directory"})
    return list(items.values()), errors


def _add_dataset(descriptor: Descriptor, repo: Repo, items, errors) -> list[str]:
    """Add the descriptor's files; returns the sealed ones, which are not scanned."""
    coverage = covered_files(descriptor, repo)
    for outside in coverage.outside:
        errors.append({"file": outside, "message": f"{outside}: outside the repository, not read"})
    sealed = []
    for path in coverage.inside:
        if path.name.endswith(SEALED_SUFFIX):
            sealed.append(repo.rel(path))  # ciphertext: listed in the facts as sealed, scanned before sealing
            continue
        _add_file(path, repo, descriptor.schema.format, items, errors)
    return sealed


def _add_file(path: Path, repo: Repo, declared: str | None, items, errors) -> None:
    shown = repo.rel(path)
    if not repo.contains(path):
        errors.append({"file": shown, "message": f"{shown}: points outside the repository, not read"})
    elif path.is_file():
        items.setdefault(shown, (path, shown, declared))
    elif not path.exists():
        errors.append({"file": shown, "message": f"{shown}: no such file"})


def scan(paths: list[Path], repo: Repo, min_confidence: float,
         baseline: Path | None) -> tuple[ScanResult, list[dict[str, str]], dict]:
    """Scan paths; findings the baseline accepts are moved aside. Returns result, target errors, baseline entries."""
    items, errors = targets_for(paths, repo)
    entries = load_baseline(baseline) if baseline is not None else {}
    key = load_key(repo.root, create=True)
    result = scan_paths(items, key, min_confidence)
    apply_baseline(result, entries)
    return result, errors, entries


def _scan_cached(items, key: bytes, digests: dict[str, str], cache) -> ScanResult:
    """Scan the files whose content digest has no cached result; reuse the rest."""
    from .facts.pii.scanner import config_digest, file_result_from_json, file_result_to_json

    if cache is None:
        return scan_paths(items, key, 0.0)
    config = config_digest(key)
    cached, todo = {}, []
    for path, shown, declared in items:
        content = digests.get(shown)
        value = cache.fact("pii", f"{content}:{declared}", config) if content else None
        if value is not None:
            cached[shown] = file_result_from_json(shown, value)
        else:
            todo.append((path, shown, declared))
    fresh = scan_paths(todo, key, 0.0)
    for result in fresh.files:
        content = digests.get(result.file)
        declared = next((d for p, s, d in todo if s == result.file), None)
        if content and result.error is None:
            cache.store_fact("pii", f"{content}:{declared}", config, file_result_to_json(result))
    by_file = {**cached, **{r.file: r for r in fresh.files}}
    return ScanResult([by_file[shown] for _, shown, _ in items])


def default_baseline(repo: Repo) -> Path:
    """.gate/pii-baseline.json in the repository."""
    return repo.root / BASELINE


def pii_facts(descriptor: Descriptor, repo: Repo, digests: dict[str, str] | None = None, cache=None) -> dict[str, Any]:
    """Aggregated PII facts for the policy: counts per type and confidence, never values.

    ``digests`` (path -> sha256, from the integrity facts) lets unchanged files reuse cached results.
    """
    baseline = default_baseline(repo)
    has_key = bool(os.environ.get("GATE_FINGERPRINT_KEY")) or (repo.root / KEY_FILE).exists()
    items: dict[str, tuple[Path, str, str | None]] = {}
    errors: list[dict[str, str]] = []
    sealed = _add_dataset(descriptor, repo, items, errors)
    entries = load_baseline(baseline) if baseline.exists() else {}
    if entries and not has_key:
        raise GateError(f"a PII baseline exists but no fingerprint key ({KEY_FILE} or GATE_FINGERPRINT_KEY)",
                        repo.rel(baseline))
    # cached facts hold fingerprints, so they need a key that outlives the run (created git-ignored)
    key = load_key(repo.root, create=cache is not None and cache.db is not None)
    result = _scan_cached(list(items.values()), key, digests or {}, cache)
    apply_baseline(result, entries)
    failed = result.errors
    if failed:
        raise GateError(f"cannot scan for PII: {failed[0]['message']}", failed[0]["file"])
    by_type: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "by_confidence": defaultdict(int),
                                                             "files": set(), "examples": []})
    for finding in result.findings:
        entry = by_type[finding.type]
        entry["count"] += 1
        entry["by_confidence"][f"{finding.confidence:.2f}"] += 1
        entry["files"].add(finding.file)
        if len(entry["examples"]) < 3:
            entry["examples"].append({"file": finding.file, "row": finding.row, "column": finding.column,
                                      "preview": finding.preview, "confidence": finding.confidence})
    summary = result.summary()
    return {
        "scanned_files": len(result.files),
        "by_type": {kind: {"count": e["count"], "by_confidence": dict(sorted(e["by_confidence"].items())),
                           "files": sorted(e["files"]), "examples": e["examples"]}
                    for kind, e in sorted(by_type.items())},
        "pii_columns": summary["pii_columns"],
        "baselined": len(result.baselined),
        "unscanned": [s["file"] for s in summary["skipped"]],
        "sealed_unscanned": sealed,
        "notes": summary["notes"],
    }
