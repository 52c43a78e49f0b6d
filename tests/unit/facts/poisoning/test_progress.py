"""Long poisoning runs say on standard error what step they are at (issue 16 item 5); short ones
stay quiet, so hooks and scripts see nothing new."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = (frame.a > 0).astype(int)
    return frame


def test_a_long_run_reports_each_step_and_a_short_one_nothing(monkeypatch, capsys):
    import gate.facts.poisoning as poisoning

    frame = _frame(400)
    poisoning.analyze(poisoning.Table(frame, ["t.csv"], [400]), "y", source="t.csv")
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(poisoning, "PROGRESS_ROWS", 300)
    poisoning.analyze(poisoning.Table(frame, ["t.csv"], [400]), "y", source="data/t\x1b[2J.csv")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("gate: poisoning data/t") and "400 rows, 2 features" in lines[0]
    assert "\x1b" not in "".join(lines)  # a file name cannot drive the terminal
    steps = [line.split(": ", 2)[2] for line in lines[1:]]
    assert [s.split(" done in ")[0] for s in steps] == ["label issues", "duplicate conflicts", "triggers", "outliers",
                                                         "spectral signatures", "data issues"]
    poisoning.analyze(poisoning.Table(frame, ["t.csv"], [400]), "y", progress=False)
    assert capsys.readouterr().err == ""


def test_pool_weights_fitted_on_a_sample_match_those_fitted_on_every_row(monkeypatch):
    """Above POOL_FIT_CAP rows the pool's weights come from a sample: they must be the weights all
    rows give (two learners, one informative, one noise)."""
    from gate.facts.poisoning import labels

    rng = np.random.default_rng(4)
    n = 30_000
    given = rng.integers(0, 3, n)
    sharp = np.full((n, 3), 0.1)
    sharp[np.arange(n), np.where(rng.random(n) < 0.8, given, (given + 1) % 3)] = 0.8
    noise = rng.dirichlet([1, 1, 1], n)
    full_probs, full_weights = labels.pool([sharp, noise], given)
    monkeypatch.setattr(labels, "POOL_FIT_CAP", 5_000)
    probs, weights = labels.pool([sharp, noise], given)
    assert full_weights[0] > 0.5 > full_weights[1]
    assert np.allclose(weights, full_weights, atol=0.05)
    assert probs.shape == (n, 3) and np.allclose(probs.sum(axis=1), 1.0)
    assert np.abs(probs - full_probs).max() < 0.02


def test_folds_drop_only_where_the_training_cap_binds():
    from gate.facts.poisoning.labels import LARGE, TRAIN_CAP, _folds

    assert _folds(LARGE - 1) == 5 and _folds(LARGE) == 3
    # with 2 folds each trains on half the rows: never fewer than the cap's sample
    assert _folds(2 * TRAIN_CAP) == 2 and _folds(2 * TRAIN_CAP - 2) == 3
