"""Context: column names, JSON keys and nearby words raise or lower a candidate's confidence."""

from __future__ import annotations

import re
from functools import lru_cache

_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")

POSITIVE = {
    "EMAIL": {"email", "mail", "e-mail", "emailaddress"},
    "PHONE": {"phone", "tel", "telephone", "mobile", "cell", "fax", "msisdn", "contact", "phonenumber",
              "whatsapp", "sms", "landline", "telefon", "telefono"},
    "US_SSN": {"ssn", "social", "socialsecurity", "sin"},
    "US_ITIN": {"itin", "taxpayer", "tin"},
    "CREDIT_CARD": {"card", "cc", "credit", "pan", "visa", "mastercard", "amex", "payment", "ccnum", "cardnumber"},
    "IBAN": {"iban", "bank", "account", "acct"},
    "IP_ADDRESS": {"ip", "ipv4", "ipv6", "addr", "client", "remote", "host", "source", "src", "dst"},
    "DATE_OF_BIRTH": {"dob", "birth", "born", "birthday", "birthdate", "bday", "geburtsdatum"},
}

NEGATIVE = {
    "PHONE": {"order", "ref", "reference", "sku", "invoice", "tracking", "serial", "isbn", "upc", "ean", "part",
              "model", "zip", "postal", "txn", "transaction", "id", "number_id", "version", "build", "product",
              "item", "ticket", "batch", "lot", "code", "confirmation", "booking", "customer", "employee", "no"},
    "US_SSN": {"order", "ref", "sku", "invoice", "tracking", "serial", "zip", "routing", "product", "item", "ticket"},
    "CREDIT_CARD": {"order", "tracking", "serial", "isbn", "invoice", "imei", "sku", "product", "ticket", "shipment"},
    "IP_ADDRESS": {"version", "ver", "v", "build", "release", "firmware", "sdk", "os", "app", "package", "pkg",
                   "revision", "rev", "semver", "oid", "tag"},
    "IBAN": set(),
    "EMAIL": set(),
    "DATE_OF_BIRTH": {"created", "updated", "modified", "timestamp", "order", "shipped", "expires", "expiry",
                      "start", "end", "due", "event", "visit", "admission", "purchase"},
}


@lru_cache(maxsize=4096)
def tokens(name: str | None) -> frozenset[str]:
    """Lower-case words of a column name, JSON key or phrase (snake, kebab, camel, dotted)."""
    if not name:
        return frozenset()
    parts = [p.lower() for p in _SPLIT.split(name) if p and not p.isdigit()]
    joined = "".join(parts)
    return frozenset(parts + [joined]) if len(parts) > 1 else frozenset(parts)


@lru_cache(maxsize=8192)
def column_signal(kind: str, column: str | None) -> int:
    """+1 when the column names this type, -1 when it names something else that looks like it, else 0."""
    words = tokens(column)
    if not words:
        return 0
    if words & POSITIVE.get(kind, set()):
        return 1
    if words & NEGATIVE.get(kind, set()):
        return -1
    return 0


# Words that point at a phone number in running text but would be too broad as column names.
NEARBY_ONLY = {"PHONE": {"call", "text", "dial", "ring", "reach", "numero", "phones", "telephones", "mobiles",
                         "cellphone", "cellphones"}}
# Words that point at a phone number only when nothing nearby names another kind of number
# ("my number is …", but not "order number …").
WEAK_NEARBY = {"PHONE": frozenset({b"number", b"nummer", b"num"})}

_WORD = re.compile(rb"[A-Za-z]+")


_POSITIVE_BYTES = {k: frozenset(w.encode() for w in POSITIVE.get(k, set()) | NEARBY_ONLY.get(k, set()))
                   for k in POSITIVE}
_NEGATIVE_BYTES = {k: frozenset(w.encode() for w in v) for k, v in NEGATIVE.items()}
_OTHERS_POSITIVE = {k: frozenset().union(*(v for other, v in _POSITIVE_BYTES.items() if other != k))
                    for k in _POSITIVE_BYTES}
"""Per type, the words that name any other type ("credit card number", "social security number")."""


def nearby_signal(kind: str, before: bytes) -> int:
    """The same for the last words just before a match inside its value or line."""
    words = _WORD.findall(before[-40:].lower())
    if not words:
        return 0
    bag = set(words[-4:])
    if not bag.isdisjoint(_POSITIVE_BYTES.get(kind, ())):
        return 1
    if not bag.isdisjoint(_NEGATIVE_BYTES.get(kind, ())):
        return -1
    weak = WEAK_NEARBY.get(kind)
    if weak and not bag.isdisjoint(weak) and bag.isdisjoint(_OTHERS_POSITIVE[kind]):
        return 1
    return 0


SECRET_COLUMN_WORDS = {"password", "passwd", "pwd", "secret", "token", "apikey", "api", "credential", "credentials",
                       "privatekey", "accesskey", "secretkey", "authtoken", "bearer", "passphrase", "clientsecret"}


def is_secret_column(column: str | None) -> bool:
    """Columns whose every value is a credential (password, api_key, token...)."""
    words = tokens(column)
    if not words:
        return False
    if "key" in words and words & {"api", "secret", "private", "access", "auth", "signing", "encryption"}:
        return True
    return bool(words & SECRET_COLUMN_WORDS) and not words & {"id", "type", "hint", "length", "expires", "expiry",
                                                               "count", "name", "policy", "reset", "updated"}
