"""Signed manifests: an in-toto Statement v1 about the lock's files, in a DSSE envelope.

Chosen after trying OpenSSF model-signing 1.1.1 here: it works offline with a plain EC P-256 key,
and its bundles carry exactly this (a DSSE envelope holding an in-toto Statement of file sha256s),
but it signs a directory tree rather than a lock's chosen files, pulls ~40 packages (and needs an
undeclared pyopenssl) into every pre-commit environment, and has no Ed25519. The envelope format
is the one in-toto attestations and Sigstore use, so any DSSE verifier can check a gate signature
with the signer's public key; the statement lists every file of the lock as a subject (path and
sha256) and its predicate repeats the lock's entries (sizes, the plain digests of sealed files).

Keys: Ed25519 (default) or ECDSA P-256 in PEM. A key id is the sha256 of the public key's DER
SubjectPublicKeyInfo, hex; trusted signers live in policy data (``org.signers``: key id ->
public key, name and scope), so the security team reviews who may vouch for what.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from .._fs import canonical_json
from ..model.descriptor import Manifest
from ..errors import GateError, PolicyError
from .keys import read_secret_file, secret_from_env

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://gate.dev/attestation/dataset-lock/v1"
VALID, INVALID, UNKNOWN = "valid", "invalid", "unknown_signer"


class SigningError(GateError):
    """A signing key is unusable or a lock cannot be signed."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def keyid_of(public_key) -> str:
    """sha256 (hex) of the public key's DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_pem(public_key) -> str:
    """The public key as PEM text."""
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _check_kind(key, shown: str, error=SigningError):
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return key
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and key.curve.name == "secp256r1":
        return key
    raise error("unsupported key type: use Ed25519 or ECDSA P-256", shown)


def load_signing_key(key_file: Path | None, key_env: str | None, repo_root: Path | None):
    """A private key (PEM) from a file (mode 600, outside the repository) or an environment variable."""
    if key_file is not None:
        shown = str(key_file)
        data = read_secret_file(Path(key_file), "signing key", repo_root, SigningError)
    elif key_env:
        shown = f"${key_env}"
        data = secret_from_env(key_env, "signing key", SigningError)
    else:
        raise SigningError("no signing key: give --key FILE or --key-env NAME")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningError("the signing key is passphrase-protected; give an unencrypted PEM key "
                           "from a protected file or secret store", shown) from None
    except (ValueError, binascii.Error):
        raise SigningError("not a PEM private key", shown) from None
    return _check_kind(key, shown)


def load_public_key(pem: Any, shown: str):
    """A public key from PEM text in policy data."""
    if not isinstance(pem, str):
        raise PolicyError("public_key must be PEM text", shown)
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise PolicyError("public_key is not a PEM public key", shown) from None
    return _check_kind(key, shown, PolicyError)


def _sign(private_key, message: bytes) -> bytes:
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(message)
    return private_key.sign(message, ec.ECDSA(hashes.SHA256()))


def _verify(public_key, signature: bytes, message: bytes) -> bool:
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, message)
        else:
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def lock_digest(manifest: Manifest) -> str:
    """sha256 of the lock's canonical body: every entry (with sealed files' bound facts) and the
    dataset facts, everything but the signatures."""
    return hashlib.sha256(canonical_json(manifest.body())).hexdigest()


def statement(manifest: Manifest, signed_at: str, descriptor: dict[str, str], version: int) -> dict[str, Any]:
    """The in-toto Statement a signature vouches for: every file of the lock (as subjects), the
    lock's body, the descriptor's bytes (trust level, classification, pii.allowed ... are part of
    what is signed) and a version that only grows."""
    entries = sorted(manifest.files, key=lambda e: e.path)
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": e.path, "digest": {"sha256": e.sha256}} for e in entries],
        "predicateType": PREDICATE_TYPE,
        "predicate": {"dataset": manifest.dataset, "files": [e.to_json() for e in entries], "signed_at": signed_at,
                      "version": int(version), "descriptor": dict(descriptor), "lock": lock_digest(manifest)},
    }


def sign_manifest(manifest: Manifest, private_key, signed_at: str, descriptor: dict[str, str],
                  version: int) -> dict[str, Any]:
    """A DSSE envelope over the manifest's statement."""
    payload = canonical_json(statement(manifest, signed_at, descriptor, version))
    signature = _sign(private_key, pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": keyid_of(private_key.public_key()), "sig": base64.b64encode(signature).decode("ascii")}],
    }


def signed_versions(manifest: Manifest | None) -> list[int]:
    """The versions the lock's statements claim (unverified: for choosing the next version and for
    reading a trusted revision's lock)."""
    out = []
    for envelope in (manifest.signatures if manifest else ()):
        payload = _decode(envelope.get("payload")) if isinstance(envelope, dict) else None
        try:
            version = json.loads(payload)["predicate"]["version"] if payload else None
        except (ValueError, KeyError, TypeError):
            version = None
        if type(version) is int and version >= 0:
            out.append(version)
    return out


def with_signature(manifest: Manifest, envelope: dict[str, Any]) -> Manifest:
    """The manifest with ``envelope`` added, replacing an earlier one by the same key."""
    keyids = {s.get("keyid") for s in envelope["signatures"]}
    kept = tuple(e for e in manifest.signatures
                 if not keyids & {s.get("keyid") for s in e.get("signatures", []) if isinstance(s, dict)})
    return manifest.replace(signatures=kept + (envelope,))


def trusted_signers(data: Any, shown: str = "policy data org.signers") -> dict[str, dict[str, Any]]:
    """``org.signers`` checked: each key id must be the id of its public key (fail closed otherwise)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError("org.signers must map key ids to signers", shown)
    out = {}
    for keyid, entry in data.items():
        where = f"{shown}.{keyid}"
        if not isinstance(entry, dict):
            raise PolicyError("a signer must be an object with public_key", where)
        key = load_public_key(entry.get("public_key"), where)
        if keyid_of(key) != keyid:
            raise PolicyError(f"key id does not match its public_key (the key's id is {keyid_of(key)})", where)
        out[keyid] = {**entry, "key": key}
    return out


def _decode(text: Any) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return None


def _matches(payload: bytes, manifest: Manifest, descriptor_sha256: str | None) -> str | None:
    """Why the signed statement does not describe this lock and descriptor, or None when it does."""
    try:
        signed = json.loads(payload)
    except (ValueError, RecursionError):
        return "the signed payload is not JSON"
    if not isinstance(signed, dict) or signed.get("_type") != STATEMENT_TYPE \
            or signed.get("predicateType") != PREDICATE_TYPE or not isinstance(signed.get("predicate"), dict):
        return "the signed payload is not a gate dataset-lock statement"
    predicate = signed["predicate"]
    if predicate.get("dataset") != manifest.dataset:
        return f"signed for dataset {str(predicate.get('dataset'))[:64]!r}, not {manifest.dataset!r}"
    descriptor = predicate.get("descriptor")
    version = predicate.get("version")
    if not isinstance(descriptor, dict) or type(version) is not int or not isinstance(predicate.get("signed_at"), str):
        return "the signed statement binds no descriptor or version (signed by an older gate): re-sign the lock"
    expected = statement(manifest, predicate["signed_at"], descriptor, version)
    if signed.get("subject") != expected["subject"] or predicate.get("files") != expected["predicate"]["files"] \
            or predicate.get("lock") != expected["predicate"]["lock"]:
        return "the lock's files differ from the signed ones"
    if descriptor_sha256 is not None and descriptor.get("sha256") != descriptor_sha256:
        return "the descriptor (dataset.yaml) changed after the lock was signed"
    return None


def signature_facts(manifest: Manifest | None, signers: dict[str, dict[str, Any]],
                    descriptor_sha256: str | None = None) -> dict[str, Any]:
    """Every signature on the lock: key id, signer name, status (valid, invalid, unknown_signer), why,
    and the version and time it was signed at; ``version`` is the highest valid version."""
    results = []
    for envelope in (manifest.signatures if manifest else ()):
        payload = _decode(envelope.get("payload")) if isinstance(envelope, dict) else None
        kind = envelope.get("payloadType") if isinstance(envelope, dict) else None
        entries = envelope.get("signatures") if isinstance(envelope, dict) else None
        for item in entries if isinstance(entries, list) and entries else [{}]:
            keyid = item.get("keyid") if isinstance(item, dict) else None
            keyid = keyid if isinstance(keyid, str) else None
            signer = signers.get(keyid) if keyid else None
            result = {"keyid": keyid, "signer": signer.get("name") if signer else None,
                      "status": UNKNOWN, "problem": None, "signed_at": None, "version": None}
            if signer is None:
                result["problem"] = "key id not among the trusted signers"
            else:
                signature = _decode(item.get("sig"))
                if payload is None or kind != PAYLOAD_TYPE or signature is None:
                    result.update(status=INVALID, problem="malformed signature envelope")
                elif not _verify(signer["key"], signature, pae(kind, payload)):
                    result.update(status=INVALID, problem="signature does not verify (lock or signature altered)")
                else:
                    problem = _matches(payload, manifest, descriptor_sha256)
                    if problem:
                        result.update(status=INVALID, problem=problem)
                    else:
                        predicate = json.loads(payload)["predicate"]
                        result.update(status=VALID, signed_at=predicate["signed_at"], version=predicate["version"])
            results.append(result)
    valid = [r for r in results if r["status"] == VALID]
    return {
        "present": bool(results),
        "count": len(results),
        "signatures": results,
        "valid_keyids": sorted({r["keyid"] for r in valid}),
        "version": max((r["version"] for r in valid), default=None),
        "base_version": None,
    }
