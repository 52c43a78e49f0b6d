"""End to end: real git repositories, hooks installed from this checkout by the real pre-commit, real commits."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DESCRIPTOR, ROOT, write

pytestmark = [pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed"), pytest.mark.slow]


def _head() -> str | None:
    proc = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", ".pre-commit-hooks.yaml", "gate",
                            "policies", "pyproject.toml"], capture_output=True, text=True).stdout.strip()
    return proc.stdout.strip() if not dirty else None


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory):
    rev = _head()
    if rev is None:
        pytest.skip("the hooks install from a commit: commit the working tree first")
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "NO_COLOR": "1"}
    env.pop("GATE_ENGINE", None)
    return rev, env


def _git(repo: Path, env, *args, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout + proc.stderr)
    return proc


def _dataset(repo: Path, name: str, trust: str = "internal", csv: str = "a,b\n1,2\n") -> Path:
    directory = repo / "datasets" / name
    write(directory / "dataset.yaml", DESCRIPTOR.format(id=name, classification="internal", trust=trust))
    write(directory / "data" / "part-0.csv", csv)
    return directory


@pytest.fixture
def repo(tmp_path, hook_env):
    rev, env = hook_env
    root = tmp_path / "datarepo"
    root.mkdir()
    _git(root, env, "init", "-q")
    write(root / ".pre-commit-config.yaml", f"""repos:
  - repo: {ROOT}
    rev: {rev}
    hooks:
      - id: gate-check
      - id: gate-manifest
      - id: gate-pii
""")
    write(root / "README.md", "data\n")
    subprocess.run(["pre-commit", "install"], cwd=root, env=env, check=True, capture_output=True)
    _git(root, env, "add", "-A")
    first = _git(root, env, "commit", "-qm", "init", check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    return root, env


def _commit(root: Path, env, message: str) -> subprocess.CompletedProcess:
    _git(root, env, "add", "-A")
    return _git(root, env, "commit", "-m", message, check=False)


def _lock(root: Path, env, directory: Path) -> None:
    subprocess.run(["gate", "manifest", "update", str(directory)], cwd=root, env=env, check=True, capture_output=True)


def test_clean_dataset_accepted_and_no_dataset_commit_is_cheap(repo):
    root, env = repo
    directory = _dataset(root, "clean")
    _lock(root, env, directory)
    proc = _commit(root, env, "add clean dataset")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(root / "README.md", "more words\n")
    proc = _commit(root, env, "docs only")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_tampered_file_refused(repo):
    root, env = repo
    directory = _dataset(root, "tamper")
    _lock(root, env, directory)
    assert _commit(root, env, "add").returncode == 0
    write(directory / "data" / "part-0.csv", "a,b\n1,3\n")
    proc = _commit(root, env, "tamper")
    assert proc.returncode != 0
    assert "integrity.file_mismatch" in proc.stdout + proc.stderr


def test_below_trust_refused(repo):
    root, env = repo
    directory = _dataset(root, "crawl", trust="raw")
    _lock(root, env, directory)
    proc = _commit(root, env, "add crawl")
    assert proc.returncode != 0
    assert "source.trust_below_minimum" in proc.stdout + proc.stderr
    # pre-commit's own environment installs gate as a wheel: the policies it decides with have the digest a
    # `gate check` from this checkout reports, so the audit entries of both can be matched
    import re

    local = subprocess.run(["gate", "check", str(directory), "--repo", str(root)], cwd=root, env=env,
                           capture_output=True, text=True)
    digests = {re.search(r"policies (sha256:[0-9a-f]+)", text).group(1) for text in (proc.stdout + proc.stderr, local.stdout)}
    assert len(digests) == 1, digests


def test_undeclared_pii_refused(repo):
    root, env = repo
    directory = _dataset(root, "people", csv="name,phone\nAnn,(415) 555-2671\nBob,(212) 555-0199\n")
    _lock(root, env, directory)
    proc = _commit(root, env, "add people")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "pii.type_not_allowed" in out and "gate-pii" in out
    assert "555-2671" not in out


def test_stale_lock_refused_then_fixed(repo):
    root, env = repo
    write(root / ".pre-commit-config.yaml", (root / ".pre-commit-config.yaml").read_text()
          .replace("      - id: gate-manifest\n", "      - id: gate-manifest\n        args: [--fix]\n"))
    directory = _dataset(root, "growing")
    _lock(root, env, directory)
    assert _commit(root, env, "add").returncode == 0
    write(directory / "data" / "part-1.csv", "a,b\n5,6\n")
    proc = _commit(root, env, "more rows, lock not updated")
    assert proc.returncode != 0
    assert "rewrote datasets/growing/dataset.lock" in proc.stdout + proc.stderr
    proc = _commit(root, env, "more rows, lock re-staged")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_policy_test_hook_blocks_a_failing_rego_test(tmp_path, hook_env):
    rev, env = hook_env
    root = tmp_path / "policyrepo"
    root.mkdir()
    _git(root, env, "init", "-q")
    write(root / ".pre-commit-config.yaml", f"""repos:
  - repo: {ROOT}
    rev: {rev}
    hooks:
      - id: gate-policy-test
        args: [--policy, policies]
""")
    write(root / "policies" / "team.rego", """package gate.rules.dataset.team

deny contains {"id": "team.no_tags", "message": "no tags"} if {
	not input.dataset.tags
}
""")
    write(root / "policies" / "team_test.rego", """package gate.rules.dataset.team

test_untagged_denied if {
	count(deny) == 2 with input as {"dataset": {}}
}
""")
    subprocess.run(["pre-commit", "install"], cwd=root, env=env, check=True, capture_output=True)
    proc = _commit(root, env, "policies with a wrong test")
    assert proc.returncode != 0
    assert "data.gate.rules.dataset.team.test_untagged_denied" in proc.stdout + proc.stderr
    write(root / "policies" / "team_test.rego", (root / "policies" / "team_test.rego").read_text().replace("== 2", "== 1"))
    proc = _commit(root, env, "fixed test")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_manifest_fix_keeps_the_signatures_of_an_unchanged_lock(repo, tmp_path):
    """The manifest hook and `gate manifest update` are one lock update: a signed lock whose files did not
    change is left byte for byte (an older hook rewrote it and stripped its signatures)."""
    root, env = repo
    write(root / ".pre-commit-config.yaml", (root / ".pre-commit-config.yaml").read_text()
          .replace("      - id: gate-manifest\n", "      - id: gate-manifest\n        args: [--fix]\n")
          .replace("      - id: gate-check\n", "").replace("      - id: gate-pii\n", ""))
    directory = _dataset(root, "signed")
    _lock(root, env, directory)
    key = tmp_path / "keys" / "sign.pem"
    key.parent.mkdir()
    subprocess.run(["gate", "keygen", "signing", "--out", str(key)], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    subprocess.run(["gate", "manifest", "sign", str(directory), "--key", str(key)], cwd=root, env=env, check=True,
                   capture_output=True)
    signed = (directory / "dataset.lock").read_bytes()
    assert b'"signatures": [' in signed and b"payload" in signed
    proc = _commit(root, env, "add a signed dataset")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (directory / "dataset.lock").read_bytes() == signed
    # a commit touching the dataset (the descriptor's title) runs the hook again: still untouched
    write(directory / "dataset.yaml", (directory / "dataset.yaml").read_text().replace("title: Test dataset",
                                                                                     "title: Retitled"))
    proc = _commit(root, env, "retitle")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (directory / "dataset.lock").read_bytes() == signed
