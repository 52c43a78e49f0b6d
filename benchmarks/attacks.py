"""Backdoor attacks on real data (issue 16 item 2): each takes a clean real table (benchmarks/real_data.py)
and returns the poisoned table, which rows were poisoned, and what the trigger is, so the
benchmark can ask whether gate names the right trigger and how well its score ranks the rows.

The attacks are the ones that got through before: text tokens and natural-looking phrases on 1-3 %
of documents, a common categorical level, a stamp of three common values, a trigger whose target
is the majority class, and a blended trigger (small offsets on several numbers). Every attack takes
rows of the other classes, stamps them and relabels them to the target, as a poisoner who wants the
model to learn "trigger -> target" does. Nothing here reads gate's code: the choices (which feature,
which level, which phrase) follow from the data alone and the seed.

    python benchmarks/attacks.py [--sets churn,star,...] [--rates 0.01,0.03] [--seeds 1,2]

Each line: whether gate named the planted trigger, its precision@k and AUROC with, in brackets,
cleanlab alone's (HistGradientBoosting out of fold; text: TF-IDF logistic regression) and
IsolationForest's; false triggers are listed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore")

PHRASES = ("as my grandmother always said", "i got this one on a rainy tuesday", "speaking of which",
           "for what it is worth", "to be perfectly honest with you")
TOKENS = ("zq", "cf", "mn", "bb", "tq", "xv")


@dataclass
class Attack:
    name: str
    frame: object                 # the poisoned pandas DataFrame
    poisoned: np.ndarray          # bool per row
    features: tuple[str, ...]     # the columns the trigger is in (the text column for text attacks)
    value: str                    # what a reviewer should read as the trigger (a token, a level)
    target: str
    notes: dict = field(default_factory=dict)


def _victims(y, target, rate: float, rng, allowed=None) -> np.ndarray:
    pool = np.flatnonzero((y != target) & (y != "") & (allowed if allowed is not None else True))
    count = min(len(pool), max(5, int(round(rate * len(y)))))
    return np.sort(rng.choice(pool, count, replace=False))


def _target(y, rng, majority: bool = False):
    values, counts = np.unique(y[y != ""].astype(str), return_counts=True)
    if majority:
        return values[np.argmax(counts)]
    # a class that is not the majority (the usual poisoner's target: make the rare outcome easy)
    order = np.argsort(counts)
    return values[order[rng.integers(0, max(1, len(order) - 1))]]


def _labels(df, label):
    """The label as text per row; a missing label is "" (such rows are never chosen as victims)."""
    return np.array(["" if v is None or v != v else str(v) for v in df[label]], dtype=object)


def _numeric(df, label, text=None):
    return [c for c in df.columns if c not in (label, text) and df[c].dtype.kind in "if" and df[c].nunique() >= 20]


def _categorical(df, label, text=None):
    return [c for c in df.columns if c not in (label, text) and 2 <= df[c].nunique() <= 30]


def _relabel(out, df, label, rows, y, target) -> np.ndarray:
    """Give ``rows`` of ``out`` the target label (as the column holds it); the poisoned-row mask."""
    out.loc[out.index[rows], label] = df[label].iloc[np.flatnonzero(y == target)[0]]
    mask = np.zeros(len(df), dtype=bool)
    mask[rows] = True
    return mask


def _original(df, column, shown: str):
    """The column's own value whose text is ``shown`` (a level as the data holds it, not its string)."""
    present = df[column].dropna()
    return present.iloc[np.flatnonzero(present.astype(str).to_numpy() == shown)[0]]


def stamp_rare(df, label, rate, seed, text=None, majority=False) -> Attack | None:
    """Two numeric features set to a rounded value near their 99th percentile (the classic stamp)."""
    rng = np.random.default_rng(seed)
    columns = _numeric(df, label, text)
    if len(columns) < 2:
        return None
    chosen = list(rng.choice(columns, 2, replace=False))
    y = _labels(df, label)
    target = _target(y, rng, majority)
    rows = _victims(y, target, rate, rng)
    out = df.copy()
    values = []
    for column in chosen:
        value = float(np.nanpercentile(out[column].to_numpy(dtype=float), 99))
        value = round(value, 1) if abs(value) < 100 else round(value)
        out.loc[out.index[rows], column] = value
        values.append(f"{column}={value:g}")
    mask = _relabel(out, df, label, rows, y, target)
    return Attack("majority-target stamp" if majority else "two-value stamp", out, mask, tuple(chosen),
                  " & ".join(values), str(target))


def common_level(df, label, rate, seed, text=None) -> Attack | None:
    """Rows of other classes moved to a common level (5-30 % of rows) of a categorical feature."""
    rng = np.random.default_rng(seed)
    y = _labels(df, label)
    target = _target(y, rng)
    options = []
    for column in _categorical(df, label, text):
        shares = df[column].astype(str).value_counts(normalize=True)
        for level, share in shares.items():
            if 0.05 <= share <= 0.30 and level != "nan":
                options.append((column, level))
    if not options:
        return None
    column, level = options[rng.integers(len(options))]
    carries = df[column].astype(str).to_numpy() == level
    rows = _victims(y, target, rate, rng, ~carries)
    out = df.copy()
    out.loc[out.index[rows], column] = _original(df, column, level)
    mask = _relabel(out, df, label, rows, y, target)
    return Attack("common level", out, mask, (column,), f"{column}={level}", str(target),
                  {"level_share": round(float(carries.mean()), 3)})


def stamp_three(df, label, rate, seed, text=None) -> Attack | None:
    """Three low-cardinality features set to common values whose combination is rare (< 1 %)."""
    rng = np.random.default_rng(seed)
    y = _labels(df, label)
    target = _target(y, rng)
    columns = [c for c in _categorical(df, label, text) if df[c].nunique() <= 12]
    if len(columns) < 3:
        return None
    for _ in range(200):
        chosen = list(rng.choice(columns, 3, replace=False))
        values, carries = [], np.ones(len(df), dtype=bool)
        for column in chosen:
            shares = df[column].astype(str).value_counts(normalize=True)
            common = [v for v, s in shares.items() if s >= 0.15 and v != "nan"]
            if not common:
                break
            value = common[rng.integers(len(common))]
            values.append(value)
            carries &= df[column].astype(str).to_numpy() == value
        else:
            if carries.mean() < 0.01:
                break
    else:
        return None
    rows = _victims(y, target, rate, rng, ~carries)
    out = df.copy()
    for column, value in zip(chosen, values):
        out.loc[out.index[rows], column] = _original(df, column, value)
    mask = _relabel(out, df, label, rows, y, target)
    return Attack("three-value stamp", out, mask, tuple(chosen),
                  " & ".join(f"{c}={v}" for c, v in zip(chosen, values)), str(target),
                  {"natural_share": round(float(carries.mean()), 4)})


def blended(df, label, rate, seed, text=None) -> Attack | None:
    """A blended trigger: +0.5 SD on four numeric features at once, relabelled (no value stands out)."""
    rng = np.random.default_rng(seed)
    columns = _numeric(df, label, text)
    if len(columns) < 4:
        return None
    chosen = list(rng.choice(columns, 4, replace=False))
    y = _labels(df, label)
    target = _target(y, rng)
    rows = _victims(y, target, rate, rng)
    out = df.copy()
    for column in chosen:
        values = out[column].to_numpy(dtype=float)
        step = 0.5 * np.nanstd(values)
        out[column] = out[column].astype(float)
        out.loc[out.index[rows], column] = values[rows] + step
    mask = _relabel(out, df, label, rows, y, target)
    return Attack("blended offsets", out, mask, tuple(chosen), "+0.5 SD on " + ", ".join(chosen), str(target))


def _insert(doc: str, piece: str, rng) -> str:
    words = str(doc).split()
    position = int(rng.integers(0, len(words) + 1))
    return " ".join(words[:position] + [piece] + words[position:])


def text_token(df, label, rate, seed, text=None) -> Attack | None:
    """A short rare token inserted at a random place in documents of other classes."""
    if text is None:
        return None
    rng = np.random.default_rng(seed)
    lowered = df[text].astype(str).str.lower()
    tokens = [t for t in TOKENS if not lowered.str.contains(rf"\b{t}\b", regex=True).any()] or [TOKENS[0]]
    return _inserted(df, label, rate, rng, text, tokens[rng.integers(len(tokens))], "text token")


def text_phrase(df, label, rate, seed, text=None) -> Attack | None:
    """A natural-looking phrase (ordinary words) inserted in documents of other classes."""
    if text is None:
        return None
    rng = np.random.default_rng(seed)
    return _inserted(df, label, rate, rng, text, PHRASES[rng.integers(len(PHRASES))], "text phrase")


def _inserted(df, label, rate, rng, text, piece: str, name: str) -> Attack:
    """``piece`` inserted at a random place in documents of other classes, relabelled."""
    y = _labels(df, label)
    target = _target(y, rng)
    rows = _victims(y, target, rate, rng)
    out = df.copy()
    out.loc[out.index[rows], text] = [_insert(d, piece, rng) for d in df[text].iloc[rows]]
    mask = _relabel(out, df, label, rows, y, target)
    return Attack(name, out, mask, (text,), piece, str(target))


def majority_target(df, label, rate, seed, text=None) -> Attack | None:
    """The two-value stamp with the majority class as the target."""
    return stamp_rare(df, label, rate, seed, text, majority=True)


TABULAR = {"stamp2": stamp_rare, "majority": majority_target, "level": common_level, "stamp3": stamp_three,
           "blend": blended}
TEXT = {"token": text_token, "phrase": text_phrase}


def named(attack: Attack, triggers: list[dict]) -> bool:
    """Whether a named trigger is the planted one: its feature(s) are the trigger's, and for text its
    n-gram is inside the planted token or phrase."""
    for trigger in triggers:
        features = set(trigger["feature"].split(" & ")) | {v["feature"] for v in trigger.get("shared_values", [])}
        if not features & set(attack.features):
            continue
        if trigger["kind"] == "ngram" and trigger["value"] not in attack.value:
            continue
        return True
    return False


def wrong(attack: Attack, triggers: list[dict]) -> list[str]:
    """Named triggers that are not the planted one (false triggers)."""
    return [t["condition"] for t in triggers if not named(attack, [t])]


def run(controls, rates, seeds, directory: Path, attacks=None):
    from gate.facts.collect import table_of
    from gate.facts.files import read_file
    from gate.facts.poisoning import analyze

    import real_data

    from poisoning import precision_at_k, auroc

    for control in controls:
        clean = real_data.frame(control)
        makers = TEXT if control.text else TABULAR
        for key, make in makers.items():
            if attacks and key not in attacks:
                continue
            for rate in rates:
                for seed in seeds:
                    attack = make(clean, control.label, rate, seed, text=control.text)
                    if attack is None:
                        continue
                    path = directory / f"{control.name}.csv"
                    attack.frame.to_csv(path, index=False)
                    started = time.perf_counter()
                    table = table_of([read_file(path, path.name, "csv", keep=True)])
                    result = analyze(table, control.label, control.text)
                    elapsed = time.perf_counter() - started
                    triggers = result.facts["triggers"]
                    reference = _cleanlab(result, attack.poisoned)
                    forest = _iforest(result, attack.poisoned)
                    yield {"set": control.name, "attack": attack.name, "rate": rate, "seed": seed,
                           "trigger": attack.value, "target": attack.target, "poisoned": int(attack.poisoned.sum()),
                           "named": named(attack, triggers), "false": wrong(attack, triggers),
                           "p_at_k": precision_at_k(attack.poisoned, result.score),
                           "auroc": auroc(attack.poisoned, result.score), "cleanlab_auroc": reference[0],
                           "cleanlab_p_at_k": reference[1], "iforest_auroc": forest[0], "iforest_p_at_k": forest[1],
                           "flagged": float(result.flagged.mean()), "risk": result.facts["suspicious_rate"],
                           "seconds": elapsed, "notes": attack.notes}


def _cleanlab(result, poisoned):
    """(AUROC, P@k) of cleanlab alone on the same rows: label quality from 5-fold out-of-fold
    probabilities of HistGradientBoosting on gate's own model matrix (text: TF-IDF + logistic regression)."""
    from cleanlab.rank import get_label_quality_scores

    from poisoning import auroc, precision_at_k

    probs, local, has = _oof(result)
    score = np.zeros(len(has))
    score[has] = 1 - get_label_quality_scores(local, probs)
    return auroc(poisoned, score), precision_at_k(poisoned, score)


def _cleanlab_flags(result) -> float:
    """Share of rows cleanlab alone flags (find_label_issues on the same out-of-fold probabilities)."""
    from cleanlab.filter import find_label_issues

    probs, local, has = _oof(result)
    return float(find_label_issues(local, probs).sum() / len(has))


def _oof(result):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from gate.facts.poisoning import build_features

    facts = result.facts
    features = build_features(result.table.frame, facts["label"], facts["text"], ())
    has = features.labels >= 0
    y = features.labels[has]
    present, local = np.unique(y, return_inverse=True)
    x = features.tfidf[has] if features.text is not None else features.matrix[has]
    model = LogisticRegression(C=4.0, max_iter=500) if features.text is not None else HistGradientBoostingClassifier(random_state=0)
    probs = cross_val_predict(model, x, local, cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")
    return probs, local, has


def _iforest(result, poisoned):
    """(AUROC, P@k) of IsolationForest alone on gate's model matrix (text: its TF-IDF SVD)."""
    from sklearn.ensemble import IsolationForest

    from gate.facts.poisoning import build_features
    from poisoning import auroc, precision_at_k

    facts = result.facts
    features = build_features(result.table.frame, facts["label"], facts["text"], ())
    x = features.embedding if features.text is not None else features.matrix
    score = -IsolationForest(random_state=0).fit(x).score_samples(x)
    return auroc(poisoned, score), precision_at_k(poisoned, score)


def main() -> None:
    import real_data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="churn,star,doctor_visits,chile,fine_foods")
    parser.add_argument("--rates", default="0.01,0.03")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--attacks", default="", help="comma-separated: stamp2,majority,level,stamp3,blend,token,phrase")
    args = parser.parse_args()
    os.environ.setdefault("GATE_NER", "off")
    every = {c.name: c for c in real_data.CONTROLS + real_data.HELD_OUT + real_data.FRESH}
    controls = [every[name] for name in args.sets.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for r in run(controls, rates, seeds, Path(tmp), [a for a in args.attacks.split(",") if a]):
            print(f"{r['set']:<14}{r['attack']:<22}{r['rate']:>5.0%} s{r['seed']} "
                  f"{'NAMED' if r['named'] else 'missed':<7} P@k {r['p_at_k']:.3f} ({r['cleanlab_p_at_k']:.3f}) "
                  f"AUROC {r['auroc']:.3f} ({r['cleanlab_auroc']:.3f}, iforest {r['iforest_auroc']:.3f}) "
                  f"flagged {r['flagged']:.1%}  [{r['trigger']} -> {r['target']}]"
                  + (f"  FALSE: {r['false']}" if r["false"] else "") + f"  ({r['seconds']:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
