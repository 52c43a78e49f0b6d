"""The audit trail: every kind of tampering is caught and named; keys are handled like ssh keys."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from conftest import PINNED, EXAMPLE_REPO, EXAMPLES, NOW, run_gate

from gate.custody.audit import AuditLog


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "keys" / "audit.key"
    path.parent.mkdir()
    path.write_bytes(os.urandom(32).hex().encode())
    path.chmod(0o600)
    return path


def _decide(log: Path, key_file: Path, *requests: str):
    files = [str(EXAMPLES / "requests" / f"{name}.json") for name in requests]
    return run_gate("access", "--request", *files, "--repo", str(EXAMPLE_REPO), "--now", NOW, *PINNED,
                    "--audit-log", str(log), "--audit-key-file", str(key_file))


@pytest.fixture
def log(tmp_path, key_file) -> Path:
    path = tmp_path / "audit.jsonl"
    proc = _decide(path, key_file, "01-bob-trains-churn", "05-alice-exports-churn", "10-mallory-reads-churn")
    assert proc.returncode == 1, proc.stderr
    proc = run_gate("check", str(EXAMPLE_REPO / "datasets" / "churn-2026q1"), "--now", NOW,
                    "--audit-log", str(path), "--audit-key-file", str(key_file))
    assert proc.returncode == 0, proc.stderr
    return path


def _verify(log: Path, key_file: Path, *extra: str):
    return run_gate("audit", "verify", str(log), "--audit-key-file", str(key_file), *extra)


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines(keepends=True)


def test_entries_record_decisions_and_verify(log, key_file):
    entries = [json.loads(line) for line in _lines(log)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert [(e["actor"], e["action"], e["dataset"], e["decision"]) for e in entries[:3]] == [
        ("bob", "train", "churn-2026q1", "pass"), ("alice", "export", "churn-2026q1", "fail"),
        ("mallory", "read", "churn-2026q1", "fail")]
    assert entries[1]["reasons"] == ["access.not_permitted"]
    assert entries[3]["action"] == "check" and entries[3]["policy_digest"].startswith("sha256:")
    assert all(e["prev"] == p["hash"] for p, e in zip(entries, entries[1:]))
    proc = _verify(log, key_file)
    assert proc.returncode == 0 and "4 entries verified" in proc.stdout


def _tamper(kind: str, lines: list[str]) -> list[str]:
    if kind == "edited":
        entry = json.loads(lines[1])
        entry["decision"] = "pass"
        lines[1] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    elif kind == "deleted":
        del lines[1]
    elif kind == "inserted":
        lines.insert(2, lines[1])
    elif kind == "reordered":
        lines[1], lines[2] = lines[2], lines[1]
    elif kind == "truncated-line":
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    elif kind == "rehashed":  # edited and re-hashed without the key: the MAC gives it away
        import hashlib

        entry = json.loads(lines[1])
        entry["decision"] = "pass"
        body = {k: v for k, v in entry.items() if k not in ("hash", "mac")}
        entry["hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        lines[1] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    return lines


@pytest.mark.parametrize("kind,seq,fragment", [
    ("edited", 2, "was edited"),
    ("deleted", 2, "expected 2"),
    ("inserted", 3, "expected 3"),
    ("reordered", 2, "expected 2"),
    ("truncated-line", 4, "truncated"),
    ("rehashed", 2, "MAC"),
])
def test_tampering_is_detected_and_names_the_first_bad_entry(log, key_file, kind, seq, fragment):
    log.write_text("".join(_tamper(kind, _lines(log))))
    proc = _verify(log, key_file)
    assert proc.returncode == 2, proc.stdout
    assert f"entry {seq}:" in proc.stderr and fragment in proc.stderr
    body = json.loads(_verify(log, key_file, "--format", "json").stdout)
    assert body["ok"] is False and body["first_bad_seq"] == seq


def test_cutting_entries_off_the_end_is_caught_by_a_checkpoint(log, key_file, tmp_path):
    checkpoint = tmp_path / "head.json"
    proc = run_gate("audit", "checkpoint", str(log), "--audit-key-file", str(key_file), "--output", str(checkpoint))
    assert proc.returncode == 0 and json.loads(checkpoint.read_text())["seq"] == 4
    assert _verify(log, key_file, "--checkpoint", str(checkpoint)).returncode == 0
    log.write_text("".join(_lines(log)[:2]))
    assert _verify(log, key_file).returncode == 0  # without the checkpoint a clean cut is invisible
    proc = _verify(log, key_file, "--checkpoint", str(checkpoint))
    assert proc.returncode == 2 and "entry 3:" in proc.stderr and "cut off" in proc.stderr


def test_a_forged_checkpoint_is_refused(log, key_file, tmp_path):
    checkpoint = tmp_path / "head.json"
    run_gate("audit", "checkpoint", str(log), "--audit-key-file", str(key_file), "--output", str(checkpoint))
    value = json.loads(checkpoint.read_text())
    value["seq"] = 2
    checkpoint.write_text(json.dumps(value))
    proc = _verify(log, key_file, "--checkpoint", str(checkpoint))
    assert proc.returncode == 2 and "checkpoint's MAC" in proc.stderr


def test_the_wrong_key_is_detected(log, tmp_path):
    other = tmp_path / "other.key"
    other.write_text(os.urandom(32).hex())
    other.chmod(0o600)
    proc = _verify(log, other)
    assert proc.returncode == 2 and "entry 1:" in proc.stderr and "MAC" in proc.stderr


def test_key_files_are_handled_like_ssh_keys(tmp_path, key_file):
    loose = tmp_path / "loose.key"
    loose.write_text(os.urandom(32).hex())
    loose.chmod(0o644)
    proc = _decide(tmp_path / "a.jsonl", loose, "01-bob-trains-churn")
    assert proc.returncode == 2 and "readable by group or others" in proc.stderr
    assert not (tmp_path / "a.jsonl").exists()
    inside = EXAMPLE_REPO / ".gate" / "audit-test.key"
    inside.parent.mkdir(exist_ok=True)
    try:
        inside.write_text(os.urandom(32).hex())
        inside.chmod(0o600)
        proc = _decide(tmp_path / "b.jsonl", inside, "01-bob-trains-churn")
        assert proc.returncode == 2 and "inside the repository" in proc.stderr
    finally:
        inside.unlink()
    proc = run_gate("access", "--request", str(EXAMPLES / "requests" / "01-bob-trains-churn.json"),
                    "--repo", str(EXAMPLE_REPO), "--audit-log", str(tmp_path / "c.jsonl"),
                    env={"GATE_AUDIT_KEY": ""})
    assert proc.returncode == 2 and "no audit key" in proc.stderr
    secret = key_file.read_text().strip()
    proc = _decide(tmp_path / "d.jsonl", key_file, "01-bob-trains-churn")
    assert secret not in proc.stdout + proc.stderr + (tmp_path / "d.jsonl").read_text()


def test_key_from_a_named_environment_variable(tmp_path):
    env = {"TEAM_AUDIT_KEY": os.urandom(24).hex()}
    log = tmp_path / "e.jsonl"
    proc = run_gate("access", "--request", str(EXAMPLES / "requests" / "01-bob-trains-churn.json"),
                    "--repo", str(EXAMPLE_REPO), "--audit-log", str(log), "--audit-key-env", "TEAM_AUDIT_KEY", env=env)
    assert proc.returncode == 0, proc.stderr
    assert run_gate("audit", "verify", str(log), "--audit-key-env", "TEAM_AUDIT_KEY", env=env).returncode == 0


def test_entries_carry_no_messages_or_values(log):
    text = log.read_text()
    assert "message" not in text and "does not" not in text


def _append_many(args):
    path, key, worker = args
    log = AuditLog(Path(path), key)
    for i in range(40):
        log.append([{"actor": f"w{worker}", "action": "read", "dataset": "d", "decision": "pass", "reasons": []}])


def test_concurrent_appends_from_processes_keep_one_chain(tmp_path):
    key = os.urandom(32)
    path = tmp_path / "concurrent.jsonl"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_append_many, [(str(path), key, w) for w in range(4)])
    result = AuditLog(path, key).verify()
    assert result["ok"], result
    assert result["entries"] == 160


def test_policy_data_says_where_the_log_lives(tmp_path, key_file):
    from conftest import write

    data = write(tmp_path / "org.yaml", f"org:\n  audit:\n    log: {tmp_path / 'from-policy.jsonl'}\n")
    proc = run_gate("access", "--request", str(EXAMPLES / "requests" / "01-bob-trains-churn.json"),
                    "--repo", str(EXAMPLE_REPO), "--now", NOW, *PINNED, "--data", str(data),
                    "--audit-key-file", str(key_file), env={"GATE_AUDIT_LOG": ""})
    assert proc.returncode == 0, proc.stderr
    [entry] = [json.loads(line) for line in (tmp_path / "from-policy.jsonl").read_text().splitlines()]
    assert (entry["actor"], entry["decision"]) == ("bob", "pass")
    # the policy's log needs the key like any other: without one the run fails closed
    proc = run_gate("access", "--request", str(EXAMPLES / "requests" / "01-bob-trains-churn.json"),
                    "--repo", str(EXAMPLE_REPO), "--now", NOW, *PINNED, "--data", str(data),
                    env={"GATE_AUDIT_LOG": "", "GATE_AUDIT_KEY": ""})
    assert proc.returncode == 2 and "no audit key" in proc.stderr
