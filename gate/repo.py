"""The repository: its root, safe resolution of paths inside it, the one dataset walker, git."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT_MARKERS = (".gate.yaml", ".git")
DESCRIPTOR_NAME = "dataset.yaml"
MANIFEST_NAME = "dataset.lock"
SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv"})
"""Directories the dataset walker never enters; a dataset inside one is not a dataset of the repository."""
GATE_DIR = ".gate"
"""gate's own state at the repository root (the fact cache, the seal journal); never data."""


def find_root(start: Path) -> Path:
    """Nearest ancestor of ``start`` holding ``.gate.yaml`` or ``.git``; else the current directory."""
    start = start.resolve()
    here = start if start.is_dir() else start.parent
    for candidate in (here, *here.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    cwd = Path.cwd().resolve()
    return cwd if _is_within(start, cwd) else here


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class Repo:
    """A repository root; every data path is resolved inside it."""

    root: Path
    """Absolute, symlink-free path of the repository root."""

    @classmethod
    def at(cls, root: Path) -> "Repo":
        """A Repo rooted at ``root`` (resolved)."""
        return cls(root.resolve())

    def rel(self, path: Path) -> str:
        """Repository-relative POSIX path of a path inside the repository (absolute otherwise)."""
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return absolute.as_posix()

    def contains(self, path: Path) -> bool:
        """True when ``path``, with every symlink followed, lies inside the repository."""
        try:
            resolved = path.resolve(strict=False)
        except (OSError, RuntimeError):
            return False
        return _is_within(resolved, self.root)

    def lexically_inside(self, relpath: str) -> bool:
        """True when a repository-relative path string stays inside without following links."""
        if not relpath or relpath.startswith("/") or "\\" in relpath or "\x00" in relpath:
            return False
        depth = 0
        for part in relpath.split("/"):
            if part == "..":
                depth -= 1
                if depth < 0:
                    return False
            elif part not in ("", "."):
                depth += 1
        return True

    def skipped(self, path: Path) -> bool:
        """Whether ``path`` lies in a directory the dataset walker never enters."""
        try:
            parts = Path(os.path.abspath(path)).relative_to(self.root).parts
        except ValueError:
            return True
        if parts[:1] == (GATE_DIR,):
            return True
        return any(part in SKIP_DIRS for part in parts[:-1])

    def descriptors(self, start: Path | None = None, walked: list[str] | None = None) -> list[Path]:
        """Every dataset.yaml under ``start`` (default the root): the one walker that `check --all`,
        `access`, the hooks and the loader share. Hidden directories are walked like any other.
        ``walked`` collects every directory listed (what a cached index must re-check)."""
        found: list[Path] = []
        top = Path(os.path.abspath(start or self.root))
        if self.skipped(top / "x"):
            return found
        stack = [top]
        while stack:
            here = stack.pop()
            if walked is not None:
                walked.append(str(here))
            try:
                entries = sorted(os.scandir(here), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIP_DIRS or (entry.name == GATE_DIR and Path(here) == self.root):
                        continue
                    stack.append(Path(entry.path))
                elif entry.name == DESCRIPTOR_NAME:
                    found.append(Path(entry.path))
        return sorted(found)

    def owning_dataset(self, path: Path) -> Path | None:
        """The directory of the nearest dataset.yaml at or above ``path``, inside the repository and
        outside the directories the walker skips; None when there is none."""
        here = Path(os.path.abspath(path))
        here = here if here.is_dir() and not here.is_symlink() else here.parent
        while here == self.root or self.root in here.parents:
            if (here / DESCRIPTOR_NAME).is_file():
                return None if self.skipped(here / DESCRIPTOR_NAME) else here
            here = here.parent
        return None

    def commit(self) -> str | None:
        """The HEAD commit when the root is a git work tree, else None. Asked of git once per state of
        HEAD: a process deciding many requests does not run git per decision (HEAD, its reflog and the
        packed refs change whenever HEAD moves)."""
        git_dir = os.path.join(self.root, ".git")
        if not os.path.lexists(git_dir):
            return None
        key = (git_dir, *(stat_key(os.path.join(git_dir, name)) for name in ("HEAD", "logs/HEAD", "packed-refs")))
        if key in _COMMITS:
            return _COMMITS[key]
        out = git(self.root, "rev-parse", "--verify", "-q", "HEAD", check=False)
        commit = out.strip() or None if out is not None else None
        if len(_COMMITS) > 64:
            _COMMITS.clear()
        _COMMITS[key] = commit
        return commit


_COMMITS: dict[tuple, str | None] = {}


def identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What changes whenever a file changes: inode, device, size and both times to the nanosecond (ctime
    is set by the kernel alone). The one identity a read, a re-read and the caches compare."""
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def stat_key(path: Path | str, follow: bool = False) -> tuple | None:
    """The identity of a file or directory (and its mode), of the link itself unless ``follow``; None when
    it is missing. The key of caches that skip a re-read while nothing changed."""
    try:
        st = os.stat(path, follow_symlinks=follow)
    except OSError:
        return None
    return (*identity(st), st.st_mode)


class GitError(Exception):
    """git could not be run or failed; ``message`` says why in one line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def safe_ref(ref: str, what: str) -> str:
    """A git revision given by a user: never an option (``-x``), never empty, no NUL or newline."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\x00\n\r") or len(ref) > 1000:
        raise GitError(f"{what}: {ref[:80]!r} is not a git revision")
    return ref


def git(root: Path, *args: str, check: bool = True, timeout: float = 60, binary: bool = False):
    """Run git in ``root``; returns stdout (None when git is missing and ``check`` is false).
    Raises GitError naming the failure in one line when ``check`` is set."""
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        if not check:
            return None
        raise GitError(f"cannot run git ({exc.__class__.__name__})") from None
    if proc.returncode != 0:
        if not check:
            return None
        reason = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["unknown error"])[-1][:200]
        raise GitError(f"git {args[0]} failed: {reason}")
    return proc.stdout if binary else proc.stdout.decode("utf-8", "replace")
