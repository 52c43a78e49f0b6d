"""Custody through the CLI and the loader: signed locks, sealed files, the policy-checked loader, and the
tamper matrix.

Everything real: Ed25519 keys made by `gate keygen`, the OPA engine deciding, real files and an
HMAC-chained audit log.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import run_gate, write

import gate
from gate.custody import age

CANARY = "CANARY-PLAINTEXT-7f3a9"
ROWS = 300


def _csv(rows: int = ROWS, seed: int = 0) -> str:
    return "id,score,note,label\n" + "".join(
        f"{i},{(i * 37 + seed) % 101 / 7:.4f},{CANARY if i == 5 else 'n' + str(i % 9)},{(i + seed) % 2}\n"
        for i in range(rows))


DESCRIPTOR = """\
gate: 1
id: {id}
title: Custody test
owner: hr@example.com
classification: {classification}
purposes: [model-training]
source: {{id: crm-export, name: CRM, trust: internal, collected: 2026-03-31, method: export,
          legal_basis: contract, data_subjects: staff, retention_days: 3650, contact: a@example.com}}
files: [data/*.csv]
"""


class Env:
    """A repository with restricted datasets, keys outside it, and policy data trusting one signer."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.root = tmp / "repo"
        self.keys = tmp / "keys"
        self.keys.mkdir()
        (self.root).mkdir()
        write(self.root / ".gate.yaml", "gate: 1\n")
        self.audit_key = self.keys / "audit.key"
        self.audit_key.write_bytes(os.urandom(32).hex().encode())
        self.audit_key.chmod(0o600)
        self.log = tmp / "audit.jsonl"
        self.identity = self.keys / "age.txt"
        proc = run_gate("keygen", "age", "--out", str(self.identity))
        assert proc.returncode == 0, proc.stderr
        self.recipient = proc.stdout.strip()
        self.signing = self.keys / "sign.pem"
        proc = run_gate("keygen", "signing", "--out", str(self.signing), "--name", "hr release key")
        assert proc.returncode == 0, proc.stderr
        signer = yaml.safe_load(proc.stdout)
        self.keyid = next(iter(signer))
        self.data = write(tmp / "trust.yaml", yaml.safe_dump({"org": {"signers": signer}}))

    def dataset(self, name: str, classification: str = "restricted", files: int = 2, seed: int = 0) -> Path:
        directory = self.root / "datasets" / name
        write(directory / "dataset.yaml", DESCRIPTOR.format(id=name, classification=classification))
        for index in range(files):
            write(directory / "data" / f"part-{index}.csv", _csv(seed=seed + index))
        assert run_gate("manifest", "update", str(directory), "--repo", str(self.root)).returncode == 0
        return directory

    def gate(self, *args: str, **kwargs):
        return run_gate(*args, **kwargs)

    def check(self, path: Path):
        proc = run_gate("check", str(path), "--repo", str(self.root), "--data", str(self.data), "--format", "json",
                        "--no-cache")
        body = json.loads(proc.stdout) if proc.stdout else {}
        ids = sorted({v["id"] for d in body.get("datasets", []) for v in d["violations"] if v["level"] == "deny"})
        return proc, ids

    def seal(self, path: Path):
        return run_gate("seal", str(path), "--repo", str(self.root), "-r", self.recipient)

    def sign(self, path: Path, key: Path | None = None, *opener: str, env: dict | None = None):
        # sealed files are opened by the signer, who computes the facts it vouches for
        return run_gate("manifest", "sign", str(path), "--repo", str(self.root), "--key", str(key or self.signing),
                        *(opener or ("-i", str(self.identity))), env=env)

    def unseal(self, path: Path, out: Path, *extra: str, env: dict | None = None):
        return run_gate("unseal", str(path), "--repo", str(self.root), "--data", str(self.data), "--out", str(out),
                        *extra, env=env)

    def load(self, path: Path, **kwargs):
        options = dict(subject="bob", purpose="model-training", audit_log=self.log, audit_key_file=self.audit_key,
                       data_files=(self.data,), identity=self.identity, repo_root=self.root)
        options.update(kwargs)
        return gate.open_dataset(path, **options)

    def audit(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []


@pytest.fixture
def env(tmp_path) -> Env:
    return Env(tmp_path)


def _no_plaintext(*procs) -> None:
    for proc in procs:
        assert CANARY not in proc.stdout and CANARY not in proc.stderr


# ---- seal / unseal ----------------------------------------------------------------------------------

def test_seal_records_both_digests_and_unseal_restores_the_bytes(env, tmp_path):
    directory = env.dataset("hr")
    originals = {p.name: p.read_bytes() for p in (directory / "data").iterdir()}
    proc = env.seal(directory)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (directory / "data").iterdir()) == ["part-0.csv.age", "part-1.csv.age"]
    lock = json.loads((directory / "dataset.lock").read_text())
    assert all(e["path"].endswith(".age") and set(e["plain"]) == {"sha256", "size", "facts"} for e in lock["files"])
    out = tmp_path / "out"
    proc = env.unseal(directory, out, "-i", str(env.identity))
    assert proc.returncode == 2 and "signature.missing" not in proc.stderr and "signed lock" in proc.stderr
    assert env.sign(directory).returncode == 0
    proc = env.unseal(directory, out, "-i", str(env.identity))
    assert proc.returncode == 0, proc.stderr
    for name, data in originals.items():
        assert (out / "datasets" / "hr" / "data" / name).read_bytes() == data
    _no_plaintext(proc)
    inside = env.unseal(directory, env.root / "plain-copy", "-i", str(env.identity))
    assert inside.returncode == 2 and "inside the repository" in inside.stderr
    assert not (env.root / "plain-copy").exists()
    # a second seal is a no-op; `manifest update` keeps the plain digests of unchanged sealed files
    assert env.seal(directory).returncode == 0
    assert run_gate("manifest", "update", str(directory), "--repo", str(env.root)).returncode == 0
    assert json.loads((directory / "dataset.lock").read_text())["files"] == lock["files"]


def test_passphrase_mode_round_trip(env, tmp_path):
    directory = env.dataset("pp", files=1)
    plain = (directory / "data" / "part-0.csv").read_bytes()
    secrets = {"GATE_TEST_PASSPHRASE": "a long shared team passphrase"}
    proc = run_gate("seal", str(directory), "--repo", str(env.root), "--passphrase-env", "GATE_TEST_PASSPHRASE",
                    "--work-factor", "10", env=secrets)
    assert proc.returncode == 0, proc.stderr
    assert env.sign(directory, None, "--passphrase-env", "GATE_TEST_PASSPHRASE", env=secrets).returncode == 0
    proc = env.unseal(directory, tmp_path / "o", "--passphrase-env", "GATE_TEST_PASSPHRASE", env=secrets)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o" / "datasets" / "pp" / "data" / "part-0.csv").read_bytes() == plain
    wrong = env.unseal(directory, tmp_path / "w", "--passphrase-env", "GATE_TEST_PASSPHRASE",
                       env={"GATE_TEST_PASSPHRASE": "nope"})
    assert wrong.returncode == 2 and "wrong key or passphrase" in wrong.stderr
    assert not any((tmp_path / "w").rglob("*.csv"))
    assert "a long shared team passphrase" not in proc.stdout + proc.stderr + wrong.stderr


def test_seal_refuses_a_file_that_does_not_match_the_lock_and_leaves_everything(env):
    directory = env.dataset("changed", files=1)
    target = directory / "data" / "part-0.csv"
    target.write_text(_csv(seed=9))
    before = sorted(p.name for p in directory.rglob("*"))
    proc = env.seal(directory)
    assert proc.returncode == 2 and "does not match the lock" in proc.stderr
    assert sorted(p.name for p in directory.rglob("*")) == before


def test_seal_completes_an_interrupted_run(env):
    directory = env.dataset("resume", files=2)
    plain = directory / "data" / "part-0.csv"
    keep = plain.read_bytes()
    # interrupted after the lock was written but before the plain file was deleted (the run's journal
    # still names its sealed copy; without it the plaintext is a file gate did not write, and stays)
    import hashlib

    from gate.repo import Repo
    from gate.custody.sealing import Journal

    assert env.seal(directory).returncode == 0
    plain.write_bytes(keep)
    _, ids = env.check(directory)
    assert "integrity.file_undeclared" in ids
    assert env.seal(directory).returncode == 2 and plain.exists()
    sealed = Path(str(plain) + ".age")
    Journal(Repo.at(env.root), "resume").record("datasets/resume/data/part-0.csv.age",
                                                hashlib.sha256(sealed.read_bytes()).hexdigest())
    assert env.seal(directory).returncode == 0
    assert not plain.exists()
    # interrupted after the sealed file was renamed into place but before the lock was written: the
    # run had recorded it in its journal (an .age file no run recorded is never overwritten)
    other = env.dataset("resume2", files=1)
    source = other / "data" / "part-0.csv"
    with open(source, "rb") as reader, open(str(source) + ".age", "wb") as writer:
        age.encrypt_stream(reader, writer, [age.X25519Recipient.parse(env.recipient)])
    proc = env.seal(other)
    assert proc.returncode == 2 and "did not write" in proc.stderr and source.exists()
    Journal(Repo.at(env.root), "resume2").record("datasets/resume2/data/part-0.csv.age",
                                                 hashlib.sha256(Path(str(source) + ".age").read_bytes()).hexdigest())
    assert env.seal(other).returncode == 0
    assert sorted(p.name for p in (other / "data").iterdir()) == ["part-0.csv.age"]
    proc, ids = env.check(other)
    assert not any(i.startswith("integrity.") for i in ids), ids


def test_restricted_data_must_be_sealed_and_signed(env):
    directory = env.dataset("policy")
    _, ids = env.check(directory)
    assert {"sealing.plain_files", "signature.missing"} <= set(ids)
    assert env.seal(directory).returncode == 0
    _, ids = env.check(directory)
    assert ids == ["sealing.facts_unsigned", "signature.missing"]  # the facts bound at sealing need a signer
    proc = env.sign(directory)
    assert proc.returncode == 0, proc.stderr
    proc, ids = env.check(directory)
    assert proc.returncode == 0 and ids == [], proc.stdout


def test_signer_scope_is_decided_by_policy(env, tmp_path):
    directory = env.dataset("scoped", classification="confidential", files=1)
    assert env.sign(directory).returncode == 0
    narrow = yaml.safe_load(env.data.read_text())
    narrow["org"]["signers"][env.keyid]["datasets"] = ["other-*"]
    data = write(tmp_path / "narrow.yaml", yaml.safe_dump(narrow))
    proc = run_gate("check", str(directory), "--repo", str(env.root), "--data", str(data), "--format", "json")
    body = json.loads(proc.stdout)
    violation = [v for v in body["datasets"][0]["violations"] if v["level"] == "deny"]
    assert [v["id"] for v in violation] == ["signature.untrusted"]
    assert "not trusted for this dataset" in violation[0]["message"]
    # a lower classification needs no signature at all
    internal = env.dataset("internal-data", classification="internal", files=1)
    _, ids = env.check(internal)
    assert ids == []


def test_signing_keys_are_handled_like_ssh_keys(env):
    directory = env.dataset("keys", classification="confidential", files=1)
    env.signing.chmod(0o644)
    proc = env.sign(directory)
    assert proc.returncode == 2 and "readable by group or others" in proc.stderr
    env.signing.chmod(0o600)
    inside = env.root / "sign.pem"
    shutil.copy(env.signing, inside)
    inside.chmod(0o600)
    proc = env.sign(directory, inside)
    assert proc.returncode == 2 and "inside the repository" in proc.stderr
    pem = env.signing.read_text()
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(env.root), "--key-env", "GATE_TEST_SIGNING_KEY",
                    env={"GATE_TEST_SIGNING_KEY": pem})
    assert proc.returncode == 0, proc.stderr
    secret_line = pem.strip().splitlines()[1]
    assert secret_line not in proc.stdout + proc.stderr
    assert secret_line not in (directory / "dataset.lock").read_text()
    garbage = env.keys / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    garbage.chmod(0o600)
    proc = env.sign(directory, garbage)
    assert proc.returncode == 2 and "not a PEM private key" in proc.stderr


def test_signature_is_a_dsse_in_toto_statement_of_the_lock(env):
    import base64

    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from gate.custody.signing import pae

    directory = env.dataset("dsse", classification="confidential", files=2)
    assert env.sign(directory).returncode == 0
    lock = json.loads((directory / "dataset.lock").read_text())
    [envelope] = lock["signatures"]
    payload = base64.b64decode(envelope["payload"])
    statement = json.loads(payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert [s["digest"]["sha256"] for s in statement["subject"]] == [f["sha256"] for f in lock["files"]]
    public = yaml.safe_load(env.data.read_text())["org"]["signers"][env.keyid]["public_key"]
    # any DSSE verifier with the public key accepts it: PAE over payloadType and payload, Ed25519
    load_pem_public_key(public.encode()).verify(base64.b64decode(envelope["signatures"][0]["sig"]),
                                                pae(envelope["payloadType"], payload))


def test_a_wrong_key_id_in_the_trust_store_fails_closed(env, tmp_path):
    directory = env.dataset("trust", classification="confidential", files=1)
    data = yaml.safe_load(env.data.read_text())
    entry = data["org"]["signers"].pop(env.keyid)
    data["org"]["signers"]["0" * 64] = entry
    path = write(tmp_path / "bad-trust.yaml", yaml.safe_dump(data))
    proc = run_gate("check", str(directory), "--repo", str(env.root), "--data", str(path))
    assert proc.returncode == 2 and "key id does not match" in proc.stdout + proc.stderr


# ---- the tamper matrix -----------------------------------------------------------------------------

def _sealed_signed(env: Env, name: str, seed: int = 0) -> Path:
    directory = env.dataset(name, seed=seed)
    assert env.seal(directory).returncode == 0
    assert env.sign(directory).returncode == 0
    proc, ids = env.check(directory)
    assert proc.returncode == 0 and ids == [], proc.stdout
    return directory


def _lock(directory: Path) -> dict:
    return json.loads((directory / "dataset.lock").read_text())


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _tamper(case: str, env: Env, a: Path, b: Path) -> tuple[list[str], dict]:
    """Apply one attack to dataset ``a`` (``b`` is another sealed, signed dataset)."""
    part0, part1 = a / "data" / "part-0.csv.age", a / "data" / "part-1.csv.age"
    extra: dict = {}
    if case == "flipped byte in a sealed file":
        _flip(part0, part0.stat().st_size // 2)
        return ["integrity.file_mismatch"], extra
    if case == "truncated sealed file":
        part0.write_bytes(part0.read_bytes()[:-40])
        return ["integrity.file_mismatch"], extra
    if case == "two sealed files swapped":
        first, second = part0.read_bytes(), part1.read_bytes()
        part0.write_bytes(second)
        part1.write_bytes(first)
        return ["integrity.file_mismatch"], extra
    if case == "sealed file copied from another dataset":
        shutil.copy(b / "data" / "part-0.csv.age", part0)
        return ["integrity.file_mismatch"], extra
    if case == "sealed file from another dataset, lock digest edited to match":
        shutil.copy(b / "data" / "part-0.csv.age", part0)
        lock = _lock(a)
        lock["files"][0] = _lock(b)["files"][0] | {"path": lock["files"][0]["path"]}
        (a / "dataset.lock").write_text(json.dumps(lock))
        return ["signature.invalid"], extra
    if case == "edited lock":
        lock = _lock(a)
        lock["files"][1]["plain"]["sha256"] = "0" * 64
        (a / "dataset.lock").write_text(json.dumps(lock))
        return ["signature.invalid"], extra
    if case == "lock re-signed by an untrusted key":
        lock = _lock(a)
        lock["signatures"] = []
        (a / "dataset.lock").write_text(json.dumps(lock))
        rogue = env.keys / "rogue.pem"
        assert run_gate("keygen", "signing", "--out", str(rogue)).returncode == 0
        assert env.sign(a, rogue).returncode == 0
        return ["signature.untrusted"], extra
    if case == "wrong key":
        extra["identity"] = env.keys / "other-age.txt"
        assert run_gate("keygen", "age", "--out", str(extra["identity"])).returncode == 0
        return ["sealing.cannot_open"], extra
    raise AssertionError(case)


MATRIX = ["flipped byte in a sealed file", "truncated sealed file", "two sealed files swapped",
          "sealed file copied from another dataset", "sealed file from another dataset, lock digest edited to match",
          "edited lock", "lock re-signed by an untrusted key", "wrong key"]


@pytest.mark.slow
@pytest.mark.parametrize("case", MATRIX)
def test_tamper_matrix_data(env, tmp_path, case):
    a = _sealed_signed(env, "victim", seed=0)
    b = _sealed_signed(env, "other", seed=50)
    expected, extra = _tamper(case, env, a, b)
    identity = extra.get("identity", env.identity)
    # gate check: a deny naming the rule (or, for a key problem, nothing to see without a key)
    proc, ids = env.check(a)
    if case != "wrong key":
        assert proc.returncode == 1 and set(expected) <= set(ids), (proc.stdout, proc.stderr)
    # gate unseal: exit 2 naming the file or lock, nothing written
    out = tmp_path / "out"
    unseal = env.unseal(a, out, "-i", str(identity))
    assert unseal.returncode == 2 and ("victim" in unseal.stderr or ".age" in unseal.stderr), unseal.stderr
    assert not any(out.rglob("*.csv"))
    # the loader: refused, named, audited
    before = len(env.audit())
    with pytest.raises(gate.IntegrityError) as info:
        env.load(a, identity=identity)
    assert set(expected) <= set(info.value.reasons), (info.value.reasons, str(info.value))
    entries = env.audit()[before:]
    assert [e["decision"] for e in entries] == ["fail"] and set(expected) <= set(entries[0]["reasons"])
    _no_plaintext(proc, unseal)
    assert CANARY not in str(info.value) and CANARY not in env.log.read_text()


@pytest.mark.parametrize("case", ["edited", "deleted", "inserted", "reordered", "truncated"])
def test_tamper_matrix_audit_log(env, case):
    directory = _sealed_signed(env, "audited")
    for subject in ("bob", "erin", "bob", "erin"):
        try:
            env.load(directory, subject=subject)
        except gate.AccessDenied:
            pass
    lines = env.log.read_text().splitlines(keepends=True)
    assert len(lines) == 4
    checkpoint = run_gate("audit", "checkpoint", str(env.log), "--audit-key-file", str(env.audit_key))
    assert checkpoint.returncode == 0
    point = write(env.tmp / "checkpoint.json", checkpoint.stdout)
    if case == "edited":
        entry = json.loads(lines[1])
        entry["decision"] = "allow"
        lines[1] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
        bad = 2
    elif case == "deleted":
        del lines[1]
        bad = 2
    elif case == "inserted":
        lines.insert(2, lines[0])
        bad = 3
    elif case == "reordered":
        lines[1], lines[2] = lines[2], lines[1]
        bad = 2
    else:
        lines = lines[:2]
        bad = 3
    env.log.write_text("".join(lines))
    proc = run_gate("audit", "verify", str(env.log), "--audit-key-file", str(env.audit_key), "--checkpoint", str(point))
    assert proc.returncode == 2 and f"entry {bad}" in proc.stderr, proc.stderr
    assert env.audit_key.read_text() not in proc.stderr + proc.stdout


# ---- the loader --------------------------------------------------------------------------------------

class _Opens:
    """Records every file the interpreter opens (PEP 578 audit hook: real opens, no mocks)."""

    installed = False
    paths: list[str] = []
    active = False

    @classmethod
    def start(cls) -> None:
        if not cls.installed:
            sys.addaudithook(lambda event, args: cls.paths.append(str(args[0])) if cls.active and event == "open"
                             and args and isinstance(args[0], (str, bytes, os.PathLike)) else None)
            cls.installed = True
        cls.paths = []
        cls.active = True

    @classmethod
    def stop(cls) -> list[str]:
        cls.active = False
        return cls.paths


def test_loader_returns_the_verified_data_and_audits(env):
    directory = env.dataset("loaded", classification="internal")
    frame = env.load(directory)
    expected = pd.concat([pd.read_csv(p) for p in sorted((directory / "data").glob("*.csv"))], ignore_index=True)
    pd.testing.assert_frame_equal(frame, expected)
    [entry] = env.audit()
    assert (entry["actor"], entry["action"], entry["dataset"], entry["decision"], entry["rows"]) == (
        "bob", "load:train", "loaded", "allow", 2 * ROWS)
    assert CANARY not in env.log.read_text()
    chunks = list(env.load(directory, chunks=128))
    assert [len(c) for c in chunks] == [128, 128, 44, 128, 128, 44]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), expected)


def test_loader_refuses_a_denied_request_before_opening_any_data_file(env):
    directory = env.dataset("denied", classification="internal")
    _Opens.start()
    try:
        with pytest.raises(gate.AccessDenied) as info:
            env.load(directory, subject="erin")
    finally:
        opened = _Opens.stop()
    assert [r["id"] for r in info.value.reasons] == ["access.not_permitted"]
    assert not [p for p in opened if "/data/" in p], opened
    assert opened, "the audit hook saw no open at all: it is not recording"
    [entry] = env.audit()
    assert (entry["actor"], entry["decision"], entry["reasons"]) == ("erin", "deny", ["access.not_permitted"])


def test_loader_refuses_a_tampered_file_without_returning_rows(env):
    directory = env.dataset("tampered", classification="internal")
    target = directory / "data" / "part-1.csv"
    target.write_text(target.read_text().replace("n1", "n2", 1))
    with pytest.raises(gate.IntegrityError) as info:
        env.load(directory)
    assert "part-1.csv" in str(info.value) and info.value.reasons == ["integrity.file_mismatch"]
    assert [e["decision"] for e in env.audit()] == ["fail"]


def test_loader_opens_sealed_data_and_needs_the_key(env):
    directory = _sealed_signed(env, "sealed-load")
    frame = env.load(directory)
    assert len(frame) == 2 * ROWS and (frame["note"] == CANARY).sum() == 2
    with pytest.raises(gate.GateError, match="sealed files"):
        env.load(directory, identity=None)
    assert [e["decision"] for e in env.audit()] == ["allow", "error"]


def test_loader_needs_an_audit_log(env, monkeypatch):
    monkeypatch.delenv("GATE_AUDIT_LOG", raising=False)
    directory = env.dataset("nolog", classification="internal", files=1)
    with pytest.raises(gate.GateError, match="needs an audit log"):
        env.load(directory, audit_log=None)


def test_loader_reads_parquet_and_jsonl(env):
    directory = env.root / "datasets" / "mixed"
    write(directory / "dataset.yaml", DESCRIPTOR.format(id="mixed", classification="internal")
          .replace("files: [data/*.csv]", "files: [data/*]"))
    frame = pd.DataFrame({"a": range(50), "b": [f"x{i}" for i in range(50)]})
    (directory / "data").mkdir(parents=True, exist_ok=True)
    frame.iloc[:25].to_parquet(directory / "data" / "a.parquet")
    frame.iloc[25:].to_json(directory / "data" / "b.jsonl", orient="records", lines=True)
    assert run_gate("manifest", "update", str(directory), "--repo", str(env.root)).returncode == 0
    loaded = env.load(directory)
    pd.testing.assert_frame_equal(loaded, frame)


def test_loader_catches_a_file_edited_while_it_is_read(env, monkeypatch):
    """The loader parses exactly the bytes it hashes: a writer changing the file while it is read makes
    the digest differ from the lock, and nothing is returned."""
    import gate.data.stream as stream

    directory = env.root / "datasets" / "racy"
    write(directory / "dataset.yaml", DESCRIPTOR.format(id="racy", classification="internal"))
    write(directory / "data" / "part-0.csv", _csv(rows=20000))
    assert run_gate("manifest", "update", str(directory), "--repo", str(env.root)).returncode == 0
    target = directory / "data" / "part-0.csv"
    assert len(env.load(directory)) == 20000  # untouched, it loads
    calls = []

    class Racing:
        def __getattr__(self, name):
            return getattr(os, name)

        def read(self, fd, count):
            data = os.read(fd, count)
            calls.append(len(data))
            if len(calls) == 1:  # a concurrent in-place edit past what has been read so far
                with open(target, "r+b") as handle:
                    handle.seek(target.stat().st_size - 10)
                    handle.write(b"7")
            return data

    monkeypatch.setattr(stream, "os", Racing())
    with pytest.raises(gate.IntegrityError) as info:
        env.load(directory)
    assert len(calls) > 1, "the file was read in one go: the race was not staged"
    assert "integrity.file_mismatch" in info.value.reasons
    assert [e["decision"] for e in env.audit()] == ["allow", "fail"]


def test_a_dsse_verifier_from_the_in_toto_project_accepts_gate_signatures(env):
    """securesystemslib (in-toto's reference DSSE implementation) verifies the example locks'
    signatures with the example signer's public key, and refuses an altered one."""
    dsse = pytest.importorskip("securesystemslib.dsse")
    from securesystemslib.signer import SSlibKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from conftest import EXAMPLE_REPO, ROOT

    signers = yaml.safe_load((ROOT / "policies" / "data.yaml").read_text())["org"]["signers"]
    keys = [SSlibKey.from_crypto(load_pem_public_key(s["public_key"].encode()), keyid=k) for k, s in signers.items()]
    locks = sorted((EXAMPLE_REPO / "datasets").glob("*/dataset.lock"))
    signed = [json.loads(p.read_text())["signatures"][0] for p in locks if json.loads(p.read_text()).get("signatures")]
    assert len(signed) == 6
    for envelope in signed:  # (from_dict consumes its argument: give it copies)
        assert set(dsse.Envelope.from_dict(copy.deepcopy(envelope)).verify(keys, 1)) == set(signers)
    altered = dsse.Envelope.from_dict(copy.deepcopy(signed[0]))
    altered.payload = altered.payload.replace(b'"size":', b'"size":1')
    from securesystemslib.exceptions import VerificationError

    with pytest.raises(VerificationError, match="Found: 0"):
        altered.verify(keys, 1)


def test_keygen_refuses_to_write_a_key_inside_a_repository(env):
    for kind in ("signing", "age"):
        proc = run_gate("keygen", kind, "--out", str(env.root / f"{kind}.key"))
        assert proc.returncode == 2 and "inside the repository" in proc.stderr
        assert not (env.root / f"{kind}.key").exists()
