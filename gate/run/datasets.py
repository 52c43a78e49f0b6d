"""The datasets of a repository: discovering descriptors under paths, the per-dataset loop, and the
index by id (duplicates and unreadable descriptors fail closed), reused while nothing changed."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.descriptor import DESCRIPTOR_NAME, Descriptor, load_descriptor
from .. import errors
from ..errors import GateError, RequestError
from ..repo import Repo, stat_key
from ..verdict import GateFailure
from .session import Options, repo_for


def discover(paths: list[Path], repo: Repo) -> tuple[list[Path], list[GateFailure]]:
    """Descriptor files named by ``paths``: descriptors as given, directories searched by the one walker,
    a data file's owning dataset. A descriptor the walker would never find (under .git, node_modules,
    a virtualenv ...) is not a dataset of the repository: refused, as the loader refuses it."""
    found: list[Path] = []
    failures: list[GateFailure] = []
    for path in paths:
        shown = repo.rel(path)
        if path.is_dir() and not path.is_symlink():
            hits = repo.descriptors(path)
            if not hits:
                failures.append(GateFailure(shown, f"{shown}: no {DESCRIPTOR_NAME} found"))
            found.extend(hits)
        elif path.suffix in (".yaml", ".yml") and path.name != DESCRIPTOR_NAME:
            failures.append(GateFailure(shown, f"{shown}: not a dataset descriptor (descriptors are named "
                                               f"{DESCRIPTOR_NAME}: others escape `check --all` and id checks)"))
        elif path.name == DESCRIPTOR_NAME:
            if repo.skipped(path):
                failures.append(GateFailure(shown, f"{shown}: lies in a directory gate never searches for "
                                                   "datasets (.git, .gate, node_modules, a virtualenv); not a dataset"))
            else:
                found.append(path)
        elif path.exists() or path.is_symlink():
            owner = repo.owning_dataset(path)
            if owner is None:
                failures.append(GateFailure(shown, f"{shown}: not inside any dataset (no {DESCRIPTOR_NAME} above it)"))
            else:
                found.append(owner / DESCRIPTOR_NAME)
        else:
            failures.append(GateFailure(shown, f"{shown}: no such file or directory"))
    unique = list(dict.fromkeys(Path(os.path.abspath(p)) for p in found))
    return unique, failures


def for_each_dataset(paths: list[Path], options: Options, action) -> tuple[list, list[GateFailure]]:
    """``action(descriptor, repo)`` for every dataset under ``paths``; a GateError, an OSError or a bug
    becomes a failure naming the dataset (a bug by its class only), and the others still run."""
    repo = repo_for(paths, options)
    descriptors, failures = discover(paths or [repo.root], repo)
    index = DatasetIndex.build(repo) if descriptors else None
    results = []
    for path in descriptors:
        try:
            descriptor = load_descriptor(path, repo)
            index.check_unique(descriptor)
            results.append(action(descriptor, repo))
        except Exception as exc:  # noqa: BLE001 (see dataset_failure)
            failures.append(dataset_failure(repo.rel(path), exc))
    return results, failures


def dataset_failure(shown: str, exc: Exception) -> GateFailure:
    """What one dataset's failure says, the others still running: a GateError its own message, an OSError
    its reason, a bug its class only (its message can quote the data; under --debug it raises)."""
    if isinstance(exc, GateError):
        return GateFailure(exc.path or shown, str(exc))
    if isinstance(exc, OSError):
        return GateFailure(shown, f"{shown}: {exc.strerror or exc.__class__.__name__}")
    if errors.DEBUG or isinstance(exc, MemoryError):
        raise exc
    return GateFailure(shown, f"{shown}: {errors.internal(exc)}")


def owning_descriptor(path: Path, repo: Repo) -> Path | None:
    """The nearest dataset.yaml at or above a data file, without leaving the repository."""
    owner = repo.owning_dataset(path)
    return owner / DESCRIPTOR_NAME if owner else None


@dataclass(frozen=True)
class DatasetIndex:
    """Every descriptor the one walker finds in a repository, by id, read once per run."""

    by_id: dict[str, Descriptor]
    """Descriptors keyed by dataset id."""
    broken: tuple[str, ...]
    """Descriptors that could not be read (they might hide an id)."""
    duplicates: dict[str, tuple[str, ...]]
    """Dataset id -> every descriptor claiming it, when more than one does."""
    stamps: tuple[tuple[str, bool, Any], ...] = ()
    """(path, followed, stat key) of every directory walked and every descriptor read, as a link and, when
    it is one, as its target: the index stands while none of them changed (a file added, removed or
    renamed changes its directory)."""
    own_stamps: dict[str, tuple[tuple[str, bool, Any], ...]] = field(default_factory=dict)
    """Descriptor path -> its own stamps (the link, and the target of a link)."""

    @classmethod
    def build(cls, repo: Repo) -> "DatasetIndex":
        """Every dataset.yaml the walker finds under the repository root, read — or the index this
        process built before for the same root, when no directory walked and no descriptor changed
        since (a process deciding many requests does not re-read every descriptor per decision)."""
        cached = _INDEXES.get(str(repo.root))
        if cached is not None and _unchanged(cached.stamps):
            return cached
        walked: list[str] = []
        paths = repo.descriptors(walked=walked)
        own = {str(p): _stamps_of(str(p)) for p in paths}
        stamps = (*((w, False, stat_key(w)) for w in walked), *(s for one in own.values() for s in one))
        index = cls._read(repo, paths, stamps, own)
        if len(_INDEXES) > 64:
            _INDEXES.clear()
        _INDEXES[str(repo.root)] = index
        return index

    @classmethod
    def lookup(cls, repo: Repo, dataset_id: str) -> Descriptor | None:
        """``find`` for a process deciding many requests: the index this process built before answers
        after a check of the stamps of the one descriptor it names (an edit, removal, rename or re-pointed
        link of it rebuilds), instead of every directory of the repository. What that skips can only
        refuse: a descriptor added or edited elsewhere that claims the same id too (a one-shot run refuses
        the duplicate; this answers from the descriptor that held the id alone and is unchanged). An id
        not found, a duplicate or an unreadable descriptor in the index: the whole index is checked."""
        cached = _INDEXES.get(str(repo.root))
        if cached is not None and not cached.broken and dataset_id not in cached.duplicates:
            descriptor = cached.by_id.get(dataset_id)
            stamps = cached.own_stamps.get(str(descriptor.path)) if descriptor is not None else None
            if stamps and _unchanged(stamps):
                return descriptor
        return cls.build(repo).find(dataset_id)

    @classmethod
    def _read(cls, repo: Repo, paths: list[Path], stamps: tuple, own: dict) -> "DatasetIndex":
        by_id: dict[str, Descriptor] = {}
        broken: list[str] = []
        claims: dict[str, list[str]] = {}
        for path in paths:
            try:
                descriptor = load_descriptor(path, repo)
            except GateError:
                broken.append(repo.rel(path))
                continue
            claims.setdefault(descriptor.id, []).append(descriptor.relpath)
            by_id.setdefault(descriptor.id, descriptor)
        duplicates = {k: tuple(v) for k, v in claims.items() if len(v) > 1}
        return cls(by_id, tuple(broken), duplicates, stamps, own)

    def check_unique(self, descriptor: Descriptor) -> None:
        """Refuse a dataset whose id another descriptor of the repository claims too (naming both)."""
        claims = self.duplicates.get(descriptor.id)
        if claims:
            others = [c for c in claims if c != descriptor.relpath] or list(claims[1:])
            raise GateError(f"dataset id {descriptor.id!r} is also claimed by {', '.join(others)}: ids must be "
                            "unique in the repository", descriptor.relpath)

    def find(self, dataset_id: str) -> Descriptor | None:
        """The descriptor with this id; fail closed when two claim it or an unreadable one could be it."""
        if dataset_id in self.duplicates:
            claims = self.duplicates[dataset_id]
            raise RequestError(f"dataset id {dataset_id!r} is claimed by {' and '.join(claims)}; refusing to "
                               "decide", claims[0])
        if dataset_id in self.by_id:
            return self.by_id[dataset_id]
        if self.broken:
            raise RequestError(
                f"dataset {dataset_id!r} not found and {len(self.broken)} descriptor(s) could not be read "
                f"(first: {self.broken[0]}); refusing to decide", self.broken[0])
        return None


_INDEXES: dict[str, DatasetIndex] = {}


def _stamps_of(path: str) -> tuple[tuple[str, bool, Any], ...]:
    """A descriptor's stamps: the link itself and, when it is a link, what it leads to (a descriptor
    that is a symlink is read through it, and an edit of its target changes neither the link nor any
    directory walked). A file replaced by a link changes its own stamp (mode, inode)."""
    link = stat_key(path)
    if link is not None and stat.S_ISLNK(link[-1]):
        return ((path, False, link), (path, True, stat_key(path, True)))
    return ((path, False, link),)


def _unchanged(stamps) -> bool:
    for path, follow, key in stamps:
        if stat_key(path, follow) != key:
            return False
    return True


def find_dataset(dataset_id: str, repo: Repo) -> Descriptor | None:
    """The descriptor with this id in the repository (see DatasetIndex.find)."""
    return DatasetIndex.build(repo).find(dataset_id)
