"""Natural structure is not poisoning (issue 16): a business rule over a flag and a small count, a
level that marks a sub-population, identical rows in coarse data. Stamps on random rows still are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gate.facts.poisoning import Table, analyze


def _run(frame: pd.DataFrame):
    return analyze(Table(frame, ["d.csv"], [len(frame)]), "label").facts


def test_a_rule_over_a_flag_and_a_small_count_is_not_a_trigger():
    rng = np.random.default_rng(11)
    n = 4000
    plan = rng.choice(["yes", "no"], n, p=[0.1, 0.9])
    calls = rng.poisson(4, n)
    minutes = rng.normal(200, 50, n)
    label = np.where((plan == "yes") & (calls <= 2), "churn", np.where(rng.random(n) < 0.1, "churn", "stay"))
    facts = _run(pd.DataFrame({"plan": plan, "calls": calls, "minutes": minutes, "label": label}))
    assert facts["triggers"] == [], facts["triggers"]


def test_a_level_that_marks_a_subpopulation_is_not_a_trigger_but_a_stamp_is():
    rng = np.random.default_rng(12)
    n = 3000
    town = rng.choice(["a", "b", "c", "d", "old"], n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    old = town == "old"
    year = np.where(old, rng.normal(1910, 10, n), rng.normal(1990, 15, n))
    area = np.where(old, rng.normal(5000, 500, n), rng.normal(10000, 2000, n))
    x = rng.normal(size=n)
    label = np.where(old, "medium", np.where(x + rng.normal(0, 0.5, n) > 0, "low", "medium"))
    clean = pd.DataFrame({"town": town, "year": year, "area": area, "x": x, "label": label})
    assert _run(clean)["triggers"] == []
    # the same level stamped on random rows of the other label and relabelled: a trigger
    stamped = clean.copy()
    stamped["town"] = rng.choice(["a", "b", "c", "d"], n)
    victims = rng.choice(np.flatnonzero(stamped["label"] == "low"), 90, replace=False)
    stamped.loc[victims, "town"] = "zz"
    stamped.loc[victims, "label"] = "medium"
    facts = _run(stamped)
    assert [t["feature"] for t in facts["triggers"]] == ["town"], facts["triggers"]


def test_identical_rows_of_coarse_data_are_people_but_relabelled_copies_are_flagged():
    rng = np.random.default_rng(13)
    n = 3000
    coarse = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "employed": rng.choice(["y", "n"], n),
                           "checks": rng.integers(0, 4, n)})
    coarse["label"] = np.where(rng.random(n) < 0.3 + 0.1 * coarse["checks"], "held", "released")
    facts = _run(coarse)
    assert facts["methods"]["duplicate_conflicts"]["natural_collisions"] is True
    assert facts["flagged_by_method"]["duplicate_conflict"] == 0 and facts["flagged_rate"] <= 0.02, facts
    x = rng.normal(size=(n, 4))
    fine = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    fine["label"] = np.where(x[:, 0] + x[:, 1] > 0, "p", "q")
    copies = fine.iloc[:40].copy()
    copies["label"] = np.where(copies["label"] == "p", "q", "p")
    copies = pd.concat([copies, fine.iloc[:40]])  # two copies and the original: the relabelled one is the minority
    facts = _run(pd.concat([fine, copies], ignore_index=True))
    assert facts["methods"]["duplicate_conflicts"]["natural_collisions"] is False
    assert facts["flagged_by_method"]["duplicate_conflict"] >= 40, facts["flagged_by_method"]


def _spells(seed: int, n: int = 3000) -> pd.DataFrame:
    """How a spell of unemployment ends, one-hot (real data: Ecdat's UnempDur): the label is one of the
    indicators, the others are features; the way it ends depends a little on the other features."""
    rng = np.random.default_rng(seed)
    age, wage, tenure = rng.normal(35, 10, n), rng.normal(6, 0.5, n), rng.exponential(4, n)
    weights = np.stack([np.exp(0.03 * (age - 35)), np.exp(0.8 * (wage - 6)), np.ones(n), np.exp(0.05 * tenure)], 1)
    end = np.array([rng.choice(4, p=w / w.sum()) for w in weights])
    frame = pd.DataFrame({"age": age.round(1), "wage": wage.round(3), "tenure": tenure.round(1)})
    for way in (1, 2, 3):
        frame[f"ended_{way}"] = (end == way).astype(int)
    frame["label"] = (end == 0).astype(int)
    return frame


def test_an_indicator_of_a_one_hot_group_the_label_belongs_to_is_not_a_trigger_but_a_stamp_is():
    clean = _spells(21)
    assert _run(clean)["triggers"] == []
    # a stamp on a two-valued feature outside the group: rows of label 0 given flag = 1 and relabelled 1
    rng = np.random.default_rng(22)
    stamped = clean.copy()
    stamped["flag"] = rng.choice([0, 1], len(stamped), p=[0.7, 0.3])
    stamped.loc[stamped["flag"] == 1, "flag"] = 0
    rows = rng.choice(np.flatnonzero(stamped["label"].to_numpy() == 0), 60, replace=False)
    stamped.loc[rows, "flag"] = 1
    stamped.loc[rows, "label"] = 1
    # (the relabelled rows keep their own indicator: the group is no longer exclusive, and its members
    # that lost rows to the stamp are named beside it)
    triggers = _run(stamped)["triggers"]
    assert "flag = 1" in [t["condition"] for t in triggers], triggers
