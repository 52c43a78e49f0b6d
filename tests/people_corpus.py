"""Seeded sentences with labelled names, addresses, places and organisations (Faker, gate's own
templates), and sentences that hold none. Used by the NER quality test and benchmarks/pii_peers.py.

Each sentence is (text, [(type, start, end)]), character offsets; types as gate reports them.
"""

from __future__ import annotations

import random
import re

from faker import Faker

LOCALES = ["en_US", "en_GB", "en_AU", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]

TEMPLATES = [
    "Please forward the invoice to {PERSON} before Friday.",
    "{PERSON} called about the delayed shipment and asked for a refund.",
    "Meeting notes: {PERSON} and {PERSON} agreed to move the launch to next quarter.",
    "My name is {PERSON} and I would like to update my mailing address.",
    "Dear {PERSON}, your appointment has been confirmed.",
    "The package was delivered to {ADDRESS} this morning.",
    "I moved to {ADDRESS} last month, please update your records.",
    "Ship it to {PERSON}, {ADDRESS}.",
    "{PERSON} works at {ORGANIZATION} in {LOCATION}.",
    "We flew from {LOCATION} to {LOCATION} for the conference.",
    "{ORGANIZATION} announced a partnership with {ORGANIZATION} on Tuesday.",
    "According to {PERSON}, the office in {LOCATION} will close in June.",
    "The patient, {PERSON}, was referred by Dr. {PERSON} for a follow-up.",
    "Thanks, {PERSON}",
    "{PERSON} from {ORGANIZATION} reviewed the contract yesterday.",
    "She grew up in {LOCATION} and studied in {LOCATION}.",
    "Send the signed form to {ORGANIZATION}, {ADDRESS}.",
    "Customer {PERSON} complained that the app crashes on login.",
    "Can you ask {PERSON} whether the {LOCATION} branch is open on Sundays?",
    "Our new supplier is {ORGANIZATION}; their depot is at {ADDRESS}.",
]

CLEAN = [
    "the build failed again after the dependency upgrade",
    "Please restart the server and clear the cache before the next run.",
    "The quarterly report shows revenue up four percent.",
    "Battery life is great but the screen scratches easily.",
    "Order arrived on time, packaging was fine, five stars.",
    "We need two more reviewers for the pull request.",
    "Turn left at the second light and park behind the bakery.",
    "The model overfits when the learning rate is too high.",
    "Refund processed; allow three to five business days.",
    "Thanks for the quick reply, that fixed it.",
    "Tuesday's standup is moved to the afternoon.",
    "The coffee machine on the third floor is broken again.",
]

_SLOT = re.compile(r"\{(PERSON|ADDRESS|LOCATION|ORGANIZATION)\}")


class People:
    """Values for the slots, from one seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fakers = [Faker(locale) for locale in LOCALES]
        for index, fake in enumerate(self.fakers):
            fake.seed_instance(seed + index)

    def value(self, kind: str) -> str:
        fake = self.rng.choice(self.fakers)
        if kind == "PERSON":
            return fake.name() if self.rng.random() < 0.8 else f"{fake.first_name()} {fake.last_name()}"
        if kind == "ADDRESS":
            return fake.street_address()
        if kind == "LOCATION":
            return fake.city() if self.rng.random() < 0.7 else fake.country()
        return fake.company()


def sentences(count: int, seed: int = 11, clean_share: float = 0.2) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """``count`` sentences, about ``clean_share`` of them with no entity."""
    people = People(seed)
    rng = people.rng
    out = []
    for _ in range(count):
        if rng.random() < clean_share:
            out.append((rng.choice(CLEAN), []))
            continue
        template = rng.choice(TEMPLATES)
        text, spans, last = "", [], 0
        for match in _SLOT.finditer(template):
            text += template[last:match.start()]
            value = people.value(match.group(1)).replace("\n", ", ")
            spans.append((match.group(1), len(text), len(text) + len(value)))
            text += value
            last = match.end()
        out.append((text + template[last:], spans))
    return out


PART_OF = {"LOCATION": {"ADDRESS"}}
"""A town or country inside an address is a correct LOCATION (presidio-evaluator's own evaluation maps
street addresses and places to one LOCATION type); it does not count as finding the address."""


def score(cases, predict) -> dict[str, dict[str, int]]:
    """Per type: expected spans, spans found (a prediction of the type overlaps), predictions, and
    predictions that overlap an expected span of the type (or one it is part of, ``PART_OF``).
    ``predict(text)`` -> [(type, start, end)]."""
    table: dict[str, dict[str, int]] = {}
    for text, spans in cases:
        predicted = predict(text)
        for kind in {k for k, _, _ in spans} | {k for k, _, _ in predicted}:
            row = table.setdefault(kind, {"spans": 0, "found": 0, "predicted": 0, "correct": 0})
            mine = [(s, e) for k, s, e in predicted if k == kind]
            truth = [(s, e) for k, s, e in spans if k == kind]
            wider = [(s, e) for k, s, e in spans if k == kind or k in PART_OF.get(kind, ())]
            row["spans"] += len(truth)
            row["found"] += sum(any(s < pe and ps < e for ps, pe in mine) for s, e in truth)
            row["predicted"] += len(mine)
            row["correct"] += sum(any(s < pe and ps < e for s, e in wider) for ps, pe in mine)
    return table


def rates(row: dict[str, int]) -> tuple[float, float]:
    """(recall, precision) of one row of ``score``."""
    return (row["found"] / row["spans"] if row["spans"] else 1.0,
            row["correct"] / row["predicted"] if row["predicted"] else 1.0)
