"""Keyed fingerprints and redacted previews: a value is recognisable across runs without being stored.
The fingerprint key lives outside the repository (see load_key)."""

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
