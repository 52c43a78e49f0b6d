"""Class 7 — time and waivers are honest: a pinned time is written into every output and audit entry and
is refused for access and the loader unless policy data allows it; only valid waivers apply, wherever
they come from."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile

import pytest

import gate
from _attack import check, denies, ids, keys, make_dataset, make_repo, run_gate, write
from conftest import EXAMPLE_REPO, EXAMPLES

CLEAN = "id,score\n" + "".join(f"{i},{i % 7}\n" for i in range(20))
DAVE = EXAMPLES / "requests" / "08-dave-reads-churn-expired-grant.json"


def test_a_pinned_time_is_written_into_the_output_and_the_audit_log(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    key = tmp_path / "audit.key"
    key.write_bytes(os.urandom(32).hex().encode())
    key.chmod(0o600)
    log = tmp_path / "audit.jsonl"
    code, body, _ = check(root, directory, args=("--now", "2026-01-02T03:04:05Z", "--audit-log", str(log),
                                                "--audit-key-file", str(key)))
    assert body["now"] == "2026-01-02T03:04:05Z" and body["now_pinned"] is True, body
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["decision_time"] == "2026-01-02T03:04:05Z" and entry["now_pinned"] is True
    text = run_gate("check", str(directory), "--repo", str(root), "--now", "2026-01-02T03:04:05Z", "--no-cache")
    assert "pinned to 2026-01-02T03:04:05Z" in text.stdout


def test_a_pinned_time_cannot_bring_back_an_expired_grant(tmp_path):
    proc = run_gate("access", "--request", str(DAVE), "--repo", str(EXAMPLE_REPO), "--now", "2026-09-01T00:00:00Z")
    assert proc.returncode == 2 and "org.time.allow_pinned" in proc.stderr, proc.stdout + proc.stderr
    allowed = write(tmp_path / "pinned.yaml", "org:\n  time:\n    allow_pinned: true\n")
    proc = run_gate("access", "--request", str(DAVE), "--repo", str(EXAMPLE_REPO), "--now", "2026-09-01T00:00:00Z",
                    "--data", str(allowed), "--format", "json")
    body = json.loads(proc.stdout)
    assert proc.returncode == 0 and body["now_pinned"] is True  # allowed by policy data, and said


def test_the_loader_refuses_a_pinned_time(tmp_path):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    with pytest.raises(gate.GateError, match="pinned"):
        gate.open_dataset(directory, subject="bob", purpose="model-training", audit_log=tmp_path / "audit.jsonl",
                          audit_key_file=k["audit"], repo_root=root, now="2026-01-01T00:00:00Z")


def _two_violations(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "two", {"data/p.csv": CLEAN}, classification="confidential")
    path = directory / "dataset.yaml"
    path.write_text(path.read_text().replace("trust: internal", "trust: curated"))
    return root, directory


def test_a_waiver_defined_by_a_rego_module_is_refused(tmp_path):
    root, directory = _two_violations(tmp_path)
    module = write(tmp_path / "extra" / "sneaky.rego", """package waivers

w1 := {"rule": "signature.missing", "dataset": "two", "justification": "x", "approver": "x",
       "expires": "2099-01-01"}
""")
    code, body, stderr = check(root, directory, args=("--policy", str(module.parent)))
    assert code == 2 and "waivers" in stderr, (body, stderr)
    assert "signature.missing" not in {v["id"] for d in body.get("datasets", []) for v in d["violations"]
                                       if v["level"] == "waived"}


def _bundle_with(tmp_path, waivers: list) -> "os.PathLike":
    from gate.policy import builtin_policy_dir

    out = tmp_path / "bundle.tar.gz"
    assert run_gate("policy", "bundle", "build", "--out", str(out)).returncode == 0
    with gzip.open(out) as handle:
        archive = tarfile.open(fileobj=io.BytesIO(handle.read()))
    files = {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}
    key = next(name for name in files if name.lstrip("/") == "data.json")
    data = json.loads(files[key])
    data["waivers"] = waivers
    files[key] = json.dumps(data).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    out.write_bytes(gzip.compress(raw.getvalue()))
    assert builtin_policy_dir()
    return out


def test_a_waiver_without_an_approver_in_a_bundle_is_refused(tmp_path):
    root, directory = _two_violations(tmp_path)
    bundle = _bundle_with(tmp_path, [{"rule": "signature.missing", "dataset": "two", "justification": "trust me",
                                      "expires": "2099-01-01"}])
    code, body, stderr = check(root, directory, args=("--no-builtin-policies", "--policy", str(bundle)))
    assert code == 2 and "approver" in stderr, (body, stderr)


def test_a_valid_waiver_in_a_bundle_still_applies(tmp_path):
    root, directory = _two_violations(tmp_path)
    bundle = _bundle_with(tmp_path, [{"rule": "signature.missing", "dataset": "two", "justification": "reviewed",
                                      "approver": "sec@example.com", "expires": "2099-01-01"}])
    code, body, _ = check(root, directory, args=("--no-builtin-policies", "--policy", str(bundle)))
    assert "signature.missing" not in denies(body) and "signature.missing" in ids(body), body
