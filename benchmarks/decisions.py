"""Time per decision through gate, beside the engine library's own call on the same policy and input.

Prints, for every installed engine:
- an access decision through gate (`decide_access`: dataset index, input, engine, checks, verdict)
  beside the library's own evaluation of the identical input document on an engine holding the same
  modules and data (OPA: `opa_bindings.OpaEngine.eval_query`; regorus: `Engine.eval_rule_as_json`);
  goal: gate <= 1.2x raw;
- a dataset decision through gate (`check_paths` on one dataset whose facts are cached) beside raw +
  the facts (the library's evaluation plus `dataset_facts` from the same cache); goal: <= 1.5x;
- the first decision: a fresh `gate check DATASET` process (interpreter, imports, policy load,
  facts from the cache, decision), wall clock; goal: <= 0.5 s; beside it, the floor on this machine
  in the same run: a fresh interpreter that only loads the same modules and data into the engine
  library and evaluates the same input once (OPA only: regorus' Python API is shown the same way).
Times are medians of the two sides interleaved round by round, after a warm-up; in a long-lived
process OPA asks an entrypoint with a query of its own after its first decisions (see
gate.engine.opa_engine.PROMOTE_AFTER), which the warm-up passes, as a service's first minute would.
No assertions: numbers only.

    python benchmarks/decisions.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gate.run.session import ACCESS_ENTRYPOINT, DATASET_ENTRYPOINT, Options, Session, open_cache
from gate.run.datasets import DatasetIndex
from gate.run.access import access_input, decide_access
from gate.run.check import check_paths, dataset_facts, dataset_input
from gate.model.descriptor import load_descriptor
from gate.engine import installed_engines
from gate.repo import Repo

ROOT = Path(__file__).resolve().parent.parent
REQUEST = json.loads((ROOT / "examples" / "requests" / "01-bob-trains-churn.json").read_text())


def timed_pair(first, second, rounds: int) -> tuple[list[float], list[float]]:
    """Both calls, interleaved round by round (after a warm-up of each), so that a burst of load on this
    shared machine falls on both sides of a ratio instead of on one."""
    for _ in range(max(10, rounds // 10)):
        first()
        second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for fn, into in ((first, samples[0]), (second, samples[1])):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def ms(value: float) -> str:
    return f"{value * 1000:8.3f} ms"


def raw_evaluator(name: str, policies, entrypoint: str):
    """The engine library's own call, on an engine of its own holding the same modules and data."""
    if name == "opa":
        import opa_bindings

        engine = opa_bindings.OpaEngine()
        engine.print_handler = lambda message, location: None
        for module in policies.modules:
            engine.add_policy(module.name, module.source)
        engine.add_data(policies.data)
        query = f"x := data.{entrypoint}"
        return lambda document: engine.eval_query(query, input=document)[0]["x"]
    if name == "regorus":
        import regorus

        engine = regorus.Engine()
        for module in policies.modules:
            engine.add_policy(module.name, module.source)
        engine.add_data_json(json.dumps(policies.data))

        def evaluate(document):
            engine.set_input_json(json.dumps(document))
            return json.loads(engine.eval_rule_as_json(f"data.{entrypoint}"))
        return evaluate
    raise SystemExit(f"no raw evaluator for engine {name}")


def bench_engine(name: str, repo_root: Path, dataset: Path, rounds: int) -> list[str]:
    options = Options(engine=name, repo_root=repo_root)
    session = Session.open(options)
    repo = Repo.at(repo_root)
    context = session.context(repo)
    descriptor = load_descriptor(dataset / "dataset.yaml", repo)
    notices: list[str] = []
    cache = open_cache(repo, options, notices)
    facts = lambda: dataset_facts(descriptor, repo, session, cache).facts  # noqa: E731
    dataset_doc = dataset_input(descriptor, facts(), context)
    access_doc = access_input(REQUEST, DatasetIndex.build(repo).find(REQUEST["dataset"]), context)
    raw_access = raw_evaluator(name, session.policies, ACCESS_ENTRYPOINT)
    raw_dataset = raw_evaluator(name, session.policies, DATASET_ENTRYPOINT)
    assert raw_access(access_doc) == session.engine.evaluate(ACCESS_ENTRYPOINT, access_doc)

    rows = []
    cases = [
        ("access decision", "raw", lambda: decide_access([(REQUEST, "bench")], options, session),
         lambda: raw_access(access_doc), 1.2),
        ("dataset decision", "raw + facts", lambda: check_paths([dataset], options, session),
         lambda: (facts(), raw_dataset(dataset_doc)), 1.5),
    ]
    for label, what, through_gate, raw, goal in cases:
        gate_samples, raw_samples = timed_pair(through_gate, raw, rounds)
        (g_med, g_p99), (r_med, r_p99) = summary(gate_samples), summary(raw_samples)
        ratio = g_med / r_med
        rows.append(f"{name:<8} {label:<17} gate median {ms(g_med)} p99 {ms(g_p99)} | {what:<11} median "
                    f"{ms(r_med)} p99 {ms(r_p99)} | gate/{what} {ratio:5.2f}x (goal <= {goal}x: "
                    f"{'met' if ratio <= goal else 'NOT met'})")
    session_modules = ([(m.name, m.source) for m in session.policies.modules], session.policies.data)
    if cache is not None:
        cache.close()
    session.close()

    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("CI", None)
    command = [sys.executable, "-m", "gate", "check", "--engine", name, str(dataset)]
    subprocess.run(command, cwd=repo_root, env=env, capture_output=True)  # the facts are cached
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(command, cwd=repo_root, env=env, capture_output=True)
        samples.append(time.perf_counter() - start)
    first = statistics.median(samples)
    floor = statistics.median(_floor(name, session_modules, dataset_doc) for _ in range(5))
    rows.append(f"{name:<8} {'first decision':<17} a fresh `gate check` process, facts cached: median {ms(first)} "
                f"(goal <= 500 ms: {'met' if first <= 0.5 else 'NOT met'}) | a fresh interpreter loading the "
                f"engine, the modules and the data and deciding once: {ms(floor)} | gate/floor {first / floor:5.2f}x")
    return rows


_FLOOR = """
import json, sys
modules, data, document, name = json.load(open(sys.argv[1]))
if name == "opa":
    import opa_bindings
    engine = opa_bindings.OpaEngine()
    for module, source in modules:
        engine.add_policy(module, source)
    engine.add_data(data)
    engine.eval_query("x := data.gate.dataset.decision", input=document)
else:
    import regorus
    engine = regorus.Engine()
    for module, source in modules:
        engine.add_policy(module, source)
    engine.add_data_json(json.dumps(data))
    engine.set_input_json(json.dumps(document))
    engine.eval_rule_as_json("data.gate.dataset.decision")
"""


def _floor(name: str, modules_and_data, document) -> float:
    """Wall clock of a fresh interpreter that loads the engine library, the modules and the data and
    evaluates one dataset decision: what any first decision on this machine costs."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([*modules_and_data, document, name], handle)
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", _FLOOR, handle.name], check=True, capture_output=True)
        return time.perf_counter() - start
    finally:
        os.unlink(handle.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # a copy of the examples, so that caching their facts writes nothing into the checkout
        repo_root = Path(tmp) / "repo"
        shutil.copytree(ROOT / "examples" / "repo", repo_root, ignore=shutil.ignore_patterns(".gate"))
        dataset = repo_root / "datasets" / "churn-2026q1"
        print(f"decisions on a copy of examples/repo (dataset churn-2026q1; request: {REQUEST['subject']} "
              f"{REQUEST['action']}), {args.rounds} rounds each")
        for name in installed_engines():
            for row in bench_engine(name, repo_root, dataset, args.rounds):
                print(row, flush=True)


if __name__ == "__main__":
    main()
