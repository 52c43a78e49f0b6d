"""PERSON, ADDRESS, LOCATION, ORGANIZATION: column semantics and context without a model (names.py),
the pinned spaCy model (ner.py), quality floors on sentences generated here (tests/people_corpus.py)."""

from __future__ import annotations

import shutil

import pytest

from gate.data.segments import segment_of, text_segment
from gate.facts.pii import ner
from gate.facts.pii.names import column_kind
from gate.facts.pii.scanner import Scanner

KEY = b"names-test-key-0123456789abcdef"


@pytest.fixture
def ner_off(monkeypatch):
    monkeypatch.setenv("GATE_NER", "off")
    ner.status.cache_clear()
    yield Scanner(KEY, 0.0)
    ner.status.cache_clear()


@pytest.fixture
def ner_on(monkeypatch):
    monkeypatch.setenv("GATE_NER", "on")
    ner.status.cache_clear()
    if ner.status()["model"] is None:
        pytest.fail(f"the NER extra is part of the test install (scripts/install.sh): {ner.status()['reason']}")
    yield Scanner(KEY, 0.0)
    ner.status.cache_clear()


def _found(scanner: Scanner, column: str | None, values: list[str]) -> list[tuple[str, float, str]]:
    encoded = [v.encode() for v in values]
    segment = segment_of(column, encoded, list(range(len(values)))) if column else text_segment(b"\n".join(encoded), 0)
    return [(kind, confidence, bytes(segment.data[a:b]).decode()) for kind, confidence, a, b in scanner.locate(segment)]


@pytest.mark.parametrize("column, kind", [
    ("first_name", "PERSON"), ("LastName", "PERSON"), ("name", "PERSON"), ("customer", "PERSON"),
    ("patient_name", "PERSON"), ("card_holder_name", "PERSON"), ("street", "ADDRESS"), ("address_line1", "ADDRESS"),
    ("billingAddress", "ADDRESS"), ("city", "LOCATION"), ("employer", "ORGANIZATION"), ("company_name", "ORGANIZATION"),
    ("product_name", None), ("file_name", None), ("email_address", None), ("ip_address", None), ("customer_id", None),
    ("contact_email", None), ("dog_name", None), ("hostname", None), ("nameserver", None), ("city_code", None),
])
def test_column_names(column, kind):
    assert column_kind(column) == kind


def test_name_column_values_are_people_at_deny_level(ner_off):
    found = _found(ner_off, "first_name", ["Ann", "José", "Mary-Jane", "O'Neil", "", "12345", "n/a"])
    assert {text for kind, _, text in found if kind == "PERSON"} == {"Ann", "José", "Mary-Jane", "O'Neil"}
    assert all(confidence >= 0.5 for _, confidence, _ in found)


def test_a_customer_column_of_companies_is_organizations_for_review(ner_off):
    companies = ["Acme Corp", "Bank of America", "Microsoft Corporation", "Widget LLC", "Initech Inc"]
    found = _found(ner_off, "customer", companies)
    assert {kind for kind, _, _ in found} == {"ORGANIZATION"}
    assert all(confidence < 0.5 for _, confidence, _ in found)


def test_an_address_column_holds_street_addresses(ner_off):
    found = _found(ner_off, "address", ["123 Main St, Springfield", "42 Rue de Rivoli", "Flat 2, 7 Hill Road"])
    assert [kind for kind, _, _ in found] == ["ADDRESS"] * 3
    assert not [f for f in _found(ner_off, "email_address", ["ann@example.org"]) if f[0] == "ADDRESS"]


def test_names_and_addresses_in_text_without_a_model(ner_off):
    lines = ["Dear Ann Lee, your order shipped.", "Please ask Dr. Marta Kowalski about it.", "My name is John Smith",
             "Ship it to 221B Baker Street please", "The stop is on Via Pasquale Scura 127", "Send to Hauptstraße 12",
             "Dear Sir, hello", "Dr. Pepper is a drink", "Dear Customer, thanks", "The firm Dr Hoenle AG makes lamps",
             "I walked 5 miles down the road", "version 2 of the tool"]
    found = _found(ner_off, None, lines)
    people = {text for kind, _, text in found if kind == "PERSON"}
    assert people == {"Dear Ann Lee", "Dr. Marta Kowalski", "My name is John Smith"}
    assert {text for kind, _, text in found if kind == "ADDRESS"} == {"221B Baker Street", "Via Pasquale Scura 127",
                                                                      "Hauptstraße 12"}


def test_names_in_the_descriptor_and_file_names_are_not_data(ner_on):
    assert not [kind for _, kind, _ in ner_on.find_in_names(["Dr. Ann Lee", "221B Baker Street", "Paris"])
                if kind in ("PERSON", "ADDRESS", "LOCATION", "ORGANIZATION")]


def test_the_model_finds_names_in_text(ner_on):
    found = _found(ner_on, None, ["Maria Garcia called from Boston about the refund.",
                                  "The build failed again after the upgrade."])
    assert ("PERSON", 0.6, "Maria Garcia") in found
    assert ("LOCATION", 0.45, "Boston") in found
    assert not [f for f in found if "build" in f[2]]


def test_a_capitalised_first_word_alone_is_only_for_review(ner_on):
    found = _found(ner_on, "text", ["Gift for my brother. The kettle: excellent value."] * 3)
    assert all(confidence < 0.5 for kind, confidence, _ in found if kind == "PERSON")


def test_quality_floors_on_generated_sentences(ner_on):
    from people_corpus import rates, score, sentences

    cases = sentences(400, seed=20261202)

    def predict(text: str):
        data = text.encode()
        chars = lambda offset: len(data[:offset].decode("utf-8", "replace"))  # noqa: E731
        return [(kind, chars(a), chars(b)) for kind, _, a, b in ner_on.locate(text_segment(data, 0))]

    table = score(cases, predict)
    floors = {"PERSON": (0.8, 0.65), "LOCATION": (0.5, 0.7), "ORGANIZATION": (0.45, 0.4), "ADDRESS": (0.2, 0.9)}
    for kind, (recall_floor, precision_floor) in floors.items():
        recall, precision = rates(table[kind])
        assert recall >= recall_floor and precision >= precision_floor, (kind, recall, precision, table[kind])
    clean = [text for text, spans in cases if not spans]
    assert clean
    wrong = [f for text in clean for f in predict(text) if f[0] == "PERSON"]
    assert len(wrong) <= len(clean) * 0.05, wrong


def test_previews_and_fingerprints_hold_no_name(ner_on):
    segment = text_segment(b"Maria Garcia called from Boston.\n", 0)
    findings = ner_on.scan_segment(segment, "notes.txt")
    assert {f.type for f in findings} == {"PERSON", "LOCATION"}
    for finding in findings:
        assert not set(finding.preview) - {"*"}
        assert "maria" not in finding.fingerprint.lower()


def test_a_model_that_is_not_the_pinned_one_is_refused(monkeypatch, tmp_path):
    source = ner.model_dir()
    assert source is not None
    copy = tmp_path / "model"
    shutil.copytree(source, copy)
    with open(copy / "ner" / "cfg", "a", encoding="utf-8") as handle:
        handle.write(" ")
    monkeypatch.setenv("GATE_NER", "on")
    monkeypatch.setattr(ner, "model_dir", lambda: copy)
    ner.status.cache_clear()
    try:
        state = ner.status()
        assert state["model"] is None and "not the pinned one" in state["reason"]
        assert ner.identity() == "none"
        assert Scanner(KEY, 0.0).ner is False
    finally:
        ner.status.cache_clear()


def test_turned_off_is_reported(ner_off):
    from gate.facts.collect import detection_json

    facts = detection_json()
    assert facts["ner"]["model"] is None and "GATE_NER=off" in facts["ner"]["reason"]
    assert facts["undetectable"] == ["PERSON", "LOCATION", "ORGANIZATION"]
