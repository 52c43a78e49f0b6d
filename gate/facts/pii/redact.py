"""Masking of PII and secrets in names (file and column names, JSON keys, descriptor fields, messages)
before anything is shown, recorded or decided on. Fingerprints and previews are in marks.py."""

from __future__ import annotations

import re
import secrets



_NOT_NAMES = frozenset({"sha256", "expected_sha256", "fingerprint", "keyid", "valid_keyids", "payload", "sig",
                        "policy_digest", "commit", "preview", "content", "plain_sha256", "hash", "mac", "prev"})
def _contact(path: tuple) -> bool:
    """A descriptor's declared contacts (owner, source.contact), wherever a document nests them."""
    return path[-1:] == ("owner",) or path[-2:] == ("source", "contact")
NAME_CONFIDENCE = 0.5
_NOT_MASKED = frozenset({"IP_ADDRESS", "DATE_OF_BIRTH"})
# What any masked type needs: an @ (EMAIL), seven digits outside a date (PHONE, SSN, ITIN, card, IBAN),
# a run of 16 letters and digits (keys, tokens, JWTs), a key block, a URL, or a credential word.
_DATES = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?\b")
_SUSPECT = re.compile(r"@|(?:\d[\s().+/-]?){7}|[A-Za-z0-9]{16,}|BEGIN|://|pass|secret|token|key|auth|cred"
                      r"|[^\x00-\x7f]|%[0-9A-Fa-f]{2}",  # a disguise (normalize.py) may hide any of those
                      re.IGNORECASE)


class Redactor:
    """Masks PII and secrets found in names — file and column names, JSON keys, descriptor fields,
    messages built from them — in any document before it is shown, recorded or decided on. A match is
    replaced by its type (``[EMAIL]``); digests, fingerprints and previews are left alone, and so are the
    descriptor's declared contacts (owner, source.contact), which are meant to be addresses."""

    def __init__(self, scanner=None):
        self._given = scanner

    @property
    def scanner(self):
        """The detectors (built on first need: most names hold nothing a detector could match)."""
        if self._given is None:
            from .scanner import Scanner

            self._given = Scanner(secrets.token_bytes(32), NAME_CONFIDENCE)
        return self._given

    def matches(self, texts: list[str]) -> dict[str, str]:
        """Raw matched text -> replacement, over all ``texts`` at once (IP addresses and dates are left:
        in names they are hosts and days far more often than people). Only texts that could hold a
        masked type are scanned (see _SUSPECT)."""
        texts = [t for t in dict.fromkeys(texts) if t and len(t) >= 4 and _SUSPECT.search(_DATES.sub("", t))]
        if not texts:
            return {}
        return {raw: f"[{kind}]" for raw, kind, _ in self.scanner.find_in_names(texts)
                if kind not in _NOT_MASKED}

    def document(self, value):
        """A copy of ``value`` with every matched name masked."""
        strings: list[str] = []
        _strings(value, (), strings)
        found = self.matches(strings)
        return _replace(value, (), found) if found else value

    def text(self, text: str) -> str:
        """One string with every match masked."""
        found = self.matches([text])
        return _swap(text, found) if found else text


def _strings(value, path: tuple, out: list[str]) -> None:
    if isinstance(value, str):
        if path[-1:] and path[-1] in _NOT_NAMES or _contact(path):
            return
        out.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                out.append(key)
            if key not in _NOT_NAMES:
                _strings(item, path + (key,), out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _strings(item, path, out)


def _swap(text: str, found: dict[str, str]) -> str:
    for raw in sorted(found, key=len, reverse=True):
        if raw in text:
            text = text.replace(raw, found[raw])
    return text


def _replace(value, path: tuple, found: dict[str, str]):
    if isinstance(value, str):
        if path[-1:] and path[-1] in _NOT_NAMES or _contact(path):
            return value
        return _swap(value, found)
    if isinstance(value, dict):
        return {(_swap(k, found) if isinstance(k, str) else k): (item if k in _NOT_NAMES else
                                                                _replace(item, path + (k,), found))
                for k, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, path, found) for item in value]
    if isinstance(value, tuple):
        return tuple(_replace(item, path, found) for item in value)
    return value
