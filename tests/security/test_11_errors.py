"""Class 11 — every error names its file (or option): one line, exit 2, never "internal error"."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

import gate
from _attack import keys, make_dataset, make_repo, run_gate, write

CLEAN = "id,score\n" + "".join(f"{i},{i % 7}\n" for i in range(20))


def _one_line_error(proc, *names: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "internal error" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("gate: error:")] or \
        [line for line in proc.stdout.splitlines() if line.startswith("ERROR")]
    assert errors and all(any(n in line for line in errors) for n in names), proc.stdout + proc.stderr


@pytest.mark.parametrize("pattern", ["data/**.csv", "data/[a-", "data//x.csv"])
def test_a_bad_glob_names_the_descriptor_and_line(tmp_path, pattern):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN}, globs=f"['{pattern}']", lock=False)
    proc = run_gate("check", str(directory), "--repo", str(root))
    _one_line_error(proc, "datasets/a/dataset.yaml:", "files")


def test_the_loader_audits_a_bad_glob(tmp_path):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN}, globs="['data/**.csv']", lock=False)
    log = tmp_path / "audit.jsonl"
    with pytest.raises(gate.GateError) as info:
        gate.open_dataset(directory, subject="bob", purpose="model-training", audit_log=log,
                          audit_key_file=k["audit"], repo_root=root)
    assert "dataset.yaml" in str(info.value)
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["decision"] == "error"


@pytest.mark.parametrize("now", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "tomorrow"])
def test_an_out_of_range_now_names_the_option(tmp_path, now):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    proc = run_gate("check", str(directory), "--repo", str(root), f"--now={now}")
    _one_line_error(proc, "--now")


class _Answers(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps({"result": "not a listing"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_malformed_policy_listing_from_opa_names_the_server(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        proc = run_gate("check", str(directory), "--repo", str(root), "--engine", "opa-server", "--opa-url", url)
    finally:
        server.shutdown()
    _one_line_error(proc, "/v1/policies")


def test_a_deeply_nested_audit_line_names_the_entry(tmp_path):
    log = write(tmp_path / "audit.jsonl", "[" * 200000 + "]" * 200000 + "\n")
    key = tmp_path / "audit.key"
    key.write_text("k" * 32)
    key.chmod(0o600)
    proc = run_gate("audit", "verify", str(log), "--audit-key-file", str(key))
    _one_line_error(proc, "audit.jsonl", "entry 1")


def test_an_invalid_character_range_is_a_named_error(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN}, globs="['data/[z-a].csv']", lock=False)
    proc = run_gate("check", str(directory), "--repo", str(root))
    _one_line_error(proc, "datasets/a/dataset.yaml:", "files")
