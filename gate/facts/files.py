"""Reading one file once: its digest, the one reader's parts, and the PII scan of those parts, all
from the same bytes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._fs import NotRegularFile, open_regular
from ..data.formats import AGE_MAGIC, format_of
from ..data.reader import ReadOutcome, read_parts
from ..data.stream import HashingReader
from ..errors import GateError, IntegrityError
from ..repo import identity as stat_identity


@dataclass
class FileRead:
    """What one read of a file gave."""

    path: str
    """Repository-relative path (as shown)."""
    sha256: str
    """Digest of the bytes read."""
    size: int
    """Bytes read."""
    outcome: ReadOutcome | None = None
    """What the one reader found (None for a sealed file, which is only hashed)."""
    pii: object = None
    """The PII FileResult of the same bytes, when a scanner was given."""
    parts: list | None = None
    """The one reader's parts, when kept (the loader and the poisoning analysis need them)."""
    head: bytes = b""
    """The first bytes (a sealed file must start with the age header)."""
    stat: tuple | None = None
    """(inode, device, size, mtime_ns, ctime_ns) when it was opened: a second read must find the same."""

    @property
    def is_age(self) -> bool:
        """Whether the bytes start with the age v1 header."""
        return self.head.startswith(AGE_MAGIC)


def read_file(path: Path, shown: str, declared: str | None = None, *, scanner=None, keep: bool = False,
              parse: bool = True) -> FileRead:
    """Open a regular file (a FIFO, socket or device is refused unopened), read it once front to back,
    hashing every byte; with ``parse``, the same bytes go through the one reader (and the scanner).
    Raises IntegrityError naming the file when it cannot be read."""
    try:
        fd = open_regular(path)
    except NotRegularFile as exc:
        raise IntegrityError(f"is {exc.strerror}, not a regular file; not read", shown) from None
    except OSError as exc:
        raise IntegrityError(f"cannot read data file: {exc.strerror or exc.__class__.__name__}", shown) from None
    try:
        with HashingReader(fd) as stream:
            opened = os.fstat(fd)
            identity = stat_identity(opened)
            head = stream.peek(64 * 1024)
            if not parse:
                stream.drain()
                return FileRead(shown, stream.hexdigest(), stream.size, head=head[:64], stat=identity)
            outcome = ReadOutcome(format_of(os.path.basename(shown), declared, head))
            result = _result(shown, outcome) if scanner is not None else None
            parts: list | None = [] if keep else None
            for part in read_parts(stream, outcome.format, outcome):
                if scanner is not None:
                    scanner.consume(part, result)
                if parts is not None:
                    parts.append(part)
            stream.drain()
            if result is not None:
                result.bytes, result.records = stream.size, outcome.records
                result.notes = outcome.notes + [p.message for p in outcome.problems]
                result.problems = [p.to_json() for p in outcome.problems]
                result.findings.sort(key=lambda f: (f.row, f.column or "", f.type))
            return FileRead(shown, stream.hexdigest(), stream.size, outcome, result, parts, head[:64], identity)
    except GateError:
        raise
    except OSError as exc:
        raise IntegrityError(f"cannot read data file: {exc.strerror or exc.__class__.__name__}", shown) from None
    except MemoryError:
        raise GateError("out of memory while reading", shown) from None
    except Exception as exc:  # a parser's own message can quote data: name the kind only
        raise GateError(f"cannot read as {declared or 'data'}: {exc.__class__.__name__}", shown) from None


def _result(shown: str, outcome: ReadOutcome):
    from .pii.model import FileResult

    return FileResult(shown, format=outcome.format)
