"""Candidate patterns (compiled together into one Hyperscan database) and the validators behind them."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .context import column_signal, nearby_signal
from ._disguises import JOINING, STRONG
from .names import TEXT_PATTERNS, person_in_context, street_address
from .secrets import SECRET_PATTERNS


@dataclass(frozen=True)
class Pattern:
    """One candidate pattern; a validator turns a candidate into (type, confidence, normalized) or None."""

    name: str
    """Detector name."""
    regex: bytes
    """Hyperscan expression."""
    validate: Callable[[str, str | None, bytes, bytes], tuple[str, float, str] | None | bool]
    """(candidate, column, bytes before and after it in the same value) -> (type, confidence, normalized);
    None when the candidate is not one (a shorter end may be), False when no shorter end is either."""
    caseless: bool = False
    """Match case-insensitively."""
    encoded: str | None = None
    """``url``, ``base64`` or ``unicode``: not a detector but where a disguised value may be; the
    scanner puts the value in its plain form and scans it again (gate/facts/pii/normalize.py)."""
    near: bool = False
    """Look for the start in the last 64 bytes before the end first: a keyword assignment starts close
    to where it ends, and a line with many keywords would otherwise cost a search of 512 bytes per
    candidate (a start found close is a start of the same value)."""


_NOT_DIGIT = {c: None for c in range(128) if not chr(c).isdigit()}


def digits_of(text: str) -> str:
    """The ASCII digits of a string."""
    return text.translate(_NOT_DIGIT)


def _clamp(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 2)


def _with_context(kind: str, base: float, column: str | None, before: bytes, *, up: float = 0.1,
                  down: float = 0.5) -> float:
    signal = column_signal(kind, column) or nearby_signal(kind, before)
    if signal > 0:
        return _clamp(base + up)
    if signal < 0:
        return _clamp(base - down)
    return _clamp(base)


# ---------------------------------------------------------------- EMAIL
_TLD = re.compile(r"^[A-Za-z]{2,24}$")


_URL_USERINFO = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]*:$")


def _email(text: str, column, before, after) -> tuple[str, float, str] | None:
    if before.endswith(b":") and _URL_USERINFO.search(before):
        return None  # https://user:password@host: a password and a host, not an address (secrets.py)
    local, _, domain = text.rpartition("@")
    if not local or len(local) > 64 or local[0] == "." or local[-1] == "." or ".." in local:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not _TLD.match(labels[-1]) or any(not l or l[0] == "-" or l[-1] == "-" for l in labels):
        return None
    return "EMAIL", 0.95, text.lower()  # its format is proof enough: context would not move it across 0.5


# ---------------------------------------------------------------- CREDIT_CARD
def luhn(digits: str) -> bool:
    """The Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_issuer(digits: str) -> str | None:
    """The issuer whose prefix and length rules the number follows."""
    n = len(digits)
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925) and 16 <= n <= 19:
        return "discover"
    if p2 == 35 and 16 <= n <= 19:  # JCB's range is 3528-3589; generators and test cards use all of 35xx
        return "jcb"
    if p4 in (2131, 1800) and n == 15:
        return "jcb"
    if (300 <= p3 <= 305 or p2 in (36, 38, 39)) and 14 <= n <= 19:
        return "diners"
    if (p4 in (5018, 5020, 5038, 5893, 6304, 6390, 6759, 6761, 6762, 6763, 604) or p2 in (56, 57, 58)) \
            and 12 <= n <= 19:
        return "maestro"
    if p4 == 5019 and n == 16:
        return "dankort"
    if digits[0] == "1" and n == 15:
        return "uatp"
    return None


_IBAN_HEAD = re.compile(rb"\b[A-Z]{2}\d{2}[ -]\Z")


_CARD_LAYOUTS = ((4, 6, 5), (4, 6, 4))
"""Grouped layouts besides fours (the last group shorter): Amex 4-6-5, Diners 4-6-4."""


def _card_layout(text: str) -> bool:
    """Whether a grouped number is laid out as cards are (fours; 4-6-5; 4-6-4), not a list of
    numbers that happens to hold 16 digits (0 1 1 0 ..., 15 25 80 ...)."""
    sizes = tuple(len(g) for g in re.split(r"[ -]", text))
    if len(sizes) == 1 or sizes in _CARD_LAYOUTS:
        return True
    return all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _card(text: str, column, before, after) -> tuple[str, float, str] | None:
    if before.endswith((b" ", b"-")) and _IBAN_HEAD.search(before):
        return None  # digit groups after an IBAN's country and check digits: the inside of an account number
    if before.endswith(b".") and before[-2:-1].isdigit():
        return None  # the digits of a decimal fraction
    if not _card_layout(text):
        return None
    digits = text.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn(digits) or not card_issuer(digits):
        return None
    if len(set(digits)) == 1:
        return None
    grouped = " " in text or "-" in text
    # Luhn and an issuer's prefix and length are proof: a column called ticket or sku does not bury it
    # (the way to hide cards would be to name the column). Only the broad shapes, 15 digits after a
    # 1 (UATP) and 12-digit Maestro, are also other numbers often enough for context to lower them.
    broad = len(digits) == 12 or card_issuer(digits) == "uatp"
    return "CREDIT_CARD", _with_context("CREDIT_CARD", 0.9 if grouped else 0.85, column, before,
                                        down=0.5 if broad else 0.0), digits


# ---------------------------------------------------------------- SSN / ITIN
def _ssn_parts(text: str) -> tuple[str, str, str] | None:
    digits = text.replace(" ", "").replace("-", "").replace(".", "")
    if len(digits) != 9 or not digits.isdigit():
        return None
    return digits[:3], digits[3:5], digits[5:]


def _ssn(text: str, column, before, after) -> tuple[str, float, str] | None:
    parts = _ssn_parts(text)
    if parts is None:
        return None
    area, group, serial = parts
    # nine bare digits, or dashes where an SSN has none (078-051121, 07805-1121): a shape, proof only with context
    bare = text.isdigit() or not (len(text) == 11 and text[3] == text[6] and not text[3].isdigit())
    if area[0] == "9":
        if int(group) in range(50, 66) or int(group) in range(70, 89) or int(group) in range(90, 93) \
                or int(group) in range(94, 100):
            base = 0.3 if bare else 0.9
            if bare and column_signal("US_ITIN", column) <= 0 and column_signal("US_SSN", column) <= 0 \
                    and nearby_signal("US_ITIN", before) <= 0 and nearby_signal("US_SSN", before) <= 0:
                return "US_ITIN", base, "".join(parts)
            return "US_ITIN", _with_context("US_ITIN", base if not bare else 0.85, column, before,
                                            down=0.5 if bare else 0.0), "".join(parts)
        return None
    if area in ("000", "666") or group == "00" or serial == "0000":
        return None
    if "".join(parts) in ("123456789", "078051120", "219099999"):
        return None  # advertised / test numbers
    if bare:
        signal = column_signal("US_SSN", column) or nearby_signal("US_SSN", before)
        return "US_SSN", 0.9 if signal > 0 else 0.05 if signal < 0 else 0.3, "".join(parts)
    # the SSN layout with a valid area, group and serial is proof: context raises it, never buries it
    base = 0.9 if "-" in text else 0.8
    return "US_SSN", _with_context("US_SSN", base, column, before, down=0.0), "".join(parts)


# ---------------------------------------------------------------- IBAN
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


_IBAN_DIGITS = {ord(c): str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def iban_valid(compact: str) -> bool:
    """Country length and the ISO 7064 mod-97 check."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int(rearranged.translate(_IBAN_DIGITS)) % 97 == 1


def _iban(text: str, column, before, after) -> tuple[str, float, str] | None:
    compact = text.replace(" ", "").replace("-", "").upper()
    if not iban_valid(compact):
        return None
    return "IBAN", 0.95, compact  # country length + mod-97: context would not move it across 0.5


# ---------------------------------------------------------------- PHONE
_EXTENSION = re.compile(r"\s*(?:x|ext\.?)\s*\d+$", re.I)
_NANP = re.compile(r"^(?:\+?1|001)?([2-9]\d{2})([2-9]\d{2})(\d{4})$")


def _nanp_ok(digits: str) -> bool:
    match = _NANP.match(digits)
    if not match:
        return False
    area, exchange, _ = match.groups()
    return area[1:] != "11" and exchange[1:] != "11"


def _phone(text: str, column, before, after) -> tuple[str, float, str] | None:
    body = _EXTENSION.split(text)[0]
    digits = digits_of(body)
    if body.startswith("+") and not body.startswith("+1"):
        return _international(body, digits, column, before)
    core = digits[-10:]
    if len(core) != 10:
        return None
    formatted = not body.isdigit()
    strong = body.startswith(("+", "(", "001")) or len(body) != len(text)
    if not formatted:
        if len(digits) != 10:
            return _phone_national(text, column, before, after)  # 11 digits with phone context (a CN mobile)
        signal = column_signal("PHONE", column) or nearby_signal("PHONE", before)
        if signal > 0:
            return "PHONE", 0.85 if _nanp_ok(core) else 0.7, "+1" + core
        if not _nanp_ok(core):
            return None
        return "PHONE", 0.05 if signal < 0 else 0.3, "+1" + core
    if _nanp_ok(core):
        base, down = 0.9, 0.0  # a phone layout with a valid area and exchange: context never buries it
    elif strong or len(set(core)) > 3:
        base, down = 0.6, 0.45  # phone layout, but no valid NANP area/exchange: e.g. generated test data
    else:
        return None
    return "PHONE", _with_context("PHONE", base, column, before, down=down), "+1" + core


def _phone_national(text: str, column, before, after) -> tuple[str, float, str] | None:
    """National formats outside NANP (0115 496 0914, (0161) 4960066, 04 15 39 15 00): only with phone context."""
    digits = digits_of(text)
    if not 8 <= len(digits) <= 13:
        return None
    if after[:1] in (b"-", b".") and after[1:2].isdigit() or before[-2:-1].isdigit() and before[-1:] in (b"-", b"."):
        return None  # a piece of a longer dashed or dotted number (a card, an account), not a number of its own
    signal = column_signal("PHONE", column) or nearby_signal("PHONE", before)
    if signal <= 0:
        return None
    return "PHONE", 0.8, digits


@lru_cache(maxsize=1)
def _phonenumbers():
    import phonenumbers

    return phonenumbers


def _international(body: str, digits: str, column, before) -> tuple[str, float, str] | None:
    if not 8 <= len(digits) <= 15:
        return None
    phonenumbers = _phonenumbers()
    try:
        number = phonenumbers.parse(body, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        base, down = 0.9, 0.0  # valid in its country's numbering plan: context never buries it
    elif phonenumbers.is_possible_number(number):
        base, down = 0.6, 0.45
    else:
        return None
    normalized = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "PHONE", _with_context("PHONE", base, column, before, down=down), normalized


# ---------------------------------------------------------------- IP
def _ipv4(text: str, column, before, after) -> tuple[str, float, str] | None:
    parts = text.split(".")
    if len(parts) != 4 or any(len(p) > 1 and p[0] == "0" for p in parts) or any(int(p) > 255 for p in parts):
        return None
    if before.endswith((b".", b"v", b"V")) or before[-1:].isdigit() or after[:1] == b"." and after[1:2].isdigit():
        return None
    signal = column_signal("IP_ADDRESS", column) or nearby_signal("IP_ADDRESS", before)
    if signal < 0:
        return "IP_ADDRESS", 0.1, text
    return "IP_ADDRESS", 0.95 if signal > 0 else 0.85, text


_HEX = frozenset(b"0123456789abcdefABCDEF")
_WORDISH = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")


def _ipv6(text: str, column, before, after) -> tuple[str, float, str] | None:
    groups = [g for g in text.split("%")[0].split(":") if g]
    if "::" in text and len(groups) <= 2 and text != "::1" and \
            all(g.isdigit() and len(g) <= 2 or g.isalpha() for g in groups):
        return None  # a slice in code (data[1::4], [::2]) or a word before a literal block (be::)
    if text == "::" or (before and before[-1] in _WORDISH) or (after and after[0] in _WORDISH):
        return None  # the unspecified address says nothing; glued to a word it is code (std::cout), not an address
    if before.endswith(b":") and len(before) > 1 and (before[-2] in _HEX or before[-2:-1] == b":"):
        return None  # the tail of a longer run of groups (2001::db8::1): not an address of its own
    if after[:1] == b":" or after[:1] == b"." and after[1:2].isdigit() or after[:1] == b"%":
        return None  # a prefix of something longer that did not parse (::ffff:256.0.0.1)
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    return "IP_ADDRESS", _with_context("IP_ADDRESS", 0.9, column, before), address.compressed


# ---------------------------------------------------------------- DATE_OF_BIRTH
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _date_parts(text: str) -> tuple[int, int, int] | None:
    numbers = re.findall(r"\d+", text)
    month_word = re.search(r"[A-Za-z]{3,}", text)
    try:
        if month_word:
            month = _MONTHS.get(month_word.group(0)[:3].lower())
            day, year = (int(numbers[0]), int(numbers[1])) if len(numbers) == 2 else (0, 0)
            if month is None:
                return None
        elif len(numbers[0]) == 4:
            year, month, day = map(int, numbers[:3])
        else:
            first, second, year = map(int, numbers[:3])
            month, day = (first, second) if first <= 12 else (second, first)
            if year < 100:
                year += 1900 if year > 30 else 2000
    except (ValueError, IndexError):
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2030):
        return None
    return year, month, day


def _dob(text: str, column, before, after) -> tuple[str, float, str] | None:
    parts = _date_parts(text)
    if parts is None:
        return None
    signal = column_signal("DATE_OF_BIRTH", column)
    if signal == 0:
        signal = nearby_signal("DATE_OF_BIRTH", before)
    if signal <= 0:
        return None
    return "DATE_OF_BIRTH", 0.9, "%04d-%02d-%02d" % parts


# ---------------------------------------------------------------- SECRET: gate/facts/pii/secrets.py
def _never(text: str, column, before, after) -> None:
    return None


_MONTH = rb"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"

PATTERNS: tuple[Pattern, ...] = (
    Pattern("email", rb"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b", _email),
    Pattern("card", rb"\b\d(?:[ -]?\d){11,18}\b", _card),
    Pattern("ssn", rb"\b\d{3}-\d{2}-\d{4}\b", _ssn),
    Pattern("ssn_spaced", rb"\b\d{3} \d{2} \d{4}\b", _ssn),
    Pattern("ssn_dotted", rb"\b\d{3}\.\d{2}\.\d{4}\b", _ssn),
    Pattern("ssn_irregular", rb"\b\d{3}-\d{6}\b|\b\d{5}-\d{4}\b", _ssn),
    Pattern("ssn_bare", rb"\b\d{9}\b", _ssn),
    Pattern("iban", rb"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b", _iban),
    Pattern("iban_spaced", rb"\b[A-Z]{2}\d{2}(?:[ -][A-Z0-9]{4}){2,7}(?:[ -][A-Z0-9]{1,4})?\b", _iban),
    Pattern("phone_nanp", rb"(?:\+1[ .-]?|\b1[ .-]|\b001[ .-]?)?(?:\(\d{3}\)[ .-]?|\b\d{3}[ .-])\d{3}[ .-]\d{4}(?:\s?(?:x|ext\.?)\s?\d{1,6}\b|\b)", _phone),
    Pattern("phone_intl", rb"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){1,2}(?:[ .-]?\d{2,4}){1,4}(?:\s?(?:x|ext\.?)\s?\d{1,6}\b|\b)", _phone),
    Pattern("phone_bare", rb"\b(?:1)?\d{10}\b", _phone),
    Pattern("phone_national", rb"(?:\(0\d{1,4}\)[ .-]?|\b0\d{1,4}[ .-]|\b00\d{2,4}[ .-]?)\d{2,4}(?:[ .-]?\d{2,4}){1,3}\b",
            _phone_national),
    Pattern("phone_local", rb"\b0\d{8,12}\b|\b\d{4}[ .-]\d{4}\b|\b[2-9]\d{8}\b|\b[2-9]\d{2}[ .-]\d{7}\b",
            _phone_national),
    Pattern("ipv4", rb"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", _ipv4),
    # eight groups, or a compression (::) anywhere; an embedded IPv4 and a zone id may follow
    Pattern("ipv6", rb"(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){5}:(?:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})"
            rb"|[0-9A-Fa-f:]{0,32}::[0-9A-Fa-f:]{0,32}(?:\.\d{1,3}){0,3})(?:%[0-9A-Za-z_.~-]{1,32})?", _ipv6,
            near=True),
    Pattern("date_iso", rb"\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b", _dob),
    Pattern("date_slash", rb"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}\b", _dob),
    Pattern("date_words", rb"\b" + _MONTH + rb"\.? \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d{2}\b", _dob),
    Pattern("date_words_dmy", rb"\b\d{1,2} " + _MONTH + rb"\.?,? (?:19|20)\d{2}\b", _dob),
    *(Pattern(name, regex, validate, caseless, near=name.startswith("keyword"))
      for name, regex, validate, caseless, _ in SECRET_PATTERNS),
    # a name after a title or an introduction, a street address (names.py)
    *(Pattern(name, regex, person_in_context if name.startswith("person") else street_address)
      for name, regex in TEXT_PATTERNS),
    # where a disguised value may be: not detectors (their validator finds nothing), see normalize.py
    Pattern("url_encoded", rb"%[0-9A-Fa-f]{2}", _never, encoded="url"),
    # a character whose plain form is a letter, digit or @; or a dash, space or nothing between two
    # characters a value is made of (4111<ZWSP>1111, 219–45–6788), not between words
    Pattern("unicode_disguise", rb"(?:" + STRONG + rb"|[0-9A-Za-z@.+_-](?:" + JOINING + rb"){1,8}[0-9A-Za-z@.+_-])",
            _never, encoded="unicode"),
    # base64 of text, anywhere in a run (glued to other letters too: the decoder tries every
    # alignment): the first character of each 4-character group holds the top 6 bits of a byte,
    # C-f for tab to DEL, so four groups in a row that start there are where ASCII text is encoded;
    # words and identifiers rarely look so (g-z are 32-51)
    Pattern("base64_run", rb"(?:[C-Za-f][A-Za-z0-9+/]{3}){4}|(?:[C-Za-f][A-Za-z0-9_-]{3}){4}", _never,
            encoded="base64"),
)
