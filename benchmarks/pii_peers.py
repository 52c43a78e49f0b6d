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

    python benchmarks/pii_peers.py --detect-secrets PATH [--show-misses]

PATH: a checkout of Yelp/detect-secrets, or a git directory of one (its HEAD is exported).
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

class Collector:
    def __init__(self):
        self.items = []

    def pytest_collection_modifyitems(self, items):
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", None)
            if params is not None:
                self.items.append((item.nodeid, {k: v if isinstance(v, (str, bool, int, type(None)))
                                                  else getattr(v, "__name__", repr(v)) for k, v in params.items()}))

collector = Collector()
code = pytest.main([sys.argv[1] + "/tests/plugins", "--collect-only", "-q", "-p", "no:cacheprovider",
                    "-p", "no:xdist", "--noconftest", "-o", "addopts=", "--rootdir", sys.argv[1]],
                   plugins=[collector])
json.dump(collector.items, sys.stdout)
sys.exit(0 if code == 0 else 1)
"""


def checkout(path: Path, into: Path) -> Path:
    """A work tree: the path itself, or its HEAD exported from a git directory."""
    if (path / "tests" / "plugins").is_dir():
        return path
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "--git-dir", str(path), "archive", "HEAD"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def cases(tree: Path) -> list[dict]:
    """(plugin, id, line, file extension, expected) for every parametrized case that is a line to scan."""
    proc = subprocess.run([sys.executable, "-c", _COLLECT, str(tree)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tree)})
    if proc.returncode != 0:
        sys.exit(f"collecting detect-secrets' test cases failed:\n{proc.stderr[-2000:]}")
    out = []
    for nodeid, p in json.loads(proc.stdout.splitlines()[-1] if proc.stdout.strip() else "[]"):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detect-secrets", type=Path, required=True, metavar="PATH")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = checkout(args.detect_secrets, Path(tmp) / "detect-secrets")
        found = cases(tree)
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        score(found, scratch, args.show_misses)
        test_data(tree)


if __name__ == "__main__":
    main()
