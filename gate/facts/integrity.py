"""Integrity facts: the dataset view (see gate.facts.view) set against the bytes read this run."""

from __future__ import annotations

from typing import Any

from .view import (
    MISMATCH,
    OK,
    PENDING,
    SEALED_SUFFIX,
    STATUSES,
    UNDECLARED,
    DatasetView,
    ViewFile,
    escape_name,
)

__all__ = ["SEALED_SUFFIX", "file_status", "integrity_json", "sealing_json"]


def file_status(file: ViewFile, digest: tuple[str, int] | None) -> str:
    """The final status of a view file once its bytes are known (ok, mismatch, undeclared)."""
    if file.status != PENDING:
        return file.status
    if file.entry is None:
        return UNDECLARED
    if digest is None:
        return MISMATCH
    return OK if (file.entry.sha256, file.entry.size) == digest else MISMATCH


def integrity_json(view: DatasetView, digests: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """The integrity facts for the policy: one entry per path with its status, the patterns that leave
    the dataset, the ones that match nothing, and the names that can deceive."""
    files = []
    counts = {status: 0 for status in STATUSES}
    for file in view.files:
        status = file_status(file, digests.get(file.path))
        entry: dict[str, Any] = {"path": file.path, "status": status}
        actual = digests.get(file.path)
        if actual is not None:
            entry["sha256"], entry["size"] = actual
        if file.entry is not None:
            entry["expected_sha256"], entry["expected_size"] = file.entry.sha256, file.entry.size
        if file.reason and status not in (OK, MISMATCH, UNDECLARED):
            entry["reason"] = file.reason
        counts[status] += 1
        files.append(entry)
    for pattern, status in view.patterns_outside:
        files.append({"path": pattern, "status": status, "reason": "a files or exclude pattern that leaves the "
                      + ("repository" if status == "outside_repo" else "dataset's directory"), "pattern": True})
        counts[status] += 1
    manifest = view.manifest
    return {
        "manifest": {"present": manifest is not None, "path": view.lock_path,
                     "dataset": manifest.dataset if manifest else None},
        "files": files,
        "counts": counts,
        "unmatched_patterns": list(view.unmatched_patterns),
        "ambiguous_names": [{"path": escape_name(a["path"]), "reason": a["reason"]} for a in view.ambiguous_names],
        "contents_verified": True,
    }


def sealing_json(view: DatasetView, heads: dict[str, bool]) -> dict[str, Any]:
    """Which files are sealed (age), whether each really is an age file, and whether the lock binds
    facts computed over its plaintext (``heads``: path -> starts with the age header)."""
    data = [f for f in view.files if f.status in (PENDING, OK, MISMATCH, UNDECLARED) or f.entry is not None]
    sealed = [f for f in data if f.sealed]
    plain = [f.path for f in data if not f.sealed]
    recorded = view.manifest.by_path() if view.manifest else {}
    without_digest = [f.path for f in sealed if f.path in recorded and not recorded[f.path].sealed]
    without_facts = [f.path for f in sealed if f.path in recorded
                     and not (recorded[f.path].sealed and recorded[f.path].plain_facts)]
    not_age = sorted(path for path, ok in heads.items() if not ok)
    return {"files": len(data), "sealed": len(sealed), "plain_files": plain[:50], "plain_count": len(plain),
            "all_sealed": bool(data) and not plain, "sealed_without_plain_digest": without_digest[:50],
            "sealed_without_facts": without_facts[:50], "not_age": not_age[:50]}
