"""From the one reader's parts to pandas: what ``gate.open_dataset`` returns and what the poisoning and
drift analysis reads. Both are built from the parts the PII scanner saw, nothing else.

CSV/TSV cells arrive as the exact bytes of the file; a whole column is typed at the end, and only
where no information is lost but formatting: a column is int64 when every value is a plain integer
(no sign, no leading zero: a ZIP code like 02139 or a phone number stays text), float64 when every
value is a decimal or scientific number, boolean when every value is true or false; the usual missing
markers (empty, NA, null, NaN ...) are missing values in such columns. Anything else stays text.
"""

from __future__ import annotations

from typing import Any

NA_TOKENS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
             "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
INTEGER = r"^-?(?:0|[1-9][0-9]*)$"
DECIMAL = r"^-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
BOOLEANS = ("true", "false", "True", "False", "TRUE", "FALSE")
SAFE_INTEGER = 2 ** 53


def frame(parts: list, outcome) -> Any:
    """The file's values as a pandas DataFrame (the loader's result for one file)."""
    import pandas as pd

    fmt = outcome.format
    if fmt in ("csv", "tsv"):
        table = _concat([p.table for p in parts if p.kind == "table"])
        if table is None:
            return pd.DataFrame({name: pd.Series([], dtype=object) for name in outcome.columns})
        return pd.DataFrame({name: typed_text_column(column) for name, column in zip(table.column_names,
                                                                                      table.columns)})
    if fmt == "parquet":
        # the file's own pandas metadata is ignored: it could rename columns, set an index or attach
        # attrs the scanners never see (only Arrow's values and field names are scanned)
        table = _concat([p.table for p in parts if p.kind == "table"])
        return table.to_pandas(ignore_metadata=True) if table is not None else pd.DataFrame()
    if fmt == "jsonl":
        return records_frame([r for p in parts if p.kind == "records" for r in p.records])
    if fmt == "text":
        lines = []
        for part in parts:
            body = part.data[:-1] if part.data.endswith(b"\n") else part.data
            lines.extend(line.decode("utf-8").removesuffix("\r") for line in body.split(b"\n"))
        return pd.DataFrame({"text": pd.Series(lines, dtype=object)})
    raise ValueError(f"{fmt} files cannot be loaded")


def analysis_frame(parts: list, outcome) -> Any:
    """The values as one flat table for poisoning and drift: nested fields as dotted columns, lists,
    maps and binary left out (they are not features). None for text."""
    fmt = outcome.format
    if fmt in ("csv", "tsv"):
        return frame(parts, outcome)
    if fmt == "parquet":
        import pandas as pd
        import pyarrow as pa

        table = _concat([p.table for p in parts if p.kind == "table"])
        if table is None:
            return pd.DataFrame()
        for _ in range(64):
            if not any(pa.types.is_struct(f.type) for f in table.schema):
                break
            table = table.flatten()
        keep = [name for name, f in zip(table.column_names, table.schema)
                if not (pa.types.is_list(f.type) or pa.types.is_large_list(f.type) or pa.types.is_map(f.type)
                        or pa.types.is_struct(f.type) or pa.types.is_binary(f.type)
                        or pa.types.is_large_binary(f.type) or pa.types.is_fixed_size_list(f.type))]
        return table.select(keep).to_pandas(ignore_metadata=True)
    if fmt == "jsonl":
        return records_frame([_flat(r) for p in parts if p.kind == "records" for r in p.records])
    return None


def _flat(record: dict, prefix: str = "") -> dict:
    out: dict = {}
    stack = [(prefix, record)]
    while stack:
        head, value = stack.pop()
        for key, item in value.items():
            name = f"{head}.{key}" if head else key
            if isinstance(item, dict):
                stack.append((name, item))
            elif not isinstance(item, list):
                out[name] = item
    return out


def _concat(tables: list):
    import pyarrow as pa

    tables = [t for t in tables if t is not None]
    if not tables:
        return None
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def typed_text_column(column) -> Any:
    """A column of CSV cell bytes as a pandas Series, typed as the module says."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = column.cast(pa.string())
    missing = pc.is_in(strings, value_set=pa.array(NA_TOKENS))
    present = pc.filter(strings, pc.invert(missing))
    if len(present):
        if pc.all(pc.match_substring_regex(present, INTEGER)).as_py():
            try:
                values = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), strings), pa.int64())
                return values.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get if values.null_count else None)
            except (pa.ArrowInvalid, OverflowError):
                pass  # beyond int64: text
        elif pc.all(pc.match_substring_regex(present, DECIMAL)).as_py():
            return pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), strings), pa.float64()).to_pandas()
        elif pc.all(pc.is_in(present, value_set=pa.array(BOOLEANS))).as_py():
            truth = pc.is_in(strings, value_set=pa.array(["true", "True", "TRUE"]))
            values = pc.if_else(missing, pa.scalar(None, pa.bool_()), truth)
            return values.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get if values.null_count else None)
    empty = pc.equal(strings, "")
    return pc.if_else(empty, pa.scalar(None, pa.string()), strings).to_pandas()


def records_frame(records: list[dict]) -> Any:
    """JSON objects as a DataFrame: a column per key (in first-seen order), each value as parsed; a
    column of integers is Int64 (exact), of numbers float64, of booleans boolean; anything else
    (text, nested objects and lists, mixed types) holds the values themselves."""
    import pandas as pd

    columns: dict[str, list] = {}
    for index, record in enumerate(records):
        for key in record:
            if key not in columns:
                columns[key] = [None] * index
        for key, values in columns.items():
            values.append(record.get(key))
    return pd.DataFrame({key: _json_series(values) for key, values in columns.items()}, index=range(len(records)))


def _json_series(values: list) -> Any:
    import pandas as pd

    present = [v for v in values if v is not None]
    if present and all(type(v) is int for v in present) and all(abs(v) < 2 ** 63 for v in present):
        return pd.Series(values, dtype="Int64" if len(present) < len(values) else "int64")
    if present and all(type(v) in (int, float) for v in present) and all(
            type(v) is float or abs(v) <= SAFE_INTEGER for v in present):
        return pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
    if present and all(type(v) is bool for v in present):
        return pd.Series(values, dtype="boolean" if len(present) < len(values) else "bool")
    if present and all(type(v) is str for v in present):
        return pd.Series(values)  # pandas's own text dtype (object before pandas 3, str since)
    return pd.Series(values, dtype=object)
