"""What the poisoning tests share: the benchmark's generators (benchmarks/poisoning.py), scikit-learn's
bundled sets, and the rules the shipped policy fires on poisoning facts."""

from __future__ import annotations

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_poisoning", ROOT / "benchmarks" / "poisoning.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def sk(name):
    from sklearn import datasets

    loaders = {"breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits, "wine": datasets.load_wine}
    X, y = loaders[name](return_X_y=True)
    return X.astype(float), y


def policy_fires(facts, data=None):
    """The poisoning rules the shipped policy fires on these facts (the policy decides, not the facts)."""
    from gate.run.session import POISONING_RULES, Options, Session

    session = Session.open(Options(engine="opa", data_files=tuple(data or ())))
    try:
        return {v["id"] for v in session.rule_violations(POISONING_RULES, {"facts": {"poisoning": facts}})}
    finally:
        session.close()
