"""Time per decision, through gate and as the raw engine call on the same policy and input.

Prints, for every installed engine: median and p99 of an access decision and of a dataset
decision (gate: descriptor parse + every fact + input + engine + verdict; raw: the engine's
own evaluate on the identical input document), their ratio (gate's own overhead), and the first
decision of a fresh process-level session including policy load. No assertions: numbers only.

    python benchmarks/decisions.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from gate.core import (ACCESS_ENTRYPOINT, DATASET_ENTRYPOINT, DatasetIndex, Options, Session, access_input,
                       check_paths, dataset_input, decide_access)
from gate.core import dataset_facts
from gate.descriptor import load_descriptor
from gate.engine import installed_engines
from gate.repo import Repo

ROOT = Path(__file__).resolve().parent.parent
REPO = ROOT / "examples" / "repo"
DATASET = REPO / "datasets" / "churn-2026q1"
REQUEST = json.loads((ROOT / "examples" / "requests" / "01-bob-trains-churn.json").read_text())


def timed(fn, rounds: int) -> list[float]:
    fn()  # warm
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def ms(value: float) -> str:
    return f"{value * 1000:8.3f} ms"


def bench_engine(name: str, rounds: int) -> list[str]:
    options = Options(engine=name, repo_root=REPO)
    start = time.perf_counter()
    session = Session.open(options)
    load = time.perf_counter() - start
    first_start = time.perf_counter()
    check_paths([DATASET], options, session)
    first = time.perf_counter() - first_start

    repo = Repo.at(REPO)
    context = session.context(repo)
    descriptor = load_descriptor(DATASET / "dataset.yaml", repo)
    dataset_doc = dataset_input(descriptor, dataset_facts(descriptor, repo, session).facts, context)
    access_doc = access_input(REQUEST, DatasetIndex.build(repo).find(REQUEST["dataset"]), context)

    rows = []
    cases = [
        ("access decision", lambda: decide_access([(REQUEST, "bench")], options, session),
         lambda: session.engine.evaluate(ACCESS_ENTRYPOINT, access_doc)),
        ("dataset decision", lambda: check_paths([DATASET], options, session),
         lambda: session.engine.evaluate(DATASET_ENTRYPOINT, dataset_doc)),
    ]
    for label, through_gate, raw in cases:
        g_med, g_p99 = summary(timed(through_gate, rounds))
        r_med, r_p99 = summary(timed(raw, rounds))
        rows.append(f"{name:<8} {label:<17} gate median {ms(g_med)} p99 {ms(g_p99)} | raw engine median "
                    f"{ms(r_med)} p99 {ms(r_p99)} | gate/raw {g_med / r_med:5.2f}x")
    rows.append(f"{name:<8} {'first decision':<17} policy load {ms(load)} + first dataset decision {ms(first)}"
                f" = {ms(load + first)}")
    session.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    print(f"decisions on examples/repo (churn-2026q1; request: {REQUEST['subject']} {REQUEST['action']}), "
          f"{args.rounds} rounds each")
    for name in installed_engines():
        for row in bench_engine(name, args.rounds):
            print(row)


if __name__ == "__main__":
    main()
