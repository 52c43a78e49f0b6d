"""`gate manifest update|verify|sign`: the one lock update and its checks, over the dataset view.

``locked`` builds the lock a dataset's view calls for and ``write_lock`` writes it; `gate manifest
update`, the manifest hook and sealing all go through them. A lock is written only when the view is
coherent: every file under the dataset directory covered or excluded, nothing outside it, no
deceptive names. Signatures are kept while the files they vouch for are unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from ._fs import write_atomic
from .core import Options, discover, for_each_dataset, repo_for
from .descriptor import Manifest, ManifestEntry, load_descriptor, render_manifest
from .errors import GateError, IntegrityError
from .facts.files import read_file
from .facts.integrity import file_status
from .facts.view import MISSING, OK, PENDING, UNMATCHED, DatasetView, build_view, escape_name
from .verdict import DatasetVerdict, GateFailure, Verdict, Violation

_FILE_VIOLATIONS = {
    "mismatch": ("integrity.file_mismatch", "critical", "does not match the manifest"),
    "missing": ("integrity.file_missing", "high", "is in the manifest but missing"),
    "undeclared": ("integrity.file_undeclared", "high", "is not in the manifest"),
    "unmatched": ("integrity.file_unmatched", "high", "is in the manifest but not covered by files"),
    "uncovered": ("integrity.file_uncovered", "high", "is neither covered by files nor excluded"),
    "outside_repo": ("integrity.path_outside_repo", "critical", "points outside the repository and was not read"),
    "outside_dataset": ("integrity.path_outside_dataset", "critical", "leads out of the dataset and was not read"),
    "not_regular": ("integrity.not_regular_file", "critical", "is not a regular file and was not opened"),
}


@dataclass(frozen=True)
class LockUpdate:
    """The outcome of updating one lock."""

    path: str
    """Repository-relative path of the lock."""
    files: int
    """Files recorded."""
    changed: bool
    """Whether the lock's content changed."""
    dropped_signatures: int = 0
    """Signatures removed because the files they vouch for changed."""


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


def update_manifests(paths: list[Path], options: Options) -> tuple[list[LockUpdate], list[GateFailure]]:
    """Rewrite dataset.lock for every dataset under ``paths`` (only when its content changes)."""

    def update(descriptor, repo) -> LockUpdate:
        view = build_view(descriptor, repo)
        manifest = locked(view)
        dropped = len(view.manifest.signatures) if view.manifest is not None and manifest is not view.manifest else 0
        changed = write_lock(view, manifest)
        return LockUpdate(view.lock_path, len(manifest.files), changed, dropped)

    return for_each_dataset(paths, options, update)


def verify_manifests(paths: list[Path], options: Options) -> Verdict:
    """Check every dataset under ``paths`` against its lock; integrity only, no policy."""
    repo = repo_for(paths, options)
    descriptors, failures = discover(paths or [repo.root], repo)
    decided = []
    for path in descriptors:
        try:
            view = build_view(load_descriptor(path, repo), repo)
            digests = {f.path: _digest(f) for f in view.pending()}
        except GateError as exc:
            failures.append(GateFailure(exc.path or repo.rel(path), str(exc)))
            continue
        violations = []
        if view.manifest is None:
            violations.append(Violation("integrity.no_manifest", "deny", "high",
                                        f"{view.lock_path} does not exist", view.lock_path))
        for file in view.files:
            status = file_status(file, digests.get(file.path))
            if status == OK or (status == "undeclared" and view.manifest is None):
                continue
            rule, severity, text = _FILE_VIOLATIONS[status]
            violations.append(Violation(rule, "deny", severity, f"{escape_name(file.path)} {text}", file.path))
        for pattern, status in view.patterns_outside:
            rule, severity, text = _FILE_VIOLATIONS[status]
            violations.append(Violation(rule, "deny", severity, f"pattern {pattern!r} {text}", view.descriptor.relpath))
        for name in view.ambiguous_names:
            violations.append(Violation("integrity.ambiguous_name", "deny", "high",
                                        f"{escape_name(name['path'])}: {name['reason']}", view.descriptor.relpath))
        decided.append(DatasetVerdict(view.descriptor.id, view.descriptor.relpath, tuple(violations),
                                      {"integrity": {"files": len(view.files)}}))
    return Verdict("none", "none", __version__, tuple(decided), tuple(failures), kind="manifest")


def _digest(file) -> tuple[str, int]:
    read = read_file(file.open_path, file.path, parse=False)
    return read.sha256, read.size


def next_version(view: DatasetView) -> int:
    """One more than any version this dataset was signed at: in its lock (the hint and the signed
    statements) and in the lock committed at HEAD."""
    from .repo import git
    from .signing import signed_versions

    seen = [view.manifest.version if view.manifest else 0] + signed_versions(view.manifest)
    if (view.repo.root / ".git").exists():
        text = git(view.repo.root, "show", f"HEAD:{view.lock_path}", check=False)
        if text:
            from .descriptor import load_manifest

            try:
                seen += signed_versions(load_manifest(view.descriptor.manifest_path, view.repo, text=text))
            except GateError:
                pass
    return max(seen) + 1


def sign_manifests(paths: list[Path], options: Options, key_file: Path | None, key_env: str | None,
                   identities: list | None = None, settings=None) -> tuple[list[tuple[str, str, int]], list[GateFailure]]:
    """Sign the lock of every dataset under ``paths``; only a lock its files and view agree with is
    signed. Each signature binds the lock, the descriptor's bytes and a version that only grows. A
    lock with sealed files is signed only with ``identities`` to open them: the facts bound to their
    plaintext are computed by the signer (with ``settings``), never taken from the lock."""
    from .core import utc_now_text
    from .sealing import bind_facts
    from .signing import keyid_of, load_signing_key, sign_manifest, with_signature

    key = load_signing_key(key_file, key_env, repo_for(paths, options).root)

    def sign(descriptor, repo) -> tuple[str, str, int]:
        view = build_view(descriptor, repo)
        if view.manifest is None:
            raise GateError(f"no {view.lock_path}: run `gate manifest update` first", descriptor.relpath)
        problem = incoherent(view)
        if problem:
            raise GateError(f"refusing to sign: {problem}", view.lock_path)
        for file in view.files:
            status = file_status(file, _digest(file) if file.status == PENDING else None)
            if status != OK:
                raise GateError(f"refusing to sign: {escape_name(file.path)} is {status.replace('_', ' ')} against "
                                "the lock", view.lock_path)
        manifest = view.manifest
        if any(e.sealed or e.path.endswith(".age") for e in manifest.files):
            if not identities:
                raise GateError("the lock holds sealed files: give -i IDENTITY (or --passphrase-env NAME) so the "
                                "facts bound to their plaintext are computed by the signer, who vouches for them",
                                view.lock_path)
            rebound = bind_facts(view, identities, settings)
            if rebound.body() != manifest.body():
                manifest = rebound.replace(signatures=())  # other signers vouched for the facts that were there
        version = next_version(view)
        envelope = sign_manifest(manifest, key, utc_now_text(options.now),
                                 {"path": descriptor.relpath, "sha256": descriptor.sha256}, version)
        write_lock(view, with_signature(manifest, envelope).replace(version=version))
        return view.lock_path, keyid_of(key.public_key()), version

    return for_each_dataset(paths, options, sign)
