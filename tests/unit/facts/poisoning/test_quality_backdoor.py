"""gate.facts.poisoning in-process: a stamped backdoor is found and its trigger named on scikit-learn's bundled
data, where cleanlab alone misses it."""

from __future__ import annotations

import pytest

from poisoning_corpus import bench, policy_fires, sk


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits", "breast_cancer", "wine", "make_classification"])
def test_backdoor_is_found_and_named(name):
    X, y = sk(name)
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
