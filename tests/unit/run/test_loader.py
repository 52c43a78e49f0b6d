"""Unit tests for safe YAML/JSON loading and schema errors."""

from __future__ import annotations

import pytest

from gate.errors import DescriptorError
from gate.model.documents import load_json, load_yaml, read_bounded, validate


def test_dates_stay_strings_and_lines_are_recorded():
    value, lines = load_yaml("a: 1\nsource:\n  collected: 2026-03-31\n  list: [x, y]\n", DescriptorError, "f.yaml")
    assert value == {"a": 1, "source": {"collected": "2026-03-31", "list": ["x", "y"]}}
    assert lines[("source", "collected")] == 3
    assert lines[("source", "list", 1)] == 4


@pytest.mark.parametrize("text,fragment", [
    ("a: &x 1\nb: *x\n", "aliases"),
    ("a: !!binary aGVsbG8=\n", "not allowed"),
    ("a: !!set {x}\n", "not allowed"),
    ("? [a, b]\n: 1\n", "plain scalar keys"),
    ("a: 1\na: 2\n", "duplicate key"),
])
def test_yaml_tricks_rejected(text, fragment):
    with pytest.raises(DescriptorError) as info:
        load_yaml(text, DescriptorError, "f.yaml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("f.yaml:")


def test_json_error_names_line():
    with pytest.raises(DescriptorError) as info:
        load_json('{\n"a": 1,\n}', DescriptorError, "r.json")
    assert str(info.value).startswith("r.json:3: invalid JSON")


def test_read_bounded_limits(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a" * 2048)
    with pytest.raises(DescriptorError, match="limit"):
        read_bounded(path, DescriptorError, "big.yaml", limit=1024)
    assert read_bounded(path, DescriptorError, "big.yaml", limit=4096) == "a" * 2048


def test_read_bounded_bom_and_directory(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_bounded(path, DescriptorError, "bom.yaml") == "a: 1\n"
    with pytest.raises(DescriptorError, match="directory"):
        read_bounded(tmp_path, DescriptorError, "dir")


def test_schema_error_format():
    document = {"gate": 1, "id": "x", "owner": "o", "classification": "secret", "purposes": [],
                "source": {"id": "s", "trust": "internal"}}
    lines = {(): 1, ("classification",): 4}
    with pytest.raises(DescriptorError) as info:
        validate(document, "descriptor", lines, DescriptorError, "d/dataset.yaml")
    assert str(info.value) == (
        "d/dataset.yaml:4: classification: 'secret' is not one of public, internal, confidential, restricted"
    )


def test_schema_reports_count_of_further_errors():
    with pytest.raises(DescriptorError, match=r"\(and \d+ more\)"):
        validate({"gate": 2}, "descriptor", {}, DescriptorError, "d.yaml")


def test_long_values_are_shortened_in_messages():
    document = {"gate": 1, "id": "x", "owner": "o", "classification": "c" * 500, "purposes": [],
                "source": {"id": "s", "trust": "internal"}}
    with pytest.raises(DescriptorError) as info:
        validate(document, "descriptor", {}, DescriptorError, "d.yaml")
    assert len(str(info.value)) < 200
