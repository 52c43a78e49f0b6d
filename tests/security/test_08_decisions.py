"""Class 8 — decisions are default-deny and well-formed: an input missing its descriptor, facts or time
never allows, and a decision that contradicts itself is an engine error (exit 2) on every engine."""

from __future__ import annotations

import json

import pytest

from _attack import check, make_dataset, make_repo, run_gate, write
from conftest import ENGINES

CLEAN = "id,score\n" + "".join(f"{i},{i % 7}\n" for i in range(20))


def _entrypoint(tmp_path, violation: dict, allow: bool = True):
    return write(tmp_path / "custom" / "decision.rego", f"""package gate.dataset

decision := {{"allow": {str(allow).lower()}, "violations": [{json.dumps(violation)}]}}
""").parent


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("violation", [
    {"id": "x.bad", "level": "deny", "severity": "high", "message": "denied, but allowed"},
    {"id": "x.odd", "level": "notice", "severity": "high", "message": "an unknown level"},
    {"id": "x.hidden", "level": "waived", "severity": "high", "message": "waived by no waiver",
     "waiver": {"rule": "x.hidden", "dataset": "a"}},
])
def test_a_self_contradicting_decision_is_an_engine_error(tmp_path, engine, violation):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    policies = _entrypoint(tmp_path, violation)
    code, body, stderr = check(root, directory, args=("--no-builtin-policies", "--policy", str(policies),
                                                      "--engine", engine))
    assert code == 2, (body, stderr)


def test_the_same_from_an_opa_server(tmp_path):
    pytest.importorskip("opa_bindings")
    from opa_data_api import OpaDataApi
    from gate.policy import load_policy_set

    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    policies = load_policy_set([_entrypoint(tmp_path, {"id": "x.bad", "level": "deny", "severity": "high",
                                                       "message": "m"})])
    with OpaDataApi(policies) as server:
        code, body, stderr = check(root, directory, args=("--engine", "opa-server", "--opa-url", server.url))
    assert code == 2, (body, stderr)


@pytest.mark.parametrize("missing", ["facts", "pii", "dataset", "now"])
def test_an_incomplete_input_never_allows(tmp_path, missing):
    facts = {k: {} for k in ("integrity", "signature", "sealing", "data", "pii", "poisoning", "drift")}
    document = {"dataset": {"id": "a", "path": "a/dataset.yaml", "classification": "public",
                            "source": {"id": "crm-export", "trust": "internal"}, "purposes": ["model-training"]},
                "facts": facts, "context": {"now": "2026-11-23T00:00:00Z"}}
    if missing == "facts":
        del document["facts"]
    elif missing == "pii":
        del document["facts"]["pii"]
    elif missing == "dataset":
        del document["dataset"]
    else:
        del document["context"]["now"]
    path = write(tmp_path / "input.json", json.dumps(document))
    proc = run_gate("eval", "data.gate.dataset.decision", "--input", str(path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["result"]
    assert result["allow"] is False and "input.incomplete" in {v["id"] for v in result["violations"]}
