"""A seeded, labeled PII corpus (Faker): CSV, JSONL and free text, with decoys that must not be found.

Every true value is recorded as (file, row, column, type); decoys are recorded too, so a test can
show both that they exist and that they are not reported. Used by the quality test and benchmarks.
"""

from __future__ import annotations

import base64
import csv
import json
import random
import string
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT"]


@dataclass
class Corpus:
    """Files written plus ground truth."""

    truth: Counter = field(default_factory=Counter)
    """(file, row, column, type) -> count."""
    decoys: Counter = field(default_factory=Counter)
    """(file, row, column, kind) -> count of decoys planted."""
    files: list[Path] = field(default_factory=list)


class Values:
    """Generators of true values and decoys, all from one seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        Faker.seed(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for index, fake in enumerate(self.fakers.values()):
            fake.seed_instance(seed + index)
        self.us = self.fakers["en_US"]

    def fake(self) -> Faker:
        return self.fakers[self.rng.choice(LOCALES)]

    def email(self) -> str:
        return self.fake().email()

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            return self.us.phone_number()
        area, exchange, line = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
        while area % 100 == 11 or exchange % 100 == 11:
            area, exchange = rng.randint(201, 989), rng.randint(200, 999)
        return rng.choice([f"+1 {area} {exchange} {line:04d}", f"+1-{area}-{exchange}-{line:04d}",
                           f"({area}) {exchange}-{line:04d}", f"+44 20 7946 {rng.randint(0, 999):04d}",
                           f"+49 30 {rng.randint(1000000, 9999999)}", f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"])

    def ssn(self) -> str:
        return self.us.ssn()

    def itin(self) -> str:
        return self.us.itin()

    def card(self) -> str:
        number = self.us.credit_card_number()
        if self.rng.random() < 0.3 and len(number) == 16:
            return " ".join(number[i:i + 4] for i in range(0, 16, 4))
        return number

    def iban(self) -> str:
        value = self.fakers[self.rng.choice(["en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT"])].iban()
        if self.rng.random() < 0.3:
            return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
        return value

    def ip(self) -> str:
        return self.us.ipv4_public() if self.rng.random() < 0.8 else self.us.ipv6()

    def dob(self) -> str:
        date = self.us.date_of_birth(minimum_age=18, maximum_age=90)
        return self.rng.choice([date.isoformat(), date.strftime("%m/%d/%Y"), date.strftime("%B %d, %Y")])

    def secret(self) -> str:
        rng = self.rng
        alnum = string.ascii_letters + string.digits
        choice = rng.randrange(4)
        if choice == 0:
            return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        if choice == 1:
            return "ghp_" + "".join(rng.choice(alnum) for _ in range(36))
        if choice == 2:
            def part(obj):
                return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
            sig = "".join(rng.choice(alnum + "-_") for _ in range(43))
            return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': str(rng.randint(1, 10**9)), 'iat': 1700000000})}.{sig}"
        return "sk_live_" + "".join(rng.choice(alnum) for _ in range(24))

    # decoys ---------------------------------------------------------------
    def bad_card(self) -> str:
        number = self.us.credit_card_number(card_type="visa16")
        last = (int(number[-1]) + self.rng.randint(1, 9)) % 10
        return number[:-1] + str(last)

    def bad_ssn(self) -> str:
        rng = self.rng
        return rng.choice([f"000-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}",
                           f"666-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}",
                           f"{rng.randint(1, 665):03d}-00-{rng.randint(1, 9999):04d}"])

    def bad_iban(self) -> str:
        value = self.fakers["de_DE"].iban()
        check = (int(value[2:4]) + self.rng.randint(1, 50)) % 97 + 2
        return value[:2] + f"{check:02d}" + value[4:]

    def order_number(self) -> str:
        return str(self.rng.randint(1_000_000_000, 9_999_999_999))

    def version(self) -> str:
        rng = self.rng
        return rng.choice([f"{rng.randint(0, 12)}.{rng.randint(0, 40)}.{rng.randint(0, 99)}",
                           f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 200)}",
                           f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}-beta"])


TRUE_KINDS = {
    "EMAIL": Values.email, "PHONE": Values.phone, "US_SSN": Values.ssn, "US_ITIN": Values.itin,
    "CREDIT_CARD": Values.card, "IBAN": Values.iban, "IP_ADDRESS": Values.ip, "DATE_OF_BIRTH": Values.dob,
    "SECRET": Values.secret,
}
DECOYS = {"bad_card": Values.bad_card, "bad_ssn": Values.bad_ssn, "bad_iban": Values.bad_iban,
          "order_number": Values.order_number, "version": Values.version}

CSV_COLUMNS = [
    ("customer_id", None), ("full_name", None), ("email", "EMAIL"), ("phone", "PHONE"), ("ssn", "US_SSN"),
    ("tax_id", "US_ITIN"), ("card_number", "CREDIT_CARD"), ("iban", "IBAN"), ("client_ip", "IP_ADDRESS"),
    ("date_of_birth", "DATE_OF_BIRTH"), ("api_token", "SECRET"), ("order_id", "order_number"),
    ("app_version", "version"), ("reference", "bad_card"), ("legacy_code", "bad_ssn"), ("old_account", "bad_iban"),
    ("signup_date", None), ("amount", None), ("notes", "text"),
]

SENTENCES = [
    ("Please reach {name} at {v}.", "EMAIL"), ("You can call me on {v} after 5pm.", "PHONE"),
    ("My social security number is {v}.", "US_SSN"), ("Paid with card {v} yesterday.", "CREDIT_CARD"),
    ("Wire the refund to IBAN {v} please.", "IBAN"), ("Login from {v} was blocked.", "IP_ADDRESS"),
    ("She was born on {v} in Ohio.", "DATE_OF_BIRTH"), ("config: api_key = {v}", "SECRET"),
    ("My ITIN is {v}.", "US_ITIN"),
    ("Order {v} shipped on time.", "order_number"), ("Upgraded the client to version {v} today.", "version"),
    ("Reference {v} was closed.", "bad_card"), ("Ticket {v} escalated.", "bad_ssn"),
    ("Old account {v} is closed.", "bad_iban"), ("The meeting moved to 2024-03-05 at 10:30.", None),
    ("Nothing sensitive in this line, just {n} widgets.", None),
]


def _make(values: Values, kind: str) -> str:
    if kind in TRUE_KINDS:
        return TRUE_KINDS[kind](values)
    return DECOYS[kind](values)


def _sentence(values: Values) -> tuple[str, str | None]:
    template, kind = values.rng.choice(SENTENCES)
    value = _make(values, kind) if kind else ""
    return template.format(name=values.us.first_name(), v=value, n=values.rng.randint(2, 90)), kind


def build(directory: Path, rows: int = 400, seed: int = 7) -> Corpus:
    """Write corpus.csv, corpus.jsonl and corpus.txt under ``directory``; return their ground truth."""
    directory.mkdir(parents=True, exist_ok=True)
    values = Values(seed)
    corpus = Corpus()

    def record(counter, file, row, column, kind):
        counter[(file, row, column, kind)] += 1

    csv_path = directory / "corpus.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([name for name, _ in CSV_COLUMNS])
        for row in range(rows):
            cells = []
            for name, kind in CSV_COLUMNS:
                if kind is None:
                    cell = {"customer_id": str(row), "full_name": values.us.name(), "amount": f"{values.rng.random() * 500:.2f}",
                            "signup_date": values.us.date_this_decade().isoformat()}[name]
                elif kind == "text":
                    cell, inner = _sentence(values)
                    if inner in TRUE_KINDS:
                        record(corpus.truth, "corpus.csv", row, name, inner)
                    elif inner:
                        record(corpus.decoys, "corpus.csv", row, name, inner)
                elif values.rng.random() < 0.15:
                    cell = ""
                else:
                    cell = _make(values, kind)
                    record(corpus.truth if kind in TRUE_KINDS else corpus.decoys, "corpus.csv", row, name, kind)
                cells.append(cell)
            writer.writerow(cells)
    corpus.files.append(csv_path)

    jsonl_path = directory / "corpus.jsonl"
    with open(jsonl_path, "w", encoding="utf-8") as handle:
        for row in range(rows):
            doc = {"id": row, "user": {"name": values.us.name(), "contact": {}}, "meta": {}, "events": []}
            for key, kind, place in (("email", "EMAIL", "contact"), ("mobile", "PHONE", "contact"),
                                     ("ssn", "US_SSN", "user"), ("iban", "IBAN", "user"), ("birthday", "DATE_OF_BIRTH", "user")):
                if values.rng.random() < 0.7:
                    value = _make(values, kind)
                    target = doc["user"]["contact"] if place == "contact" else doc["user"]
                    target[key] = value
                    column = f"user.contact.{key}" if place == "contact" else f"user.{key}"
                    record(corpus.truth, "corpus.jsonl", row, column, kind)
            for index in range(values.rng.randint(0, 2)):
                ip = values.ip()
                doc["events"].append({"ip": ip, "ok": True})
                record(corpus.truth, "corpus.jsonl", row, "events[].ip", "IP_ADDRESS")  # list items, any index
            for key, kind in (("order", "order_number"), ("sdk_version", "version"), ("ref", "bad_card")):
                doc["meta"][key] = _make(values, kind)
                record(corpus.decoys, "corpus.jsonl", row, f"meta.{key}", kind)
            text, inner = _sentence(values)
            doc["comment"] = text
            if inner in TRUE_KINDS:
                record(corpus.truth, "corpus.jsonl", row, "comment", inner)
            elif inner:
                record(corpus.decoys, "corpus.jsonl", row, "comment", inner)
            handle.write(json.dumps(doc) + "\n")
    corpus.files.append(jsonl_path)

    text_path = directory / "corpus.txt"
    with open(text_path, "w", encoding="utf-8") as handle:
        for row in range(rows):
            text, inner = _sentence(values)
            if inner in TRUE_KINDS:
                record(corpus.truth, "corpus.txt", row, None, inner)
            elif inner:
                record(corpus.decoys, "corpus.txt", row, None, inner)
            handle.write(text + "\n")
    corpus.files.append(text_path)
    return corpus


def score(truth: Counter, found: Counter, kinds) -> dict[str, tuple[float, float, int, int, int]]:
    """Per type: precision, recall, true positives, false positives, false negatives."""
    out = {}
    for kind in kinds:
        t = Counter({k: v for k, v in truth.items() if k[3] == kind})
        f = Counter({k: v for k, v in found.items() if k[3] == kind})
        tp = sum((t & f).values())
        fp = sum(f.values()) - tp
        fn = sum(t.values()) - tp
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        out[kind] = (precision, recall, tp, fp, fn)
    return out
