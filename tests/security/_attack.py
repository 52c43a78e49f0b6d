"""Helpers for the attack tests: real repositories, real files, the real `gate` command.

Every test in this directory is written as an attacker would try it, and each one failed on the code
before issue 13 (see docs/threat-model.md)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import run_gate, write  # noqa: F401  (re-exported for the tests)

SSN = "219-09-9999"          # a structurally valid SSN (not a known test number)
SSN_ROWS = "".join(f"{i},{('219-09-' + str(9000 + i))},n{i}\n" for i in range(40))
CARD = "4111 1111 1111 1111"
EMAIL = "jane.roe@example.org"

DESCRIPTOR = """\
gate: 1
id: {id}
title: {title}
owner: data-platform@example.com
classification: {classification}
purposes: [model-training]
source:
  id: crm-export
  name: CRM export
  trust: internal
  collected: 2026-03-31
  method: export
  legal_basis: contract
  data_subjects: customers
  retention_days: 3650
  contact: crm@example.com
files: {files}
{extra}"""


def make_repo(tmp: Path, git: bool = True) -> Path:
    """An empty dataset repository (a git work tree with a .gate.yaml)."""
    root = tmp / "repo"
    root.mkdir(parents=True)
    write(root / ".gate.yaml", "gate: 1\n")
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "config", "user.email", "t@example.com"], check=True)
        subprocess.run(["git", "-C", str(root), "config", "user.name", "t"], check=True)
    return root


def make_dataset(root: Path, name: str, files: dict[str, str | bytes], *, classification: str = "internal",
                 globs: str = "[data/*.csv]", extra: str = "", title: str = "Test data", lock: bool = True,
                 dataset_id: str | None = None, where: str = "datasets") -> Path:
    """A dataset directory with its descriptor, its files and (by default) a lock written by gate."""
    directory = root / where / name
    write(directory / "dataset.yaml", DESCRIPTOR.format(id=dataset_id or name, classification=classification,
                                                        files=globs, extra=extra, title=title))
    for relative, content in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if lock:
        relock(root, directory)
    return directory


def check(root: Path, *paths: Path | str, args: tuple = (), env: dict | None = None) -> tuple[int, dict, str]:
    """`gate check --format json`: exit code, parsed verdict, stderr."""
    proc = run_gate("check", *map(str, paths), "--repo", str(root), "--format", "json", "--no-cache", *args,
                    env=env)
    body = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, body, proc.stderr


def denies(body: dict) -> set[str]:
    """Every deny-level rule id of every dataset in a verdict."""
    return {v["id"] for d in body.get("datasets", []) for v in d["violations"] if v["level"] == "deny"}


def ids(body: dict) -> set[str]:
    """Every rule id of every dataset in a verdict."""
    return {v["id"] for d in body.get("datasets", []) for v in d["violations"]}


def relock(root: Path, directory: Path) -> None:
    """Write the lock with gate's own lock update (in-process: setting up is not what is tested)."""
    from gate.run.session import Options
    from gate.run.manifests import update_manifests

    updates, failures = update_manifests([directory], Options(repo_root=root))
    assert not failures, [f.message for f in failures]


def hand_lock(directory: Path, root: Path, extra_paths: list[str]) -> None:
    """Add entries for existing files to a lock by hand (right digest and size), as an attacker would."""
    import hashlib

    lock = json.loads((directory / "dataset.lock").read_text())
    for relative in extra_paths:
        data = (root / relative).read_bytes()
        lock["files"].append({"path": relative, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    (directory / "dataset.lock").write_text(json.dumps(lock))


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def keys(tmp: Path) -> dict:
    """A signing key, an audit key and policy data trusting the signer (all outside the repository),
    made in-process as `gate keygen signing` makes them."""
    import yaml
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from gate.custody.keys import write_secret_file
    from gate.custody.signing import keyid_of, public_pem

    folder = tmp / "keys"
    folder.mkdir(exist_ok=True)
    signing = folder / "sign.pem"
    key = ed25519.Ed25519PrivateKey.generate()
    write_secret_file(signing, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    signer = {keyid_of(key.public_key()): {"name": "release key", "public_key": public_pem(key.public_key()),
                                           "classifications": ["confidential", "restricted"]}}
    audit = folder / "audit.key"
    audit.write_bytes(os.urandom(32).hex().encode())
    audit.chmod(0o600)
    data = write(tmp / "trust.yaml", yaml.safe_dump({"org": {"signers": signer}}))
    return {"signing": signing, "audit": audit, "data": data, "keyid": next(iter(signer))}


def age_identity(tmp: Path) -> tuple[Path, str]:
    """A new age identity outside the repository and its public recipient (as `gate keygen age`)."""
    from gate.custody.age import X25519Identity
    from gate.custody.keys import write_secret_file

    identity = tmp / "keys" / "age.txt"
    identity.parent.mkdir(exist_ok=True)
    made = X25519Identity.generate()
    write_secret_file(identity, f"# public key: {made.recipient}\n{made.encode()}\n".encode("ascii"))
    return identity, str(made.recipient)
