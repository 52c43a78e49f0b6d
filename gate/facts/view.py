"""The dataset view: the one model of "the dataset" that every part uses.

A dataset is its descriptor plus exactly the files of its lock, and nothing else. The view walks the
dataset's directory once (never following a link, never opening a file) and sets three lists side
by side: the lock's entries, the files the ``files`` globs match, and every other entry under the
directory. Any difference between them is a status the policy decides, never a silent skip:

- ``pending``: a regular file the globs match; its bytes decide (ok, mismatch against the lock, or
  undeclared when the lock does not list it);
- ``missing``: in the lock, not on disk;
- ``unmatched``: in the lock, but the globs do not match it (or ``exclude`` does);
- ``uncovered``: under the dataset directory, neither matched nor excluded (a case variant such as
  ``B.CSV``, a hidden file, a name with a trailing space, an NFD twin ...);
- ``outside_repo`` / ``outside_dataset``: a pattern, a lock entry or a link that leads out of the
  repository, or out of the dataset's directory (into another dataset, say);
- ``not_regular``: a FIFO, socket, device or a link to a directory; refused without being opened.

Names that can deceive a reviewer (control and invisible characters, leading or trailing blanks,
twins that differ only by case or Unicode normalization, bytes that are not UTF-8) are listed too.
A dataset directory nested inside this one belongs to that dataset, not to this one.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..model.descriptor import Descriptor, Manifest, ManifestEntry, load_manifest
from ..errors import DescriptorError
from ..repo import DESCRIPTOR_NAME, GATE_DIR, MANIFEST_NAME, Repo

PENDING, OK, MISSING, MISMATCH, UNDECLARED = "pending", "ok", "missing", "mismatch", "undeclared"
UNMATCHED, UNCOVERED, OUTSIDE, OUTSIDE_DATASET, NOT_REGULAR = (
    "unmatched", "uncovered", "outside_repo", "outside_dataset", "not_regular")
STATUSES = (OK, MISMATCH, MISSING, UNDECLARED, UNMATCHED, UNCOVERED, OUTSIDE, OUTSIDE_DATASET, NOT_REGULAR)
SEALED_SUFFIX = ".age"
_NEVER_DATA = frozenset({".git"})


@dataclass(frozen=True)
class ViewFile:
    """One path of the dataset: on disk, in the lock, or both."""

    path: str
    """Repository-relative POSIX path."""
    status: str
    """``pending`` (its bytes decide) or a final status (see the module)."""
    entry: ManifestEntry | None = None
    """Its lock entry, when the lock lists it."""
    open_path: Path | None = None
    """What to open for a pending file (a link inside the dataset is resolved here)."""
    reason: str | None = None
    """Why a final status, in a few words (never data)."""

    @property
    def sealed(self) -> bool:
        """Whether the file is sealed (age) by its name."""
        return self.path.endswith(SEALED_SUFFIX)


@dataclass(frozen=True)
class DatasetView:
    """A descriptor, its lock and its files, built once per dataset per run (see the module)."""

    repo: Repo
    """The repository."""
    descriptor: Descriptor
    """The parsed descriptor (with the digest of its bytes)."""
    manifest: Manifest | None
    """The lock as read, or None when there is none."""
    files: tuple[ViewFile, ...]
    """Every path of the dataset, sorted."""
    patterns_outside: tuple[tuple[str, str], ...]
    """(pattern, outside_repo or outside_dataset) for ``files`` globs that leave the dataset."""
    unmatched_patterns: tuple[str, ...]
    """``files`` globs that match no file."""
    ambiguous_names: tuple[dict, ...]
    """{"path", "reason"} for each name that can deceive (see the module)."""

    @property
    def lock_path(self) -> str:
        """Repository-relative path of the lock."""
        return self.repo.rel(self.descriptor.manifest_path)

    def pending(self) -> list[ViewFile]:
        """The regular files the globs cover, whose bytes are to be read."""
        return [f for f in self.files if f.status == PENDING]

    def by_path(self) -> dict[str, ViewFile]:
        """Files keyed by path."""
        return {f.path: f for f in self.files}


def build_view(descriptor: Descriptor, repo: Repo) -> DatasetView:
    """Walk the dataset's directory and match it against the globs and the lock (no data is read)."""
    base = descriptor.directory
    base_rel = repo.rel(base)
    prefix = "" if base_rel == "." else base_rel + "/"
    includes, outside = _patterns(descriptor.files, descriptor, base_rel, repo, "files")
    excludes, outside_excludes = _patterns(descriptor.exclude, descriptor, base_rel, repo, "exclude")
    outside += outside_excludes
    lock = descriptor.manifest_path
    manifest = load_manifest(lock, repo) if os.path.lexists(lock) else None
    walked, nested = _walk(base, repo)

    def candidates(relative: str) -> list[str]:
        # a sealed file (x.csv.age) is covered wherever its plain name would be
        if relative.endswith(SEALED_SUFFIX):
            return [relative, relative[: -len(SEALED_SUFFIX)]]
        return [relative]

    def excluded(relative: str) -> bool:
        return any(rx.match(c) for _, rx in excludes for c in candidates(relative))

    def matches(relative: str) -> bool:
        return not excluded(relative) and any(rx.match(c) for _, rx in includes for c in candidates(relative))

    files: dict[str, ViewFile] = {}
    used: set[str] = set()
    for relative, (kind, target, reason) in walked.items():
        if kind == "directory" or excluded(relative):
            continue
        path = prefix + relative
        if kind == "regular":
            hits = [p for p, rx in includes if any(rx.match(c) for c in candidates(relative))]
            used.update(hits)
            files[path] = ViewFile(path, PENDING, None, target) if hits else \
                ViewFile(path, UNCOVERED, None, None, "not matched by files and not excluded")
        else:
            files[path] = ViewFile(path, kind, None, None, reason)

    for path, entry in (manifest.by_path() if manifest else {}).items():
        current = files.get(path)
        if current is None:
            files[path] = ViewFile(path, *_unwalked(path, entry, prefix, nested, repo, matches, excluded))
        elif current.status == UNCOVERED:
            files[path] = ViewFile(path, UNMATCHED, entry, None, "in the lock, but files does not match it")
        else:
            files[path] = ViewFile(path, current.status, entry, current.open_path, current.reason)

    names = list(files) + [prefix + r for r, (kind, _, _) in walked.items() if kind == "directory"]
    return DatasetView(
        repo=repo, descriptor=descriptor, manifest=manifest,
        files=tuple(files[k] for k in sorted(files)),
        patterns_outside=tuple(sorted(set(outside))),
        unmatched_patterns=tuple(p for p, _ in includes if p not in used),
        ambiguous_names=tuple(ambiguous_names(names)),
    )


def _unwalked(path: str, entry: ManifestEntry, prefix: str, nested: list[str], repo: Repo, matches, excluded):
    """The status of a lock entry the walk did not find."""
    if not repo.lexically_inside(path):
        return OUTSIDE, entry, None, "a lock entry outside the repository"
    if not path.startswith(prefix):
        return OUTSIDE_DATASET, entry, None, "a lock entry outside the dataset's directory"
    relative = path[len(prefix):]
    owner = next((n for n in nested if relative.startswith(n + "/")), None)
    if owner is not None:
        return OUTSIDE_DATASET, entry, None, f"a lock entry inside another dataset ({prefix}{owner})"
    if any(part in _NEVER_DATA for part in relative.split("/")):
        return OUTSIDE_DATASET, entry, None, "a lock entry inside .git"
    if os.path.lexists(repo.root / path):
        return UNMATCHED, entry, None, "in the lock, but excluded" if excluded(relative) else "in the lock, not walkable"
    return (MISSING if matches(relative) else UNMATCHED), entry, None, None


def _walk(base: Path, repo: Repo) -> tuple[dict[str, tuple[str, Path | None, str | None]], list[str]]:
    """Every entry under ``base`` (relative POSIX path -> kind, what to open, reason), and the
    relative directories of datasets nested inside it (not walked). Links are never followed."""
    out: dict[str, tuple[str, Path | None, str | None]] = {}
    nested: list[str] = []
    base_real = Path(os.path.realpath(base))
    at_root = base_real == repo.root
    stack = [(base, "")]
    while stack:
        directory, rel = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            raise DescriptorError(f"cannot list {repo.rel(Path(directory))}: {exc.strerror}",
                                  repo.rel(base / DESCRIPTOR_NAME)) from None
        for entry in entries:
            relative = rel + entry.name
            if not rel and entry.name in (DESCRIPTOR_NAME, MANIFEST_NAME):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                out[relative] = (MISSING, None, "vanished while listed")
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name in _NEVER_DATA or (at_root and not rel and entry.name in (GATE_DIR,)):
                    continue
                if os.path.lexists(os.path.join(entry.path, DESCRIPTOR_NAME)):
                    nested.append(relative)
                    continue
                out[relative] = ("directory", None, None)
                stack.append((entry.path, relative + "/"))
            elif stat.S_ISLNK(info.st_mode):
                out[relative] = _link(Path(entry.path), base_real, repo)
            elif stat.S_ISREG(info.st_mode):
                out[relative] = ("regular", Path(entry.path), None)
            else:
                from .._fs import kind_of

                out[relative] = (NOT_REGULAR, None, f"{kind_of(info.st_mode)}, never opened")
    if nested:  # a link into a nested dataset leaves this dataset
        for relative, (kind, target, reason) in list(out.items()):
            if kind == "regular" and target is not None and os.path.islink(base / relative):
                inside = Path(os.path.realpath(target)).relative_to(base_real).as_posix()
                if any(inside == n or inside.startswith(n + "/") for n in nested):
                    out[relative] = (OUTSIDE_DATASET, None, "a link into another dataset")
    return out, nested


def _link(path: Path, base_real: Path, repo: Repo) -> tuple[str, Path | None, str | None]:
    target = Path(os.path.realpath(path))
    if target != repo.root and repo.root not in target.parents:
        return OUTSIDE, None, "a link to outside the repository"
    if target != base_real and base_real not in target.parents:
        return OUTSIDE_DATASET, None, "a link to outside the dataset's directory"
    try:
        info = os.stat(target)
    except OSError:
        return NOT_REGULAR, None, "a dangling link"
    if not stat.S_ISREG(info.st_mode):
        from .._fs import kind_of

        return NOT_REGULAR, None, f"a link to {kind_of(info.st_mode)}"
    return "regular", target, None


def _patterns(patterns: tuple[str, ...], descriptor: Descriptor, base_rel: str, repo: Repo, field: str):
    """(pattern, compiled glob) for globs relative to the dataset directory, and (pattern, status)
    for those that leave it."""
    compiled, outside = [], []
    for index, pattern in enumerate(patterns):
        line = descriptor.line_of(f"{field}.{index}")
        if pattern.startswith("/") or any(part == ".." for part in pattern.split("/")):
            anchored = pattern if pattern.startswith("/") else (
                pattern if base_rel == "." else f"{base_rel}/{pattern}")
            escapes = pattern.startswith("/") or not repo.lexically_inside(anchored)
            outside.append((pattern, OUTSIDE if escapes else OUTSIDE_DATASET))
            continue
        compiled.append((pattern, compile_glob(pattern, descriptor.relpath, line, field)))
    return compiled, outside


def compile_glob(pattern: str, shown: str, line: int | None, field: str = "files") -> "re.Pattern[str]":
    """A glob as a regular expression over POSIX paths relative to the dataset directory: ``*`` and
    ``?`` stay inside one path segment, ``**`` (a whole segment) spans any number of them, ``[...]``
    is a character class (``[!...]`` negated). Matching is exact: case-sensitive, no normalization.
    A malformed pattern is a DescriptorError naming the file, line and pattern."""
    def bad(why: str) -> DescriptorError:
        return DescriptorError(f"{field}: pattern {pattern[:80]!r} {why}", shown, line)

    if not pattern or "\x00" in pattern:
        raise bad("is empty or holds a NUL byte")
    segments = pattern.split("/")
    if any(s == "" for s in segments[:-1]) or segments[-1] == "":
        raise bad("has an empty path segment (a double or trailing slash)")
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]*/)*")
            continue
        if "**" in segment:
            raise bad("uses ** inside a segment; ** must be a whole path segment")
        parts.append(_segment(segment, bad) + ("" if last else "/"))
    try:
        return re.compile("".join(parts) + r"\Z", re.DOTALL)
    except re.error:
        raise bad("is not a valid glob (a character class like [z-a]?)") from None


def _segment(segment: str, bad) -> str:
    out, i = [], 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1
            if j < len(segment) and segment[j] in "!^":
                j += 1
            if j < len(segment) and segment[j] == "]":
                j += 1
            while j < len(segment) and segment[j] != "]":
                j += 1
            if j >= len(segment):
                raise bad("has an unclosed [ character class")
            body = segment[i + 1:j]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            if "/" in body:
                raise bad("has a / inside a character class")
            escaped = "".join("\\" + ch if ch in "\\[]^" else ch for ch in body)
            out.append(f"[^/{escaped}]" if negate else f"[{escaped}]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


from .._text import CONTROL as _CONTROL, INVISIBLE as _INVISIBLE, printable as escape_name


def ambiguous_names(paths: list[str]) -> list[dict]:
    """Names that can deceive a reviewer or a tool (see the module), each with the reason."""
    found: dict[str, str] = {}
    twins: dict[str, list[str]] = {}
    for path in paths:
        reason = _name_problem(path)
        if reason:
            found.setdefault(path, reason)
        twins.setdefault(unicodedata.normalize("NFC", path).casefold(), []).append(path)
    for group in twins.values():
        distinct = sorted(set(group))
        if len(distinct) > 1:
            for path in distinct:
                other = next(p for p in distinct if p != path)
                found.setdefault(path, f"differs from {escape_name(other)} only by case or Unicode normalization")
    return [{"path": p, "reason": r} for p, r in sorted(found.items())]


def _name_problem(path: str) -> str | None:
    if any("\udc80" <= c <= "\udcff" for c in path):
        return "not valid UTF-8"
    if _CONTROL.search(path):
        return "holds a control character"
    if _INVISIBLE.search(path):
        return "holds an invisible or bidirectional-control character"
    if any(part != part.strip() for part in path.split("/")):
        return "a name with leading or trailing whitespace"
    return None
