"""From the one reader's parts to what the PII scanner scans: every value, and every name.

A ``Segment`` holds the values of one column (or the lines of a text chunk) joined by newlines into
one byte buffer, with the offset where each value starts and the record it belongs to; detectors scan
whole buffers at once and map a match back to (row, column) only when they find something.

Every value is handed on, whatever its type: numbers, floats, booleans, dates and timestamps
(rendered as text), Parquet structs (dotted names), lists (every item, at any index, under
``name[]``), maps (keys and values), JSON nested at any depth. Names are values too: CSV headers,
Parquet field names and JSON keys come out as a segment of their own (``NAMES_COLUMN``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Iterator, Sequence

if TYPE_CHECKING:
    import numpy as np

NAMES_COLUMN = "(column names and keys)"
"""The column of a names segment; findings there are at row -1."""
_SHORT_NUMBER = r"^[-+]?[0-9]{0,7}(?:\.[0-9]{0,2})?$"  # at most 9 digits in all, and no run of more than 7


@dataclass(frozen=True)
class Segment:
    """Values joined by newlines, with where each starts and which record it belongs to."""

    column: str | None
    """Column header or dotted JSON key; None for text."""
    data: bytes | memoryview
    """The values separated by newlines (a memoryview over Arrow's buffer when built by Arrow)."""
    starts: "np.ndarray | list[int]"
    """Offset in ``data`` where each value starts (ascending): an int64 array for the values of a part
    read by Arrow or as text, a list for a segment built from Python values (``segment_of``), so that
    scanning names needs no numpy."""
    rows: "np.ndarray | list[int]"
    """0-based record index of each value (-1 for names)."""
    non_empty: int
    """How many of the values are non-empty (for PII-column shares)."""
    trivial: bool = False
    """Every value is at most 3 bytes, or a number of at most 7 digits (and 2 decimals): no detector
    matches those (the shortest type gate detects, an IPv6 like a::b, has 4 bytes; the shortest
    number, a phone, 8 digits). Seen, not searched."""
    terminated: bool = True
    """Whether a newline follows the last value too."""

    def values(self) -> list[bytes]:
        """The values, one bytes object each (for tests and small segments)."""
        data = bytes(self.data)
        starts = [int(s) for s in self.starts]
        ends = [s - 1 for s in starts[1:]] + [len(data) - 1 if self.terminated else len(data)]
        return [data[s:e] for s, e in zip(starts, ends)]


def segment_of(column: str | None, values: list[bytes], rows: Sequence[int]) -> Segment:
    """A segment from Python byte strings; its offsets and rows are Python lists."""
    starts = [0, *accumulate(len(v) + 1 for v in values[:-1])] if values else []
    data = b"\n".join(values) + b"\n"
    longest = max(map(len, values), default=0)
    return Segment(column, data, starts, [int(r) for r in rows], sum(1 for v in values if v), trivial=longest <= 3)


def segments(part) -> Iterator[Segment]:
    """Every value of a part, as segments."""
    import numpy as np

    if part.kind == "table":
        rows = np.arange(part.first_row, part.first_row + part.table.num_rows, dtype=np.int64)
        names: list[str] = list(part.table.schema.names)
        for name, column in zip(part.table.schema.names, part.table.columns):
            yield from arrow_segments(name, column, rows, names)
        if names:
            unique = [n.encode("utf-8", "surrogateescape") for n in dict.fromkeys(names)]
            yield segment_of(NAMES_COLUMN, unique, [-1] * len(unique))
    elif part.kind == "records":
        yield from _record_segments(part.records, part.rows)
    else:
        yield text_segment(part.data, part.first_row)


def text_segment(body: bytes, first_line: int) -> Segment:
    """Lines of text as one segment (a value per line)."""
    import numpy as np

    if not body.endswith(b"\n"):
        body += b"\n"
    array = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(array == 10)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    rows = np.arange(first_line, first_line + len(starts), dtype=np.int64)
    non_empty = int(np.count_nonzero(np.diff(np.concatenate(([-1], ends))) > 1))
    return Segment(None, body, starts, rows, non_empty)


def _binary_scalar(value: bytes):
    """An Arrow binary scalar built from buffers (pa.scalar() would import pandas on every run)."""
    import numpy as np
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(value)], dtype=np.int32))
    return pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(value)])[0]


def arrow_segments(name: str, array, rows: np.ndarray, names: list[str]) -> Iterator[Segment]:
    """Flatten any Arrow type: struct fields become dotted names, list items (all of them) ``name[]``,
    map keys ``name{key}`` and values ``name{}``; every scalar is rendered as text. Struct field
    names are added to ``names``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    kind = array.type
    if pa.types.is_extension_type(kind) if hasattr(pa.types, "is_extension_type") else isinstance(kind, pa.ExtensionType):
        array, kind = array.storage, array.storage.type
    if pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            names.append(kind.field(index).name)
            yield from arrow_segments(f"{name}.{kind.field(index).name}", array.field(index), rows, names)
        return
    if pa.types.is_map(kind):
        # (pc.list_parent_indices aborts the process on a map array: the parents come from the offsets)
        offsets = np.asarray(array.offsets, dtype=np.int64)
        first, last = int(offsets[0]), int(offsets[-1])
        parents = np.repeat(np.arange(len(array), dtype=np.int64), np.diff(offsets))
        item_rows = rows[parents] if len(parents) else np.zeros(0, dtype=np.int64)
        yield from arrow_segments(f"{name}{{key}}", array.keys.slice(first, last - first), item_rows, names)
        yield from arrow_segments(f"{name}{{}}", array.items.slice(first, last - first), item_rows, names)
        return
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind) \
            or (hasattr(pa.types, "is_list_view") and (pa.types.is_list_view(kind) or pa.types.is_large_list_view(kind))):
        parents = pc.list_parent_indices(array).to_numpy(zero_copy_only=False)
        values = pc.list_flatten(array)
        yield from arrow_segments(f"{name}[]", values, rows[parents] if len(parents) else parents.astype(np.int64),
                                  names)
        return
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_null(kind) or len(array) == 0:
        return
    segment = _arrow_segment(name, _as_binary(array), rows)
    if segment is not None:
        yield segment


def _as_binary(array):
    """Any scalar array as binary text (numbers, booleans, dates, decimals ...)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_binary(kind):
        return array
    if pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return array.cast(pa.binary())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return array.cast(pa.binary()) if pa.types.is_string(kind) else array.cast(pa.string()).cast(pa.binary())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, _binary_scalar(b"true"), _binary_scalar(b"false"))
    if pa.types.is_floating(kind):
        # whole numbers as their digits (Arrow would write 4.111111111111111e+15 and hide a card number)
        values = array.cast(pa.float64())
        whole = pc.and_(pc.equal(pc.floor(values), values), pc.less(pc.abs(values), 9.0e18))
        digits = pc.cast(pc.if_else(whole, values, 0.0), pa.int64(), safe=False).cast(pa.string())
        return pc.if_else(whole, digits, values.cast(pa.string())).cast(pa.binary())
    try:
        return array.cast(pa.string()).cast(pa.binary())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        texts = [None if v is None else str(v).encode("utf-8", "surrogateescape") for v in array.to_pylist()]
        return pa.array(texts, pa.binary())


def _arrow_segment(column: str, array, rows: np.ndarray) -> Segment | None:
    """A segment straight from an Arrow binary array: Arrow's binary_join builds the buffer in C++."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    if n == 0:
        return None
    if array.null_count:
        array = array.fill_null(_binary_scalar(b""))
    if array.offset or len(array.buffers()) < 3:
        array = pa.concat_arrays([array])  # a fresh array whose buffers start at its first value
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=n + 1, offset=array.offset * 4).astype(np.int64)
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    trivial = longest <= 3 or (longest <= 24 and pc.all(pc.match_substring_regex(array, _SHORT_NUMBER)).as_py())
    whole = pa.Array.from_buffers(pa.int32(), 2, [None, pa.py_buffer(np.array([0, n], dtype=np.int32))])
    joined = pc.binary_join(pa.ListArray.from_arrays(whole, array), _binary_scalar(b"\n"))
    size = int(offsets[-1] - offsets[0]) + n - 1
    data = memoryview(joined.buffers()[2])[:size] if size > 0 else b""
    starts = offsets[:-1] - offsets[0] + np.arange(n, dtype=np.int64)
    return Segment(column, data, starts, rows[:n], int(np.count_nonzero(lengths)), trivial=bool(trivial),
                   terminated=False)


def _record_segments(records: list, rows: list[int]) -> Iterator[Segment]:
    """JSON objects flattened: dotted keys for objects at any depth, ``[]`` for list items; every
    key is a name (keys are data: an object can be keyed by e-mail addresses)."""
    block: dict[str, tuple[list[bytes], list[int]]] = {}
    keys: dict[str, None] = {}
    for record, row in zip(records, rows):
        _visit("", record, row, block, keys, 0)
    for name, (values, owners) in block.items():
        segment = segment_of(name, values, owners)
        yield segment
    if keys:
        yield segment_of(NAMES_COLUMN, [k.encode("utf-8", "surrogatepass") for k in keys], [-1] * len(keys))


_DEEP = 32
"""Below this depth values are visited by recursion (fast); deeper, by a stack (any depth)."""


def _visit(prefix: str, value, row: int, block: dict, keys: dict, depth: int) -> None:
    """Depth first, the last child first (the order of _walk)."""
    if depth >= _DEEP:
        _walk(prefix, value, row, block, keys)
        return
    kind = type(value)
    if kind is dict:
        keys.update(dict.fromkeys(value))
        if prefix:
            children = ((f"{prefix}.{key}", item) for key, item in reversed(value.items()))
        else:
            children = reversed(value.items())
    elif kind is list:
        name = f"{prefix}[]"
        children = ((name, item) for item in reversed(value))
    else:
        _walk(prefix, value, row, block, keys)
        return
    for name, item in children:
        kind = type(item)
        if kind is str and name:
            entry = block.get(name)
            if entry is None:
                entry = block[name] = ([], [])
            entry[0].append(item.encode("utf-8", "surrogatepass"))
            entry[1].append(row)
        elif kind is dict or kind is list:
            _visit(name, item, row, block, keys, depth + 1)
        elif item is not None:
            entry = block.setdefault(name or "value", ([], []))
            entry[0].append(scalar_text(item))
            entry[1].append(row)


def _walk(prefix: str, value, row: int, block: dict, keys: dict) -> None:
    stack = [(prefix, value)]
    while stack:
        prefix, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                keys[key] = None
                stack.append((f"{prefix}.{key}" if prefix else key, item))
        elif isinstance(value, list):
            for item in value:
                stack.append((f"{prefix}[]", item))
        elif value is not None:
            values, owners = block.setdefault(prefix or "value", ([], []))
            values.append(scalar_text(value))
            owners.append(row)


def scalar_text(value) -> bytes:
    """A JSON scalar as the bytes the scanner reads: strings as written, numbers as JSON writes them."""
    kind = type(value)
    if kind is str:
        return value.encode("utf-8", "surrogatepass")
    if kind is int:
        return str(value).encode("ascii")  # what json.dumps writes for an int
    if kind is float and math.isfinite(value):
        return repr(value).encode("ascii")  # and for a finite float (1e400 is read as inf: "Infinity")
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return json.dumps(value).encode("ascii")
