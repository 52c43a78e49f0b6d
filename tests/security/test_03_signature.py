"""Class 3 — a signature covers the whole dataset: the descriptor's bytes, the lock, and a version that
only grows; an old signed state cannot be brought back, and a signature can be given a maximum age."""

from __future__ import annotations

import json

import pytest
import yaml

from _attack import SSN_ROWS, check, denies, git, keys, make_dataset, make_repo, run_gate, write

ROWS = "id,ssn,note\n" + SSN_ROWS


def _signed(tmp_path, extra: str, classification: str = "confidential", trust: str = "internal"):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "people", {"data/p.csv": ROWS}, classification=classification, extra=extra)
    if trust != "internal":
        path = directory / "dataset.yaml"
        path.write_text(path.read_text().replace("trust: internal", f"trust: {trust}"))
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]))
    assert proc.returncode == 0, proc.stderr
    return root, directory, k


@pytest.mark.parametrize("extra,trust,edit", [
    ("pii: {allowed: []}\n", "internal", ("allowed: []", "allowed: [US_SSN]")),         # widen pii.allowed
    ("pii: {allowed: [US_SSN]}\n", "raw", ("trust: raw", "trust: internal")),           # raise the trust level
    ("pii: {allowed: [US_SSN]}\nschema: {label: note}\n", "internal", ("label: note", "label: id")),
])
def test_editing_the_descriptor_after_signing_invalidates_the_signature(tmp_path, extra, trust, edit):
    root, directory, k = _signed(tmp_path, extra, trust=trust)
    path = directory / "dataset.yaml"
    path.write_text(path.read_text().replace(*edit))
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "signature.invalid" in denies(body), body


def test_downgrading_the_classification_after_signing_is_caught(tmp_path):
    root, directory, k = _signed(tmp_path, "pii: {allowed: [US_SSN]}\n", classification="restricted")
    path = directory / "dataset.yaml"
    path.write_text(path.read_text().replace("classification: restricted", "classification: internal"))
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "signature.invalid" in denies(body), body


def test_versions_only_grow_and_a_rollback_is_refused(tmp_path):
    root, directory, k = _signed(tmp_path, "pii: {allowed: [US_SSN]}\n")
    signed = json.loads((directory / "dataset.lock").read_text())
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1")
    git(root, "tag", "v1")
    write(directory / "data" / "p.csv", ROWS.replace("n1\n", "corrected\n"))
    assert run_gate("manifest", "update", str(directory), "--repo", str(root)).returncode == 0
    proc = run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]))
    assert proc.returncode == 0 and "version 2" in proc.stdout, proc.stdout
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v2")
    git(root, "branch", "-M", "main")
    # an attacker's branch brings back v1's data with v1's (validly signed) lock
    git(root, "checkout", "-qb", "attack")
    git(root, "checkout", "v1", "--", "datasets/people")
    git(root, "commit", "-qam", "restore")
    assert json.loads((directory / "dataset.lock").read_text())["signatures"] == signed["signatures"]
    code, body, _ = check(root, args=("--changed-since", "main", "--data", str(k["data"])))
    assert code == 1 and "signature.rollback" in denies(body), body
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))  # without a base: still valid
    assert code == 0, body


def test_a_maximum_signature_age_from_policy_data(tmp_path):
    root, directory, k = _signed(tmp_path, "pii: {allowed: [US_SSN]}\n")
    policy = yaml.safe_load(k["data"].read_text())
    policy["org"]["signature"] = {"max_age_days": 30}
    aged = write(tmp_path / "aged.yaml", yaml.safe_dump(policy))
    assert check(root, directory, args=("--data", str(aged)))[0] == 0
    code, body, _ = check(root, directory, args=("--data", str(aged), "--now", "2099-01-01T00:00:00Z"))
    assert code == 1 and "signature.too_old" in denies(body), body


def test_an_old_style_signature_without_descriptor_binding_is_invalid(tmp_path):
    """A statement that names no descriptor digest or version (as gate wrote before) no longer verifies."""
    import base64

    from gate.model.descriptor import load_descriptor, load_manifest
    from gate.repo import Repo
    from gate.custody.signing import PAYLOAD_TYPE, load_signing_key, pae, keyid_of

    root, directory, k = _signed(tmp_path, "pii: {allowed: [US_SSN]}\n")
    repo = Repo.at(root)
    manifest = load_manifest(directory / "dataset.lock", repo)
    statement = json.loads(base64.b64decode(manifest.signatures[0]["payload"]))
    for key in ("descriptor", "version", "lock"):
        statement["predicate"].pop(key, None)
    payload = json.dumps(statement).encode()
    key = load_signing_key(k["signing"], None, root)
    envelope = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
                "signatures": [{"keyid": keyid_of(key.public_key()),
                                "sig": base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode()}]}
    lock = json.loads((directory / "dataset.lock").read_text())
    lock["signatures"] = [envelope]
    (directory / "dataset.lock").write_text(json.dumps(lock))
    assert load_descriptor(directory / "dataset.yaml", repo)
    code, body, _ = check(root, directory, args=("--data", str(k["data"])))
    assert code == 1 and "signature.invalid" in denies(body), body
