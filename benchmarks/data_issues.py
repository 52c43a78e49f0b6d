"""Data issues (issue 16 item 3): gate's facts and the shipped policy's warnings beside cleanlab's
Datalab on the same data, in the same run.

Planted cases on generated tables (seeded): exact copies, near copies (a 1e-3 nudge), rows sorted by
the label and by a feature, a rare class, a constant and a mostly-empty column, each beside the same
table clean and shuffled (a warning there is a false alarm). Then the 24 real sets of
benchmarks/real_data.py: what each side reports on data nobody planted anything in.

For each case and issue kind: whether gate's policy warns (data_quality.rego) and how many examples
Datalab flags for that kind (its ``near_duplicate``, ``non_iid``, ``class_imbalance`` and ``null``
checks on the same numeric representation gate analyses; Datalab's null check flags rows, so a
mostly-empty column is not its issue). Datalab needs ``pip install
'cleanlab[datalab]'``; without it only gate's columns are printed.

    python benchmarks/data_issues.py [--real] [--seeds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
os.environ.setdefault("GATE_NER", "off")
sys.path.insert(0, str(Path(__file__).resolve().parent))

KINDS = {"duplicates": "near_duplicate", "non_iid": "non_iid", "class_imbalance": "class_imbalance",
         "null_heavy_column": "null"}


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(list("pqrs"), n),
                          "d": rng.gamma(2.0, size=n), "e": rng.integers(0, 50, n)})
    frame["y"] = np.where(frame.a + frame.b + rng.normal(scale=0.7, size=n) > 0, "yes", "no")
    return frame


def planted(seed: int) -> dict[str, tuple[pd.DataFrame, str | None]]:
    """name -> (frame, the issue kind planted or None)."""
    rng = np.random.default_rng(seed + 100)
    base = table(3000, seed)
    copies = pd.concat([base, base.sample(240, random_state=seed)]).sample(frac=1.0, random_state=seed)
    near = pd.concat([base, base.sample(240, random_state=seed).assign(
        a=lambda f: f.a + 1e-3 * rng.choice([-1, 1], len(f)))]).sample(frac=1.0, random_state=seed)
    rare = base.copy()
    rare.loc[rare.sample(20, random_state=seed).index, "y"] = "rare"
    empty = base.copy()
    empty["notes"] = np.where(rng.random(len(empty)) < 0.8, None, "ok")
    return {
        "clean": (base, None),
        "exact copies 8 %": (copies.reset_index(drop=True), "duplicates"),
        "near copies 8 %": (near.reset_index(drop=True), "duplicates"),
        "sorted by label": (base.sort_values("y", kind="stable").reset_index(drop=True), "non_iid"),
        "sorted by a feature": (base.sort_values("d").reset_index(drop=True), "non_iid"),
        "rare class 0.7 %": (rare, "class_imbalance"),
        "column 80 % empty": (empty, "null_heavy_column"),
    }


def gate_side(frame: pd.DataFrame, label: str, text: str | None = None):
    """(gate's data issues, the data_quality warnings of the shipped policy, the features) without
    the label models: the data issues need only the features and the duplicate groups."""
    from gate.facts.poisoning.features import build_features
    from gate.facts.poisoning.methods import duplicate_conflicts
    from gate.facts.poisoning.quality import data_issues
    from gate.run.session import DATA_QUALITY_RULES, Options, Session

    features = build_features(frame, label, text)
    issues = data_issues(frame, features, duplicate_conflicts(features).detail, label, text)
    session = Session.open(Options(engine="opa"))
    try:
        facts = {"poisoning": {"status": "ok", "rows": len(frame), "data_issues": issues}}
        warned = {v["id"].split(".", 1)[1] for v in session.rule_violations(DATA_QUALITY_RULES, {"facts": facts}, ("warn",))}
    finally:
        session.close()
    return issues, warned, features


def datalab_side(frame: pd.DataFrame, label: str, features) -> dict[str, int] | None:
    """Datalab's number of flagged examples per issue kind, on gate's representation of the rows
    (its null check on the raw columns' missing values: the representation has none)."""
    try:
        from cleanlab import Datalab

        given = frame[label]
        labels = pd.DataFrame({label: [str(v) if v is not None and v == v else "<missing>" for v in given]})
        lab = Datalab(data=labels, label_name=label, verbosity=0)
    except ImportError:
        return None
    x = np.nan_to_num(np.asarray(features.embedding, dtype=np.float64))
    lab.find_issues(features=x, issue_types={"near_duplicate": {}, "non_iid": {}, "class_imbalance": {}})
    found = dict(zip(lab.get_issue_summary()["issue_type"], lab.get_issue_summary()["num_issues"]))
    missing = frame.drop(columns=[label]).isna().to_numpy()
    nulls = Datalab(data=labels, label_name=label, verbosity=0)
    nulls.find_issues(features=np.where(missing, np.nan, 0.0), issue_types={"null": {}})
    found.update(zip(nulls.get_issue_summary()["issue_type"], nulls.get_issue_summary()["num_issues"]))
    return {k: int(v) for k, v in found.items()}


def row(name: str, want: str | None, warned: set[str], theirs: dict[str, int] | None) -> str:
    cells = []
    for kind, datalab_kind in KINDS.items():
        ours = "W" if kind in warned else "."
        other = "-" if theirs is None else str(theirs.get(datalab_kind, 0))
        mark = "*" if kind == want else " "
        cells.append(f"{mark}{ours}/{other}")
    return f"{name:24s} " + "  ".join(f"{c:>10s}" for c in cells)


def header() -> str:
    return f"{'case':24s} " + "  ".join(f"{k[:10]:>10s}" for k in KINDS) + \
        "\n(gate: W = the policy warns / Datalab: examples it flags; * = the issue planted)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--real", action="store_true", help="the 24 real sets too")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    from gate._threads import native_threads

    hits = {"gate": [0, 0], "datalab": [0, 0]}
    false = {"gate": [0, 0], "datalab": [0, 0]}
    with native_threads():
        print(header())
        for seed in range(args.seeds):
            for name, (frame, want) in planted(seed).items():
                issues, warned, features = gate_side(frame, "y")
                theirs = datalab_side(frame, "y", features)
                print(row(f"{name} s{seed}", want, warned, theirs))
                for side, found in (("gate", warned), ("datalab", None if theirs is None else
                                                        {k for k, v in KINDS.items() if theirs.get(v, 0) > 0})):
                    if found is None:
                        continue
                    if want:
                        hits[side][0] += want in found
                        hits[side][1] += 1
                    others = set(KINDS) - {want}
                    false[side][0] += len(found & others)
                    false[side][1] += len(others)
        for side in ("gate", "datalab"):
            if hits[side][1]:
                print(f"{side:8s} planted issue reported {hits[side][0]}/{hits[side][1]}; "
                      f"an issue not planted reported {false[side][0]}/{false[side][1]} "
                      f"(Datalab: any example flagged counts as reported)")
        if args.real:
            import real_data

            print("\nreal sets (nothing planted: what each side reports)")
            print(header())
            directory = Path(tempfile.mkdtemp())
            for control in real_data.CONTROLS + real_data.HELD_OUT + real_data.FRESH:
                data, _ = real_data.table(control, directory)
                issues, warned, features = gate_side(data.frame, control.label, control.text)
                theirs = datalab_side(data.frame, control.label, features)
                print(row(control.name, None, warned, theirs))


if __name__ == "__main__":
    main()
