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

    from gate.facts.pii.detectors import SECRET_KEYWORDS

    missing = {w for w in DENYLIST if w.isascii()} - set(SECRET_KEYWORDS)
    assert not missing
