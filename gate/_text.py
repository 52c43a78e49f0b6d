"""Showing untrusted text (file names, column names, messages built from them) safely."""

from __future__ import annotations

import re

INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
                     "\ufeff\udc80-\udcff]")


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with control characters (ANSI escapes included), invisible and bidirectional-control
    characters and undecodable bytes shown as escapes (``\\x1b``), so a name cannot repaint a terminal,
    forge a CI log line or hide its real spelling."""
    if not isinstance(text, str) or not _UNSAFE.search(text):
        return text

    def one(match: "re.Match[str]") -> str:
        c = match.group(0)
        if keep_newlines and c == "\n":
            return c
        if "\udc80" <= c <= "\udcff":
            return f"\\x{ord(c) - 0xdc00:02x}"
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"

    return _UNSAFE.sub(one, text)
