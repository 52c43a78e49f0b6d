"""JSON records flattened into segments (gate/data/segments.py): the names, the text of every scalar,
every depth."""

from __future__ import annotations

import json

from gate.data.segments import NAMES_COLUMN, _record_segments, scalar_text


def _flat(records):
    return {s.column: (s.values(), list(s.rows)) for s in _record_segments(records, list(range(len(records))))}


def test_dotted_names_list_items_and_keys():
    flat = _flat([{"id": 1, "user": {"email": "a@b.org", "tags": ["x", "y"]}, "": "blank", "n": None},
                  {"id": 2, "user": {"email": "c@d.org"}}])
    assert flat["id"] == ([b"1", b"2"], [0, 1])
    assert flat["user.email"] == ([b"a@b.org", b"c@d.org"], [0, 1])
    assert sorted(flat["user.tags[]"][0]) == [b"x", b"y"] and flat["user.tags[]"][1] == [0, 0]
    assert flat["value"] == ([b"blank"], [0])  # an empty key's value is still scanned
    assert "n" not in flat  # null is no text
    assert flat[NAMES_COLUMN][0] == [b"id", b"user", b"", b"n", b"email", b"tags"]


def test_scalars_are_the_text_json_writes():
    for value in (0, -5, 12345678901234567890, 1.5, -0.0, 1e-07, 4.111111111111111e15, True, False, "é"):
        assert scalar_text(value) == json.dumps(value, ensure_ascii=False).strip('"').encode(), value
    assert scalar_text(float("1e400")) == b"Infinity"  # what the reader makes of 1e400
    assert scalar_text("\ud800") == b"\xed\xa0\x80"  # a lone surrogate is kept, not an error


def test_any_depth_is_flattened_without_recursion_errors():
    value = "4111 1111 1111 1111"
    for i in range(980):  # as deep as the JSON decoder reads (the recursion limit)
        value = {"k": value} if i % 2 else [value]
    flat = _flat([{"deep": value}])
    [(name, (values, rows))] = [(n, v) for n, v in flat.items() if n != NAMES_COLUMN]
    assert values == [b"4111 1111 1111 1111"] and rows == [0]
    assert name.startswith("deep.k[].k[]") and name.count("[]") == 490
