"""The one reader: a data file's bytes, read once, as the parts every consumer shares.

The PII scanner, the poisoning and drift analysis and ``gate.open_dataset`` all take their values from
``read_parts``: one format decision, one dialect decision and one parser per file. What cannot be read
unambiguously is never skipped: it becomes a ``Problem`` (a fact the policy decides) and the bytes
concerned are still handed on as raw text, so the scanners see every byte. A file with a problem is
never loaded (the loader cannot return values it is unsure of).

Parts:
- ``table``: an Arrow table. CSV/TSV cells are the exact bytes between the delimiters (no type
  inference here: the loader types whole columns at the end, see ``gate.data.frames``); Parquet columns
  keep their stored types.
- ``records``: JSON Lines objects as Python's json module parses them (exact numbers, any depth).
- ``lines``: text.
- ``raw``: bytes that could not be parsed (scanned as text, never loaded).

Errors never quote data: a parser's message can hold a raw value.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from .formats import TABLE_FORMATS, wide_encoding

CHUNK_BYTES = 8 * 1024 * 1024
ARROW_BLOCK = 1024 * 1024
MAX_LINE = 64 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
QUOTE = '"'
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Problem:
    """Something that makes a file ambiguous or damaged (names a kind, never data)."""

    kind: str
    """nul_bytes, invalid_encoding, blank_first_line, empty_header, ragged_rows, unparseable,
    invalid_json, not_an_object, duplicate_keys, nonstandard_json, too_deep, binary."""
    message: str
    """What is wrong, for people."""
    line: int | None = None
    """1-based line of the first occurrence, when known."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for the facts."""
        out = {"kind": self.kind, "message": self.message}
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass
class ReadOutcome:
    """What reading one file found besides its values."""

    format: str
    """The format it was read as."""
    records: int = 0
    """Records read (rows, JSON lines, text lines)."""
    columns: list[str] = field(default_factory=list)
    """Column names (CSV header, Parquet fields; JSON keys are added by the scanner)."""
    dialect: dict[str, Any] = field(default_factory=dict)
    """encoding, delimiter and quote of a CSV/TSV file."""
    problems: list[Problem] = field(default_factory=list)
    """Why the file is ambiguous or damaged; empty for a clean file."""
    notes: list[str] = field(default_factory=list)
    """Harmless observations (a byte-order mark, blank lines skipped, renamed duplicate columns)."""

    @property
    def loadable(self) -> bool:
        """Whether the loader may return this file's values (no problem of any kind)."""
        return not self.problems

    def problem(self, kind: str, message: str, line: int | None = None) -> None:
        """Record a problem once per kind."""
        if not any(p.kind == kind for p in self.problems):
            self.problems.append(Problem(kind, message, line))

    def note(self, text: str) -> None:
        """Record a note once."""
        if text not in self.notes:
            self.notes.append(text)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the facts and the cache."""
        return {"format": self.format, "records": self.records, "columns": list(self.columns),
                "dialect": dict(self.dialect), "problems": [p.to_json() for p in self.problems],
                "notes": list(self.notes)}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> "ReadOutcome":
        """The inverse of to_json."""
        return cls(value["format"], value["records"], list(value["columns"]), dict(value["dialect"]),
                   [Problem(p["kind"], p["message"], p.get("line")) for p in value["problems"]], list(value["notes"]))


@dataclass
class Part:
    """A piece of a file's values (see the module)."""

    kind: str
    """table, records, lines or raw."""
    first_row: int
    """0-based index of the part's first record in the file (for raw parts: its first line)."""
    table: Any = None
    """pyarrow.Table for table parts."""
    records: list | None = None
    """Objects for records parts."""
    rows: list[int] | None = None
    """0-based line of each record (records parts)."""
    data: bytes | None = None
    """Bytes of lines and raw parts."""


def read_parts(stream, fmt: str, outcome: ReadOutcome) -> Iterator[Part]:
    """The parts of one file read from ``stream`` (a HashingReader) as ``fmt``; problems and notes go
    to ``outcome``. Raises nothing for bad content; OSError for an unreadable file.

    A text format whose bytes start with a UTF-16 or UTF-32 byte-order mark is read as its characters
    (in UTF-8): its values are the same for the scanners and the loader, and its digest is still
    that of the bytes on disk."""
    if fmt in ("csv", "tsv", "jsonl", "text"):
        encoding = wide_encoding(stream.peek(4))
        if encoding is not None:
            outcome.note(f"{encoding.upper()} text (byte-order mark): read as its characters")
            outcome.dialect["encoding"] = encoding
            stream = Transcoded(stream, encoding, outcome)
    if fmt in ("csv", "tsv"):
        yield from _csv(stream, fmt, outcome)
    elif fmt == "parquet":
        yield from _parquet(stream, outcome)
    elif fmt == "jsonl":
        yield from _jsonl(stream, outcome)
    elif fmt == "text":
        yield from _text(stream, outcome)
    else:
        outcome.problem("binary", "not a csv, tsv, parquet, jsonl or text file: scanned as bytes, never loaded")
        yield from _raw(stream, 0)


class Transcoded:
    """A HashingReader of UTF-16/32 bytes read as UTF-8 (its byte-order mark dropped). The wrapped
    reader still hashes every byte on disk. Code units that are no character (a lone surrogate, a
    truncated last unit) become U+FFFD and an ``invalid_encoding`` problem: the file is scanned, never
    loaded."""

    def __init__(self, stream, encoding: str, outcome: ReadOutcome):
        self._stream = stream
        self._outcome = outcome
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._first = True
        self._done = False

    def read(self, count: int = -1) -> bytes:
        """Up to about ``count`` bytes of UTF-8 (all that is left when negative); b"" at the end."""
        whole = count is None or count < 0
        while not self._done:
            raw = self._stream.read(-1 if whole else max(count, 4))
            final = whole or not raw
            text = self._decode(raw, final)
            self._done = final
            if self._first and text:
                text = text[1:] if text[0] == "\ufeff" else text
                self._first = False
            if text:
                return text.encode("utf-8")  # strict or U+FFFD: never a lone surrogate
        return b""

    def _decode(self, raw: bytes, final: bool) -> str:
        try:
            return self._decoder.decode(raw, final)
        except UnicodeDecodeError:
            self._outcome.problem("invalid_encoding", f"not valid {self._encoding.upper()}: its characters are ambiguous")
            lenient = codecs.getincrementaldecoder(self._encoding)(errors="replace")
            lenient.setstate(self._decoder.getstate())
            self._decoder = lenient
            return lenient.decode(raw, final)


def _raw(stream, first_line: int) -> Iterator[Part]:
    """Everything left in the stream, as raw text parts (so nothing goes unscanned)."""
    for chunk in line_chunks(stream):
        yield Part("raw", first_line, data=chunk)
        first_line += chunk.count(b"\n")


def _check_bytes(chunk: bytes, outcome: ReadOutcome, line: int, text: bool = True) -> bool:
    """Record NUL bytes and invalid UTF-8 as problems; returns whether the chunk is valid UTF-8."""
    if b"\x00" in chunk:
        outcome.problem("nul_bytes", "NUL bytes in a text file: parsers disagree on them",
                        line + chunk[: chunk.index(b"\x00")].count(b"\n"))
    valid = _valid_utf8(chunk)
    if text and not valid:
        outcome.problem("invalid_encoding", "not valid UTF-8: its characters are ambiguous", line)
    return valid


def _valid_utf8(data: bytes) -> bool:
    # chunks end at a newline, so a multi-byte character is never cut in two
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# --- CSV / TSV -------------------------------------------------------------------------------------


def record_chunks(stream, quote: bytes = b'"', size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Chunks of about ``size`` bytes that end at a record boundary (a newline outside quotes); the last
    one is whatever is left. (Arrow's own streaming reader reads ahead without bound.)"""
    carry = b""
    while True:
        block = stream.read(size)
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
        if tries > 64:  # a huge quoted field: stepping back one newline at a time would be quadratic
            quote_at = chunk.rfind(quote, 0, position)
            position = quote_at if quote_at >= 0 else position


def _first_record_end(chunk: bytes, quote: bytes) -> int:
    position = -1
    while True:
        position = chunk.find(b"\n", position + 1)
        if position < 0:
            return len(chunk) - 1 if chunk else -1
        if chunk.count(quote, 0, position) % 2 == 0:
            return position


def _delimiter(header: bytes, fmt: str) -> str:
    """TSV: a tab. CSV: the candidate the header line holds most outside quotes (a comma on a tie or
    when it holds none): one decision from the bytes, recorded in the facts."""
    if fmt == "tsv":
        return "\t"
    outside, inside = [], False
    for byte in header:
        if byte == 0x22:
            inside = not inside
        elif not inside:
            outside.append(byte)
    text = bytes(outside)
    counts = {d: text.count(d.encode()) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def unique_names(header: list[str], outcome: ReadOutcome | None = None) -> list[str]:
    """Header names made unique the way pandas does (``a``, ``a.1``); empty ones become ``column_N``."""
    names, seen = [], {}
    for index, name in enumerate(header):
        if not name.strip():
            if outcome is not None:
                outcome.note("an empty column name was named column_N")
            name = f"column_{index}"
        if name in seen:
            seen[name] += 1
            if outcome is not None:
                outcome.note("duplicate column names were renamed name.1, name.2 ...")
            name = f"{name}.{seen[name]}"
            while name in seen:
                name += "_"
        seen.setdefault(name, 0)
        names.append(name)
    return names


def _arrow_options(names: list[str], delimiter: str, ragged):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return dict(
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=ARROW_BLOCK),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=QUOTE, double_quote=True,
                                         escape_char=False, newlines_in_values=True, ignore_empty_lines=True,
                                         invalid_row_handler=ragged),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names}, check_utf8=False,
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _header_names(header: bytes, delimiter: str) -> list[str] | None:
    """The header's fields, split by the same parser as the rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    most = header.count(delimiter.encode()) + 1
    try:
        table = pacsv.read_csv(pa.py_buffer(header + b"\n"), read_options=pacsv.ReadOptions(
            autogenerate_column_names=True, use_threads=False), parse_options=pacsv.ParseOptions(
            delimiter=delimiter, quote_char=QUOTE, double_quote=True, escape_char=False, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={f"f{i}": pa.binary() for i in range(most)},
                                                 check_utf8=False, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != 1:
        return None
    return [column[0].as_py().decode("utf-8", "surrogateescape") for column in table.columns]


def _csv(stream, fmt: str, outcome: ReadOutcome) -> Iterator[Part]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    quote = QUOTE.encode()
    chunks = record_chunks(stream, quote)
    first = next(chunks, b"")
    if not first:
        return
    if first.startswith(BOM):
        first = first[len(BOM):]
        outcome.note("a UTF-8 byte-order mark was skipped")
    line = 0
    stripped = first.lstrip(b"\r\n")
    if len(stripped) != len(first):
        outcome.problem("blank_first_line", "the file starts with a blank line: readers disagree on where the "
                                            "header is", 1)
        line = first[: len(first) - len(stripped)].count(b"\n")
        first = stripped
    header_end = _first_record_end(first, quote)
    header = first[: header_end + 1].rstrip(b"\r\n")
    _check_bytes(header, outcome, line)
    delimiter = _delimiter(header, fmt)
    outcome.dialect = {"encoding": "utf-8", "delimiter": delimiter, "quote": QUOTE}
    parsed = _header_names(header, delimiter)
    if not parsed or not any(name.strip() for name in parsed):
        outcome.problem("empty_header", "the header line holds no column names", line + 1)
        yield from _raw_rest(stream, line, first, chunks)
        return
    names = unique_names(parsed, outcome)
    outcome.columns = names
    skipped: list[tuple[int | None, bytes]] = []

    def ragged(row) -> str:
        skipped.append((row.number, (row.text or "").encode("utf-8", "surrogateescape")))
        return "skip"

    options = _arrow_options(names, delimiter, ragged)
    # Arrow hands a ragged row to the handler as text: with bytes that are not UTF-8 it cannot (and
    # prints a traceback), so such a chunk is parsed without one; a ragged row there makes it raw text
    undecodable = _arrow_options(names, delimiter, None)
    rows = 0
    line += first[: header_end + 1].count(b"\n") or 1
    first_data = line
    body = first[header_end + 1:]
    for chunk in _chain(body, chunks):
        valid = _check_bytes(chunk, outcome, line)
        if not chunk.strip(b"\r\n"):
            line += chunk.count(b"\n")
            continue
        try:
            table = pacsv.read_csv(pa.py_buffer(chunk), **(options if valid else undecodable))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            outcome.problem("unparseable", "the rows cannot be parsed as CSV (an unterminated quote?): scanned "
                                           "as text", line + 1)
            yield Part("raw", line, data=chunk)
            for rest in chunks:  # the rest of the file, through the same chunker (it holds read bytes)
                _check_bytes(rest, outcome, line)
                yield Part("raw", line, data=rest)
            outcome.records = rows
            return
        if skipped:
            outcome.problem("ragged_rows", "rows with a different number of fields than the header",
                            line + skipped[0][0] if skipped[0][0] else None)
            for number, text in skipped:  # scanned as text, at their row (number: the row's line in the chunk)
                yield Part("raw", line - first_data + (number - 1 if number else 0), data=text + b"\n")
            skipped.clear()
        if table.num_rows:
            yield Part("table", rows, table=table)
        rows += table.num_rows
        line += chunk.count(b"\n")
        if b"\n\n" in chunk or b"\n\r\n" in chunk:
            outcome.note("blank lines were skipped")
    outcome.records = rows


def _chain(first: bytes, rest) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _raw_rest(stream, line: int, first: bytes, chunks) -> Iterator[Part]:
    yield Part("raw", line, data=first)
    for chunk in chunks:
        yield Part("raw", line, data=chunk)


# --- Parquet ---------------------------------------------------------------------------------------


def _parquet(stream, outcome: ReadOutcome) -> Iterator[Part]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = stream.read()  # Parquet's footer comes first: the file is parsed from memory
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        outcome.columns = list(parquet.schema_arrow.names)
        first = 0
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group)
            table = table.replace_schema_metadata(None)  # metadata is not data: never passed on
            yield Part("table", first, table=table)
            first += table.num_rows
        outcome.records = first
    except Exception:  # pyarrow raises many kinds for a damaged file; name the kind only
        outcome.problem("unparseable", "not a readable Parquet file: scanned as bytes")
        yield Part("raw", 0, data=data)


# --- JSON Lines ------------------------------------------------------------------------------------


class _Duplicate(Exception):
    pass


def _pairs(pairs: list) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Duplicate()
    return value


def _no_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant)


def _jsonl(stream, outcome: ReadOutcome) -> Iterator[Part]:
    line = 0
    records_seen = 0
    first = True
    for chunk in line_chunks(stream):
        if first and chunk.startswith(BOM):
            chunk = chunk[len(BOM):]
            outcome.note("a UTF-8 byte-order mark was skipped")
        first = False
        _check_bytes(chunk, outcome, line)
        records, rows, raw = [], [], []
        for index, raw_line in enumerate(chunk.split(b"\n")[:-1] if chunk.endswith(b"\n") else chunk.split(b"\n")):
            number = line + index
            text = raw_line.strip()
            if not text:
                outcome.note("blank lines were skipped")
                continue
            try:
                value = _DECODER.decode(text.decode("utf-8"))
            except _Duplicate:
                outcome.problem("duplicate_keys", "an object repeats a key: readers disagree on which value counts",
                                number + 1)
                raw.append((number, raw_line))
                continue
            except UnicodeDecodeError:
                raw.append((number, raw_line))
                continue
            except RecursionError:
                outcome.problem("too_deep", "JSON nested too deeply to read", number + 1)
                raw.append((number, raw_line))
                continue
            except ValueError as exc:
                kind = "nonstandard_json" if "non-standard" in str(exc) else "invalid_json"
                outcome.problem(kind, "a line is not valid JSON" if kind == "invalid_json" else
                                "a line uses NaN or Infinity, which JSON does not have", number + 1)
                raw.append((number, raw_line))
                continue
            if not isinstance(value, dict):
                outcome.problem("not_an_object", "a line is not a JSON object", number + 1)
                raw.append((number, raw_line))
                continue
            records.append(value)
            rows.append(number)
        if records:
            yield Part("records", records_seen, records=records, rows=rows)
            records_seen += len(records)
        for number, text in raw:
            yield Part("raw", number, data=text + b"\n")
        line += chunk.count(b"\n")
    outcome.records = records_seen


def line_chunks(stream, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Chunks of about ``size`` bytes that end at a newline (the last one, and a line longer than
    MAX_LINE, excepted: memory stays bounded whatever the file)."""
    carry = b""
    while True:
        block = stream.read(size)
        if not block:
            if carry:
                yield carry
            return
        chunk = carry + block
        cut = chunk.rfind(b"\n")
        if cut < 0:
            if len(chunk) < MAX_LINE:
                carry = chunk
                continue
            yield chunk
            carry = b""
            continue
        yield chunk[: cut + 1]
        carry = chunk[cut + 1:]


# --- text ------------------------------------------------------------------------------------------


def _text(stream, outcome: ReadOutcome) -> Iterator[Part]:
    line, unterminated = 0, False
    for chunk in line_chunks(stream):
        _check_bytes(chunk, outcome, line)
        yield Part("lines", line, data=chunk)
        line += chunk.count(b"\n")
        unterminated = not chunk.endswith(b"\n")
    outcome.records = line + (1 if unterminated else 0)


def is_table(fmt: str) -> bool:
    """Whether a format holds a table (poisoning and drift need one)."""
    return fmt in TABLE_FORMATS
