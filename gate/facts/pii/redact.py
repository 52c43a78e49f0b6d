"""Redacted previews and keyed fingerprints: a value is recognisable across runs without being stored."""

from __future__ import annotations

import hmac
import os
import re
import secrets
from pathlib import Path

KEY_ENV = "GATE_FINGERPRINT_KEY"
KEY_FILE = Path(".gate") / "fingerprint.key"


def load_key(root: Path | None, create: bool = True) -> bytes:
    """The fingerprint key: $GATE_FINGERPRINT_KEY, else .gate/fingerprint.key in the repository.

    With ``create`` a missing key file is made (0600, git-ignored); without, a missing key gives a
    key for this run only, so fingerprints are not comparable with other runs.
    """
    value = os.environ.get(KEY_ENV)
    if value:
        return value.encode()
    if root is None:
        return secrets.token_bytes(32)
    path = root / KEY_FILE
    try:
        data = path.read_bytes().strip()
        if len(data) >= 32:
            return data
    except OSError:
        pass
    data = secrets.token_hex(32).encode()
    if not create:
        return data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data + b"\n")
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("fingerprint.key\ncache/\n")
    except FileExistsError:
        return path.read_bytes().strip()
    except OSError:
        pass  # read-only checkout: fingerprints stay valid for this run only
    return data


def fingerprint(key: bytes, kind: str, normalized: str) -> str:
    """HMAC-SHA256 over type and normalized value."""
    return hmac.digest(key, f"{kind}\0{normalized}".encode("utf-8", "replace"), "sha256").hex()


def _mask_word(word: str) -> str:
    return word[:1] + "*" * max(len(word) - 1, 1) if word else ""


_NOT_DIGIT = {c: None for c in range(128) if not chr(c).isdigit()}


def _digits(value: str) -> str:
    return value.translate(_NOT_DIGIT)


def preview(kind: str, value: str) -> str:
    """A redacted preview that shows the shape of a value, never enough to recover it."""
    if kind == "EMAIL" and "@" in value:
        local, _, domain = value.rpartition("@")
        labels = domain.split(".")
        return f"{_mask_word(local)}@{'.'.join([_mask_word(l) for l in labels[:-1]] + labels[-1:])}"
    if kind == "CREDIT_CARD":
        return "**** **** **** " + _digits(value)[-4:]
    if kind in ("US_SSN", "US_ITIN"):
        return "***-**-" + _digits(value)[-4:]
    if kind == "PHONE":
        digits = _digits(value.split("x")[0].split("X")[0])
        return "*" * max(len(digits) - 2, 1) + digits[-2:]
    if kind == "IBAN":
        compact = re.sub(r"\s", "", value)
        return compact[:2] + "**" + " ****" * max((len(compact) - 8) // 4, 1) + " " + compact[-4:]
    if kind == "IP_ADDRESS":
        return "***.***.***." + value.rsplit(".", 1)[-1] if "." in value else "****:" + value.rsplit(":", 1)[-1][-2:]
    if kind == "DATE_OF_BIRTH":
        return "****-**-**"
    if kind == "SECRET":
        return _secret_preview(value)
    return "*" * min(len(value), 12)


_KNOWN_PREFIXES = ("AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xoxb-", "xoxp-", "xoxa-", "sk_live_",
                   "sk_test_", "rk_live_", "AIza", "eyJ", "-----BEGIN", "sk-", "github_pat_", "https://hooks.slack.com/")


def _secret_preview(value: str) -> str:
    for prefix in _KNOWN_PREFIXES:
        if value.startswith(prefix):
            return prefix + "*" * 8
    return "*" * 8
