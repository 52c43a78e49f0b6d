"""End to end through the installed `gate` command on the shipped examples, on every engine."""

from __future__ import annotations

import json
import os

import pytest

from conftest import PINNED, ENGINES, EXAMPLE_REPO, EXAMPLES, NOW, run_gate, run_json

EXPECTED_DATASETS = {
    "churn-2026q1": ("pass", set()),
    "support-tickets-2026": ("fail", {"integrity.file_mismatch"}),
    "web-crawl": ("fail", {"source.trust_below_minimum"}),
    "census-2019": ("fail", {"compliance.retention_expired"}),
    "sensor-escape": ("fail", {"integrity.path_outside_repo"}),
    "chat-logs-2026": ("fail", {"pii.type_not_allowed"}),
    "loan-applications-2026": ("fail", {"poisoning.backdoor_trigger"}),
    "product-reviews-2026": ("fail", {"poisoning.backdoor_trigger"}),
    "churn-2026q2": ("warn", set()),
}

EXPECTED_REQUESTS = {
    "01-bob-trains-churn": ("pass", set()),
    "02-alice-trains-churn-acl": ("pass", set()),
    "03-carol-deletes-churn": ("pass", set()),
    "04-erin-reads-churn-grant": ("pass", set()),
    "05-alice-exports-churn": ("fail", {"access.not_permitted"}),
    "06-bob-trains-churn-for-marketing": ("fail", {"access.purpose_not_declared"}),
    "07-carol-exports-consent-data": ("fail", {"access.consent_export"}),
    "08-dave-reads-churn-expired-grant": ("fail", {"access.grant_expired"}),
    "09-bob-deletes-churn": ("fail", {"access.delete_requires_owner"}),
    "10-mallory-reads-churn": ("fail", {"access.unknown_subject"}),
    "11-alice-reads-unknown-dataset": ("fail", {"access.unknown_dataset"}),
}


def _deny_ids(entry: dict) -> set[str]:
    return {v["id"] for v in entry["violations"] if v["level"] == "deny"}


@pytest.mark.parametrize("engine", ENGINES)
def test_example_datasets_get_their_verdicts(engine):
    code, body = run_json("check", str(EXAMPLE_REPO), "--engine", engine, "--now", NOW)
    assert code == 1
    assert body["engine"] == engine
    assert body["verdict"] == "fail"
    assert body["errors"] == []
    got = {d["id"]: (d["verdict"], _deny_ids(d)) for d in body["datasets"]}
    assert got == EXPECTED_DATASETS


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dataset", sorted(EXPECTED_DATASETS))
def test_each_example_dataset_exit_code(engine, dataset):
    directory = next(p.parent for p in EXAMPLE_REPO.rglob("dataset.yaml")
                     if f"id: {dataset}\n" in p.read_text())
    proc = run_gate("check", str(directory), "--engine", engine, "--now", NOW)
    verdict, ids = EXPECTED_DATASETS[dataset]
    assert proc.returncode == (1 if verdict == "fail" else 0), proc.stdout + proc.stderr
    assert f"engine {engine}" in proc.stdout
    for rule_id in ids:
        assert rule_id in proc.stdout


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(EXPECTED_REQUESTS))
def test_each_example_request(engine, name):
    code, body = run_json("access", "--request", str(EXAMPLES / "requests" / f"{name}.json"),
                          "--repo", str(EXAMPLE_REPO), "--engine", engine, "--now", NOW, *PINNED)
    verdict, ids = EXPECTED_REQUESTS[name]
    assert body["engine"] == engine
    assert body["kind"] == "access"
    assert code == (1 if verdict == "fail" else 0)
    [decision] = body["datasets"]
    assert decision["verdict"] == verdict
    assert _deny_ids(decision) == ids
    if verdict == "pass":
        assert decision["facts"]["granted_by"], "an allowed request says what granted it"
    for violation in decision["violations"]:
        assert violation["message"], "every deny says why"


def test_access_from_flags_matches_request_file():
    request = json.loads((EXAMPLES / "requests" / "01-bob-trains-churn.json").read_text())
    code, body = run_json("access", "--subject", request["subject"], "--dataset", request["dataset"],
                          "--action", request["action"], "--purpose", request["purpose"],
                          "--repo", str(EXAMPLE_REPO), "--now", NOW, *PINNED)
    assert code == 0 and body["verdict"] == "pass"


def test_text_report_lines_and_summary():
    proc = run_gate("check", str(EXAMPLE_REPO), "--now", NOW)
    lines = proc.stdout.splitlines()
    assert any(line.startswith("PASS") and "churn-2026q1" in line for line in lines)
    trust = next(line for line in lines if "source.trust_below_minimum" in line)
    assert "high" in trust and "datasets/web-crawl/dataset.yaml:10" in trust
    assert lines[-1].startswith("9 datasets: 1 pass, 1 warn, 7 fail, 0 error; verdict fail (engine ")
    assert "\033[" not in proc.stdout, "no colour when stdout is not a terminal"


def test_output_file_and_fail_on_warn(tmp_path, data_repo):
    directory = data_repo("warned")
    # an unknown purpose is a warning, not a failure
    text = (directory / "dataset.yaml").read_text().replace("[model-training]", "[model-training, upselling]")
    (directory / "dataset.yaml").write_text(text)
    out = tmp_path / "verdict.json"
    proc = run_gate("check", str(directory), "--format", "json", "--output", str(out))
    assert proc.returncode == 0
    assert json.loads(out.read_text())["verdict"] == "warn"
    assert run_gate("check", str(directory), "--fail-on", "warn").returncode == 1


def test_now_pins_decisions():
    census = EXAMPLE_REPO / "datasets" / "census-2019"
    assert run_gate("check", str(census), "--now", "2021-06-01T00:00:00Z").returncode == 0
    assert run_gate("check", str(census), "--now", "2022-01-14T00:00:00Z").returncode == 1


def test_eval_for_policy_authors(tmp_path):
    document = {"request": {"subject": "bob", "dataset": "x", "action": "read", "purpose": "p"},
                "dataset": None, "context": {"now": NOW}}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    proc = run_gate("eval", "data.gate.access.decision", "--input", str(path))
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["result"]["allow"] is False
    assert {v["id"] for v in body["result"]["violations"]} == {"access.unknown_dataset"}


@pytest.mark.skipif(len(ENGINES) < 2, reason="needs two local engines")
@pytest.mark.parametrize("command", ["check", "access"])
def test_engines_give_identical_verdict_json_on_examples(command):
    args = (["check", str(EXAMPLE_REPO)] if command == "check" else
            ["access", "--request", *map(str, sorted((EXAMPLES / "requests").glob("*.json"))), "--repo", str(EXAMPLE_REPO)])
    bodies = []
    for engine in ENGINES:
        code, body = run_json(*args, "--engine", engine, "--now", NOW, *PINNED)
        assert body.pop("engine") == engine
        bodies.append((code, body))
    assert all(b == bodies[0] for b in bodies[1:])


def test_a_data_file_path_checks_the_dataset_that_owns_it(tmp_path):
    code, body = run_json("check", str(EXAMPLE_REPO / "datasets" / "web-crawl" / "data" / "pages.csv"), "--now", NOW)
    assert code == 1 and [d["id"] for d in body["datasets"]] == ["web-crawl"]
    stray = tmp_path / "stray.csv"
    stray.write_text("a\n1\n")
    proc = run_gate("check", str(stray), "--repo", str(tmp_path))
    assert proc.returncode == 2 and "not inside any dataset" in proc.stdout


def test_changed_since_and_all(data_repo):
    import subprocess

    root = data_repo.root
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    data_repo("one")
    data_repo("two")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "base"], check=True, env={**os.environ, **env})
    proc = run_gate("check", "--changed-since", "HEAD", cwd=root)
    assert proc.returncode == 0 and "no dataset changed" in proc.stderr
    (root / "datasets" / "two" / "data" / "part-0.csv").write_text("a,b,label\n9,9,1\n")
    code, body = run_json("check", "--changed-since", "HEAD", cwd=root)
    assert code == 1 and [d["id"] for d in body["datasets"]] == ["two"]
    code, body = run_json("check", "--all", cwd=root)
    assert sorted(d["id"] for d in body["datasets"]) == ["one", "two"]
    proc = run_gate("check", "--changed-since", "no-such-ref", cwd=root)
    assert proc.returncode == 2 and "no-such-ref" in proc.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_drifted_example_warns_on_every_engine(engine):
    code, body = run_json("check", str(EXAMPLE_REPO / "datasets" / "churn-2026q2"), "--engine", engine, "--now", NOW)
    [entry] = body["datasets"]
    assert code == 0 and entry["verdict"] == "warn"
    # the quarter's rows were drawn with replacement from the last quarter's (scripts/
    # make_poisoning_examples.py), spend nudged: near-copies of one another, which the data issues say
    by_id = {v["id"]: v for v in entry["violations"]}
    assert set(by_id) == {"drift.significant", "data_quality.duplicates"}
    violation = by_id["drift.significant"]
    assert "monthly_spend" in violation["message"]
    assert entry["facts"]["drift"]["features"][0]["feature"] == "monthly_spend"
