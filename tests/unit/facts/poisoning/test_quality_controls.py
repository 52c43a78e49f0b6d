"""gate.facts.poisoning in-process: clean data sets raise no alarm (few rows flagged, no rule fires, no
trigger)."""

from __future__ import annotations

import pytest

from poisoning_corpus import bench, policy_fires, sk


@pytest.mark.slow
@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine", "make_classification"])
def test_clean_controls_are_quiet(name):
    X, y = sk(name)
    result = bench.gate_scores(bench.frame(X, y))
    facts = result.facts
    assert result.flagged.mean() <= 0.015
    assert policy_fires(facts) == set()
    assert facts["triggers"] == []
