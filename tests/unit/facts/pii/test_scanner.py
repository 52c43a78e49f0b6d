"""gate.facts.pii in-process: previews redacted, a file vanishing mid-run, and the keyword list beside
detect-secrets'."""

from __future__ import annotations

import os

import pytest

from conftest import write

pytest.importorskip("faker")


def test_previews_are_redacted():
    from gate.facts.pii.marks import preview

    # type and shape, never digits or letters of the value (tests/security/test_09_leaks.py has the attack)
    assert preview("EMAIL", "jane.doe@example.org") == "********@*******.org"
    assert preview("CREDIT_CARD", "4111 1111 1111 1234") == "**** **** **** ****"
    assert preview("US_SSN", "123-45-6789") == "***-**-****"
    assert not any(c.isdigit() for c in preview("IBAN", "GB82WEST12345698765432"))
    assert preview("SECRET", "AKIAIOSFODNN7EXAMPLE") == "AKIA********"


def test_file_vanishing_mid_run(tmp_path):
    from gate.facts.pii import Scanner

    path = write(tmp_path / "gone.csv", "email\nbob@example.org\n")
    os.unlink(path)
    result = Scanner(b"k" * 32).scan_file(path, "gone.csv")
    assert result.error and "gone.csv" in result.error and result.findings == []


def test_keyword_list_keeps_up_with_detect_secrets():
    pytest.importorskip("detect_secrets")
    from detect_secrets.plugins.keyword import DENYLIST

    from gate.facts.pii.secrets import SECRET_KEYWORDS

    missing = {w for w in DENYLIST if w.isascii()} - set(SECRET_KEYWORDS)
    assert not missing


def test_a_segment_of_python_values_finds_what_an_array_segment_finds():
    """Names and a few values are scanned through lists (no numpy); the same values as an array
    segment give the same findings, at the same rows."""
    import numpy as np

    from gate.data.segments import Segment, segment_of, text_segment
    from gate.facts.pii import Scanner

    values = [b"", b"id", b"jane.doe@example.org", b"x", b"call +44 20 7946 0958 now", b"AKIAIOSFODNN7EXAMPLE",
              b"4111 1111 1111 1111"]
    listed = segment_of("notes", values, [7, 8, 9, 10, 11, 12, 13])
    assert isinstance(listed.starts, list) and listed.values() == values
    text = text_segment(b"\n".join(values), 7)
    arrayed = Segment("notes", text.data, text.starts, text.rows, text.non_empty)
    assert isinstance(arrayed.starts, np.ndarray) and arrayed.values() == values
    assert listed.non_empty == arrayed.non_empty == 6
    scanner = Scanner(b"k" * 32)

    def found(segment):
        return sorted((f.row, f.type, f.preview, f.fingerprint) for f in scanner.scan_segment(segment, "f"))

    assert found(listed) == found(arrayed)
    assert {(row, kind) for row, kind, _, _ in found(listed)} >= {(9, "EMAIL"), (11, "PHONE"), (13, "CREDIT_CARD")}
    assert [kind for _, kind, _ in scanner.find_in_names(["ok", "jane.doe@example.org.csv"])] == ["EMAIL"]
    assert segment_of("empty", [], []).values() == [] and scanner.scan_segment(segment_of("e", [], []), "f") == []


def test_every_pattern_is_in_exactly_one_database_and_the_apart_one_is_scanned():
    """The detectors are compiled into more than one database for speed (scanner._APART): none may
    fall between them, and a value only the second one finds is still found."""
    from gate.data.segments import segment_of
    from gate.facts.pii import Scanner
    from gate.facts.pii.detectors import PATTERNS
    from gate.facts.pii.scanner import GROUPS

    for pattern in PATTERNS:
        assert sum(1 for keep in GROUPS.values() if keep(pattern)) == 1, pattern.name
    text = b"ring +33 6 12 34 56 78 now"  # only the international phone pattern finds this one
    found = Scanner(b"k" * 32).locate(segment_of("note", [text], [0]))
    assert [(kind, text[start:end]) for kind, _, start, end in found] == [("PHONE", b"+33 6 12 34 56 78")], found
