"""The repository root and safe resolution of paths inside it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT_MARKERS = (".gate.yaml", ".git")
SKIP_DIRS = frozenset({".git", ".gate", "node_modules", "__pycache__", ".venv", "venv"})
"""Directories never searched for datasets or data (hidden ones are skipped too)."""


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

    def commit(self) -> str | None:
        """The HEAD commit when the root is a git work tree, else None."""
        if not (self.root / ".git").exists():
            return None
        try:
            out = subprocess.run(
                ["git", "-C", str(self.root), "rev-parse", "--verify", "-q", "HEAD"],
                capture_output=True, text=True, timeout=10, check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() or None
