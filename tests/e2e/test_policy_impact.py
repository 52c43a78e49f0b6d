"""`gate policy impact --base REF`: exactly the decisions a policy change flips, on the example corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conftest import EXAMPLE_REPO, EXAMPLES, NOW, ROOT, run_gate

REQUESTS = sorted(str(p) for p in (EXAMPLES / "requests").glob("*.json"))
EXPECTED = {
    ("access", "bob train churn-2026q1 (01-bob-trains-churn.json)", True, False, ("deny:access.not_permitted",), ()),
    ("access", "bob train churn-2026q1 (06-bob-trains-churn-for-marketing.json)", False, False,
     ("deny:access.not_permitted",), ()),
    ("dataset", "census-2019", False, False, ("deny:source.trust_below_minimum",), ()),
}


@pytest.fixture
def policy_repo(tmp_path):
    """The shipped policies in their own git repository, committed; then the change under review."""
    root = tmp_path / "policy-repo"
    shutil.copytree(ROOT / "policies", root / "policies")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    data = root / "policies" / "data.yaml"
    text = data.read_text()
    changed = text.replace("    internal: curated\n", "    internal: partner\n") \
                  .replace("ml-engineer: {permissions: [read_all, train_all]}", "ml-engineer: {permissions: [read_all]}")
    assert changed.count("\n") == text.count("\n") and changed != text
    data.write_text(changed)
    return root / "policies"


def _impact(policies, *args: str):
    return run_gate("policy", "impact", "--base", "HEAD", "--no-builtin-policies", "--policy", str(policies),
                    "--repo", str(EXAMPLE_REPO), "--now", NOW, "--format", "json", *args)


def _flips(proc) -> set:
    body = json.loads(proc.stdout)
    return {(f["kind"], f["label"].replace(str(EXAMPLES / "requests") + "/", ""), f["base_allow"], f["head_allow"],
             tuple(f["added"]), tuple(f["removed"])) for f in body["flips"]}


@pytest.mark.parametrize("engine", ["opa", "regorus"])
def test_impact_lists_exactly_the_flipped_decisions(policy_repo, engine):
    from conftest import ENGINES

    if engine not in ENGINES:
        pytest.skip(f"{engine} is not installed")
    proc = _impact(policy_repo, str(EXAMPLE_REPO), "--request", *REQUESTS, "--engine", engine, "--fail-on-flip")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["decisions"] == 9 + len(REQUESTS)
    assert _flips(proc) == EXPECTED


def test_impact_text_groups_by_rule_and_no_change_is_exit_0(policy_repo):
    proc = run_gate("policy", "impact", "--base", "HEAD", "--no-builtin-policies", "--policy", str(policy_repo),
                    "--repo", str(EXAMPLE_REPO), "--now", NOW, str(EXAMPLE_REPO), "--request", *REQUESTS)
    assert proc.returncode == 0  # flips found, but no --fail-on-flip
    lines = proc.stdout.splitlines()
    assert lines[0] == "access.not_permitted" and "allow -> DENY" in lines[1]
    assert "source.trust_below_minimum" in lines and lines[-1].startswith("3 of 20 decisions change")
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=policy_repo, check=True)
    proc = _impact(policy_repo, str(EXAMPLE_REPO), "--request", *REQUESTS, "--fail-on-flip")
    assert proc.returncode == 0 and json.loads(proc.stdout)["flips"] == []


def test_recorded_corpus_gives_the_same_flips(policy_repo, tmp_path):
    record = tmp_path / "corpus"
    assert run_gate("check", str(EXAMPLE_REPO), "--record", str(record)).returncode == 1
    assert run_gate("access", "--request", *REQUESTS, "--repo", str(EXAMPLE_REPO), "--record", str(record)).returncode == 1
    assert len(list(record.glob("*.json"))) == 9 + len(REQUESTS)
    proc = _impact(policy_repo, "--corpus", str(record))
    flips = _flips(proc)
    assert {(k, b, h, a) for k, _, b, h, a, _ in flips} == {(k, b, h, a) for k, _, b, h, a, _ in EXPECTED}
    assert any(label == "census-2019" for _, label, *_ in flips)


def test_audit_log_requests_are_replayed(policy_repo, tmp_path):
    key = tmp_path / "keys" / "audit.key"
    key.parent.mkdir()
    key.write_bytes(os.urandom(32).hex().encode())
    key.chmod(0o600)
    log = tmp_path / "audit.jsonl"
    assert run_gate("access", "--request", *REQUESTS[:2], "--repo", str(EXAMPLE_REPO), "--audit-log", str(log),
                    "--audit-key-file", str(key)).returncode == 0
    proc = _impact(policy_repo, "--audit-log", str(log), "--audit-key-file", str(key))
    flips = _flips(proc)
    assert [(k, b, h) for k, _, b, h, _, _ in flips] == [("access", True, False)]


def test_a_ref_that_does_not_exist_is_exit_2(policy_repo):
    proc = run_gate("policy", "impact", "--base", "no-such-ref", "--no-builtin-policies", "--policy", str(policy_repo),
                    "--repo", str(EXAMPLE_REPO), str(EXAMPLE_REPO / "datasets" / "churn-2026q1"))
    assert proc.returncode == 2 and "no-such-ref" in proc.stderr


def test_a_broken_recorded_input_is_exit_2(policy_repo, tmp_path):
    bad = tmp_path / "corpus" / "x.json"
    bad.parent.mkdir()
    bad.write_text('{"kind": "dataset"}')
    proc = _impact(policy_repo, "--corpus", str(bad.parent))
    assert proc.returncode == 2 and "x.json" in proc.stderr


def test_a_data_only_change_outside_the_policy_directories_is_noticed(tmp_path):
    """The policies unchanged, only a --data file (committed beside them, outside the policy directory)
    changed since the base: its committed version decides on the base side, so the flips show."""
    root = tmp_path / "org-repo"
    shutil.copytree(ROOT / "policies", root / "policies")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    org = root / "org.yaml"
    org.write_text("org:\n  minimum_trust:\n    internal: curated\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    org.write_text("org:\n  minimum_trust:\n    internal: partner\n")
    proc = run_gate("policy", "impact", "--base", "HEAD", "--no-builtin-policies", "--policy", str(root / "policies"),
                    "--data", str(org), "--repo", str(EXAMPLE_REPO), "--now", NOW, "--format", "json",
                    str(EXAMPLE_REPO / "datasets" / "census-2019"), "--fail-on-flip")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    flips = json.loads(proc.stdout)["flips"]
    assert [f["label"] for f in flips] == ["census-2019"] and flips[0]["added"] == ["deny:source.trust_below_minimum"]
    subprocess.run(["git", "checkout", "-q", "--", "org.yaml"], cwd=root, check=True)
    proc = run_gate("policy", "impact", "--base", "HEAD", "--no-builtin-policies", "--policy", str(root / "policies"),
                    "--data", str(org), "--repo", str(EXAMPLE_REPO), "--now", NOW, "--format", "json",
                    str(EXAMPLE_REPO / "datasets" / "census-2019"), "--fail-on-flip")
    assert proc.returncode == 0 and json.loads(proc.stdout)["flips"] == [], proc.stdout + proc.stderr
