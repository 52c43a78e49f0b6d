"""The lock of a dataset's view: ``locked`` builds the lock the view calls for, ``write_lock`` writes it.
`gate manifest update`, the manifest hook, sealing and signing all go through them. A lock is
written only when the view is coherent: every file under the dataset directory covered or excluded,
nothing outside it, no deceptive names. Signatures are kept while the files they vouch for are
unchanged.
"""

from __future__ import annotations

import os

from .._fs import write_atomic
from ..model.descriptor import Manifest, ManifestEntry, render_manifest
from ..errors import GateError, IntegrityError
from ..facts.files import read_file
from ..facts.view import MISSING, PENDING, UNMATCHED, DatasetView, escape_name


def incoherent(view: DatasetView) -> str | None:
    """Why a lock cannot be written for this view (None when it can)."""
    for pattern, status in view.patterns_outside:
        return f"files pattern {pattern!r} leads out of the {'repository' if status == 'outside_repo' else 'dataset'}"
    for name in view.ambiguous_names:
        return f"{escape_name(name['path'])}: {name['reason']}"
    for file in view.files:
        stale = file.status == UNMATCHED and not os.path.lexists(view.repo.root / file.path)
        if file.status not in (PENDING, MISSING) and not stale:
            return f"{escape_name(file.path)}: {file.reason or file.status.replace('_', ' ')}"
    return None


def locked(view: DatasetView) -> Manifest:
    """The lock the view calls for: every covered file with its digest and size (sealed files keep
    their plaintext digest and bound facts while their sealed bytes are unchanged); the previous
    lock's signatures, version and dataset facts are kept while the files are the same."""
    problem = incoherent(view)
    if problem:
        raise IntegrityError(f"cannot lock: {problem}; cover it with files, name it in exclude, or remove it",
                             view.descriptor.relpath)
    previous = view.manifest
    recorded = previous.by_path() if previous else {}
    entries = []
    for file in view.pending():
        read = read_file(file.open_path, file.path, parse=False)
        old = recorded.get(file.path)
        if old is not None and old.sealed and (old.sha256, old.size) == (read.sha256, read.size):
            entries.append(old)
        else:
            entries.append(ManifestEntry(file.path, read.sha256, read.size))
    files = tuple(sorted(entries, key=lambda e: e.path))
    if previous is not None and previous.files == files:
        return previous
    return Manifest(dataset=view.descriptor.id, files=files, version=previous.version if previous else 0)


def write_lock(view: DatasetView, manifest: Manifest) -> bool:
    """Write the lock when its text changes; returns whether it did."""
    lock = view.descriptor.manifest_path
    text = render_manifest(manifest)
    try:
        old = lock.read_text("utf-8") if lock.exists() else None
        if old == text:
            return False
        write_atomic(lock, text)
    except OSError as exc:
        raise GateError(f"cannot write lock: {exc.strerror}", view.lock_path) from None
    return True


def _digest(file) -> tuple[str, int]:
    read = read_file(file.open_path, file.path, parse=False)
    return read.sha256, read.size


def next_version(view: DatasetView) -> int:
    """One more than any version this dataset was signed at: in its lock (the hint and the signed
    statements) and in the lock committed at HEAD."""
    from ..repo import git
    from ..custody.signing import signed_versions

    seen = [view.manifest.version if view.manifest else 0] + signed_versions(view.manifest)
    if (view.repo.root / ".git").exists():
        text = git(view.repo.root, "show", f"HEAD:{view.lock_path}", check=False)
        if text:
            from ..model.descriptor import load_manifest

            try:
                seen += signed_versions(load_manifest(view.descriptor.manifest_path, view.repo, text=text))
            except GateError:
                pass
    return max(seen) + 1
