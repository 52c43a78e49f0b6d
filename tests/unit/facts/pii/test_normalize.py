"""normalize.py: the plain form of a value, and the scanner finding disguised values through it."""

from __future__ import annotations

import base64
import os
import random
import unicodedata

import pytest

from gate.data.segments import segment_of, text_segment
from gate.facts.pii import Scanner
from gate.facts.pii import _disguises
from gate.facts.pii.normalize import base64_decoded, disguise_patterns, unicode_form, url_decoded

FLOOR = 0.5


def kinds_in(text: str) -> list[str]:
    return [f.type for f in Scanner(b"k" * 32, FLOOR).scan_segment(text_segment(text.encode(), 0), "t")]


@pytest.mark.parametrize("text,plain", [
    ("２１９－０９－９９９９", "219-09-9999"),
    ("4111\u200b1111\u200c1111\u200d1111\u2060", "4111111111111111"),
    ("219\u00ad-09-\u00ad9999", "219-09-9999"),
    ("219\u201309\u20149999", "219-09-9999"),
    ("٢١٩-٠٩-٩٩٩٩", "219-09-9999"),
    ("२१९-०९-९९९९", "219-09-9999"),
    ("𝟐𝟏𝟗-𝟎𝟗-𝟗𝟗𝟗𝟗", "219-09-9999"),
    ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｏｒｇ", "jane@example.org"),
    ("call\u00a0me\u3000now", "call me now"),
    ("\ufeffbom first", "bom first"),
    ("plain ascii stays", "plain ascii stays"),
    ("Zoë, Åsa and 李 stay as they are", "Zoë, Åsa and 李 stay as they are"),
])
def test_unicode_form(text, plain):
    assert unicode_form(text) == plain


def test_the_shipped_disguise_patterns_are_what_this_python_computes():
    if unicodedata.unidata_version != _disguises.UNICODE_VERSION:
        pytest.skip(f"computed from Unicode {_disguises.UNICODE_VERSION}, this Python has {unicodedata.unidata_version}")
    assert disguise_patterns() == (_disguises.STRONG, _disguises.JOINING), \
        "regenerate: python -m gate.facts.pii.normalize > gate/facts/pii/_disguises.py"


def test_url_and_base64_decoding_rules():
    assert url_decoded(b"jane%40example.org") == b"jane@example.org"
    assert url_decoded(b"nothing to decode") is None
    encoded = base64.b64encode(b"jane.roe@example.org").decode()
    assert base64_decoded(f"x {encoded} y".encode()) == b"x jane.roe@example.org y"
    assert b"jane.roe@example.org" in base64_decoded(f"glued{encoded}".encode())  # any alignment
    rng = random.Random(15)
    for _ in range(200):  # random bytes are no text: never decoded
        blob = base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randint(12, 60))))
        assert base64_decoded(blob) is None
    assert base64_decoded(b"c2hvcnQ=") is None  # too short to hold a value
    assert base64_decoded(b"deadbeefdeadbeefdeadbeefdeadbeef") is None  # hex decodes to no text


@pytest.mark.parametrize("text,kind", [
    ("ssn ２１９－０９－９９９８", "US_SSN"),
    ("pay 4111\u200b1111\u200b1111\u200b1111", "CREDIT_CARD"),
    ("mail jane\u200b.roe@example\u00ad.org", "EMAIL"),
    ("mail jane.roe%40example.org", "EMAIL"),
    ("blob " + base64.b64encode(b"jane.roe@example.org").decode(), "EMAIL"),
    ("blob=" + base64.urlsafe_b64encode(b"ssn: 219-09-9998, ok").decode().rstrip("="), "US_SSN"),
    ("blob " + base64.b64encode(b"mail=jane.roe%40example.org").decode(), "EMAIL"),
    ("phone ٤١٥-٥٥٥-٠١٣٢", "PHONE"),
    ("ip 10\u200b.20.30.40", "IP_ADDRESS"),
])
def test_disguised_values_are_found(text, kind):
    assert kind in kinds_in(text), text


@pytest.mark.parametrize("text", [
    "pages 10–20 of the – book, “quoted” and ‘single’ — fine",
    "Zoë Åsa 李 naïve café façade",
    "中文，标点。全角：没有个人信息　的文本",
    "sha256 " + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "https://example.com/how-to-install-python-on-ubuntu-linux-step-by-step",
    "internationalization-and-localization-of-software",
    "100% sure, 50%-off and %20 escapes without values",
])
def test_plain_text_has_no_disguised_findings(text):
    assert kinds_in(text) == []


def test_random_base64_blobs_give_no_findings():
    rng = random.Random(16)
    lines = [base64.b64encode(os.urandom(rng.randint(12, 200))).decode() for _ in range(300)]
    findings = Scanner(b"k" * 32, FLOOR).scan_segment(text_segment("\n".join(lines).encode(), 0), "t")
    assert [f for f in findings if f.type != "SECRET"] == []  # long random base64 may be a secret, no other type


def test_findings_in_a_plain_form_point_at_the_original_value():
    values = [b"nothing", "２１９－０９－９９９８".encode(), b"also nothing", b"jane.roe%40example.org"]
    findings = Scanner(b"k" * 32, FLOOR).scan_segment(segment_of("note", values, [10, 11, 12, 13]), "f.csv")
    assert sorted((f.row, f.column, f.type) for f in findings) == [(11, "note", "US_SSN"), (13, "note", "EMAIL")]
    assert all("219" not in f.preview and "jane" not in f.preview for f in findings)


def test_base64_of_text_that_starts_past_ascii_or_is_glued_to_letters_is_decoded():
    for prefix in ("é", "ééé ", "日本 ", "\u00a0"):
        assert "US_SSN" in kinds_in("b " + base64.b64encode(f"{prefix}ssn 219-09-9998".encode()).decode()), prefix
    for glue in ("x", "ab", "abc", "abcd-", "q_"):
        assert "US_SSN" in kinds_in(glue + base64.b64encode(b"ssn 219-09-9998 filed").decode()), glue
