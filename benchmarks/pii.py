"""PII scan throughput and quality: gate beside Presidio's pattern recognizers, in the same run.

Builds a >= 200 MB CSV, a >= 200 MB JSONL shaped like training data (feature columns plus a
free-text column; about 4 % of texts carry a PII value, another 4 % a decoy) and a >= 200 MB text
file of the same sentences (text-heavy data, a line per document), times `gate scan pii` on each
(one process = one core) and on CSV and JSONL at once, reads peak memory (also on a quarter-size
file, to show it does not grow with the file), then runs, in the same run, Presidio's pattern
recognizers cell by cell on a sample of the CSV and detect-secrets' file scan (``scan_file``,
default plugins and filters) on a sample of the CSV and of the text. Finally both PII detectors
are scored on the labeled corpus of the tests. The NER extra is turned off for the speed runs
(``GATE_NER=off``): its speed is spaCy's, reported by ``pii_peers.py --names``.

    python benchmarks/pii.py [--mb 200] [--sample-mb 2] [--secrets-mb 5] [--keep DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

WORDS = ("the of and to in is was for on that with as by at from this be or an are it not which have had has "
         "been their its more other order shipped account update release customer ticket model").split()


def build_files(directory: Path, megabytes: int, seed: int = 5) -> tuple[Path, Path]:
    from pii_corpus import DECOYS, TRUE_KINDS, Values

    rng = random.Random(seed)
    values = Values(seed)
    true_pool = [TRUE_KINDS[k](values) for k in TRUE_KINDS for _ in range(300)]
    decoy_pool = [DECOYS[k](values) for k in DECOYS for _ in range(300)]

    def text() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 30))]
        roll = rng.random()
        if roll < 0.04:
            words.insert(rng.randrange(len(words)), rng.choice(true_pool))
        elif roll < 0.08:
            words.insert(rng.randrange(len(words)), rng.choice(decoy_pool))
        return " ".join(words)

    target = megabytes * 1024 * 1024
    csv_path, jsonl_path = directory / f"bench-{megabytes}.csv", directory / f"bench-{megabytes}.jsonl"
    text_path = directory / f"bench-{megabytes}.txt"
    with open(csv_path, "w", encoding="utf-8") as out:
        out.write("id,age,income,score,segment,country,clicks,ratio,label,comment\n")
        size, row = 0, 0
        while size < target:
            line = (f"{row},{rng.randint(18, 90)},{rng.random() * 1e5:.2f},{rng.random():.4f},{rng.choice('ABCD')},"
                    f"{rng.choice(['US', 'DE', 'FR'])},{rng.randint(0, 500)},{rng.random():.3f},{rng.randint(0, 1)},"
                    f"\"{text()}\"\n")
            out.write(line)
            size += len(line)
            row += 1
    with open(jsonl_path, "w", encoding="utf-8") as out:
        size, row = 0, 0
        while size < target:
            line = json.dumps({"id": row, "features": {"age": rng.randint(18, 90), "score": round(rng.random(), 4)},
                               "label": rng.randint(0, 1), "text": text()}) + "\n"
            out.write(line)
            size += len(line)
            row += 1
    with open(text_path, "w", encoding="utf-8") as out:
        size = 0
        while size < target:
            line = " ".join(sentence[:1].upper() + sentence[1:] + "."
                            for sentence in (text() for _ in range(rng.randint(1, 6)))) + "\n"
            out.write(line)
            size += len(line)
    return csv_path, jsonl_path, text_path


def sample(path: Path, megabytes: float) -> Path:
    """The first lines of a file, about ``megabytes`` of them, beside it."""
    limit = int(megabytes * 1024 * 1024)
    target = path.with_name(f"sample-{path.name}")
    with open(path, "rb") as source, open(target, "wb") as out:
        size = 0
        for line in source:
            out.write(line)
            size += len(line)
            if size >= limit:
                break
    return target


def detect_secrets_speed(path: Path) -> tuple[float, int] | None:
    """detect-secrets' own file scan, default plugins and filters, one core: (MB/s, secrets)."""
    try:
        from detect_secrets.core.scan import scan_file
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    start = time.perf_counter()
    with default_settings():
        found = sum(1 for _ in scan_file(str(path)))
    return path.stat().st_size / 1e6 / (time.perf_counter() - start), found


def gate_run(paths: list[Path], repo: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (all threads), peak RSS (MB) of the gate process, findings."""
    probe = (
        "import resource, subprocess, sys, time, json\n"
        "start = time.perf_counter()\n"
        "proc = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "elapsed = time.perf_counter() - start\n"
        "body = json.loads(proc.stdout)\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,"
        " len(body['findings']), proc.returncode, body['errors']]))\n"
    )
    command = [sys.executable, "-c", probe, sys.executable, "-m", "gate", "scan", "pii", *map(str, paths),
               "--repo", str(repo), "--no-baseline", "--format", "json"]
    elapsed, cpu, peak, findings, code, errors = json.loads(subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, "GATE_NER": "off"}).stdout)
    if code == 2 or errors:
        raise SystemExit(f"gate scan failed: {errors}")
    return elapsed, cpu, peak, findings


def presidio_recognizers():
    import logging

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)  # it tries to fetch the suffix list: no network
    logging.getLogger("presidio-analyzer").setLevel(logging.CRITICAL)
    try:
        from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer,
                                                              IbanRecognizer, IpRecognizer, PhoneRecognizer,
                                                              UsSsnRecognizer)
    except ImportError:
        return None
    return [EmailRecognizer(), PhoneRecognizer(), UsSsnRecognizer(), CreditCardRecognizer(), IbanRecognizer(),
            IpRecognizer()]


PRESIDIO_TYPES = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "US_SSN": "US_SSN", "CREDIT_CARD": "CREDIT_CARD",
                  "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP_ADDRESS"}


def presidio_cells(recognizers, cells):
    """Presidio's pattern recognizers on each cell; yields (index, type) for every result, as Presidio's
    AnalyzerEngine does with its default score_threshold of 0."""
    entities = list(PRESIDIO_TYPES)
    for index, cell in enumerate(cells):
        if not cell:
            continue
        for recognizer in recognizers:
            for result in recognizer.analyze(cell, entities, None):
                if result.score > 0 and result.entity_type in PRESIDIO_TYPES:
                    yield index, PRESIDIO_TYPES[result.entity_type]


def presidio_speed(recognizers, csv_path: Path, sample_mb: float) -> float:
    import csv

    limit = int(sample_mb * 1024 * 1024)
    cells, size = [], 0
    with open(csv_path, encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            cells.extend(row)
            size += sum(len(c) + 1 for c in row)
            if size >= limit:
                break
    start = time.perf_counter()
    for _ in presidio_cells(recognizers, cells):
        pass
    return size / 1e6 / (time.perf_counter() - start)


def quality(recognizers, directory: Path) -> None:
    import csv as csvmod

    from pii_corpus import TRUE_KINDS, build, score

    corpus = build(directory / "labeled", rows=600, seed=20261123)
    repo = directory
    body = json.loads(subprocess.run([sys.executable, "-m", "gate", "scan", "pii", str(directory / "labeled"),
                                      "--repo", str(repo), "--no-baseline", "--format", "json"],
                                     capture_output=True, text=True).stdout)
    gate_found = Counter((Path(f["file"]).name, f["row"], f["column"], f["type"]) for f in body["findings"])
    gate_scores = score(corpus.truth, gate_found, TRUE_KINDS)
    presidio_scores = {}
    if recognizers:
        found: Counter = Counter()
        rows = list(csvmod.DictReader(open(directory / "labeled" / "corpus.csv", encoding="utf-8")))
        for row_index, row in enumerate(rows):
            for column, cell in row.items():
                for _, kind in presidio_cells(recognizers, [cell]):
                    found[("corpus.csv", row_index, column, kind)] += 1
        for line_index, line in enumerate(open(directory / "labeled" / "corpus.txt", encoding="utf-8")):
            for _, kind in presidio_cells(recognizers, [line]):
                found[("corpus.txt", line_index, None, kind)] += 1
        truth = Counter({k: v for k, v in corpus.truth.items() if k[0] in ("corpus.csv", "corpus.txt")})
        presidio_scores = score(truth, found, [k for k in TRUE_KINDS if k in PRESIDIO_TYPES.values()])
    print("\nquality on the labeled corpus (precision / recall; Presidio on its CSV and text parts)")
    print(f"{'type':<15} {'gate':>15} {'presidio':>17}")
    for kind in TRUE_KINDS:
        g = gate_scores[kind]
        p = presidio_scores.get(kind)
        right = f"{p[0]:.3f} / {p[1]:.3f}" if p else "n/a"
        print(f"{kind:<15} {g[0]:.3f} / {g[1]:.3f}   {right:>15}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--sample-mb", type=float, default=2.0, help="Presidio's sample of the CSV")
    parser.add_argument("--secrets-mb", type=float, default=5.0, help="detect-secrets' samples of the CSV and text")
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is printed")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="gate-pii-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".git").mkdir(exist_ok=True)
    start = time.perf_counter()
    csv_path, jsonl_path, text_path = build_files(directory, args.mb)
    small_csv, _, _ = build_files(directory, max(1, args.mb // 4), seed=6)
    print(f"built {csv_path.name} ({csv_path.stat().st_size / 1e6:.0f} MB), {jsonl_path.name} "
          f"({jsonl_path.stat().st_size / 1e6:.0f} MB), {text_path.name} ({text_path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - start:.0f} s")

    rows = []
    for label, paths in (("csv", [csv_path]), ("jsonl", [jsonl_path]), ("text", [text_path]),
                         (f"csv {args.mb // 4} MB", [small_csv]),
                         ("csv + jsonl, 2 processes", [csv_path, jsonl_path])):
        size = sum(p.stat().st_size for p in paths) / 1e6
        runs = sorted(gate_run(paths, directory) for _ in range(args.repeat))
        elapsed, cpu, peak, findings = runs[len(runs) // 2]
        rows.append((label, size, elapsed, cpu, peak, findings))
        print(f"gate scan pii  {label:<26} {size:5.0f} MB  wall {elapsed:5.2f} s = {size / elapsed:5.1f} MB/s  "
              f"cpu {cpu:5.2f} s = {size / cpu:5.1f} MB/s per core  peak {peak:4.0f} MB  findings {findings}"
              f"  (median of {args.repeat})")

    recognizers = presidio_recognizers()
    if recognizers is None:
        print("presidio-analyzer is not installed (pip install presidio-analyzer): no comparison")
    else:
        speed = presidio_speed(recognizers, csv_path, args.sample_mb)
        gate_csv, gate_jsonl = rows[0][1] / rows[0][2], rows[1][1] / rows[1][2]
        core_csv, core_jsonl = rows[0][1] / rows[0][3], rows[1][1] / rows[1][3]
        print(f"presidio pattern recognizers, cell by cell, {args.sample_mb:g} MB sample of the csv: {speed:.3f} MB/s "
              f"(one core)")
        print(f"ratio gate/presidio (wall): csv {gate_csv / speed:.0f}x, jsonl {gate_jsonl / speed:.0f}x (goal >= 100x); "
              f"gate per core (bytes per CPU second): csv {core_csv:.1f}, jsonl {core_jsonl:.1f} MB/s (goal >= 50)")
    print("goal (issue 15 item 6): >= 300 MB/s per core on CSV and on text; measured per core: "
          f"csv {rows[0][1] / rows[0][3]:.1f}, jsonl {rows[1][1] / rows[1][3]:.1f}, text {rows[2][1] / rows[2][3]:.1f} MB/s")
    for label, path in (("csv", csv_path), ("text", text_path)):
        part = sample(path, args.secrets_mb)
        peer = detect_secrets_speed(part)
        if peer is None:
            print("detect-secrets is not installed (pip install detect-secrets): no comparison")
            break
        elapsed, cpu, _, findings = gate_run([part], directory)
        size = part.stat().st_size / 1e6
        print(f"{label} sample {size:.1f} MB: detect-secrets scan_file {peer[0]:.2f} MB/s ({peer[1]} secrets), "
              f"gate scan pii {size / elapsed:.1f} MB/s wall incl. start-up ({findings} findings of every type): "
              f"ratio {size / elapsed / peer[0]:.0f}x")
    quality(recognizers, directory)


if __name__ == "__main__":
    main()
