"""Integrity facts: which files a descriptor covers, their sha256 and size against the lock."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..descriptor import DESCRIPTOR_NAME, MANIFEST_NAME, Descriptor, Manifest, ManifestEntry, load_manifest
from ..errors import IntegrityError
from ..repo import Repo

BLOCK = 1024 * 1024
SEALED_SUFFIX = ".age"
OK, MISSING, MISMATCH, UNDECLARED, OUTSIDE = "ok", "missing", "mismatch", "undeclared", "outside_repo"
_SKIPPED_NAMES = {DESCRIPTOR_NAME, MANIFEST_NAME}


@dataclass(frozen=True)
class FileDigest:
    """sha256 and size of one file's bytes."""

    path: str
    """Repository-relative path."""
    sha256: str | None
    """Hex digest (None when only the size was taken)."""
    size: int
    """Bytes read."""


@dataclass(frozen=True)
class FileFact:
    """The integrity status of one file."""

    path: str
    """Repository-relative path (or the offending pattern for outside_repo)."""
    status: str
    """ok, missing, mismatch, undeclared or outside_repo."""
    sha256: str | None = None
    """Actual digest, when the file was read."""
    size: int | None = None
    """Actual size, when the file was read."""
    expected_sha256: str | None = None
    """Digest recorded in the lock."""
    expected_size: int | None = None
    """Size recorded in the lock."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for the policy input."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Coverage:
    """The files a descriptor covers."""

    inside: tuple[Path, ...]
    """Regular files inside the repository, absolute, sorted."""
    outside: tuple[str, ...]
    """Patterns or files that point outside the repository; never read."""
    unmatched: tuple[str, ...]
    """Patterns that matched no file."""


def covered_files(descriptor: Descriptor, repo: Repo) -> Coverage:
    """Expand the descriptor's globs; anything escaping the repository is listed, never read."""
    base = descriptor.directory
    inside: set[Path] = set()
    outside: set[str] = set()
    unmatched: list[str] = []
    directories: dict[Path, bool] = {}

    def contained(candidate: Path) -> bool:
        # resolve each directory once; a file that is not a symlink stays where its directory is
        parent = candidate.parent
        if parent not in directories:
            directories[parent] = repo.contains(parent)
        if candidate.is_symlink():
            return repo.contains(candidate)
        return directories[parent]

    for pattern in descriptor.files:
        anchored = repo.rel(base) + "/" + pattern if repo.rel(base) != "." else pattern
        if os.path.isabs(pattern) or not repo.lexically_inside(anchored):
            outside.add(pattern)
            continue
        matched = False
        # a sealed file (data.csv.age) is covered wherever its plain name would be
        candidates = set(base.glob(pattern))
        if not pattern.endswith(SEALED_SUFFIX):
            candidates.update(base.glob(pattern + SEALED_SUFFIX))
        for candidate in sorted(candidates):
            if candidate.name in _SKIPPED_NAMES and candidate.parent == base:
                continue
            if _is_hidden(candidate, base):
                continue
            if not contained(candidate):
                outside.add(repo.rel(candidate))
                matched = True
                continue
            if candidate.is_file():
                inside.add(Path(os.path.abspath(candidate)))
                matched = True
        if not matched:
            unmatched.append(pattern)
    return Coverage(tuple(sorted(inside)), tuple(sorted(outside)), tuple(unmatched))


def _is_hidden(path: Path, base: Path) -> bool:
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        return False
    return any(part.startswith(".") for part in parts)


def hash_file(path: Path, shown: str, progress: Callable[[int], None] | None = None) -> FileDigest:
    """Stream a file through sha256 in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb", buffering=0) as handle:
            buffer = bytearray(BLOCK)
            view = memoryview(buffer)
            while True:
                count = handle.readinto(buffer)
                if not count:
                    break
                digest.update(view[:count])
                size += count
                if progress:
                    progress(count)
    except OSError as exc:
        raise IntegrityError(f"cannot read data file: {exc.strerror or exc.__class__.__name__}", shown) from None
    return FileDigest(shown, digest.hexdigest(), size)


def hash_files(paths: Iterable[tuple[Path, str]], workers: int | None = None, cache=None) -> dict[str, FileDigest]:
    """Hash files in parallel across cores (hashlib releases the GIL); a progress bar on a TTY.

    With a cache, a file whose (size, mtime_ns, inode) is unchanged costs a stat (not in CI mode).
    """
    items = list(paths)
    if not items:
        return {}
    known: dict[str, FileDigest] = {}
    if cache is not None:
        stats = {}
        for path, shown in items:
            try:
                stats[shown] = os.stat(path)
            except OSError:
                continue
            sha = cache.digest(shown, stats[shown])
            if sha is not None:
                known[shown] = FileDigest(shown, sha, stats[shown].st_size)
        items = [(p, s) for p, s in items if s not in known]
        fresh = hash_files(items, workers) if items else {}
        cache.store_digests([(s, stats[s], d.sha256) for s, d in fresh.items() if s in stats
                             and stats[s].st_size == d.size])
        return {**known, **fresh}
    workers = workers or min(32, (os.cpu_count() or 1) + 1)
    total = sum(_size(p) for p, _ in items)
    with _Progress(total) as bar:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda item: hash_file(item[0], item[1], bar.advance), items))
    return {r.path: r for r in results}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _Progress:
    """A rich progress bar on stderr, shown only on a TTY once hashing takes more than a moment."""

    DELAY = 0.5

    def __init__(self, total: int):
        self.total = total
        self.started = time.monotonic()
        self.done = 0
        self.bar = None
        self.task = None
        self.enabled = sys.stderr.isatty() and total > 64 * BLOCK

    def __enter__(self):
        return self

    def advance(self, count: int) -> None:
        if not self.enabled:
            return
        self.done += count
        if self.bar is None and time.monotonic() - self.started > self.DELAY:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

            self.bar = Progress(
                "hashing", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                console=Console(stderr=True), transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("hash", total=self.total)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


@dataclass(frozen=True)
class IntegrityFacts:
    """Integrity of a dataset against its lock."""

    manifest_present: bool
    """Whether dataset.lock exists."""
    manifest_path: str
    """Repository-relative path of the lock."""
    manifest_dataset: str | None
    """Dataset id recorded in the lock."""
    files: tuple[FileFact, ...]
    """One fact per file, sorted by path."""
    unmatched_patterns: tuple[str, ...]
    """Descriptor globs that matched nothing."""
    manifest: Manifest | None = field(default=None, compare=False, repr=False)
    """The lock as read (for signature and sealing facts)."""
    contents_verified: bool = True
    """False when only sizes were compared (the caller hashes while reading)."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for the policy input."""
        counts = {s: 0 for s in (OK, MISSING, MISMATCH, UNDECLARED, OUTSIDE)}
        for fact in self.files:
            counts[fact.status] += 1
        return {
            "manifest": {
                "present": self.manifest_present,
                "path": self.manifest_path,
                "dataset": self.manifest_dataset,
            },
            "files": [f.to_json() for f in self.files],
            "counts": counts,
            "unmatched_patterns": list(self.unmatched_patterns),
            "contents_verified": self.contents_verified,
        }


def integrity_facts(descriptor: Descriptor, repo: Repo, cache=None, contents: bool = True) -> IntegrityFacts:
    """Compare the files a descriptor covers with its lock.

    ``contents=False`` compares sizes only, for a caller that hashes every byte as it reads them
    (the loader) and so must not pay for reading twice; the facts then say contents_verified false."""
    coverage = covered_files(descriptor, repo)
    lock_path = descriptor.manifest_path
    manifest = load_manifest(lock_path, repo) if lock_path.exists() else None
    recorded = manifest.by_path() if manifest else {}

    facts: dict[str, FileFact] = {p: FileFact(p, OUTSIDE) for p in coverage.outside}
    to_hash: dict[str, Path] = {repo.rel(p): p for p in coverage.inside}
    for relpath in recorded:
        if relpath in to_hash or relpath in facts:
            continue
        absolute = repo.root / relpath
        if not repo.lexically_inside(relpath) or not repo.contains(absolute):
            facts[relpath] = FileFact(relpath, OUTSIDE)
        elif absolute.is_file():
            to_hash[relpath] = absolute
        else:
            entry = recorded[relpath]
            facts[relpath] = FileFact(relpath, MISSING, expected_sha256=entry.sha256, expected_size=entry.size)

    if contents:
        digests = hash_files(((path, rel) for rel, path in to_hash.items()), cache=cache)
    else:
        digests = {rel: FileDigest(rel, None, _size(path)) for rel, path in to_hash.items()}
    for relpath, digest in digests.items():
        entry = recorded.get(relpath)
        facts[relpath] = _status(digest, entry)
    return IntegrityFacts(
        manifest_present=manifest is not None,
        manifest_path=repo.rel(lock_path),
        manifest_dataset=manifest.dataset if manifest else None,
        files=tuple(facts[k] for k in sorted(facts)),
        unmatched_patterns=coverage.unmatched,
        manifest=manifest,
        contents_verified=contents,
    )


def _status(digest: FileDigest, entry: ManifestEntry | None) -> FileFact:
    if entry is None:
        return FileFact(digest.path, UNDECLARED, digest.sha256, digest.size)
    same = entry.size == digest.size and (digest.sha256 is None or entry.sha256 == digest.sha256)
    status = OK if same else MISMATCH
    return FileFact(digest.path, status, digest.sha256, digest.size, entry.sha256, entry.size)


def build_manifest(descriptor: Descriptor, repo: Repo, cache=None) -> Manifest:
    """A fresh lock for the files the descriptor covers; refuses paths outside the repository."""
    coverage = covered_files(descriptor, repo)
    if coverage.outside:
        raise IntegrityError(
            f"files outside the repository cannot be locked: {', '.join(coverage.outside[:3])}",
            descriptor.relpath,
        )
    digests = hash_files(((p, repo.rel(p)) for p in coverage.inside), cache=cache)
    # a sealed file's plain digest cannot be recomputed without its key: keep the recorded one
    # while the sealed bytes are unchanged
    previous = {}
    if descriptor.manifest_path.exists():
        previous = load_manifest(descriptor.manifest_path, repo).by_path()
    entries = []
    for digest in sorted(digests.values(), key=lambda d: d.path):
        old = previous.get(digest.path)
        keep = old is not None and old.sealed and old.sha256 == digest.sha256 and old.size == digest.size
        entries.append(ManifestEntry(digest.path, digest.sha256, digest.size,
                                     old.plain_sha256 if keep else None, old.plain_size if keep else None))
    return Manifest(dataset=descriptor.id, files=tuple(entries))


def sealing_facts(facts: IntegrityFacts) -> dict[str, Any]:
    """Which of a dataset's files are sealed (age) and whether the lock records their plain digests."""
    data = [f for f in facts.files if f.status != OUTSIDE]
    recorded = facts.manifest.by_path() if facts.manifest else {}
    sealed = [f.path for f in data if f.path.endswith(SEALED_SUFFIX)]
    plain = [f.path for f in data if not f.path.endswith(SEALED_SUFFIX)]
    unrecorded = [p for p in sealed if p in recorded and not recorded[p].sealed]
    return {"files": len(data), "sealed": len(sealed), "plain_files": plain[:50], "plain_count": len(plain),
            "all_sealed": bool(data) and not plain, "sealed_without_plain_digest": unrecorded[:50]}
