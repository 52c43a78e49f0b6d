"""Chunked readers for data files: csv/tsv, parquet, jsonl, text. Streaming: memory stays flat.

Every reader yields ``Segment``s: the values of one column (or the lines of a text chunk) joined by
newlines into one byte buffer, with the offset where each value starts and the record it belongs
to. Detectors scan whole buffers at once and map a match back to (row, column) only when they
find something, which is what makes scanning fast.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import GateError

CHUNK_BYTES = 8 * 1024 * 1024
ARROW_BLOCK = 1024 * 1024  # Arrow parses the blocks of a chunk on all cores
SNIFF_BYTES = 64 * 1024
MAX_JSONL_LINE = 64 * 1024 * 1024
_PARQUET_MAGIC = b"PAR1"
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text", ".md": "text", ".log": "text", ".text": "text",
}


class ReaderError(GateError):
    """A data file could not be read."""


class RestartRead(Exception):
    """The fast reader cannot read this file faithfully: discard what it gave and read again with ``fast=False``."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


@dataclass(frozen=True)
class Segment:
    """Values joined by newlines, with where each starts and which record it belongs to."""

    column: str | None
    """Column header or dotted JSON key; None for text."""
    data: bytes | memoryview
    """The values separated by newlines (a memoryview over Arrow's buffer when read by Arrow)."""
    starts: np.ndarray
    """Offset in ``data`` where each value starts (ascending)."""
    rows: np.ndarray
    """0-based record index of each value."""
    non_empty: int
    """How many of the values are non-empty (for PII-column shares)."""


@dataclass
class ReadReport:
    """What a reader noticed about a file besides its data."""

    format: str
    """Format the file was read as."""
    notes: list[str] = field(default_factory=list)
    """Non-fatal observations (encoding fallback, ragged rows, skipped binary)."""
    records: int = 0
    """Records read."""
    skipped: bool = False
    """True when the file was not scanned (binary)."""


def detect_format(path: Path, declared: str | None = None) -> str:
    """csv, tsv, parquet, jsonl, text or binary: declared format, else extension, else content."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if declared:
        return declared
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension if by_extension == "parquet" or b"\x00" not in head else "binary"
    if b"\x00" in head:
        return "binary"
    return "text"


def read_segments(path: Path, shown: str, declared: str | None = None,
                  report: ReadReport | None = None, fast: bool = True) -> Iterator[Segment]:
    """Stream a file as segments; ``report`` collects notes. Raises ReaderError naming the file.

    With ``fast`` (Arrow's C++ parsers) a file Arrow cannot read faithfully (ragged CSV rows, JSONL
    with blank or non-JSON lines or changing types) raises RestartRead; read it again with fast=False.
    """
    try:
        fmt = detect_format(path, declared)
    except OSError as exc:
        raise ReaderError(f"cannot read: {exc.strerror or exc.__class__.__name__}", shown) from None
    report = report if report is not None else ReadReport(fmt)
    report.format = fmt
    try:
        if fmt == "binary":
            report.skipped = True
            report.notes.append("binary file (NUL bytes): not scanned")
            return
        if fmt in ("csv", "tsv"):
            yield from _csv(path, fmt, report, fast)
        elif fmt == "parquet":
            yield from _parquet(path, report)
        elif fmt == "jsonl":
            yield from (_jsonl_arrow(path, report) if fast else _jsonl(path, report))
        else:
            yield from _text(path, report)
    except (ReaderError, RestartRead):
        raise
    except FileNotFoundError:
        raise ReaderError("file vanished while reading", shown) from None
    except OSError as exc:
        raise ReaderError(f"cannot read: {exc.strerror or exc.__class__.__name__}", shown) from None
    except Exception as exc:  # parser errors from pyarrow/json carry data: name the kind only
        raise ReaderError(f"cannot parse as {fmt}: {exc.__class__.__name__}", shown) from None


def _segment(column: str | None, values: list[bytes], rows: np.ndarray) -> Segment:
    lengths = np.fromiter((len(v) + 1 for v in values), dtype=np.int64, count=len(values))
    starts = np.zeros(len(values), dtype=np.int64)
    if len(values) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    data = b"\n".join(values) + b"\n"
    return Segment(column, data, starts, rows, int(np.count_nonzero(lengths > 1)))


_SHORT_NUMBER = r"^[-+]?[0-9]{0,7}(?:\.[0-9]*)?$"


def _binary_scalar(value: bytes):
    """An Arrow binary scalar built from buffers: pa.scalar() would import pandas (0.12 s) on every run."""
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(value)], dtype=np.int32))
    return pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(value)])[0]


def _arrow_segment(column: str, array, first_row: int) -> Segment | None:
    """A segment straight from an Arrow array: Arrow's own binary_join builds the buffer in C++."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    n = len(array)
    if n == 0:
        return None
    if not pa.types.is_binary(array.type):
        array = array.cast(pa.string()).cast(pa.binary())
    longest = pc.max(pc.binary_length(array)).as_py() or 0
    if longest <= 3 or longest <= 24 and pc.all(pc.match_substring_regex(array, _SHORT_NUMBER)).as_py():
        # values of at most 3 bytes, and numbers of at most 7 digits (ids, ages, amounts), cannot
        # hold any type gate detects (the shortest, an IPv6 like a::b, has 4)
        return None
    if array.null_count:
        array = array.fill_null(_binary_scalar(b""))
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=n + 1, offset=array.offset * 4).astype(np.int64)
    lengths = np.diff(offsets)
    whole = pa.Array.from_buffers(pa.int32(), 2, [None, pa.py_buffer(np.array([0, n], dtype=np.int32))])
    joined = pc.binary_join(pa.ListArray.from_arrays(whole, array), _binary_scalar(b"\n"))
    size = int(offsets[-1] - offsets[0]) + n - 1
    data = memoryview(joined.buffers()[2])[:size]  # zero-copy: Hyperscan and re read buffers directly
    starts = offsets[:-1] - offsets[0] + np.arange(n, dtype=np.int64)
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    return Segment(column, data, starts, rows, int(np.count_nonzero(lengths)))


def sniff_csv(path: Path, fmt: str) -> tuple[str, str, str, list[str]]:
    """Encoding, delimiter, quote character and header of a CSV/TSV file."""
    return _sniff(path, fmt)


def _sniff(path: Path, fmt: str) -> tuple[str, str, str, list[str]]:
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    encoding = "utf-8"
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            encoding = "cp1252"
        text = head.decode(encoding, errors="replace")
    delimiter = "\t" if fmt == "tsv" else ","
    quote = '"'
    if fmt != "tsv":
        try:
            dialect = csv.Sniffer().sniff(text[: SNIFF_BYTES // 2], delimiters=",;\t|")
            quote = dialect.quotechar or '"'
            delimiter = dialect.delimiter
        except csv.Error:
            pass
        # The sniffer guesses from free text too; the header line settles it: the candidate it holds most.
        first = text.split("\n", 1)[0]
        counts = {c: first.count(c) for c in ",;\t|"}
        best = max(counts, key=lambda c: (counts[c], c == ","))
        if counts[best] > counts.get(delimiter, 0):
            delimiter = best
    header_line = next(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote), [])
    return encoding, delimiter, quote, header_line


def unique_names(header: list[str]) -> list[str]:
    names, seen = [], {}
    for index, name in enumerate(header):
        name = name.strip() or f"column_{index}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _csv(path: Path, fmt: str, report: ReadReport, fast: bool) -> Iterator[Segment]:
    encoding, delimiter, quote, header = _sniff(path, fmt)
    if encoding == "cp1252" and "not valid UTF-8: decoded as cp1252" not in report.notes:
        report.notes.append("not valid UTF-8: decoded as cp1252")
    if not header:
        return
    if fast:
        yield from _csv_arrow(path, encoding, delimiter, quote, unique_names(header), report)
    else:
        yield from _csv_python(path, encoding, delimiter, quote, report)


def _csv_arrow(path, encoding, delimiter, quote, names, report) -> Iterator[Segment]:
    import pyarrow as pa

    seen_ragged = []

    def ragged(row):
        seen_ragged.append(True)
        return "error"

    try:
        yield from _arrow_batches(path, encoding, delimiter, quote, names, report, ragged)
    except pa.ArrowInvalid:
        if seen_ragged:
            raise RestartRead("rows with a different number of fields than the header: read with the csv module") \
                from None
        raise


def record_chunks(handle, quote: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Chunks of about ``size`` bytes that end at a record boundary (a newline outside quotes).

    Arrow's streaming CSV reader reads ahead without bound (measured: its memory grew with the
    file), so gate cuts the file itself and parses one chunk at a time: memory stays flat.
    """
    carry = b""
    while True:
        block = handle.read(size)
        if not block:
            if carry:
                yield carry
            return
        chunk = carry + block
        cut = _last_record_end(chunk, quote)
        if cut < 0:
            carry = chunk
            continue
        yield chunk[: cut + 1]
        carry = chunk[cut + 1:]


def _last_record_end(chunk: bytes, quote: bytes) -> int:
    """The last newline with an even number of quote characters before it, or -1."""
    position = len(chunk)
    tries = 0
    while True:
        position = chunk.rfind(b"\n", 0, position)
        if position < 0:
            return -1
        if chunk.count(quote, 0, position) % 2 == 0:
            return position
        tries += 1
        if tries > 64:  # a huge quoted field: step back a quote at a time would be quadratic
            quote_at = chunk.rfind(quote, 0, position)
            position = quote_at if quote_at >= 0 else position


def _arrow_batches(path, encoding, delimiter, quote, names, report, ragged) -> Iterator[Segment]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read_options = pacsv.ReadOptions(column_names=names, encoding="utf8" if encoding.startswith("utf-8") else encoding,
                                     use_threads=False,
                                     block_size=ARROW_BLOCK)
    parse_options = pacsv.ParseOptions(delimiter=delimiter, quote_char=quote, newlines_in_values=True,
                                       invalid_row_handler=ragged)
    convert_options = pacsv.ConvertOptions(column_types={n: pa.binary() for n in names}, check_utf8=False,
                                           strings_can_be_null=False, quoted_strings_can_be_null=False)
    first = 0
    with open(path, "rb") as handle:
        chunks = record_chunks(handle, quote.encode("latin-1"))
        head = next(chunks, b"")
        header_end = _first_record_end(head, quote.encode("latin-1"))
        if header_end < 0:
            return
        for chunk in itertools.chain([head[header_end + 1:]], chunks):
            if not chunk.strip():
                continue
            table = pacsv.read_csv(pa.py_buffer(chunk), read_options=read_options, parse_options=parse_options,
                                   convert_options=convert_options)
            for name, column in zip(table.schema.names, table.columns):
                segment = _arrow_segment(name, column, first)
                if segment is not None:
                    yield segment
            first += table.num_rows
            report.records = first


def _first_record_end(chunk: bytes, quote: bytes) -> int:
    position = -1
    while True:
        position = chunk.find(b"\n", position + 1)
        if position < 0:
            return len(chunk) - 1 if chunk else -1
        if chunk.count(quote, 0, position) % 2 == 0:
            return position


def _csv_python(path, encoding, delimiter, quote, report) -> Iterator[Segment]:
    with open(path, "r", encoding=encoding, errors="replace", newline="") as handle:
        rows = csv.reader(handle, delimiter=delimiter, quotechar=quote)
        header = unique_names(next(rows, []))
        index = 0
        while True:
            block: dict[str, tuple[list[bytes], list[int]]] = {}
            size = 0
            for row in rows:
                for position, value in enumerate(row):
                    name = header[position] if position < len(header) else f"column_{position}"
                    encoded = value.encode("utf-8")
                    _add(block, name, encoded, index)
                    size += len(encoded) + 1
                index += 1
                if size >= CHUNK_BYTES:
                    break
            if not block:
                break
            yield from _block_segments(block)
            report.records = index
            if size < CHUNK_BYTES:
                break


def _parquet(path: Path, report: ReadReport) -> Iterator[Segment]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(str(path))
    first = 0
    for group in range(parquet.num_row_groups):
        for batch in parquet.iter_batches(batch_size=65536, row_groups=[group]):
            for name, column in zip(batch.schema.names, batch.columns):
                yield from _arrow_column(name, column, np.arange(first, first + batch.num_rows, dtype=np.int64), report)
            first += batch.num_rows
            report.records = first


def _arrow_column(name: str, array, rows: np.ndarray, report: ReadReport) -> Iterator[Segment]:
    """Flatten nested Arrow types: struct fields become dotted names, list items get their index."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            yield from _arrow_column(f"{name}.{kind.field(index).name}", array.field(index), rows, report)
        return
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        parents = pc.list_parent_indices(array).to_numpy()
        values = pc.list_flatten(array)
        if len(values) == 0:
            return
        offsets = np.asarray(array.offsets)[:-1] if hasattr(array, "offsets") else None
        positions = np.arange(len(parents)) - (offsets[parents] - (offsets[0] if len(offsets) else 0)) \
            if offsets is not None else np.zeros(len(parents), dtype=np.int64)
        item_rows = rows[parents]
        for item in np.unique(positions)[:64]:
            mask = positions == item
            yield from _arrow_column(f"{name}.{int(item)}", values.filter(pa.array(mask)), item_rows[mask], report)
        if len(np.unique(positions)) > 64:
            report.notes.append(f"column {name}: list items past index 63 were not scanned")
        return
    if pa.types.is_map(kind) or pa.types.is_dictionary(kind) or pa.types.is_null(kind):
        try:
            array = array.cast(pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            report.notes.append(f"column {name}: type {kind} not scanned")
            return
    if pa.types.is_boolean(kind) or pa.types.is_floating(kind) or pa.types.is_temporal(kind):
        return
    segment = _arrow_segment(name, array, 0)
    if segment is not None:
        yield Segment(segment.column, segment.data, segment.starts, rows[: len(segment.starts)], segment.non_empty)


_BLANK_LINE = re.compile(rb"\n[\n\r \t]")  # one regex pass: four `in` tests cost 10x more


def _jsonl_arrow(path: Path, report: ReadReport) -> Iterator[Segment]:
    """JSONL through Arrow's C++ parser, one newline-aligned chunk at a time (a raw newline is never
    inside a JSON value, so every cut is a record boundary)."""
    import pyarrow as pa
    import pyarrow.json as pajson

    options = pajson.ReadOptions(block_size=ARROW_BLOCK, use_threads=False)
    first = 0
    previous = b"\n"
    with open(path, "rb") as handle:
        for chunk in _line_chunks(handle):
            if _BLANK_LINE.search(previous[-1:] + chunk[:1]) or _BLANK_LINE.search(chunk):
                raise RestartRead("blank lines: read line by line")
            previous = chunk
            try:
                table = pajson.read_json(pa.py_buffer(chunk), read_options=options)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                raise RestartRead("lines Arrow cannot read as one table: read line by line") from None
            for batch in table.to_batches():
                rows = np.arange(first, first + batch.num_rows, dtype=np.int64)
                for name, column in zip(batch.schema.names, batch.columns):
                    yield from _arrow_column(name, column, rows, report)
                first += batch.num_rows
            report.records = first


def _line_chunks(handle, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    carry = b""
    while True:
        block = handle.read(size)
        if not block:
            if carry:
                yield carry if carry.endswith(b"\n") else carry + b"\n"
            return
        chunk = carry + block
        cut = chunk.rfind(b"\n")
        if cut < 0:
            if len(chunk) > MAX_JSONL_LINE:
                raise RestartRead(f"a line longer than {MAX_JSONL_LINE} bytes: read line by line")
            carry = chunk
            continue
        yield chunk[: cut + 1]
        carry = chunk[cut + 1:]


def _jsonl(path: Path, report: ReadReport) -> Iterator[Segment]:
    invalid = 0
    with open(path, "rb") as handle:
        index = 0
        while True:
            block: dict[str, tuple[list[bytes], list[int]]] = {}
            size = 0
            for raw in handle:
                if len(raw) > MAX_JSONL_LINE:
                    report.notes.append(f"line {index + 1}: longer than {MAX_JSONL_LINE} bytes, scanned as text")
                    _add(block, None, raw.rstrip(b"\r\n"), index)
                    size += len(raw)
                    index += 1
                    continue
                stripped = raw.strip()
                if stripped:
                    try:
                        value = json.loads(stripped)
                    except (ValueError, RecursionError):
                        invalid += 1
                        value = None
                        _add(block, None, stripped, index)
                    if value is not None:
                        _flatten(value, "", block, index)
                size += len(raw)
                index += 1
                if size >= CHUNK_BYTES:
                    break
            if not block:
                break
            yield from _block_segments(block)
            report.records = index
            if size < CHUNK_BYTES:
                break
    if invalid:
        report.notes.append(f"{invalid} line(s) not valid JSON: scanned as text")


def _block_segments(block) -> Iterator[Segment]:
    for name, (values, owners) in block.items():
        yield _segment(name or None, values, np.asarray(owners, dtype=np.int64))


def _add(block, key, value: bytes, index: int) -> None:
    values, owners = block.setdefault(key or "", ([], []))
    values.append(value)
    owners.append(index)


def _flatten(value, prefix: str, block, index: int, depth: int = 0) -> None:
    if depth > 64:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), block, index, depth + 1)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _flatten(item, f"{prefix}.{position}" if prefix else str(position), block, index, depth + 1)
    elif isinstance(value, str):
        _add(block, prefix or "value", value.encode("utf-8", "replace"), index)
    elif isinstance(value, int) and not isinstance(value, bool):
        _add(block, prefix or "value", str(value).encode(), index)


def _text(path: Path, report: ReadReport) -> Iterator[Segment]:
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
        handle.seek(0)
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                report.notes.append("not valid UTF-8: scanned as bytes")
        line = 0
        carry = b""
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            chunk = carry + chunk
            cut = chunk.rfind(b"\n")
            if cut < 0 and len(chunk) < 16 * CHUNK_BYTES:
                carry = chunk
                continue
            body, carry = (chunk[: cut + 1], chunk[cut + 1:]) if cut >= 0 else (chunk + b"\n", b"")
            segment, count = _text_segment(body, line)
            line += count
            yield segment
        if carry:
            segment, count = _text_segment(carry + b"\n", line)
            line += count
            yield segment
        report.records = line


def _text_segment(body: bytes, first_line: int) -> tuple[Segment, int]:
    array = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(array == 10)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    rows = np.arange(first_line, first_line + len(starts), dtype=np.int64)
    non_empty = int(np.count_nonzero(np.diff(np.concatenate(([-1], ends))) > 1))
    return Segment(None, body, starts, rows, non_empty), len(starts)


def file_size(path: Path) -> int:
    """Size in bytes, 0 when unreadable."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
