"""Poisoning and drift detection: gate's combined score beside cleanlab alone and IsolationForest alone.

Cases come from scikit-learn's bundled data (breast cancer, digits, wine) and a make_classification
set of 20,000 rows: random label flips at 5 % and 10 %, a backdoor (3 % of rows from other classes
stamped with a two-feature trigger and relabelled to class 0; for digits two corner pixels set to
16) and a clean control. For each case: AUROC and precision@k (k = number of poisoned rows) of

- gate: the combined suspicion score of gate's poisoning facts (in-process, the same code as the CLI)
- cleanlab: confident learning's label-quality score on 5-fold out-of-fold probabilities of
  scikit-learn's HistGradientBoostingClassifier (the reference setup of issue 6)
- iforest: IsolationForest's anomaly score on the raw features

plus gate's flagged share, the policy's decision on the facts (the poisoning rules that fire) and
the triggers it names. Then drift (false alarms over
identical-distribution draws; a 0.2-SD mean shift in one feature of 5,000 rows) and the end-to-end
time of `gate scan poisoning` on a 20,000 x 20 CSV.

Run: python benchmarks/poisoning.py [--quick] [--real]   (--real: only the real clean sets and the attacks of
benchmarks/attacks.py on real sets, gate beside cleanlab alone and IsolationForest alone; --scale: the
1,000,000 x 50 memory run alone; --speed: 200,000 x 30 and 1,000,000 x 50 beside cleanlab with
gradient boosting alone, time and AUROC; --floor: the noise floor, every real clean set as two versions,
the new half judged alone and beyond the old half's share of suspicious rows, clean and with 5 % and
10 % random flips)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def datasets(quick: bool = False):
    from sklearn import datasets as sk

    out = {"breast_cancer": sk.load_breast_cancer(return_X_y=True),
           "digits": sk.load_digits(return_X_y=True),
           "wine": sk.load_wine(return_X_y=True)}
    if not quick:
        out["make_classification_20k"] = sk.make_classification(
            n_samples=20_000, n_features=20, n_informative=8, n_redundant=4, n_classes=3,
            n_clusters_per_class=2, flip_y=0.0, class_sep=1.0, random_state=7)
    return out


def flip_labels(y: np.ndarray, rate: float, seed: int):
    rng = np.random.default_rng(seed)
    y = y.copy()
    n, k = len(y), int(y.max()) + 1
    rows = rng.choice(n, int(round(rate * n)), replace=False)
    y[rows] = (y[rows] + rng.integers(1, k, len(rows))) % k
    poisoned = np.zeros(n, dtype=bool)
    poisoned[rows] = True
    return y, poisoned


def backdoor(name: str, X: np.ndarray, y: np.ndarray, rate: float, seed: int, target: int = 0):
    """Stamp a two-feature trigger on rows of other classes and relabel them to ``target``."""
    rng = np.random.default_rng(seed)
    X, y = X.copy(), y.copy()
    rows = rng.choice(np.flatnonzero(y != target), int(round(rate * len(y))), replace=False)
    if name == "digits":
        columns, values = [0, 7], [16.0, 16.0]  # the two top corner pixels, blank in every clean digit
    else:
        columns = [1, 3]
        values = [float(np.round(np.percentile(X[:, c], 99), 2)) for c in columns]
    for column, value in zip(columns, values):
        X[rows, column] = value
    y[rows] = target
    poisoned = np.zeros(len(y), dtype=bool)
    poisoned[rows] = True
    return X, y, poisoned, [f"f{c}" for c in columns]


def frame(X: np.ndarray, y: np.ndarray):
    import pandas as pd

    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    df["label"] = y
    return df


def gate_scores(df):
    from gate.facts.poisoning import Table, analyze

    table = Table(df, ["case.csv"], [len(df)])
    return analyze(table, "label")


def cleanlab_scores(X, y):
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    probs = cross_val_predict(HistGradientBoostingClassifier(random_state=0), X, y,
                              cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")
    return 1 - get_label_quality_scores(y, probs), find_label_issues(y, probs)


def iforest_scores(X):
    from sklearn.ensemble import IsolationForest

    return -IsolationForest(random_state=0).fit(X).score_samples(X)


def precision_at_k(truth: np.ndarray, score: np.ndarray) -> float:
    k = int(truth.sum())
    top = np.argsort(-score, kind="stable")[:k]
    return float(truth[top].mean()) if k else float("nan")


def auroc(truth, score) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(truth, score)) if 0 < truth.sum() < len(truth) else float("nan")


def policy_decision(facts: dict, session) -> str:
    """What the shipped policy decides on the facts (poisoning.rego): the rules that fire, or 'pass'."""
    from gate.run.session import POISONING_RULES

    fired = sorted({v["id"].split(".", 1)[1] for v in session.rule_violations(POISONING_RULES, {"facts": {"poisoning": facts}})})
    return ",".join(fired) or "pass"


def run_cases(quick: bool = False, seed: int = 1) -> list[dict]:
    from gate.run.session import Options, Session

    session = Session.open(Options())
    rows = []
    for name, (X, y) in datasets(quick).items():
        X = X.astype(float)
        cases = [("clean", X, y, np.zeros(len(y), dtype=bool), None)]
        for rate in (0.05, 0.10):
            yy, truth = flip_labels(y, rate, seed)
            cases.append((f"flip {rate:.0%}", X, yy, truth, None))
        Xb, yb, truth, stamped = backdoor(name, X, y, 0.03, seed)
        cases.append(("backdoor 3%", Xb, yb, truth, stamped))
        for case, XX, yy, truth, stamped in cases:
            started = time.perf_counter()
            result = gate_scores(frame(XX, yy))
            elapsed = time.perf_counter() - started
            cl_score, cl_flags = cleanlab_scores(XX, yy)
            if_score = iforest_scores(XX)
            facts = result.facts
            named = sorted({t["feature"] for t in facts["triggers"]}
                           | {v["feature"] for t in facts["triggers"] for v in t["shared_values"]})
            rows.append({
                "dataset": name, "case": case, "rows": len(yy), "poisoned": int(truth.sum()),
                "gate_auroc": auroc(truth, result.score), "cleanlab_auroc": auroc(truth, cl_score),
                "iforest_auroc": auroc(truth, if_score),
                "gate_p_at_k": precision_at_k(truth, result.score), "cleanlab_p_at_k": precision_at_k(truth, cl_score),
                "iforest_p_at_k": precision_at_k(truth, if_score),
                "gate_flagged": float(result.flagged.mean()), "cleanlab_flagged": float(cl_flags.mean()),
                "policy": policy_decision(facts, session), "triggers": named, "stamped": stamped or [],
                "trigger_named": bool(stamped) and set(stamped) <= set(named), "seconds": elapsed,
            })
    session.close()
    return rows


def drift_figures(draws: int = 40, seed: int = 0, width: int = 10, large: int = 0) -> dict:
    """False alarms over identical-distribution draws, a 0.2-SD mean shift in one feature, a joint-only
    shift (two features' correlation +0.7 -> -0.7, marginals unchanged), all on 5,000 rows x ``width``;
    with ``large`` rows per side, whether a 0.02-SD shift (significant at that size) alarms."""
    import pandas as pd

    from gate.facts.drift import drift

    rng = np.random.default_rng(seed)

    def sample(shift: float = 0.0, rho: float = 0.0, n: int = 5000):
        X = rng.normal(size=(n, width))
        X[:, :3] = np.exp(X[:, :3])  # some skewed features
        X[:, 4] += shift
        X[:, 6] = rho * X[:, 5] + np.sqrt(1 - rho ** 2) * rng.normal(size=n)
        df = pd.DataFrame(X, columns=[f"f{i}" for i in range(width)])
        df["segment"] = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
        df["label"] = (X[:, 5] + rng.normal(size=n) > 0).astype(int)
        return df

    false_alarms = sum(drift(sample(), sample(), "label")["significant"] for _ in range(draws))
    detected = sum("f4" in drift(sample(0.2), sample(), "label")["drifted_features"] for _ in range(draws))
    flips = [drift(sample(rho=0.7), sample(rho=-0.7), "label") for _ in range(max(1, draws // 4))]
    out = {"draws": draws, "width": width, "false_alarm_rate": false_alarms / draws,
           "shift_0.2sd_detected": detected / draws,
           "joint_flip_detected": sum(r["multivariate"]["significant"] for r in flips) / len(flips),
           "joint_flip_marginals_drifted": sum(bool(r["drifted_features"]) for r in flips) / len(flips),
           "joint_flip_auc": float(np.mean([r["multivariate"]["statistic"] for r in flips]))}
    if large:
        result = drift(sample(0.02, n=large), sample(n=large), "label")
        f4 = next(t for t in result["features"] if t["feature"] == "f4")
        out.update({"large_rows": large, "large_n_trivial_alarm": bool(result["significant"]),
                    "large_n_trivial_significant_p": f4["p_adjusted"], "large_n_trivial_ks_d": f4["effect_size"]["ks_d"]})
    return out


def speed(rows: int = 20_000, features: int = 20) -> dict:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=rows, n_features=features, n_informative=8, n_classes=3,
                               n_clusters_per_class=2, random_state=3)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.csv")
        frame(X, y).to_csv(path, index=False)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "gate", "scan", "poisoning", path, "--label", "label",
                               "--format", "json", "--repo", tmp], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gate scan poisoning failed: {proc.stderr.strip()}")
    return {"rows": rows, "features": features, "seconds": elapsed, "cpus": os.cpu_count()}


def scale(rows: int = 1_000_000, features: int = 50) -> dict:
    """`gate scan poisoning` on a rows x features Parquet file: wall time and the child's peak memory."""
    import resource

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.parquet")
        writer = None
        for start in range(0, rows, 200_000):
            count = min(200_000, rows - start)
            X = rng.normal(size=(count, features)).astype(np.float64)
            y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=count) > 0).astype(np.int64)
            table = pa.table({**{f"f{i}": X[:, i] for i in range(features)}, "label": y})
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
        writer.close()
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "gate", "scan", "poisoning", path, "--label", "label",
                               "--format", "json", "--repo", tmp], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gate scan poisoning failed: {proc.stderr.strip()}")
    import json

    body = json.loads(proc.stdout)
    return {"rows": rows, "features": features, "seconds": elapsed, "peak_mb": peak_kb / 1024,
            "timing": body["timing_s"], "label_sampled": body["poisoning"]["methods"]["label_issues"].get("sampled")}


def speed_beside_cleanlab(rows: int, features: int, rate: float = 0.05) -> dict:
    """Issue 16 item 5: gate's whole poisoning analysis (in-process, every method) beside cleanlab
    with gradient boosting alone (5-fold out-of-fold probabilities + find_label_issues) on the same
    make_classification table with ``rate`` label flips, both within the cores gate is given."""
    from sklearn.datasets import make_classification

    from gate._threads import native_threads

    X, y = make_classification(n_samples=rows, n_features=features, n_informative=10, n_redundant=5, n_classes=3,
                               n_clusters_per_class=2, flip_y=0.0, random_state=0)
    flipped, truth = flip_labels(y, rate, seed=3)
    started = time.perf_counter()
    result = gate_scores(frame(X, flipped))
    ours = time.perf_counter() - started
    with native_threads():
        started = time.perf_counter()
        theirs_score, _ = cleanlab_scores(X, flipped)
        theirs = time.perf_counter() - started
    return {"rows": rows, "features": features, "gate_s": ours, "cleanlab_s": theirs,
            "gate_auroc": auroc(truth, result.score), "cleanlab_auroc": auroc(truth, theirs_score),
            "timing": result.timing}


def real_part() -> None:
    """Real clean sets (goal: no trigger, flagged <= 2 %), then every attack on real sets."""
    import attacks
    import real_data

    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'real clean set':<18}{'rows':>7} | {'flagged':>8}{'(cleanlab)':>11} {'suspicious':>10} | triggers (goal: none)")
        for r in real_controls(Path(tmp)):
            print(f"{r['set']:<18}{r['rows']:>7} | {r['flagged']:>8.2%}{r['cleanlab_flagged']:>11.2%} {r['suspicious']:>10.2%} | "
                  f"{', '.join(r['triggers']) or '-'}   ({r['seconds']:.1f} s)", flush=True)
        every = {c.name: c for c in real_data.CONTROLS + real_data.HELD_OUT + real_data.FRESH}
        sets = [every[n] for n in ("churn", "credit_card", "chile", "doctor_visits", "health_insurance", "fine_foods")]
        print("\nattacks on real sets: gate (cleanlab alone, IsolationForest alone)")
        for r in attacks.run(sets, (0.01, 0.03), (1,), Path(tmp)):
            print(f"{r['set']:<17}{r['attack']:<22}{r['rate']:>4.0%} {'NAMED' if r['named'] else 'missed':<7}"
                  f"P@k {r['p_at_k']:.3f} ({r['cleanlab_p_at_k']:.3f}, {r['iforest_p_at_k']:.3f})  "
                  f"AUROC {r['auroc']:.3f} ({r['cleanlab_auroc']:.3f}, {r['iforest_auroc']:.3f})  flagged {r['flagged']:.1%}"
                  + (f"  false triggers: {r['false']}" if r["false"] else ""), flush=True)
    print()


def real_controls(directory) -> list[dict]:
    """gate's facts on every real clean set (benchmarks/real_data.py) beside cleanlab alone's flagged share."""
    import real_data
    from attacks import _cleanlab_flags

    rows = []
    for control in real_data.CONTROLS + real_data.HELD_OUT + real_data.FRESH + real_data.LATER:
        started = time.perf_counter()
        result = real_data.analyze(control, directory)
        facts = result.facts
        rows.append({"set": control.name, "rows": facts["rows"], "triggers": [t["condition"] for t in facts["triggers"]],
                     "flagged": facts["flagged_rate"], "suspicious": facts["suspicious_rate"],
                     "cleanlab_flagged": _cleanlab_flags(result), "seconds": time.perf_counter() - started})
    return rows


def floor_part(sets=None) -> list[dict]:
    """The noise floor (issue 16 item 1) on every real clean set: the set split at random into two
    halves, an earlier version (the reference) and a new one. The new half judged alone (absolute 5 % /
    10 %) and beyond the reference's own share of suspicious rows, as `gate check` judges a dataset with
    a ``reference``; then the new half with 5 % and 10 % of its labels flipped at random, beyond the same
    floor. Goal: every clean new half at risk low beyond its floor."""
    import real_data

    from gate.facts.collect import floor_of, table_of
    from gate.facts.files import read_file
    from gate.facts.poisoning import analyze
    from gate.run.session import Options, Session

    session = Session.open(Options())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for control in sets or (real_data.CONTROLS + real_data.HELD_OUT + real_data.FRESH):
            df = real_data.frame(control)
            order = np.random.default_rng(11).permutation(len(df))
            halves = df.iloc[order[: len(df) // 2]], df.iloc[order[len(df) // 2:]].copy()

            def facts_of(frame, name):
                path = Path(tmp) / f"{control.name}-{name}.csv"
                frame.to_csv(path, index=False)
                table = table_of([read_file(path, path.name, "csv", keep=True)])
                return analyze(table, control.label, control.text, progress=False).facts

            old = facts_of(halves[0], "old")
            new = facts_of(halves[1], "new")
            floor = floor_of(f"{control.name}-old", old)
            row = {"set": control.name, "rows": len(halves[1]), "old": old["suspicious_rate"], "new": new["suspicious_rate"],
                   "alone": policy_decision(new, session), "beyond": policy_decision({**new, "floor": floor}, session)}
            labels = halves[1][control.label]
            levels = sorted(labels.dropna().astype(str).unique())
            for rate in (0.05, 0.10):
                flipped = halves[1].copy()
                rng = np.random.default_rng(3)
                values = labels.astype(object).to_numpy().copy()
                for i in rng.choice(len(values), int(rate * len(values)), replace=False):
                    if isinstance(values[i], float) and np.isnan(values[i]):
                        continue
                    others = [v for v in levels if v != str(values[i])]
                    values[i] = others[rng.integers(len(others))] if others else values[i]
                flipped[control.label] = values
                poisoned = facts_of(flipped, f"flip{rate}")
                row[f"flip_{rate:.2f}"] = poisoned["suspicious_rate"]
                row[f"flip_{rate:.2f}_beyond"] = policy_decision({**poisoned, "floor": floor}, session)
            rows.append(row)
            print(f"{row['set']:<18}{row['rows']:>6} | {row['old']:>7.2%} {row['new']:>7.2%} | {row['alone']:<12} "
                  f"{row['beyond']:<12} | {row['flip_0.05']:>7.2%} {row['flip_0.05_beyond']:<12} "
                  f"{row['flip_0.10']:>7.2%} {row['flip_0.10_beyond']:<12}", flush=True)
    session.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 20k make_classification cases")
    parser.add_argument("--real", action="store_true",
                        help="only the real-data part: clean controls and the attacks of benchmarks/attacks.py")
    parser.add_argument("--scale", action="store_true", help="only the 1,000,000 x 50 run (minutes)")
    parser.add_argument("--speed", action="store_true",
                        help="only 200,000 x 30 and 1,000,000 x 50 beside cleanlab with gradient boosting (10 min)")
    parser.add_argument("--floor", action="store_true",
                        help="only the noise floor: every real clean set as two versions, judged beyond the earlier one")
    args = parser.parse_args()
    if args.floor:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        print(f"{'real set, halves':<18}{'rows':>6} | {'old':>7} {'new':>7} | {'new alone':<12} {'beyond old':<12} | "
              f"{'5% flips':>7} {'beyond old':<12} {'10% flips':>7} {'beyond old':<12}")
        rows = floor_part()
        clean = sum(r["beyond"] == "pass" for r in rows)
        print(f"clean new halves at risk low beyond the floor: {clean}/{len(rows)} (goal: all); judged alone: "
              f"{sum(r['alone'] == 'pass' for r in rows)}/{len(rows)}")
        return
    if args.speed:
        for rows, width, goal in ((200_000, 30, 40), (1_000_000, 50, 120)):
            r = speed_beside_cleanlab(rows, width)
            print(f"speed {rows:,} x {width}: gate {r['gate_s']:.1f} s (goal <= {goal} s), cleanlab + gradient boosting "
                  f"{r['cleanlab_s']:.1f} s, ratio {r['gate_s'] / r['cleanlab_s']:.2f} (goal <= 1.5); AUROC of 5 % flips "
                  f"gate {r['gate_auroc']:.4f}, cleanlab {r['cleanlab_auroc']:.4f}; per method {r['timing']}", flush=True)
        return
    if not args.scale:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        real_part()
        if args.real:
            return
    if args.scale:
        r = scale()
        print(f"scale: {r['rows']:,} rows x {r['features']} features: {r['seconds']:.0f} s end to end, peak memory "
              f"{r['peak_mb']:,.0f} MB; label model folds sampled: {r['label_sampled']}; per method {r['timing']}")
        return
    print(f"{'dataset':<24}{'case':<13}{'rows':>6}{'bad':>5} | {'AUROC gate':>10}{'cleanlab':>9}{'iforest':>8} |"
          f" {'P@k gate':>8}{'cleanlab':>9}{'iforest':>8} | {'flagged':>7}{'(cl)':>6} {'policy':<28} trigger")
    for r in run_cases(args.quick):
        trig = ",".join(r["triggers"]) or "-"
        if r["stamped"]:
            trig += " (named)" if r["trigger_named"] else " (MISSED)"
        print(f"{r['dataset']:<24}{r['case']:<13}{r['rows']:>6}{r['poisoned']:>5} | {r['gate_auroc']:>10.4f}"
              f"{r['cleanlab_auroc']:>9.4f}{r['iforest_auroc']:>8.4f} | {r['gate_p_at_k']:>8.3f}"
              f"{r['cleanlab_p_at_k']:>9.3f}{r['iforest_p_at_k']:>8.3f} | {r['gate_flagged']:>7.2%}"
              f"{r['cleanlab_flagged']:>6.1%} {r['policy']:<28} {trig}   ({r['seconds']:.1f} s)", flush=True)
    print()
    for width in (10, 40):
        d = drift_figures(width=width, large=200_000 if width == 10 else 0)
        print(f"drift, {width} columns: false alarms {d['false_alarm_rate']:.1%} over {d['draws']} identical-distribution "
              f"draws (goal <= 5%); 0.2-SD shift in one feature of 5,000 rows detected in {d['shift_0.2sd_detected']:.0%}; "
              f"joint-only shift (a correlation +0.7 -> -0.7, marginals unchanged) detected in "
              f"{d['joint_flip_detected']:.0%} (classifier AUC {d['joint_flip_auc']:.3f}), a marginal test fired in "
              f"{d['joint_flip_marginals_drifted']:.0%}", flush=True)
        if "large_rows" in d:
            print(f"drift, {d['large_rows']:,} rows per side, a 0.02-SD shift (KS D {d['large_n_trivial_ks_d']:.3f}, "
                  f"Holm p {d['large_n_trivial_significant_p']:.2g}): alarms: {d['large_n_trivial_alarm']} (goal False)")
    s = speed()
    print(f"speed: gate scan poisoning, {s['rows']:,} rows x {s['features']} features, end to end "
          f"{s['seconds']:.1f} s on {s['cpus']} CPUs (goal <= 10 s)")


if __name__ == "__main__":
    main()
