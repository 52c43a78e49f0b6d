"""What a value says once the disguises are off: Unicode normalization and decoding, before detection.

A value written to slip past byte patterns — fullwidth digits (１２３-４５-６７８９), zero-width spaces or
soft hyphens inside a number, dashes and spaces from other blocks, digits of other scripts,
URL-encoding (john%40example.com) or base64 (am9obkBleGFtcGxlLmNvbQ==) — is scanned again in its
plain form. The scanner maps what it finds there back to the original value's row and column.

- ``unicode_form``: NFKC (compatibility forms to their plain letters and digits), every format
  character (Unicode category Cf: zero-width space, joiners, soft hyphen, bidi controls, BOM)
  removed, every dash to ``-``, every space separator to `` ``, every decimal digit of any script to
  its ASCII digit.
- ``url_decoded``: percent-escapes decoded (one level; ``+`` stays).
- ``base64_decoded``: runs of at least 16 base64 characters of one alphabet (standard or URL-safe:
  a run that mixes ``/`` and ``-``, a URL's path, is neither) that decode to text, at least 90 %
  printable, put in place of the run; a run glued to other letters is tried at all four alignments.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote_to_bytes

MIN_BASE64 = 16
"""The shortest base64 run decoded (12 bytes: an SSN, a phone, most emails)."""
PRINTABLE_SHARE = 0.9

_BASE64_RUNS = re.compile(rb"[A-Za-z0-9+/]{%d,}={0,2}|[A-Za-z0-9_-]{%d,}={0,2}" % (MIN_BASE64, MIN_BASE64))
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], "re.Pattern[str]"]:
    """The characters detectors read otherwise after NFKC, and one pattern that finds any of them."""
    table: dict[str, str] = {}
    for code in (*range(0x80, 0x10000), *range(0x1D7CE, 0x1D800), *range(0xE0000, 0xE0080)):
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Cf":
            table[char] = ""
        elif category == "Zs":
            table[char] = " "
        elif category == "Nd":
            table[char] = str(unicodedata.decimal(char))
    for dash in _DASHES:
        table[dash] = "-"
    ranges = [re.escape(chr(first)) + ("-" + re.escape(chr(last)) if last > first else "")
              for first, last in _spans(map(ord, table))]
    return table, re.compile("[" + "".join(ranges) + "]+")


def _spans(numbers) -> list[tuple[int, int]]:
    """Sorted numbers as (first, last) runs of consecutive ones."""
    spans: list[tuple[int, int]] = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], number)
        else:
            spans.append((number, number))
    return spans


def unicode_form(text: str) -> str:
    """The value as detectors read it (see the module); ASCII comes back unchanged."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    table, pattern = _table()
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda m: "".join(table[c] for c in m.group(0)), text)


def url_decoded(value: bytes) -> bytes | None:
    """The value with its percent-escapes decoded, or None when there were none to decode."""
    decoded = unquote_to_bytes(value)
    return decoded if decoded != value else None


def base64_decoded(value: bytes) -> bytes | None:
    """The value with each run of base64 (at least MIN_BASE64 characters of one alphabet, standard
    or URL-safe) that decodes to text put as that text, or None when none does. A run glued to other
    letters is tried at each of the four alignments."""
    pieces, last = [], 0
    for match in _BASE64_RUNS.finditer(value):
        text = _decode_run(match.group(0))
        if text is not None:
            pieces += [value[last:match.start()], text]
            last = match.end()
    return b"".join(pieces) + value[last:] if pieces else None


def _decode_run(run: bytes) -> bytes | None:
    body = run.rstrip(b"=")
    urlsafe = b"-" in body or b"_" in body
    for skip in range(4):
        part = body[skip:]
        if len(part) < MIN_BASE64:
            return None
        if len(part) % 4 == 1:
            continue
        padded = part + b"=" * (-len(part) % 4)
        try:
            decoded = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if _is_text(decoded):
            return decoded.decode("utf-8", "replace").encode("utf-8")
    return None


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def _is_text(decoded: bytes) -> bool:
    """At least PRINTABLE_SHARE printable characters (a character cut by the alignment at either end
    allowed). Random bytes fail at the first test, in C."""
    other = len(decoded.translate(None, _PRINTABLE_ASCII))
    if other <= (1 - PRINTABLE_SHARE) * len(decoded):
        return True
    if decoded.isascii():
        return False
    text = decoded.decode("utf-8", "replace")
    if text.count("\ufffd") > 2:
        return False
    printable = sum(1 for c in text if c.isprintable() and c != "\ufffd" or c in "\t\n\r")
    return printable >= PRINTABLE_SHARE * len(text)


def disguise_patterns() -> tuple[bytes, bytes]:
    """Byte patterns (Hyperscan syntax) for the UTF-8 characters whose plain form can change what is
    found: (those whose plain form holds an ASCII letter, digit or ``@`` — fullwidth forms, digits
    of other scripts, ligatures; those that become a dash, a space or nothing — other dashes and
    spaces, zero-width and other format characters). Computed from this Python's Unicode tables;
    gate ships them in _disguises.py (computing them costs 0.2 s: too much for every start) and a
    test keeps the two equal."""
    from collections import defaultdict

    strong: dict[bytes, set[int]] = defaultdict(set)
    joining: dict[bytes, set[int]] = defaultdict(set)
    for code in (*range(0x80, 0xD800), *range(0xE000, 0x20000), *range(0xE0000, 0xE0080)):
        char = chr(code)
        form = unicode_form(char)
        if form == char:
            continue
        encoded = char.encode("utf-8")
        if any(c.isascii() and c.isalnum() or c == "@" for c in form):
            strong[encoded[:-1]].add(encoded[-1])
        elif form in ("", "-", " "):
            joining[encoded[:-1]].add(encoded[-1])
    return _byte_alternatives(strong), _byte_alternatives(joining)


def _byte_alternatives(groups: dict[bytes, set[int]]) -> bytes:
    alternatives = []
    for prefix in sorted(groups):
        ranges = [b"\\x%02x" % first + (b"-\\x%02x" % last if last > first else b"")
                  for first, last in _spans(groups[prefix])]
        alternatives.append(b"".join(b"\\x%02x" % b for b in prefix) + b"[" + b"".join(ranges) + b"]")
    return b"(?:" + b"|".join(alternatives) + b")"


if __name__ == "__main__":  # python -m gate.facts.pii.normalize > gate/facts/pii/_disguises.py
    print('"""Generated by ``python -m gate.facts.pii.normalize``: see normalize.disguise_patterns."""\n')
    print(f"UNICODE_VERSION = {unicodedata.unidata_version!r}")
    for name, value in zip(("STRONG", "JOINING"), disguise_patterns()):
        print(f"{name} = {value!r}")
