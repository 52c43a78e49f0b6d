"""Property: for any CSV, TSV, JSONL or Parquet file, with any dialect quirk, the values the PII scanner
sees during `gate check` are the values `gate.open_dataset` returns — or the file is refused by both
(the check reports a reading problem for it and the loader will not serve it)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gate
from _attack import DESCRIPTOR

NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?)?$")
NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
      "NULL", "NaN", "None", "n/a", "nan", "null"}
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=10)
SPECIAL = st.sampled_from(["", "NA", "null", "true", "FALSE", "007", "+1", "1e5", '"q"', "a,b", "x\ny", "  pad ",
                           "219-09-9999", "jane.roe@example.org", "it's", "'", '"', "\r", "1.50", "-0", "3.0"])
CELL = st.one_of(st.integers(-10 ** 12, 10 ** 12), st.floats(allow_nan=False, allow_infinity=False), TEXT, SPECIAL)
NAME = st.one_of(st.text(alphabet="abcdefgh_xyz", min_size=1, max_size=6), TEXT, st.sampled_from(["a", "a", ""]))


def norm(value):
    """One comparable form of a value, whichever side it comes from (None: nothing to compare)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "surrogateescape")
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return float(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (pd.Timestamp, datetime.datetime, datetime.date)):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, str):
        text = value.removesuffix("\r") if value.endswith("\r") and not value.strip("\r") == "" else value
        if text in NA:
            return None
        if NUMBER.match(text):
            return float(text)
        if text.lower() in ("true", "false"):
            return text.lower()
        if DATE.match(text):
            try:
                return pd.Timestamp(text).isoformat()
            except ValueError:
                return text
        return text
    return str(value)


def leaves(value):
    """Every scalar inside a loaded cell (nested JSON, Parquet lists, structs and maps)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, (list, tuple, np.ndarray)):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def multiset(values) -> Counter:
    return Counter(v for v in map(norm, values) if v is not None)


# ---------------------------------------------------------------- files with quirks


@st.composite
def delimited(draw, fmt: str):
    names = draw(st.lists(NAME, min_size=1, max_size=4))
    rows = draw(st.lists(st.lists(CELL, min_size=len(names), max_size=len(names)), max_size=12))
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
                        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])))
    writer.writerow(names)
    for row in rows:
        writer.writerow(row)
    data = out.getvalue().encode("utf-8")
    quirks = draw(st.lists(st.sampled_from(["bom", "blank", "blank_first", "nul", "ragged", "latin1", "quote"]),
                           max_size=2, unique=True))
    lines = data.split(b"\n")
    if "ragged" in quirks and len(lines) > 2:
        lines[1] = lines[1].rstrip(b"\r") + b"," + b"extra,fields"
    if "blank" in quirks and len(lines) > 2:
        lines.insert(2, b"")
    if "quote" in quirks and len(lines) > 1:
        lines[-2] = b'"' + lines[-2]
    data = b"\n".join(lines)
    if "nul" in quirks:
        data = data[: len(data) // 2] + b"\x00" + data[len(data) // 2:]
    if "latin1" in quirks:
        data = data + "caf\xe9\n".encode("latin-1")
    if "blank_first" in quirks:
        data = b"\n" + data
    if "bom" in quirks:
        data = b"\xef\xbb\xbf" + data
    return data


JSON_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10 ** 20, 10 ** 20),
                                    st.floats(allow_nan=False, allow_infinity=False), TEXT, SPECIAL),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(NAME, inner, max_size=3)), max_leaves=8)


@st.composite
def jsonl(draw):
    records = draw(st.lists(st.dictionaries(NAME, JSON_VALUE, max_size=4), max_size=10))
    lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records]
    quirks = draw(st.lists(st.sampled_from(["bom", "blank", "invalid", "array", "duplicate", "nan"]), max_size=2,
                           unique=True))
    if "blank" in quirks:
        lines.insert(len(lines) // 2, "   ")
    if "invalid" in quirks:
        lines.append('{"a": 1,')
    if "array" in quirks:
        lines.append("[1, 2]")
    if "duplicate" in quirks:
        lines.append('{"k": "a", "k": "b"}')
    if "nan" in quirks:
        lines.append('{"k": NaN}')
    data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    return (b"\xef\xbb\xbf" if "bom" in quirks else b"") + data


@st.composite
def parquet(draw):
    n = draw(st.integers(0, 8))
    columns = {}
    kinds = draw(st.lists(st.sampled_from(["int", "float", "text", "bool", "date", "ts", "list", "struct", "map"]),
                          min_size=1, max_size=4))
    for index, kind in enumerate(kinds):
        maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731
        if kind == "int":
            values, type_ = draw(st.lists(maybe(st.integers(-2 ** 62, 2 ** 62)), min_size=n, max_size=n)), pa.int64()
        elif kind == "float":
            values, type_ = draw(st.lists(maybe(st.floats(allow_nan=False, allow_infinity=False)), min_size=n,
                                          max_size=n)), pa.float64()
        elif kind == "text":
            values, type_ = draw(st.lists(maybe(st.one_of(TEXT, SPECIAL)), min_size=n, max_size=n)), pa.string()
        elif kind == "bool":
            values, type_ = draw(st.lists(maybe(st.booleans()), min_size=n, max_size=n)), pa.bool_()
        elif kind == "date":
            values, type_ = draw(st.lists(maybe(st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 1, 1))),
                                          min_size=n, max_size=n)), pa.date32()
        elif kind == "ts":
            values, type_ = draw(st.lists(maybe(st.datetimes(datetime.datetime(1970, 1, 1), datetime.datetime(2100, 1, 1))),
                                          min_size=n, max_size=n)), pa.timestamp("us")
        elif kind == "list":
            values, type_ = draw(st.lists(maybe(st.lists(st.one_of(TEXT, SPECIAL), max_size=4)), min_size=n,
                                          max_size=n)), pa.list_(pa.string())
        elif kind == "struct":
            values = draw(st.lists(maybe(st.fixed_dictionaries({"a": maybe(TEXT), "b": maybe(st.integers(0, 99))})),
                                   min_size=n, max_size=n))
            type_ = pa.struct([("a", pa.string()), ("b", pa.int64())])
        else:
            values = draw(st.lists(maybe(st.lists(st.tuples(TEXT, maybe(TEXT)), max_size=3)), min_size=n, max_size=n))
            type_ = pa.map_(pa.string(), pa.string())
        columns[f"c{index}_{kind}"] = pa.array(values, type_)
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink, row_group_size=draw(st.integers(1, 5)))
    return sink.getvalue()


FILES = st.one_of(st.tuples(st.just("csv"), delimited("csv")), st.tuples(st.just("tsv"), delimited("tsv")),
                  st.tuples(st.just("jsonl"), jsonl()), st.tuples(st.just("parquet"), parquet()))


# ---------------------------------------------------------------- the property


@pytest.fixture(scope="module")
def keys_dir():
    folder = Path(tempfile.mkdtemp(prefix="gate-property-keys-"))
    key = folder / "audit.key"
    key.write_bytes(os.urandom(32).hex().encode())
    key.chmod(0o600)
    rules = ["pii.type_not_allowed", "pii.secret", "pii.no_legal_basis", "pii.in_public_dataset",
             "data.ambiguous_file", "compliance.retention_expired"]
    data = folder / "loader.yaml"
    data.write_text(json.dumps({"org": {"loader": {"non_blocking": rules}}}))
    return key, data


@settings(max_examples=int(os.environ.get("GATE_PROPERTY_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(FILES)
@pytest.mark.slow
def test_scanner_and_loader_see_the_same_values(keys_dir, monkeypatch, case):
    from gate.run.session import Options
    from gate.run.check import check_paths
    from gate.data.segments import NAMES_COLUMN
    from gate.facts.pii.scanner import Scanner

    fmt, data = case
    key, policy = keys_dir
    monkeypatch.setenv("CI", "true")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        directory = root / "datasets" / "p"
        (directory / "data").mkdir(parents=True)
        (root / ".gate.yaml").write_text("gate: 1\n")
        (directory / "dataset.yaml").write_text(DESCRIPTOR.format(id="p", classification="internal",
                                                                  files="[data/*]", extra="", title="t"))
        (directory / "data" / f"f.{fmt}").write_bytes(data)
        from gate.run.manifests import update_manifests

        updates, failures = update_manifests([directory], Options(repo_root=root))
        assert not failures, failures

        seen: list[bytes] = []
        original = Scanner.scan_segment

        def recording(self, segment, file):
            if segment.column != NAMES_COLUMN:
                seen.extend(segment.values())
            return original(self, segment, file)

        monkeypatch.setattr(Scanner, "scan_segment", recording)
        verdict = check_paths([directory], Options(repo_root=root, cache=False, data_files=(policy,)))
        monkeypatch.setattr(Scanner, "scan_segment", original)
        assert not verdict.errors, verdict.errors
        problems = [p for f in verdict.datasets[0].facts["data"]["files"] for p in f["problems"]]
        try:
            frame = gate.open_dataset(directory, subject="bob", purpose="model-training", audit_log=Path(tmp) / "a.jsonl",
                                      audit_key_file=key, data_files=(policy,), repo_root=root)
        except gate.GateError as exc:
            assert problems, f"the loader refused a file the check read cleanly: {exc}"
            assert "f." + fmt in str(exc)
            return
        assert not problems, f"the loader served a file the check found ambiguous: {problems}"
        loaded = [leaf for column in frame.columns for cell in frame[column].tolist() for leaf in leaves(cell)]
        assert multiset(seen) == multiset(loaded), (fmt, data[:300])
