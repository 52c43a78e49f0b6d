"""Hostile and broken input: every case ends in exit 2 or a violation naming the file, never a traceback."""

from __future__ import annotations

import json
import re
import os

import pytest

from conftest import ENGINES, NOW, run_gate, run_json, write


def _descriptor(repo) -> tuple:
    directory = repo("d1")
    return directory, directory / "dataset.yaml"


def _expect_error(proc, *fragments):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    for fragment in fragments:
        assert fragment in text, text
    return text


CASES = {
    "malformed_yaml": ("gate: 1\nid: [unclosed\n", ["datasets/d1/dataset.yaml:", "invalid YAML"]),
    "wrong_type": (None, ["datasets/d1/dataset.yaml:10: source.trust: 5 is not one of unknown, raw, curated, partner, internal"]),
    "bad_enum": (None, ["datasets/d1/dataset.yaml:10: source.trust: 'trusted' is not one of unknown, raw, curated, partner, internal"]),
    "unknown_field": (None, ["datasets/d1/dataset.yaml:17: colour: unknown field 'colour'"]),
    "missing_field": (None, ["datasets/d1/dataset.yaml", "classification: required field is missing"]),
    "empty": ("", ["datasets/d1/dataset.yaml", "empty descriptor"]),
    "not_a_mapping": ("- a\n- b\n", ["datasets/d1/dataset.yaml", "expected object, got array"]),
    "billion_laughs": ('a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n', ["datasets/d1/dataset.yaml:1", "anchors and aliases are not allowed"]),
    "python_tag": ("gate: !!python/object/apply:os.system ['echo pwned']\n", ["datasets/d1/dataset.yaml:1", "not allowed"]),
    "custom_tag": ("gate: !include /etc/passwd\n", ["datasets/d1/dataset.yaml:1", "not allowed"]),
    "duplicate_key": ("gate: 1\nid: a\nid: b\n", ["datasets/d1/dataset.yaml:3", "duplicate key 'id'"]),
    "merge_key": ("base: {a: 1}\nx:\n  <<: {a: 1}\n", ["datasets/d1/dataset.yaml:3", "merge keys"]),
    "two_documents": ("gate: 1\n---\ngate: 1\n", ["datasets/d1/dataset.yaml", "invalid YAML"]),
    "deep_nesting": ("a: " + "[" * 200 + "]" * 200 + "\n", ["datasets/d1/dataset.yaml", "nested"]),
}


def _mutate(name: str, original: str) -> str:
    if name == "wrong_type":
        return original.replace("trust: internal", "trust: 5")
    if name == "bad_enum":
        return original.replace("trust: internal", "trust: trusted")
    if name == "unknown_field":
        return original.replace("files: [data/*.csv]", "colour: blue\nfiles: [data/*.csv]")
    if name == "missing_field":
        return re.sub(r"classification: \w+\n", "", original)
    return CASES[name][0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_descriptor_is_exit_2_naming_file_line_field(data_repo, name):
    _, path = _descriptor(data_repo)
    path.write_text(_mutate(name, path.read_text()))
    proc = run_gate("check", str(data_repo.root))
    _expect_error(proc, *CASES[name][1])
    assert "verdict error" in proc.stdout


def test_binary_garbage_descriptor(data_repo):
    _, path = _descriptor(data_repo)
    path.write_bytes(os.urandom(4096) + b"\x00\xff\xfe")
    _expect_error(run_gate("check", str(data_repo.root)), "datasets/d1/dataset.yaml", "binary")


def test_invalid_utf8_descriptor(data_repo):
    _, path = _descriptor(data_repo)
    path.write_bytes(b"gate: 1\nid: caf\xe9\n")
    _expect_error(run_gate("check", str(data_repo.root)), "datasets/d1/dataset.yaml", "UTF-8")


def test_ten_megabyte_descriptor(data_repo):
    _, path = _descriptor(data_repo)
    path.write_text(path.read_text() + "description: " + "x" * (10 * 1024 * 1024) + "\n")
    _expect_error(run_gate("check", str(data_repo.root)), "datasets/d1/dataset.yaml", "limit")


def test_truncated_descriptor(data_repo):
    _, path = _descriptor(data_repo)
    text = path.read_text()
    path.write_text(text[: text.index("source:") + 20])
    _expect_error(run_gate("check", str(data_repo.root)), "datasets/d1/dataset.yaml")


def test_one_bad_descriptor_does_not_hide_the_good_one(data_repo):
    data_repo("good")
    _, path = _descriptor(data_repo)
    path.write_text("gate: [\n")
    code, body = run_json("check", str(data_repo.root))
    assert code == 2 and body["verdict"] == "error"
    assert [d["id"] for d in body["datasets"]] == ["good"]
    assert body["errors"][0]["path"] == "datasets/d1/dataset.yaml"


def test_duplicate_dataset_ids(data_repo):
    first = data_repo("same")
    second = data_repo.root / "other" / "dataset.yaml"
    write(second, (first / "dataset.yaml").read_text())
    _expect_error(run_gate("check", str(data_repo.root)), "other/dataset.yaml", "also claimed by")


def test_descriptor_symlink_out_of_repo(data_repo, tmp_path):
    outside = write(tmp_path / "elsewhere" / "dataset.yaml", "gate: 1\n")
    link = data_repo.root / "datasets" / "linked" / "dataset.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    _expect_error(run_gate("check", str(data_repo.root)), "datasets/linked/dataset.yaml", "outside the repository")


@pytest.mark.parametrize("engine", ENGINES)
def test_data_symlink_out_of_repo_is_a_violation_and_never_read(data_repo, tmp_path, engine):
    directory = data_repo("d2")
    secret = write(tmp_path / "secret.csv", "ssn\n078-05-1120\n")
    (directory / "data" / "leak.csv").symlink_to(secret)
    code, body = run_json("check", str(directory), "--engine", engine)
    assert code == 1
    [dataset] = body["datasets"]
    outside = [f for f in dataset["facts"]["integrity"]["files"] if f["status"] == "outside_repo"]
    assert len(outside) == 1 and "sha256" not in outside[0] and "size" not in outside[0], "no digest: never read"
    assert "integrity.path_outside_repo" in {v["id"] for v in dataset["violations"]}


@pytest.mark.parametrize("pattern", ["../../../etc/*", "/etc/passwd", "data/../../../../*"])
def test_path_traversal_in_files(data_repo, pattern):
    directory = data_repo("d3")
    path = directory / "dataset.yaml"
    path.write_text(path.read_text().replace("files: [data/*.csv]", f"files: [data/*.csv, '{pattern}']"))
    code, body = run_json("check", str(directory))
    assert code == 1
    [dataset] = body["datasets"]
    assert any(f["path"] == pattern and f["status"] == "outside_repo" for f in dataset["facts"]["integrity"]["files"])


def test_traversal_in_lock_is_not_followed(data_repo):
    directory = data_repo("d4")
    lock = directory / "dataset.lock"
    document = json.loads(lock.read_text())
    document["files"].append({"path": "../../../../etc/passwd", "sha256": "0" * 64, "size": 1})
    lock.write_text(json.dumps(document))
    proc = run_gate("check", str(directory))  # a lock path that is not canonical is a malformed lock
    assert proc.returncode == 2 and "dataset.lock" in proc.stderr + proc.stdout and "canonical" in proc.stdout


@pytest.mark.parametrize("content,fragment", [
    ("{not json", "invalid JSON"),
    ('{"gate_lock": 1, "dataset": "d5", "files": [{"path": "a", "sha256": "zz", "size": 1}]}', "files.0.sha256"),
    ('{"gate_lock": 1, "dataset": "d5", "files": [', "invalid JSON"),
    ("\x00\x01binary", "binary"),
])
def test_malformed_lock(data_repo, content, fragment):
    directory = data_repo("d5")
    (directory / "dataset.lock").write_text(content)
    _expect_error(run_gate("check", str(directory)), "datasets/d5/dataset.lock", fragment)


def test_missing_data_file_option(data_repo):
    data_repo("d6")
    _expect_error(run_gate("check", str(data_repo.root), "--data", "/nonexistent/org.yaml"),
                  "/nonexistent/org.yaml", "not found")


def test_malformed_data_file_option(data_repo, tmp_path):
    data_repo("d7")
    bad = write(tmp_path / "org.yaml", "org: [\n")
    _expect_error(run_gate("check", str(data_repo.root), "--data", str(bad)), str(bad), "invalid YAML")


def test_missing_path(tmp_path):
    _expect_error(run_gate("check", str(tmp_path / "nope")), "no such file or directory")


def test_directory_without_descriptors(tmp_path):
    (tmp_path / ".git").mkdir()
    _expect_error(run_gate("check", str(tmp_path)), "no dataset.yaml found")


def test_unreachable_opa_url(data_repo):
    data_repo("d8")
    text = _expect_error(run_gate("check", str(data_repo.root), "--opa-url", "http://127.0.0.1:9", "--timeout", "2"),
                         "http://127.0.0.1:9", "unreachable")
    assert "verdict" not in text or "pass" not in text


def test_bad_opa_url(data_repo):
    data_repo("d9")
    _expect_error(run_gate("check", str(data_repo.root), "--opa-url", "ftp://x"), "--opa-url")


@pytest.mark.parametrize("content,fragment", [
    ('{"subject": "bob"', "invalid JSON"),
    ('{"subject": "bob", "dataset": "churn-2026q1", "action": "train", "purpose": "p", "roles": ["admin"]}',
     "unknown field 'roles'"),
    ('{"subject": "bob", "dataset": "churn-2026q1", "action": "steal", "purpose": "p"}', "action: 'steal' is not one of"),
    ('[]', "no requests"),
    ('[{"subject": "bob"}]', "request 0"),
])
def test_malformed_request_file(tmp_path, content, fragment):
    path = write(tmp_path / "req.json", content)
    _expect_error(run_gate("access", "--request", str(path)), str(path), fragment)


def test_request_flags_validated():
    _expect_error(run_gate("access", "--subject", "bob", "--dataset", "../etc", "--action", "read",
                           "--purpose", "p"), "command line", "dataset")


def test_broken_policy_module(data_repo, tmp_path, engine):
    data_repo("d10")
    write(tmp_path / "pol" / "broken.rego", "package gate.rules.dataset.broken\n\ndeny contains x if {\n")
    _expect_error(run_gate("check", str(data_repo.root), "--policy", str(tmp_path / "pol"), "--engine", engine),
                  "broken.rego")


def test_missing_builtin_is_an_error_not_undefined(data_repo, tmp_path):
    data_repo("d11")
    write(tmp_path / "pol" / "hash.rego", """package gate.rules.dataset.hashing

deny contains {"id": "custom.hash", "message": "x"} if {
	crypto.sha256(input.dataset.id) == "never"
}
""")
    if "regorus" in ENGINES:
        proc = run_gate("check", str(data_repo.root), "--policy", str(tmp_path / "pol"), "--engine", "regorus")
        _expect_error(proc, "crypto.sha256")
    if "opa" in ENGINES:
        proc = run_gate("check", str(data_repo.root), "--policy", str(tmp_path / "pol"), "--engine", "opa")
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_malformed_decision_fails_closed(data_repo, tmp_path, engine):
    data_repo("d12")
    write(tmp_path / "pol" / "entry.rego", "package gate.dataset\n\ndecision := \"yes\"\n")
    _expect_error(run_gate("check", str(data_repo.root), "--policy", str(tmp_path / "pol"),
                           "--no-builtin-policies", "--engine", engine), "malformed decision")


def test_undefined_entrypoint_fails_closed(data_repo, tmp_path, engine):
    data_repo("d13")
    write(tmp_path / "pol" / "other.rego", "package something.else\n\nx := 1\n")
    _expect_error(run_gate("check", str(data_repo.root), "--policy", str(tmp_path / "pol"),
                           "--no-builtin-policies", "--engine", engine), "undefined")


def test_bad_now():
    _expect_error(run_gate("check", "--now", "yesterday"), "--now")


def test_internal_errors_are_one_line(tmp_path):
    # A report path inside a missing directory cannot be written: a clean error, not a traceback.
    _expect_error(run_gate("check", "examples/repo", "--output", str(tmp_path / "no" / "dir" / "r.json"),
                           "--now", NOW), "r.json")


def test_a_hook_option_without_its_value_is_one_line_and_exit_2(tmp_path):
    """The hooks raise; the command line's one error handler prints (exit 2, one line, no traceback)."""
    proc = run_gate("hook", "check", "--policy", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == ["gate: error: hook check: --policy needs a value"]
