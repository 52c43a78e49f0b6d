"""Class 2 — one reader: the scanners see every value the loader returns, through one parser and one
dialect decision per file; ambiguous files are facts, never silent skips; names are values too."""

from __future__ import annotations

import datetime
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _attack import EMAIL, SSN_ROWS, check, denies, ids, make_dataset, make_repo

GLOB_ALL = "[data/*]"


def _checked(tmp_path, files: dict, classification="internal", globs="[data/*.csv]", extra="", title="Test data"):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", files, classification=classification, globs=globs, extra=extra, title=title)
    return check(root, directory)


def test_a_quote_character_guessed_from_the_data_cannot_swallow_the_ssn_column(tmp_path):
    """A sniffer sees 'quoted' cells and picks the apostrophe: the header's unbalanced one then swallows
    every row into one cell, while pandas (and the loader) read a clean ssn column."""
    rows = ["ssn,'note"] + [f"2190990{i:02d},x" for i in range(40)] + ["219099099,end'"] + \
           [f"n{i},'a{i}'" for i in range(5)]
    code, body, _ = _checked(tmp_path, {"data/p.csv": "\n".join(rows) + "\n"})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_a_blank_first_line_does_not_hide_the_file(tmp_path):
    code, body, _ = _checked(tmp_path, {"data/p.csv": "\nid,ssn,note\n" + SSN_ROWS})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
    assert "data.ambiguous_file_warning" in ids(body)


def test_nul_bytes_do_not_make_a_csv_unscanned(tmp_path):
    code, body, _ = _checked(tmp_path, {"data/p.csv": ("id,ssn,note\n" + SSN_ROWS).replace("n3\n", "n\x003\n")})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
    assert "data.ambiguous_file_warning" in ids(body)


@pytest.mark.parametrize("content,kind", [
    ("id,note\n1,a\n2,b,c\n3,d\n", "ragged_rows"),
    (b"id,note\n1,caf\xe9\n2,b\n", "invalid_encoding"),
])
def test_damaged_files_are_facts_the_policy_denies_for_strict_data(tmp_path, content, kind):
    code, body, _ = _checked(tmp_path, {"data/p.csv": content}, classification="confidential")
    assert "data.ambiguous_file" in denies(body), body
    problems = [p["kind"] for f in body["datasets"][0]["facts"]["data"]["files"] for p in f["problems"]]
    assert kind in problems


def test_dates_in_parquet_are_values(tmp_path):
    table = pa.table({"id": list(range(30)), "date_of_birth": [datetime.date(1980, 1, 1) + datetime.timedelta(days=97 * i)
                                                               for i in range(30)]})
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    code, body, _ = _checked(tmp_path, {"data/p.parquet": path.read_bytes()}, globs=GLOB_ALL)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_numbers_stored_as_floats_are_values(tmp_path):
    table = pa.table({"id": list(range(20)), "card_number": [4111111111111111.0] * 20})
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    code, body, _ = _checked(tmp_path, {"data/p.parquet": path.read_bytes()}, globs=GLOB_ALL)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_parquet_maps_are_values(tmp_path):
    maps = pa.array([[("contact", f"user{i}@example.org")] for i in range(20)], pa.map_(pa.string(), pa.string()))
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": list(range(20)), "attributes": maps}), path)
    code, body, _ = _checked(tmp_path, {"data/p.parquet": path.read_bytes()}, globs=GLOB_ALL)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_list_items_at_any_index_are_values(tmp_path):
    lines = [json.dumps({"id": i, "tags": ["t"] * 80 + [f"user{i}@example.org"]}) for i in range(20)]
    code, body, _ = _checked(tmp_path, {"data/p.jsonl": "\n".join(lines) + "\n"}, globs=GLOB_ALL)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_json_nested_at_any_depth_is_values(tmp_path):
    def nest(depth: int, leaf):
        return leaf if depth == 0 else {"k": nest(depth - 1, leaf)}

    lines = [json.dumps({"id": i, "doc": nest(70, f"user{i}@example.org")}) for i in range(20)]
    content = "\n".join(lines[:10]) + "\n\n" + "\n".join(lines[10:]) + "\n"  # a blank line: no fast path either
    code, body, _ = _checked(tmp_path, {"data/p.jsonl": content}, globs=GLOB_ALL)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_pii_in_column_names_counts(tmp_path):
    header = "id," + ",".join(f"user{i}@example.org" for i in range(3))
    code, body, _ = _checked(tmp_path, {"data/p.csv": header + "\n" + "".join(f"{i},1,2,3\n" for i in range(10))})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_pii_in_json_keys_counts(tmp_path):
    lines = [json.dumps({"id": i, "scores": {f"user{i}@example.org": i}}) for i in range(10)]
    code, body, _ = _checked(tmp_path, {"data/p.jsonl": "\n".join(lines) + "\n"}, globs=GLOB_ALL)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_pii_in_file_names_counts(tmp_path):
    code, body, _ = _checked(tmp_path, {f"data/{EMAIL}.csv": "id,score\n1,2\n"})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_pii_and_secrets_in_the_descriptor_count(tmp_path):
    code, body, _ = _checked(tmp_path, {"data/p.csv": "id,score\n1,2\n"}, title=f"Export requested by {EMAIL}")
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
    code, body, _ = _checked(tmp_path / "s", {"data/p.csv": "id,score\n1,2\n"},
                             extra="tags: [AKIAIOSFODNN7EXAMPLE]\n")
    assert code == 1 and "pii.secret" in denies(body), body


def test_parquet_pandas_metadata_cannot_rename_or_attach_what_was_not_scanned(tmp_path):
    """A Parquet file's pandas metadata can rename columns and attach attrs when converted; the loader
    ignores it, so it returns only the Arrow values and field names the scanner saw."""
    from _attack import keys

    import gate

    metadata = {"index_columns": [], "column_indexes": [], "columns": [
        {"name": "ssn 219-09-9001", "field_name": "x", "pandas_type": "int64", "numpy_type": "int64", "metadata": None}],
        "attributes": {"secret": ["219-09-9001", EMAIL]}, "creator": {"library": "pyarrow"}, "pandas_version": "2.0"}
    table = pa.table({"x": [1, 2, 3]}).replace_schema_metadata({b"pandas": json.dumps(metadata).encode()})
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.parquet": path.read_bytes()}, globs=GLOB_ALL)
    k = keys(tmp_path)
    frame = gate.open_dataset(directory, subject="bob", purpose="model-training", audit_log=tmp_path / "a.jsonl",
                              audit_key_file=k["audit"], repo_root=root)
    assert list(frame.columns) == ["x"] and not frame.attrs, (list(frame.columns), frame.attrs)


def test_numbers_with_many_decimals_are_searched(tmp_path):
    rows = "id,ssn\n" + "".join(f"{i},0.2190991{i:02d}\n" for i in range(30))
    code, body, _ = _checked(tmp_path, {"data/p.csv": rows})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
