"""Reading keys: from files or named environment variables, never from the repository.

A private key file readable by group or others is refused, as ssh refuses such keys; a key
file inside the repository is refused (it would be one `git add` from being published). Error
messages name the file or the variable, never the key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import GateError

MAX_KEY_FILE = 64 * 1024


class KeyError_(GateError):
    """A key cannot be read or is not acceptable."""


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (symlinks resolved) lies under ``root``."""
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except ValueError:
        return False


def read_secret_file(path: Path, what: str, repo_root: Path | None = None, error=KeyError_) -> bytes:
    """The bytes of a secret key file: regular, mode 600 or stricter, outside the repository."""
    shown = str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", shown) from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"the {what} is not a regular file", shown)
    if info.st_mode & 0o077:
        raise error(f"the {what} is readable by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
                    "chmod 600 it", shown)
    if repo_root is not None and inside(Path(path), repo_root):
        raise error(f"the {what} lies inside the repository; keep keys out of it", shown)
    if info.st_size > MAX_KEY_FILE:
        raise error(f"the {what} is larger than {MAX_KEY_FILE // 1024} KiB; not a key file", shown)
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", shown) from None


def secret_from_env(name: str, what: str, error=KeyError_) -> bytes:
    """A secret from the environment variable ``name``; its absence is an error naming the variable."""
    value = os.environ.get(name, "")
    if not value.strip():
        raise error(f"no {what}: the environment variable {name} is not set")
    return value.strip().encode("utf-8")


def write_secret_file(path: Path, data: bytes) -> None:
    """Create a new key file, mode 600, refusing to overwrite one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyError_("refusing to overwrite an existing key file", str(path)) from None
    except OSError as exc:
        raise KeyError_(f"cannot create the key file: {exc.strerror}", str(path)) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
