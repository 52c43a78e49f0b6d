"""The detectors on cases generated here (seeded): the shapes of Presidio's recognizer tests, never its strings.

Each case is one line of text; a value counts as found when a finding of its type at the policy's
floor overlaps it. benchmarks/pii_peers.py measures the same on the peer's own cases.
"""

from __future__ import annotations

import ipaddress
import random

import pytest

from gate.data.segments import text_segment
from gate.facts.pii import Scanner
from gate.facts.pii.detectors import IBAN_LENGTHS, luhn

FLOOR = 0.5
RNG_SEED = 1515


def spans(text: str, floor: float = FLOOR) -> list[tuple[str, int, int]]:
    data = text.encode()
    assert data.isascii()  # offsets below are characters
    return [(kind, start, end) for kind, _, start, end in
            Scanner(b"k" * 32, min_confidence=floor).locate(text_segment(data, 0))]


def found(text: str, value: str, kind: str, floor: float = FLOOR) -> bool:
    start = text.index(value)
    end = start + len(value)
    return any(k == kind and s < end and start < e for k, s, e in spans(text, floor))


def kinds(text: str) -> set[str]:
    return {kind for kind, _, _ in spans(text)}


# ---------------------------------------------------------------- IPv6
def _ipv6_values(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        groups = [rng.choice([0, 0, rng.randrange(1, 0x10000)]) for _ in range(7)] + [rng.randrange(1, 0x10000)]
        rng.shuffle(groups)  # not the unspecified address (::): it names no host
        address = ipaddress.IPv6Address(":".join("%x" % g for g in groups))
        form = rng.randrange(4)
        if form == 0:
            out.append(address.compressed)
        elif form == 1:
            out.append(address.exploded)
        elif form == 2:
            out.append(address.compressed.upper())
        else:
            out.append("::ffff:%d.%d.%d.%d" % tuple(rng.randrange(256) for _ in range(4)))
    return out


IPV6_CONTEXTS = ("{}", "host {} is down", "connect to [{}]:8443 now", "peer={};", "from {}/64 only",
                 "gateway '{}'", "ssh admin@{}", "link-local {}%eth0 up")


def test_ipv6_addresses_in_every_form_and_context_are_found():
    rng = random.Random(RNG_SEED)
    values = _ipv6_values(rng, 160) + ["::1", "fe80::1", "2001:db8::7"]
    missed = []
    for index, value in enumerate(values):
        text = IPV6_CONTEXTS[index % len(IPV6_CONTEXTS)].format(value)
        if not found(text, value, "IP_ADDRESS"):
            missed.append(text)
    assert len(missed) <= len(values) * 0.02, missed[:10]


@pytest.mark.parametrize("text", [
    "fd12::3456::1",                    # two compressions
    "12a45:db8::9",                     # a group of five hex digits
    "::ffff:300.1.2.3",                 # an octet past 255
    "::ffff:10.20.30",                  # three octets
    "2001:db8::400.1.1.1",
    "abcd:1:2:3:4:5:6",                 # seven groups without a compression
    "xyz2001:db8::5 glued to a word",
    "fe80::5abc glued",                 # fine: the word after is separated by a space
    "std::vector<int> v;",
    "Namespace::Method()",
    "clock 08:15:42",
    "mac 0a:1b:2c:3d:4e:5f",
    "ratio 3:4:5:6",
    "a bare :: proves nothing",
])
def test_what_is_not_an_ipv6_address_is_not_reported(text):
    if text == "fe80::5abc glued":
        assert kinds(text) == {"IP_ADDRESS"}  # the control: a real address beside a word is found
        return
    assert "IP_ADDRESS" not in kinds(text), spans(text)


# ---------------------------------------------------------------- cards
def _with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn(body + digit):
            return body + digit
    raise AssertionError


def _card(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return _with_check_digit(body)


CARD_SHAPES = {"uatp": ("1", 15), "dankort": ("5019", 16), "visa19": ("4", 19), "maestro12": ("6759", 12),
               "visa16": ("4", 16), "amex": ("37", 15)}


@pytest.mark.parametrize("issuer", sorted(CARD_SHAPES))
def test_cards_of_every_issuer_and_length_are_found(issuer):
    rng = random.Random(f"{RNG_SEED}-{issuer}")
    prefix, length = CARD_SHAPES[issuer]
    numbers = [_card(rng, prefix, length) for _ in range(40)]
    texts = [rng.choice(["{}", "card: {}", "paid with {} yesterday"]).format(n) for n in numbers]
    missed = [t for t, n in zip(texts, numbers) if not found(t, n, "CREDIT_CARD")]
    assert len(missed) <= 1, missed
    # the same numbers with a wrong check digit are not cards
    broken = [n[:-1] + str((int(n[-1]) + 1) % 10) for n in numbers]
    assert not [b for b in broken if found(b, b, "CREDIT_CARD")]


def _iban(rng: random.Random, country: str) -> str:
    length = IBAN_LENGTHS[country]
    bban = "".join(rng.choice("0123456789") for _ in range(length - 4))
    digits = (bban + country + "00").translate({ord(c): str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _grouped(value: str, separator: str) -> str:
    return separator.join(value[i:i + 4] for i in range(0, len(value), 4))


def test_ibans_with_dashes_spaces_or_nothing_between_groups_are_found_and_a_bad_checksum_is_not():
    rng = random.Random(RNG_SEED)
    countries = sorted(IBAN_LENGTHS)
    missed, flagged, cards_inside = [], [], []
    for index in range(120):
        iban = _iban(rng, countries[index % len(countries)])
        shown = _grouped(iban, ["", " ", "-"][index % 3]) if index % 3 else iban
        text = f"transfer to {shown} today"
        if not found(text, shown, "IBAN"):
            missed.append(text)
        wrong = shown[:2] + ("%02d" % ((int(shown[2:4]) + 1) % 100)) + shown[4:]
        if "IBAN" in kinds(wrong):
            flagged.append(wrong)
        if "CREDIT_CARD" in kinds(wrong):
            cards_inside.append(wrong)
    assert not missed, missed[:5]
    assert not flagged, flagged[:5]
    assert not cards_inside, cards_inside[:5]  # the groups of an account number are not a card


# ---------------------------------------------------------------- SSN
def _ssn(rng: random.Random) -> tuple[str, str, str]:
    return "%03d" % rng.randint(1, 665), "%02d" % rng.randint(1, 99), "%04d" % rng.randint(1, 9999)


def test_dotted_and_spaced_ssns_are_found_like_dashed_ones():
    rng = random.Random(RNG_SEED)
    for separator in ("-", ".", " "):
        values = [separator.join(_ssn(rng)) for _ in range(60)]
        missed = [v for v in values if not found(f"record {v} filed", v, "US_SSN")]
        assert len(missed) <= 1, (separator, missed)


def test_odd_dashes_are_an_ssn_only_beside_its_name():
    rng = random.Random(RNG_SEED)
    for _ in range(30):
        area, group, serial = _ssn(rng)
        for value in (f"{area}-{group}{serial}", f"{area}{group}-{serial}"):
            assert found(f"my ssn is {value}", value, "US_SSN")
            assert found(value, value, "US_SSN", floor=0.0)  # seen, below the floor
            assert not found(value, value, "US_SSN")
            assert not found(f"zip code {value}", value, "US_SSN")


# ---------------------------------------------------------------- phones
def test_national_numbers_are_phones_when_the_sentence_says_number_and_nothing_else():
    rng = random.Random(RNG_SEED)
    for _ in range(40):
        value = rng.choice(["0{}-{}", "0{} {}", "0{}{}"]).format(rng.randint(10, 99), rng.randint(1000000, 9999999))
        assert found(f"my number is {value}", value, "PHONE"), value
        assert found(f"reach me on my mobile number: {value}", value, "PHONE"), value
        for other in ("order number", "invoice number", "credit card number", "social security number",
                      "bank account number"):
            assert "PHONE" not in kinds(f"the {other} is {value}"), (other, value)


def test_the_pieces_of_a_longer_number_are_not_phones():
    rng = random.Random(RNG_SEED)
    for _ in range(40):
        digits = _card(rng, "4", 16)
        broken = digits[:-1] + str((int(digits[-1]) + 1) % 10)  # not a card either
        text = "my number is " + "-".join(broken[i:i + 4] for i in range(0, 16, 4))
        assert not kinds(text), (text, spans(text))


def test_eleven_digit_mobiles_with_phone_context():
    rng = random.Random(RNG_SEED)
    for _ in range(20):
        value = "1" + str(rng.randint(3, 9)) + "".join(rng.choice("0123456789") for _ in range(9))
        assert found(f"call my cell {value}", value, "PHONE")
        assert "PHONE" not in kinds(f"tracking {value}")


# ---------------------------------------------------------------- context never buries a validated value
def column_findings(column: str, values: list[str], floor: float = FLOOR) -> list[str]:
    from gate.data.segments import segment_of

    segment = segment_of(column, [v.encode() for v in values], list(range(len(values))))
    return [kind for kind, _, _, _ in Scanner(b"k" * 32, min_confidence=floor).locate(segment)]


MISLEADING_COLUMNS = ("ticket", "sku", "version", "customer", "order_id", "tracking_no", "product_code", "serial")


@pytest.mark.parametrize("column", MISLEADING_COLUMNS)
def test_a_validated_value_stays_deny_level_whatever_the_column_is_called(column):
    rng = random.Random(f"{RNG_SEED}-{column}")
    cards = [_card(rng, *rng.choice([("4", 16), ("51", 16), ("37", 15), ("6011", 16), ("4", 13)])) for _ in range(30)]
    ssns = ["-".join(_ssn(rng)) for _ in range(30)]
    phones = ["(%d) %d-%04d" % (rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)) for _ in range(30)]
    phones = [p for p in phones if p[2:4] != "11" and p[7:9] != "11"]
    ibans = [_iban(rng, "DE") for _ in range(10)]
    for kind, values in (("CREDIT_CARD", cards), ("US_SSN", ssns), ("PHONE", phones), ("IBAN", ibans)):
        assert column_findings(column, values).count(kind) == len(values), (kind, column)


@pytest.mark.parametrize("column", MISLEADING_COLUMNS)
def test_negative_context_still_lowers_unvalidated_shapes(column):
    rng = random.Random(f"{RNG_SEED}-{column}")
    bare = ["%03d%02d%04d" % (rng.randint(1, 665), rng.randint(1, 99), rng.randint(1, 9999)) for _ in range(30)]
    assert "US_SSN" not in column_findings(column, bare)
    assert column_findings("ssn", bare).count("US_SSN") == len(bare)  # the control: named, they are SSNs


@pytest.mark.parametrize("text", [
    "labels: 0 1 0 0 0 1 1 1 0 0 1 0 1 1 1 0 0 0 1 1 1 0 0 0 0 1",   # a list of digits holds 16 digits
    "15 25 80 48 69 63 39 16 45 6 77 14 46 38 15 64 85 49 5 59",        # so does a list of numbers
    "weights 0.4111111111111111 and 0.5555555555554444",               # the digits of a fraction
    "rows = data[1::4]; cols = layout[2::2]; rev = a[10::-1]",          # slices
    "The simple format will be::",                                        # a reST literal block
])
def test_what_code_and_number_lists_hold_is_not_a_card_or_an_address(text):
    assert not {"CREDIT_CARD", "IP_ADDRESS"} & set(kinds(text)), spans(text)


def test_grouped_cards_in_their_layouts_are_found():
    for text in ("4111 1111 1111 1111", "4111-1111-1111-1111", "3782 822463 10005", "3056 930902 5904",
                 "4222 2222 2222 2"):
        assert found(f"card {text}", text, "CREDIT_CARD"), text
