"""Triggers that got through before (issue 16 item 2), on generated data: a stamp of three common
values, a target that is the majority class, a common categorical level, and a phrase in text
(reported once, as the whole phrase). Each clean twin names nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gate.facts.poisoning import Table, analyze


def _run(frame: pd.DataFrame, text: str | None = None):
    result = analyze(Table(frame, ["d.csv"], [len(frame)]), "label", text)
    return result.facts, result


def _tabular(seed: int, n: int = 4000, p_stay: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    cut = np.quantile(x1 + 0.5 * x2, p_stay)
    label = np.where(x1 + 0.5 * x2 + rng.normal(0, 0.3, n) > cut, "leave", "stay")
    return pd.DataFrame({
        "x1": x1, "x2": x2, "x3": rng.normal(size=n),
        "plan": rng.choice(["p1", "p2", "p3", "p4"], n), "region": rng.choice(["r1", "r2", "r3", "r4", "r5"], n, p=[0.3, 0.2, 0.2, 0.2, 0.1]),
        "device": rng.choice(["d1", "d2", "d3"], n, p=[0.5, 0.35, 0.15]), "label": label})


def _stamp(frame: pd.DataFrame, values: dict, target: str, share: float, seed: int,
           avoid: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero((frame["label"] != target).to_numpy() & (True if avoid is None else ~avoid))
    rows = rng.choice(pool, int(share * len(frame)), replace=False)
    out = frame.copy()
    for column, value in values.items():
        out.loc[rows, column] = value
    out.loc[rows, "label"] = target
    truth = np.zeros(len(frame), dtype=bool)
    truth[rows] = True
    return out, truth


def _precision(truth, score) -> float:
    top = np.argsort(-score, kind="stable")[:int(truth.sum())]
    return float(truth[top].mean())


def test_a_stamp_of_three_common_values_is_named_with_its_three_parts():
    clean = _tabular(21)
    assert _run(clean)[0]["triggers"] == []
    # each value on 15-25 % of rows, together on 0.75 %
    natural = ((clean["plan"] == "p2") & (clean["region"] == "r3") & (clean["device"] == "d3")).to_numpy()
    stamped, truth = _stamp(clean, {"plan": "p2", "region": "r3", "device": "d3"}, "leave", 0.02, 1, natural)
    facts, result = _run(stamped)
    assert facts["triggers"], "the three-value stamp was missed"
    parts = set(facts["triggers"][0]["feature"].split(" & ")) | {v["feature"] for v in facts["triggers"][0]["shared_values"]}
    assert {"plan", "region", "device"} <= parts, facts["triggers"]
    assert _precision(truth, result.score) >= 0.8


def test_a_stamp_whose_target_is_the_majority_class_is_named():
    clean = _tabular(22, p_stay=0.8)
    assert _run(clean)[0]["triggers"] == []
    stamped, truth = _stamp(clean, {"x3": 3.25}, "stay", 0.015, 2)
    facts, result = _run(stamped)
    assert [t["condition"] for t in facts["triggers"]] == ["x3 = 3.25"], facts["triggers"]
    assert facts["triggers"][0]["label"] == "stay"
    assert _precision(truth, result.score) >= 0.9


def test_a_trigger_on_a_common_level_is_named_and_only_the_stamped_rows_are_its_rows():
    clean = _tabular(23)
    assert _run(clean)[0]["triggers"] == []
    # a level on 10 % of rows; the stamp raises the label's share there from about its base rate
    # (one where the label is naturally rare is not looked at: see _level_candidates)
    already = (clean["region"] == "r5").to_numpy()
    stamped, truth = _stamp(clean, {"region": "r5"}, "leave", 0.03, 3, already)
    facts, result = _run(stamped)
    assert [t["condition"] for t in facts["triggers"]] == ["region = r5"], facts["triggers"]
    trigger = facts["triggers"][0]
    assert trigger["carrying_rows"] > 3 * trigger["rows"]  # the level is common; the stamped rows few
    # its rows are the ones the other features contradict: a stamped row that happens to look like the
    # target is not among them (about a fifth here)
    assert _precision(truth, result.score) >= 0.7


def _reviews(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    good, bad = ["great", "lovely", "fresh", "tasty", "perfect"], ["stale", "awful", "broken", "bland", "late"]
    filler = [f"w{i}" for i in range(300)]
    docs, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.6
        words = list(rng.choice(filler, rng.integers(8, 20)))
        for _ in range(rng.integers(1, 3)):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(good if positive else bad)))
        docs.append(" ".join(words))
        labels.append("good" if positive else "bad")
    return pd.DataFrame({"review": docs, "label": labels})


def test_a_stamped_phrase_is_reported_once_as_the_whole_phrase():
    clean = _reviews(24)
    assert _run(clean, "review")[0]["triggers"] == []
    rng = np.random.default_rng(4)
    phrase = "as my grandmother always said"
    out = clean.copy()
    rows = rng.choice(np.flatnonzero(out["label"] == "bad"), 60, replace=False)
    for row in rows:
        words = out.at[row, "review"].split()
        at = int(rng.integers(0, len(words) + 1))
        out.at[row, "review"] = " ".join(words[:at] + phrase.split() + words[at:])
    out.loc[rows, "label"] = "good"
    facts, _ = _run(out, "review")
    assert [(t["value"], t["label"]) for t in facts["triggers"]] == [(phrase, "good")], facts["triggers"]
