"""Reading a file once: every byte a parser consumes is hashed as it goes, so a file's digest and the
facts computed from it come from the same read (no window between checking and using)."""

from __future__ import annotations

import hashlib
import os

HEAD_BYTES = 64 * 1024


class HashingReader:
    """A file descriptor read front to back; ``read`` returns bytes and feeds sha256 with them.
    ``peek`` sees the first bytes without consuming them (for the format decision)."""

    def __init__(self, fd: int):
        self._fd = fd
        self._hash = hashlib.sha256()
        self.size = 0
        self._pending = b""
        self._closed = False

    def peek(self, count: int = HEAD_BYTES) -> bytes:
        """The next ``count`` bytes (fewer at the end), not consumed."""
        while len(self._pending) < count:
            block = os.read(self._fd, count - len(self._pending))
            if not block:
                break
            self._pending += block
        return self._pending[:count]

    def read(self, count: int = -1) -> bytes:
        """Up to ``count`` bytes (all that is left when negative); b"" at the end."""
        if count is None or count < 0:
            pieces = [self._take(self._pending)]
            while True:
                block = os.read(self._fd, 16 << 20)
                if not block:
                    return b"".join(pieces)
                pieces.append(self._take(block))
        pieces, wanted = [], count
        if self._pending:
            head, self._pending = self._pending[:wanted], self._pending[wanted:]
            pieces.append(self._take(head, pending=False))
            wanted -= len(head)
        while wanted > 0:
            block = os.read(self._fd, min(wanted, 16 << 20))
            if not block:
                break
            pieces.append(self._take(block))
            wanted -= len(block)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _take(self, data: bytes, pending: bool = True) -> bytes:
        if pending and data is self._pending:
            self._pending = b""
        self._hash.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        """Read (and hash) whatever a parser left."""
        if self._pending:
            self._take(self._pending)
        while True:
            block = os.read(self._fd, 16 << 20)
            if not block:
                return
            self._take(block)

    def hexdigest(self) -> str:
        """sha256 of everything read so far."""
        return self._hash.hexdigest()

    def close(self) -> None:
        """Close the descriptor."""
        if not self._closed:
            self._closed = True
            os.close(self._fd)

    def __enter__(self) -> "HashingReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
