"""Redacted previews and keyed fingerprints: a value is recognisable across runs without being stored."""

from __future__ import annotations

import hmac
import os
import re
import secrets
from pathlib import Path

KEY_ENV = "GATE_FINGERPRINT_KEY"
KEY_NAME = "fingerprint.key"
LEGACY_KEY_FILE = Path(".gate") / "fingerprint.key"


def load_key(root: Path | None = None, create: bool = True) -> bytes:
    """The fingerprint key: $GATE_FINGERPRINT_KEY (a team secret, so reviewed baselines match), else
    the user's ~/.config/gate/fingerprint.key (made mode 600 when missing and ``create``). Never a key
    in the repository: fingerprints sit in the repository (the baseline) and in the cache, and a key
    beside them would let anyone invert them by brute force. Without a key, one for this run only."""
    value = os.environ.get(KEY_ENV)
    if value and value.strip():
        return value.strip().encode()
    from ...cache import user_key

    key, _ = user_key(KEY_NAME, create=create, repo_root=root)
    return key if key is not None else secrets.token_bytes(32)


def has_key() -> bool:
    """Whether a lasting fingerprint key exists (fingerprints are comparable across runs)."""
    from ...cache import user_key

    return bool(os.environ.get(KEY_ENV, "").strip()) or user_key(KEY_NAME, create=False)[0] is not None


def fingerprint(key: bytes, kind: str, normalized: str) -> str:
    """HMAC-SHA256 over type and normalized value."""
    return hmac.digest(key, f"{kind}\0{normalized}".encode("utf-8", "replace"), "sha256").hex()


def preview(kind: str, value: str) -> str:
    """A redacted preview that shows the type and shape of a value, never its digits or letters: with
    the last four digits of an SSN shown, the rest is a brute force of 10^5 HMACs away."""
    if kind == "EMAIL" and "@" in value:
        local, _, domain = value.rpartition("@")
        labels = domain.split(".")
        return f"{_mask(local)}@{'.'.join([_mask(label) for label in labels[:-1]] + labels[-1:])}"
    if kind == "SECRET":
        return _secret_preview(value)
    if kind in ("CREDIT_CARD", "US_SSN", "US_ITIN", "PHONE", "IBAN", "IP_ADDRESS", "DATE_OF_BIRTH"):
        shape = re.sub(r"[0-9A-Za-z]", "*", value[:64])
        return (value[:2] + shape[2:]) if kind == "IBAN" and value[:2].isalpha() else shape
    return "*" * min(len(value), 12)


def _mask(word: str) -> str:
    return "*" * max(len(word), 1)


_KNOWN_PREFIXES = ("AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xoxb-", "xoxp-", "xoxa-", "sk_live_",
                   "sk_test_", "rk_live_", "AIza", "eyJ", "-----BEGIN", "sk-", "github_pat_", "https://hooks.slack.com/")


def _secret_preview(value: str) -> str:
    for prefix in _KNOWN_PREFIXES:
        if value.startswith(prefix):
            return prefix + "*" * 8
    return "*" * 8


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
_SUSPECT = re.compile(r"@|(?:\d[\s().+/-]?){7}|[A-Za-z0-9]{16,}|BEGIN|://|pass|secret|token|key|auth|cred",
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
