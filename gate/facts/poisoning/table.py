"""Reading a dataset's files into one table for the poisoning and drift facts.

CSV/TSV and JSONL go through Arrow's C++ parsers, Parquet through Arrow; nested JSON/Parquet fields
are flattened to dotted names. Any read error names the file (and a line where one is known) and
never quotes the data: a parser's message can hold a raw value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import GateError
from ...readers import detect_format, sniff_csv, unique_names

TABLE_FORMATS = ("csv", "tsv", "parquet", "jsonl")
MAX_JSON_LINE = 64 * 1024 * 1024


class TableError(GateError):
    """A data file cannot be read as a table."""


@dataclass
class Table:
    """Rows of one or more files, in file order; ``files[i]`` holds ``counts[i]`` consecutive rows."""

    frame: "object"  # pandas.DataFrame
    files: list[str]
    counts: list[int]

    @property
    def rows(self) -> int:
        return int(sum(self.counts))

    def locate(self, index: int) -> tuple[str, int]:
        """(file, 0-based record index in that file) of a global row index."""
        ends = np.cumsum(self.counts)
        position = int(np.searchsorted(ends, index, side="right"))
        start = int(ends[position - 1]) if position else 0
        return self.files[position], index - start


def load_table(items: list[tuple[Path, str, str | None]]) -> Table:
    """Read (path, shown name, declared format) files into one pandas DataFrame; columns are unioned."""
    import pandas as pd

    if not items:
        raise TableError("no data files to read")
    frames, files, counts = [], [], []
    for path, shown, declared in items:
        frame = read_frame(path, shown, declared)
        frames.append(frame)
        files.append(shown)
        counts.append(len(frame))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    return Table(frame.reset_index(drop=True), files, counts)


def read_frame(path: Path, shown: str, declared: str | None = None):
    """One file as a DataFrame. Raises TableError naming the file."""
    try:
        fmt = detect_format(path, declared)
    except OSError as exc:
        raise TableError(f"cannot read: {exc.strerror or exc.__class__.__name__}", shown) from None
    if fmt not in TABLE_FORMATS:
        raise TableError(f"a {fmt} file is not a table: poisoning and drift need csv, tsv, parquet or jsonl", shown)
    try:
        if fmt in ("csv", "tsv"):
            table = _csv(path, fmt, shown)
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        else:
            table = _jsonl(path, shown)
        table = _flatten(table)
        return table.to_pandas(types_mapper=None, strings_to_categorical=False)
    except TableError:
        raise
    except FileNotFoundError:
        raise TableError("file vanished while reading", shown) from None
    except OSError as exc:
        raise TableError(f"cannot read: {exc.strerror or exc.__class__.__name__}", shown) from None
    except Exception as exc:  # parser messages can quote data: name the kind only
        raise TableError(f"cannot parse as {fmt}: {exc.__class__.__name__}", shown) from None


def _csv(path: Path, fmt: str, shown: str):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding, delimiter, quote, header = sniff_csv(path, fmt)
    if not header:
        raise TableError("empty file: no header row", shown)
    names = unique_names(header)
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding,
                                           block_size=8 * 1024 * 1024),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=quote, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "columns" in text and "Expected" in text:
            raise TableError("rows with a different number of fields than the header", shown) from None
        raise TableError(f"cannot parse as {fmt}: {exc.__class__.__name__}", shown) from None


def _jsonl(path: Path, shown: str):
    import pyarrow as pa
    import pyarrow.json as pajson

    try:
        return pajson.read_json(path)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        pass  # blank lines, mixed types or a broken line: read line by line to say which
    records = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if len(line) > MAX_JSON_LINE:
                raise TableError("line longer than 64 MiB", shown, number)
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                raise TableError("not a JSON object (invalid JSON)", shown, number) from None
            if not isinstance(value, dict):
                raise TableError("not a JSON object", shown, number)
            records.append(value)
    import pandas as pd

    frame = pd.json_normalize(records, max_level=8) if records else pd.DataFrame()
    for column in frame.columns:  # mixed types in one field: compare them as text
        if frame[column].dtype == object:
            kinds = {type(v) for v in frame[column].dropna().head(10000)}
            if len(kinds) > 1:
                frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))
    return pa.Table.from_pandas(frame, preserve_index=False)


def _flatten(table):
    """Struct fields become dotted columns; list and map columns are dropped (not features)."""
    import pyarrow as pa

    for _ in range(8):
        if not any(pa.types.is_struct(f.type) for f in table.schema):
            break
        table = table.flatten()
    keep = [name for name, field in zip(table.column_names, table.schema)
            if not (pa.types.is_list(field.type) or pa.types.is_large_list(field.type)
                    or pa.types.is_map(field.type) or pa.types.is_struct(field.type)
                    or pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type))]
    return table.select(keep)
