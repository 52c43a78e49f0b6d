"""`gate scan poisoning` and the poisoning and drift facts of `gate check`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .descriptor import DESCRIPTOR_NAME, Descriptor, load_descriptor
from .errors import GateError
from .facts.integrity import SEALED_SUFFIX, covered_files
from .repo import Repo

FACTS_VERSION = "1"


def _items_for_descriptor(descriptor: Descriptor, repo: Repo, coverage=None) -> list[tuple[Path, str, str | None]]:
    coverage = coverage or covered_files(descriptor, repo)
    if coverage.outside:
        raise GateError("points outside the repository, not read", coverage.outside[0])
    from .readers import detect_format
    from .facts.poisoning.table import TABLE_FORMATS

    items = []
    for path in coverage.inside:
        if path.name.endswith(SEALED_SUFFIX):
            continue  # ciphertext: nothing to analyse without the key
        shown = repo.rel(path)
        if not repo.contains(path):
            raise GateError("points outside the repository, not read", shown)
        try:
            fmt = detect_format(path, descriptor.schema.format)
        except OSError as exc:
            raise GateError(f"cannot read: {exc.strerror or exc.__class__.__name__}", shown) from None
        if fmt in TABLE_FORMATS:
            items.append((path, shown, descriptor.schema.format))
    if not items:
        raise GateError("no csv, tsv, parquet or jsonl files to analyse", repo.rel(descriptor.path))
    return items


def items_for(path: Path, repo: Repo) -> tuple[list[tuple[Path, str, str | None]], Descriptor | None]:
    """A file, a descriptor, or a directory holding one: the files to read and the descriptor, if any."""
    shown = repo.rel(path)
    if not path.exists() and not path.is_symlink():
        raise GateError("no such file or directory", shown)
    if not repo.contains(path):
        raise GateError("points outside the repository, not read", shown)
    if path.is_dir():
        if (path / DESCRIPTOR_NAME).is_file():
            path = path / DESCRIPTOR_NAME
        else:
            from .readers import detect_format
            from .facts.poisoning.table import TABLE_FORMATS

            files = sorted(p for p in path.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.relative_to(path).parts))
            items = []
            for file in files:
                if not repo.contains(file):
                    raise GateError("points outside the repository, not read", repo.rel(file))
                if detect_format(file) in TABLE_FORMATS:
                    items.append((file, repo.rel(file), None))
            if not items:
                raise GateError("no csv, tsv, parquet or jsonl files", shown)
            return items, None
    if path.name == DESCRIPTOR_NAME:
        descriptor = load_descriptor(path, repo)
        return _items_for_descriptor(descriptor, repo), descriptor
    return [(path, shown, None)], None


def reference_path(descriptor: Descriptor, repo: Repo) -> Path:
    """The descriptor's `reference`, resolved against its directory; must stay inside the repository."""
    target = (descriptor.path.parent / descriptor.reference)
    if not repo.contains(target):
        raise GateError(f"reference {descriptor.reference!r} points outside the repository", repo.rel(descriptor.path))
    if not target.exists():
        raise GateError(f"reference {descriptor.reference!r} does not exist", repo.rel(descriptor.path))
    return target


def run_scan(path: Path, repo: Repo, label: str | None, text: str | None, features: tuple[str, ...],
             reference: Path | None, thresholds: dict, all_scores: bool = False) -> dict[str, Any]:
    """The body of `gate scan poisoning`."""
    from .facts.drift import drift
    from .facts.poisoning import all_scores as every_row
    from .facts.poisoning import analyze, load_table

    items, descriptor = items_for(path, repo)
    if descriptor is not None:
        label = label or descriptor.schema.label
        text = text or descriptor.schema.text
        features = features or descriptor.schema.features
        if reference is None and descriptor.reference:
            reference = reference_path(descriptor, repo)
    if not label:
        raise GateError("no label column: give --label (or schema.label in the descriptor)", items[0][1])
    table = load_table(items)
    result = analyze(table, label, text, features, thresholds, source=items[0][1] if len(items) == 1 else None)
    body: dict[str, Any] = {"files": table.files, "poisoning": result.facts, "timing_s": result.timing}
    if reference is not None:
        ref_items, _ = items_for(reference, repo)
        ref_table = load_table(ref_items)
        body["drift"] = {**drift(table.frame, ref_table.frame, label, text, features),
                         "reference": [item[1] for item in ref_items]}
    if all_scores:
        body["rows"] = every_row(result)
    return body


_CODE: list[str] = []


def _code_digest() -> str:
    """Digest of the detectors' source: cached facts from other detector code are never reused."""
    if not _CODE:
        here = Path(__file__).resolve().parent / "facts"
        h = hashlib.sha256()
        for path in sorted((here / "poisoning").glob("*.py")) + [here / "drift.py"]:
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        _CODE.append(h.hexdigest()[:16])
    return _CODE[0]


def _config_digest(descriptor: Descriptor, thresholds: dict, extra: str = "") -> str:
    config = {"v": FACTS_VERSION, "code": _code_digest(), "label": descriptor.schema.label, "text": descriptor.schema.text,
              "features": list(descriptor.schema.features), "format": descriptor.schema.format,
              "thresholds": thresholds, "extra": extra}
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def _content_key(items, digests: dict[str, str]) -> str | None:
    parts = []
    for _, shown, _ in items:
        digest = digests.get(shown)
        if not digest:
            return None
        parts.append(f"{shown}={digest}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def poisoning_facts(descriptor: Descriptor, repo: Repo, thresholds: dict, digests: dict[str, str] | None = None,
                    cache=None) -> dict[str, Any]:
    """Poisoning facts for `gate check`: ``{"status": "skipped", "reason": ...}`` without a label column."""
    if not descriptor.schema.label:
        return {"status": "skipped", "reason": "no schema.label in the descriptor"}
    from .facts.poisoning import analyze, load_table
    coverage = covered_files(descriptor, repo)
    if coverage.inside and all(p.name.endswith(SEALED_SUFFIX) for p in coverage.inside):
        return {"status": "skipped", "reason": "the files are sealed (age); analyse them before sealing"}
    items = _items_for_descriptor(descriptor, repo, coverage)
    key = _content_key(items, digests or {})
    config = _config_digest(descriptor, thresholds)
    if cache is not None and key:
        cached = cache.fact("poisoning", key, config)
        if cached is not None:
            return cached
    from .facts.poisoning.features import NotAnalysable

    table = load_table(items)
    try:
        facts = analyze(table, descriptor.schema.label, descriptor.schema.text, descriptor.schema.features,
                        thresholds, source=items[0][1] if len(items) == 1 else repo.rel(descriptor.path)).facts
    except NotAnalysable as exc:
        facts = {"status": "not_analysable", "reason": exc.message}
    if cache is not None and key:
        cache.store_fact("poisoning", key, config, facts)
    return facts


def drift_facts(descriptor: Descriptor, repo: Repo, cache=None) -> dict[str, Any]:
    """Drift facts for `gate check`: skipped without a `reference`."""
    if not descriptor.reference:
        return {"status": "skipped", "reason": "no reference in the descriptor"}
    from .facts.drift import drift
    from .facts.integrity import hash_files
    from .facts.poisoning import load_table
    target = reference_path(descriptor, repo)
    items = _items_for_descriptor(descriptor, repo)
    ref_items, _ = items_for(target, repo)
    hashed = hash_files([(path, shown) for path, shown, _ in items + ref_items], cache=cache)
    digests = {shown: d.sha256 for shown, d in hashed.items() if d.sha256}
    key = _content_key(items + ref_items, digests)
    config = _config_digest(descriptor, {}, "drift:" + ",".join(s for _, s, _ in ref_items))
    if cache is not None and key:
        cached = cache.fact("drift", key, config)
        if cached is not None:
            return cached
    current, reference = load_table(items), load_table(ref_items)
    facts = {**drift(current.frame, reference.frame, descriptor.schema.label, descriptor.schema.text,
                     descriptor.schema.features), "reference": [s for _, s, _ in ref_items]}
    if cache is not None and key:
        cache.store_fact("drift", key, config, facts)
    return facts
