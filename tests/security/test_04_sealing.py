"""Class 4 — sealing never hides facts: the facts of a sealed file are computed over its plaintext when it
is sealed, bound in the signed lock to the plaintext digest, and decide `gate check` and the loader."""

from __future__ import annotations

import json

import pytest

import gate
from _attack import SSN_ROWS, age_identity, check, denies, keys, make_dataset, make_repo, run_gate

ROWS = "id,ssn,note\n" + SSN_ROWS


def _sealed(tmp_path, rows: str = ROWS):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    identity, recipient = age_identity(tmp_path)
    directory = make_dataset(root, "people", {"data/p.csv": rows}, classification="restricted")
    proc = run_gate("seal", str(directory), "--repo", str(root), "-r", recipient)
    assert proc.returncode == 0, proc.stderr
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]), "-i",
                    str(identity))
    assert proc.returncode == 0, proc.stderr
    return root, directory, k, identity


def test_pii_in_a_sealed_file_still_decides(tmp_path):
    root, directory, k, _ = _sealed(tmp_path)
    assert not (directory / "data" / "p.csv").exists() and (directory / "data" / "p.csv.age").exists()
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_the_loader_decides_on_the_same_bound_facts(tmp_path):
    root, directory, k, identity = _sealed(tmp_path)
    with pytest.raises(gate.GateError) as info:
        gate.open_dataset(directory, subject="bob", purpose="model-training", identity=identity,
                          audit_log=tmp_path / "audit.jsonl", audit_key_file=k["audit"], data_files=(k["data"],),
                          repo_root=root)
    assert "pii.type_not_allowed" in getattr(info.value, "reasons", []), info.value


def test_a_sealed_file_without_bound_facts_is_refused(tmp_path):
    root, directory, k, _ = _sealed(tmp_path, "id,score\n" + "".join(f"{i},{i}\n" for i in range(20)))
    assert check(root, directory, args=("--data", str(k["data"])))[0] == 0
    lock = json.loads((directory / "dataset.lock").read_text())
    for entry in lock["files"]:
        entry.get("plain", {}).pop("facts", None)
    lock.pop("signatures", None)
    (directory / "dataset.lock").write_text(json.dumps(lock))
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]))
    assert proc.returncode == 2, proc.stderr  # the signer must open them to vouch for their facts
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "sealing.facts_missing" in denies(body), body


def test_a_file_named_age_that_is_not_an_age_file_is_refused(tmp_path):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "people", {"data/p.csv.age": ROWS}, classification="restricted",
                             globs="[data/*.csv]")
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]))
    assert proc.returncode == 2, proc.stderr  # nobody can vouch for a sealed file's facts without opening it
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "sealing.not_age" in denies(body), body


def test_bound_facts_count_only_under_a_trusted_signature(tmp_path):
    root, directory, k, _ = _sealed(tmp_path, "id,score\n" + "".join(f"{i},{i}\n" for i in range(20)))
    lock = json.loads((directory / "dataset.lock").read_text())
    lock.pop("signatures")
    (directory / "dataset.lock").write_text(json.dumps(lock))
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "sealing.facts_unsigned" in denies(body), body


def _forge_bound_facts(directory):
    lock = json.loads((directory / "dataset.lock").read_text())
    for entry in lock["files"]:
        entry["plain"]["facts"]["pii"]["findings"] = []
    lock.pop("signatures", None)
    (directory / "dataset.lock").write_text(json.dumps(lock))


def test_a_signer_computes_the_bound_facts_and_never_signs_them_blind(tmp_path):
    root, directory, k, identity = _sealed(tmp_path)
    _forge_bound_facts(directory)
    blind = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]))
    assert blind.returncode == 2 and "sealed files" in blind.stderr, blind.stderr
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]), "-i",
                    str(identity))
    assert proc.returncode == 0, proc.stderr
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_the_loader_decides_on_the_plaintext_even_when_the_lock_lies(tmp_path):
    """Bound facts forged, then signed by a signer who did not recompute them (as any other tool
    could): `gate check` cannot know, but the loader holds the key and scans what it returns."""
    import base64

    from gate.model.descriptor import load_descriptor, load_manifest, render_manifest
    from gate.repo import Repo
    from gate.custody.signing import load_signing_key, sign_manifest

    root, directory, k, identity = _sealed(tmp_path)
    _forge_bound_facts(directory)
    repo = Repo.at(root)
    manifest = load_manifest(directory / "dataset.lock", repo)
    descriptor = load_descriptor(directory / "dataset.yaml", repo)
    envelope = sign_manifest(manifest, load_signing_key(k["signing"], None, root), "2026-11-30T00:00:00Z",
                             {"path": descriptor.relpath, "sha256": descriptor.sha256}, 5)
    (directory / "dataset.lock").write_text(render_manifest(manifest.replace(signatures=(envelope,))))
    assert base64.b64decode(envelope["payload"])
    assert check(root, directory, args=("--data", str(k["data"])))[0] == 0  # the lock's word, signed
    with pytest.raises(gate.GateError) as info:
        gate.open_dataset(directory, subject="bob", purpose="model-training", identity=identity,
                          audit_log=tmp_path / "audit.jsonl", audit_key_file=k["audit"], data_files=(k["data"],),
                          repo_root=root)
    assert "pii.type_not_allowed" in getattr(info.value, "reasons", []), info.value


def test_a_file_added_beside_sealed_ones_leaves_them_unanalysed_and_denied(tmp_path):
    rows = "id,score,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(60))
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    _, recipient = age_identity(tmp_path)
    directory = make_dataset(root, "mixed", {"data/a.csv": rows}, classification="restricted",
                             extra="schema: {label: label}\n")
    assert run_gate("seal", str(directory), "--repo", str(root), "-r", recipient).returncode == 0
    (directory / "data" / "b.csv").write_text(rows)
    assert run_gate("manifest", "update", str(directory), "--repo", str(root)).returncode == 0
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "poisoning.sealed_unanalysed" in denies(body), body


def test_a_sealed_name_without_a_plaintext_digest_is_refused_everywhere(tmp_path):
    root, directory, k, identity = _sealed(tmp_path)
    lock = json.loads((directory / "dataset.lock").read_text())
    for entry in lock["files"]:
        entry.pop("plain")
    lock.pop("signatures")
    (directory / "dataset.lock").write_text(json.dumps(lock))
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "sealing.facts_missing" in denies(body), body
    with pytest.raises(gate.IntegrityError):
        gate.open_dataset(directory, subject="bob", purpose="model-training", identity=identity,
                          audit_log=tmp_path / "audit.jsonl", audit_key_file=k["audit"], data_files=(k["data"],),
                          repo_root=root)
    assert [json.loads(line)["decision"] for line in (tmp_path / "audit.jsonl").read_text().splitlines()] == ["fail"]


def test_facts_sealed_without_a_model_do_not_count_as_names_looked_for(tmp_path):
    """The sealer had no NER model: its bound facts hold no names from free text, so a checker that has
    one must not treat the dataset as searched for them (the sealed copy cannot be rescanned)."""
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    identity, recipient = age_identity(tmp_path)
    directory = make_dataset(root, "notes", {"data/p.csv": "id,note\n1,Maria Garcia called from Boston.\n"},
                             classification="restricted", extra="pii:\n  allowed: [PERSON]\n")
    off, on = {"GATE_NER": "off"}, {"GATE_NER": "on"}
    assert run_gate("seal", str(directory), "--repo", str(root), "-r", recipient, env=off).returncode == 0
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]), "-i",
                    str(identity), env=off)
    assert proc.returncode == 0, proc.stderr
    code, body, _ = check(root, directory, args=("--data", str(k["data"])), env=on)
    detection = body["datasets"][0]["facts"]["pii"]["detection"]
    assert detection["ner"]["model"] == "en_core_web_sm", detection  # this run has the model ...
    assert detection["sealed_without_ner"] == ["datasets/notes/data/p.csv.age"]  # ... the sealed facts were made without
    assert set(detection["undetectable"]) == {"PERSON", "LOCATION", "ORGANIZATION"}
    warned = [v for v in body["datasets"][0]["violations"] if v["id"] == "pii.allowed_undetectable"]
    assert warned and "datasets/notes/data/p.csv.age" in warned[0]["message"], body
