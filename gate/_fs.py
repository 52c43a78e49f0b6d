"""File-system primitives every part shares: opening only regular files, atomic writes, canonical JSON."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


class NotRegularFile(OSError):
    """The path is a FIFO, socket, device or directory: refused without being opened for reading."""


def kind_of(mode: int) -> str:
    """A short name for a file type (for messages)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symlink"
    return "not a regular file"


def open_regular(path: Path | str, follow: bool = True) -> int:
    """A read-only descriptor of a regular file. A FIFO, socket or device is refused after a stat,
    before any open; the open itself never blocks and is checked again (a swap in between is caught)."""
    info = os.stat(path, follow_symlinks=follow)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(0, kind_of(info.st_mode))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise NotRegularFile(0, kind_of(opened.st_mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path | str, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a regular file (see open_regular)."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit + 1)


def write_atomic(path: Path, text: str | bytes, mode: int | None = None) -> None:
    """Write a file via a temporary file beside it, fsync and rename: readers never see half a file,
    an interrupted run leaves the old one, and nothing is truncated before there is something to write.
    An existing file keeps its permission bits unless ``mode`` is given."""
    path = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    try:  # without touching the process's umask (another thread may be creating a file)
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def canonical_json(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (what digests and signatures are taken over)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
