"""Every installed engine gives byte-identical decision JSON on the same inputs."""

from __future__ import annotations

import json
import random

import pytest

from conftest import ENGINES, EXAMPLE_REPO, EXAMPLES, NOW
from gate.run.access import access_input
from gate.run.check import dataset_input
from gate.run.datasets import find_dataset
from gate.model.descriptor import load_descriptor
from gate.engine import create_engine
from gate.facts.collect import Settings, collect
from gate.facts.view import build_view
from gate.policy import builtin_policy_dir, load_policy_set
from gate.repo import Repo
from gate.custody.signing import trusted_signers

pytestmark = pytest.mark.skipif(len(ENGINES) < 2, reason="needs two local engines to compare")

CLASSIFICATIONS = ["public", "internal", "confidential", "restricted", "secret"]
TRUST = ["unknown", "raw", "curated", "partner", "internal", "bogus"]
SOURCES = ["crm-export", "web-forms", "shady-broker", "partner-feed"]
STATUSES = ["ok", "missing", "mismatch", "undeclared", "outside_repo", "unmatched", "uncovered", "outside_dataset",
            "not_regular"]
PROBLEMS = ["nul_bytes", "ragged_rows", "blank_first_line", "invalid_json"]
SUBJECTS = ["alice", "bob", "carol", "dave", "erin", "mallory"]
ACTIONS = ["read", "write", "train", "export", "delete"]
PURPOSES = ["model-training", "evaluation", "analytics", "marketing", "retention"]
NOWS = ["2019-06-01T00:00:00Z", "2026-09-29T23:59:59Z", "2026-09-30T00:00:00Z", NOW, "2031-01-01T12:00:00Z"]


def _context(now: str) -> dict:
    return {"now": now, "repo": "r", "commit": None, "gate_version": "test"}


def _empty_facts() -> dict:
    return {"integrity": {}, "signature": {"present": False, "count": 0, "signatures": [], "valid_keyids": []},
            "sealing": {"files": 0, "sealed": 0, "plain_files": [], "plain_count": 0},
            "data": {"files": []}, "pii": {"by_type": {}}, "poisoning": {"status": "skipped"},
            "drift": {"status": "skipped"}}


def example_dataset_inputs() -> list[dict]:
    repo = Repo.at(EXAMPLE_REPO)
    signers = trusted_signers(load_policy_set([builtin_policy_dir()]).data["org"]["signers"])
    inputs = []
    for path in repo.descriptors():
        descriptor = load_descriptor(path, repo)
        facts = collect(build_view(descriptor, repo), Settings(signers=signers, fingerprint_key=b"k" * 32)).facts
        inputs.append(dataset_input(descriptor, facts, _context(NOW)))
    return inputs


def example_access_inputs() -> list[dict]:
    repo = Repo.at(EXAMPLE_REPO)
    inputs = []
    for path in sorted((EXAMPLES / "requests").glob("*.json")):
        request = json.loads(path.read_text())
        inputs.append(access_input(request, find_dataset(request["dataset"], repo), _context(NOW)))
    return inputs


def generated_dataset_inputs(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    inputs = []
    for i in range(count):
        clean = rng.random() < 0.3
        source = {"id": "crm-export" if clean else rng.choice(SOURCES), "trust": "internal" if clean else rng.choice(TRUST)}
        for key, value in (("collected", f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"),
                           ("method", "export"), ("contact", "x@example.com"), ("legal_basis", "consent"),
                           ("data_subjects", "people"), ("retention_days", rng.randint(1, 4000) + (4000 if clean else 0))):
            if clean or rng.random() < 0.85:
                source[key] = value
        if "retention_days" in source and "collected" not in source:
            source["collected"] = "2024-02-29"
        files = [{"path": f"d/f{j}.csv", "status": "ok" if clean else rng.choice(STATUSES), "sha256": "ab" * 32,
                  "expected_sha256": "cd" * 32} for j in range(rng.randint(0, 4))]
        inputs.append({
            "dataset": {"id": f"ds-{i}", "path": f"d{i}/dataset.yaml", "classification": rng.choice(CLASSIFICATIONS[:4] if clean else CLASSIFICATIONS),
                        "purposes": rng.sample(PURPOSES, rng.randint(1 if clean else 0, 3)), "source": source, "owner": "o@example.com"},
            "facts": {**_empty_facts(), "integrity": {
                "manifest": {"present": clean or rng.random() < 0.8, "path": f"d{i}/dataset.lock",
                             "dataset": f"ds-{i}" if clean else rng.choice([f"ds-{i}", f"ds-{i}", "other"])},
                "files": files, "unmatched_patterns": rng.sample(["a/*.csv", "b/*"], rng.randint(0, 1)),
                "ambiguous_names": [] if clean or rng.random() < 0.9 else [{"path": "d/A.csv", "reason": "twin"}],
            }, "data": {"files": [{"path": f["path"], "problems": [] if clean or rng.random() < 0.8 else
                                   [{"kind": rng.choice(PROBLEMS), "message": "m"}]} for f in files]}},
            "context": _context(NOW if clean else rng.choice(NOWS)),
        })
        if not clean and rng.random() < 0.05:
            del inputs[-1]["facts"][rng.choice(list(_empty_facts()))]
    return inputs


def generated_access_inputs(count: int, seed: int = 2) -> list[dict]:
    rng = random.Random(seed)
    repo = Repo.at(EXAMPLE_REPO)
    descriptors = {d: find_dataset(d, repo) for d in ("churn-2026q1", "support-tickets-2026", "web-crawl")}
    inputs = []
    for _ in range(count):
        dataset = rng.choice([*descriptors, "payroll-2026"])
        request = {"subject": rng.choice(SUBJECTS), "dataset": dataset, "action": rng.choice(ACTIONS),
                   "purpose": rng.choice(PURPOSES)}
        if rng.random() < 0.5:
            request["justification"] = "because"
        inputs.append(access_input(request, descriptors.get(dataset), _context(rng.choice(NOWS))))
    return inputs


@pytest.fixture(scope="module")
def engines():
    policies = load_policy_set([builtin_policy_dir()])
    loaded = {}
    for name in ENGINES:
        engine = create_engine(name)
        engine.load(policies)
        loaded[name] = engine
    yield loaded
    for engine in loaded.values():
        engine.close()


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("entrypoint,make", [
    ("gate.dataset.decision", lambda: example_dataset_inputs() + generated_dataset_inputs(300)),
    ("gate.access.decision", lambda: example_access_inputs() + generated_access_inputs(300)),
])
def test_engines_agree(engines, entrypoint, make):
    inputs = make()
    outcomes = {"allow": 0, "deny": 0}
    ids = set()
    for document in inputs:
        decisions = {name: _canonical(engine.evaluate(entrypoint, document)) for name, engine in engines.items()}
        assert len(set(decisions.values())) == 1, (document, decisions)
        decision = json.loads(next(iter(decisions.values())))
        outcomes["allow" if decision["allow"] else "deny"] += 1
        ids.update(v["id"] for v in decision["violations"])
    # The generated corpus must exercise both outcomes and most rules, or agreement proves little.
    assert outcomes["allow"] > 5 and outcomes["deny"] > 5, outcomes
    assert len(ids) >= 8, ids


RULE_IDS = ["integrity.file_mismatch", "integrity.file_missing", "source.trust_below_minimum", "signature.missing",
            "signature.untrusted", "sealing.plain_files", "compliance.legal_basis_missing", "integrity.no_manifest"]
KEYIDS = ["k-all", "k-hr", "k-conf", "k-unknown"]


def custody_inputs(count: int, seed: int = 3) -> list[dict]:
    """Generated dataset inputs with signature and sealing facts, for the custody rules and waivers."""
    rng = random.Random(seed)
    inputs = generated_dataset_inputs(count, seed)
    for index, document in enumerate(inputs):
        if rng.random() < 0.2:
            document["dataset"]["id"] = f"hr-{index}"
        signatures = [{"keyid": rng.choice(KEYIDS), "signer": rng.choice([None, "someone"]),
                       "status": rng.choice(["valid", "valid", "invalid", "unknown_signer"]),
                       "problem": rng.choice([None, "the lock's files differ from the signed ones"])}
                      for _ in range(rng.choice([0, 0, 1, 1, 2]))]
        files = document["facts"].get("integrity", {}).get("files", [])
        plain = [f["path"] for f in files if rng.random() < 0.5]
        for s in signatures:
            if s["status"] == "valid":
                s.update(version=rng.randint(1, 4), signed_at=rng.choice(["2026-01-01T00:00:00Z", "2020-01-01T00:00:00Z"]))
        valid = [s["version"] for s in signatures if s["status"] == "valid"]
        if "integrity" not in document["facts"]:
            continue
        document["facts"]["signature"] = {"present": bool(signatures), "count": len(signatures),
                                          "signatures": signatures,
                                          "valid_keyids": sorted({s["keyid"] for s in signatures if s["status"] == "valid"}),
                                          "version": max(valid) if valid else None,
                                          "base_version": rng.choice([None, None, 2, 3])}
        document["facts"]["sealing"] = {"files": len(files), "sealed": len(files) - len(plain), "plain_files": plain,
                                        "plain_count": len(plain), "all_sealed": bool(files) and not plain,
                                        "sealed_without_plain_digest": rng.sample([f"{p}.age" for p in plain],
                                                                                  min(len(plain), rng.randint(0, 1))),
                                        "sealed_without_facts": rng.sample(["x.csv.age"], rng.randint(0, 1)),
                                        "not_age": rng.sample(["y.csv.age"], int(rng.random() < 0.1))}
    return inputs


def custody_data(inputs: list[dict], seed: int = 4) -> dict:
    rng = random.Random(seed)
    waivers = []
    for document in rng.sample(inputs, len(inputs) // 3):
        waiver = {"rule": rng.choice(RULE_IDS), "dataset": document["dataset"]["id"], "justification": "j",
                  "approver": "a@example.com",
                  "expires": rng.choice(["2019-01-01", "2026-09-30", "2026-12-31", "2030-01-01T00:00:00Z"])}
        if rng.random() < 0.3:
            waiver["file"] = rng.choice([document["dataset"]["path"], "d/f0.csv", "elsewhere"])
        waivers.append(waiver)
    signers = {"k-all": {"name": "all"}, "k-hr": {"name": "hr", "datasets": ["hr-*"]},
               "k-conf": {"name": "conf", "classifications": ["confidential"]}}
    return {"waivers": waivers, "org": {"signers": signers, "signature": {"max_age_days": 365}}}


@pytest.mark.slow
def test_engines_agree_on_custody_rules_and_waivers():
    from gate.policy import PolicySet, deep_merge

    inputs = custody_inputs(400)
    base = load_policy_set([builtin_policy_dir()])
    policies = PolicySet(base.modules, deep_merge(base.data, custody_data(inputs)))
    loaded = {}
    for name in ENGINES:
        loaded[name] = create_engine(name)
        loaded[name].load(policies)
    seen_ids, levels = set(), set()
    try:
        for document in inputs:
            decisions = {name: _canonical(engine.evaluate("gate.dataset.decision", document))
                         for name, engine in loaded.items()}
            assert len(set(decisions.values())) == 1, (document, decisions)
            decision = json.loads(next(iter(decisions.values())))
            seen_ids.update(v["id"] for v in decision["violations"])
            levels.update(v["level"] for v in decision["violations"])
    finally:
        for engine in loaded.values():
            engine.close()
    # the corpus reaches every custody rule and every waiver outcome, or agreement proves little
    assert {"signature.missing", "signature.invalid", "signature.untrusted", "sealing.plain_files",
            "sealing.plain_digest_missing", "waiver.expired", "waiver.stale", "signature.rollback",
            "signature.too_old", "sealing.not_age", "sealing.facts_missing", "sealing.facts_unsigned",
            "input.incomplete", "data.ambiguous_file"} <= seen_ids, seen_ids
    assert {"deny", "warn", "waived"} <= levels
