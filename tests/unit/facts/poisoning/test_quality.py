"""gate.facts.poisoning and gate.facts.drift in-process: quality floors on scikit-learn's bundled data
(a little below the benchmark's goals, so regressions fail), beside cleanlab; drift's false alarms."""

from __future__ import annotations

import numpy as np
import pytest

from poisoning_corpus import bench, policy_fires, sk


def _mc(n=6000, seed=7):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=20, n_informative=8, n_redundant=4, n_classes=3,
                               n_clusters_per_class=2, flip_y=0.0, random_state=seed)
    return X, y


# ---------------------------------------------------------------- quality floors

@pytest.mark.slow
@pytest.mark.parametrize("name,rate", [("breast_cancer", 0.05), ("breast_cancer", 0.10), ("wine", 0.10),
                                       ("make_classification", 0.05)])
def test_label_flips_rank_at_least_as_well_as_cleanlab(name, rate):
    X, y = _mc() if name == "make_classification" else sk(name)
    yy, truth = bench.flip_labels(y, rate, seed=3)
    result = bench.gate_scores(bench.frame(X, yy))
    cl_score, _ = bench.cleanlab_scores(X, yy)
    ours, theirs = bench.auroc(truth, result.score), bench.auroc(truth, cl_score)
    assert ours >= theirs - 0.002, (ours, theirs)
    assert ours >= 0.97
    assert bench.precision_at_k(truth, result.score) >= 0.75


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits", "breast_cancer", "wine", "make_classification"])
def test_backdoor_is_found_and_named(name):
    X, y = _mc() if name == "make_classification" else sk(name)
    Xb, yb, truth, stamped = bench.backdoor(name, X, y, 0.03, seed=3)
    result = bench.gate_scores(bench.frame(Xb, yb))
    facts = result.facts
    assert bench.precision_at_k(truth, result.score) >= 0.85
    named = {t["feature"] for t in facts["triggers"]} | {v["feature"] for t in facts["triggers"] for v in t["shared_values"]}
    assert set(stamped) <= named, facts["triggers"]
    assert all(t["label"] == "0" for t in facts["triggers"])
    assert {"poisoning.backdoor_trigger", "poisoning.high_risk"} & policy_fires(facts) and "risk" not in facts
    # cleanlab alone misses it: the model learns the trigger (why gate looks for triggers at all)
    # (on wine's 178 rows the 5 stamped rows are few enough for the model not to learn the stamp)
    cl_score, _ = bench.cleanlab_scores(Xb, yb)
    assert bench.precision_at_k(truth, cl_score) <= bench.precision_at_k(truth, result.score)
    if name != "wine":
        assert bench.precision_at_k(truth, cl_score) < 0.5


@pytest.mark.slow
@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine", "make_classification"])
def test_clean_controls_are_quiet(name):
    X, y = _mc() if name == "make_classification" else sk(name)
    result = bench.gate_scores(bench.frame(X, y))
    facts = result.facts
    assert result.flagged.mean() <= 0.015
    assert policy_fires(facts) == set()
    assert facts["triggers"] == []


def test_drift_false_alarms_and_a_small_shift():
    figures = bench.drift_figures(draws=10, seed=5)
    assert figures["false_alarm_rate"] <= 0.1
    assert figures["shift_0.2sd_detected"] == 1.0


@pytest.mark.slow
def test_drift_sees_a_joint_only_shift_on_a_wide_table_and_no_trivial_one_at_large_n():
    """A correlation that flips while every marginal stays, on 40 columns (the permutation test's
    floored p-value could never survive Holm there); a 0.02-SD shift at 200,000 rows: significant,
    too small to be drift."""
    figures = bench.drift_figures(draws=4, seed=6, width=40, large=200_000)
    assert figures["false_alarm_rate"] == 0.0
    assert figures["joint_flip_detected"] == 1.0 and figures["joint_flip_marginals_drifted"] == 0.0
    assert figures["large_n_trivial_alarm"] is False and figures["large_n_trivial_significant_p"] < 0.05


def test_drift_reports_p_values_effect_sizes_and_the_label():
    import pandas as pd

    from gate.facts.drift import drift

    rng = np.random.default_rng(1)  # a seed where x's two samples are alike by chance too (p = 0.97)
    ref = pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(["a", "b"], 3000), "y": rng.integers(0, 2, 3000)})
    cur = pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(["a", "b"], 3000, p=[0.7, 0.3]),
                        "y": (rng.random(3000) < 0.7).astype(int)})
    result = drift(cur, ref, "y")
    by_name = {t["feature"]: t for t in result["features"]}
    assert by_name["c"]["test"] == "chi2" and by_name["c"]["significant"]
    assert by_name["c"]["effect_size"]["cramers_v"] > 0.1
    assert by_name["x"]["test"] == "ks" and not by_name["x"]["significant"]
    assert 0 <= by_name["x"]["p_value"] <= by_name["x"]["p_adjusted"] <= 1
    assert result["label"]["significant"] and result["label"]["effect_size"]["total_variation"] > 0.1
    assert result["multivariate"]["test"] == "classifier" and 0 < result["multivariate"]["p_value"] <= 1
    assert 0.5 <= result["multivariate"]["effect_size"]["auc"] <= 1
    assert result["significant"] and result["correction"] == "holm"
