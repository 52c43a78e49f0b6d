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
- ``base64_decoded``: runs of at least 16 base64 characters (standard or URL-safe alphabet) that
  decode to UTF-8 text, at least 90 % printable, put in place of the run.
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

_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]*={0,2}")
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
    codes = sorted(map(ord, table))
    ranges, first = [], codes[0]
    for previous, code in zip(codes, codes[1:] + [None]):
        if code != previous + 1:
            ranges.append(re.escape(chr(first)) + ("-" + re.escape(chr(previous)) if previous > first else ""))
            first = code
    return table, re.compile("[" + "".join(ranges) + "]+")


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


def base64_decoded(value: bytes, offsets: list[int]) -> bytes | None:
    """The value with the base64 runs that start at ``offsets`` put as their decoded text, or None
    when none of them decodes to text."""
    pieces, last, changed = [], 0, False
    for offset in sorted(set(offsets)):
        if offset < last:
            continue
        run = _BASE64_RUN.match(value, offset).group(0)
        text = _decode_run(run)
        if text is None:
            continue
        pieces += [value[last:offset], text]
        last, changed = offset + len(run), True
    return b"".join(pieces) + value[last:] if changed else None


def _decode_run(run: bytes) -> bytes | None:
    body = run.rstrip(b"=")
    if len(body) < MIN_BASE64 or len(body) % 4 == 1:
        return None
    padded = body + b"=" * (-len(body) % 4)
    try:
        if b"-" in body or b"_" in body:
            decoded = base64.urlsafe_b64decode(padded)
        else:
            decoded = base64.b64decode(padded, validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\t\n\r")
    if printable < PRINTABLE_SHARE * len(text):
        return None
    return decoded



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
        last = sorted(groups[prefix])
        ranges, first = [], last[0]
        for previous, byte in zip(last, last[1:] + [None]):
            if byte != previous + 1:
                ranges.append(b"\\x%02x" % first + (b"-\\x%02x" % previous if previous > first else b""))
                first = byte
        alternatives.append(b"".join(b"\\x%02x" % b for b in prefix) + b"[" + b"".join(ranges) + b"]")
    return b"(?:" + b"|".join(alternatives) + b")"


if __name__ == "__main__":  # python -m gate.facts.pii.normalize > gate/facts/pii/_disguises.py
    print('"""Generated by ``python -m gate.facts.pii.normalize``: see normalize.disguise_patterns."""\n')
    print(f"UNICODE_VERSION = {unicodedata.unidata_version!r}")
    for name, value in zip(("STRONG", "JOINING"), disguise_patterns()):
        print(f"{name} = {value!r}")
