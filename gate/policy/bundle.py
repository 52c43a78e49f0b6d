"""OPA bundles: `gate policy bundle build` writes one, `--policy bundle.tar.gz` loads (and verifies) one.

Layout as OPA reads it (`opa run -b`): `.manifest` (revision, roots), `data.json` (the merged policy
data: org configuration and waivers), the modules at their paths (tests included), and with
`--sign` a `.signatures.json` holding one JWT (JWS compact) whose payload lists every other file
with its SHA-256, as OPA's bundle signing specifies: raw bytes for modules, and for JSON files
the digest of OPA's canonical walk (keys sorted, no whitespace). Keys: ECDSA P-256 (ES256) or
Ed25519 (EdDSA), PEM; the key id goes in the JWT header (`kid`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import zlib
from pathlib import PurePosixPath
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ..errors import PolicyError
from .policyset import Module, PolicySet

SIGNATURES = ".signatures.json"
MANIFEST = ".manifest"
MAX_BUNDLE = 64 * 1024 * 1024
MAX_FILES = 10_000
ROOTS = ["gate", "org", "waivers"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(value: Any) -> bytes:
    """OPA's hash walk for structured files: objects with sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def file_hash(name: str, data: bytes) -> str:
    """SHA-256 as OPA computes it for a bundle file."""
    if _structured(name):
        try:
            value = json.loads(data)
        except ValueError:
            raise PolicyError(f"{name} in the bundle is not JSON") from None
        return hashlib.sha256(_canonical(value)).hexdigest()
    return hashlib.sha256(data).hexdigest()


def _structured(name: str) -> bool:
    return PurePosixPath(name).name in ("data.json", MANIFEST, SIGNATURES)


def contents(policies: PolicySet, revision: str) -> dict[str, bytes]:
    """The files of a bundle for a policy set (module paths relative to their policy directory)."""
    files: dict[str, bytes] = {
        MANIFEST: _canonical({"revision": revision, "roots": ROOTS}),
        "data.json": _canonical(policies.data),
    }
    for module in policies.modules:  # tests included: the digest of a bundle is the digest of its policies
        name = module.name.split("/", 1)[1] if "/" in module.name else module.path.name
        if name in files:
            raise PolicyError(f"two modules would share the bundle path {name}", module.name)
        files[name] = module.source.encode("utf-8")
    return files


def _alg(key) -> str:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "EdDSA"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and key.curve.name == "secp256r1":
        return "ES256"
    raise PolicyError("bundle keys must be ECDSA P-256 (ES256) or Ed25519 (EdDSA)")


def sign(files: dict[str, bytes], private_key, keyid: str) -> bytes:
    """The .signatures.json for the files: one JWT over their names and hashes."""
    alg = _alg(private_key)
    header = {"alg": alg, "kid": keyid, "typ": "JWT"}
    payload = {"files": [{"name": name, "hash": file_hash(name, data), "algorithm": "SHA-256"}
                         for name, data in sorted(files.items())]}
    signing_input = f"{_b64url(_canonical(header))}.{_b64url(_canonical(payload))}".encode("ascii")
    if alg == "EdDSA":
        signature = private_key.sign(signing_input)
    else:  # JWS ES256 is r || s, 32 bytes each, not DER
        r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    token = signing_input.decode("ascii") + "." + _b64url(signature)
    return _canonical({"signatures": [token]})


def write(path: Path, files: dict[str, bytes]) -> None:
    """A reproducible tar.gz (sorted names, fixed times and owners)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo("/" + name)
            info.size, info.mtime, info.mode = len(files[name]), 0, 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    from .._fs import write_atomic

    write_atomic(path, gzip.compress(raw.getvalue(), mtime=0))


def read(path: Path) -> dict[str, bytes]:
    """The files of a bundle archive; anything odd (links, traversal, huge, not gzip) is refused."""
    shown = str(path)
    try:
        if path.stat().st_size > MAX_BUNDLE:
            raise PolicyError("bundle larger than 64 MiB", shown)
        compressed = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read the bundle: {exc.strerror}", shown) from None
    try:
        # read at most the cap, so a small archive that expands to gigabytes costs nothing
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as stream:
            raw = stream.read(4 * MAX_BUNDLE + 1)
    except (OSError, EOFError, zlib.error):
        raise PolicyError("not a gzip-compressed bundle (or it is damaged)", shown) from None
    if len(raw) > 4 * MAX_BUNDLE:
        raise PolicyError("bundle expands beyond 256 MiB", shown)
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for member in tar:
                name = member.name.lstrip("/")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise PolicyError(f"bundle entry {name[:100]} is not a regular file", shown)
                parts = PurePosixPath(name).parts
                if not name or ".." in parts or name.startswith("/"):
                    raise PolicyError(f"bundle entry {name[:100]} escapes the bundle", shown)
                if name in files:
                    raise PolicyError(f"bundle entry {name[:100]} appears twice", shown)
                if len(files) >= MAX_FILES:
                    raise PolicyError("bundle has more than 10,000 files", shown)
                handle = tar.extractfile(member)
                files[name] = handle.read() if handle else b""
    except tarfile.TarError:
        raise PolicyError("not a tar bundle (or it is damaged)", shown) from None
    return files


def verify(files: dict[str, bytes], public_key, keyid: str | None, shown: str) -> None:
    """Check .signatures.json: one JWT by this key over exactly the bundle's files and their hashes."""
    try:
        signatures = json.loads(files[SIGNATURES])["signatures"]
        if not isinstance(signatures, list) or len(signatures) != 1:
            raise ValueError
        header_b64, payload_b64, signature_b64 = str(signatures[0]).split(".")
        header = json.loads(_unb64url(header_b64))
        payload = json.loads(_unb64url(payload_b64))
        signature = _unb64url(signature_b64)
    except (KeyError, ValueError, TypeError):
        raise PolicyError(f"{SIGNATURES} is malformed (expected one JWT)", shown) from None
    alg = _alg(public_key)
    if header.get("alg") != alg:
        raise PolicyError(f"the bundle is signed with {header.get('alg')!r}, the key is for {alg}", shown)
    if keyid is not None and header.get("kid", payload.get("keyid")) != keyid:
        raise PolicyError("the bundle is signed under another key id", shown)
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    try:
        if alg == "EdDSA":
            public_key.verify(signature, signing_input)
        else:
            if len(signature) != 64:
                raise InvalidSignature
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise PolicyError("the bundle's signature does not verify with the given key", shown) from None
    if payload.get("scope", "") != "":
        raise PolicyError("the bundle signature carries a scope gate does not expect", shown)
    listed = {}
    for entry in payload.get("files") or []:
        if not isinstance(entry, dict) or entry.get("algorithm") != "SHA-256":
            raise PolicyError("the bundle signature lists a file without SHA-256", shown)
        listed[str(entry.get("name", "")).lstrip("/")] = str(entry.get("hash"))
    present = {name for name in files if name != SIGNATURES}
    for name in sorted(present | set(listed)):
        if name not in listed:
            raise PolicyError(f"{name} is in the bundle but not in its signature", shown)
        if name not in present:
            raise PolicyError(f"{name} is signed but missing from the bundle", shown)
        if file_hash(name, files[name]) != listed[name]:
            raise PolicyError(f"{name} in the bundle does not match its signature (modified)", shown)


def policy_set(path: Path, public_key=None, keyid: str | None = None) -> tuple[list[Module], dict[str, Any]]:
    """Modules and data from a bundle, verified when a key is given; a signed bundle needs the key,
    and a key demands a signed bundle."""
    shown = str(path)
    files = read(path)
    if SIGNATURES in files and public_key is None:
        raise PolicyError("the bundle is signed: give --bundle-key FILE to verify it before use", shown)
    if public_key is not None:
        if SIGNATURES not in files:
            raise PolicyError("the bundle is not signed, but a verification key was given", shown)
        verify(files, public_key, keyid, shown)
    modules, data = [], {}
    for name, raw in sorted(files.items()):
        if name.endswith(".rego"):
            try:
                modules.append(Module(f"{path.name}/{name}", path / name, raw.decode("utf-8")))
            except UnicodeDecodeError:
                raise PolicyError(f"{name} in the bundle is not UTF-8", shown) from None
        elif PurePosixPath(name).name == "data.json":
            try:
                value = json.loads(raw)
            except ValueError:
                raise PolicyError(f"{name} in the bundle is not JSON", shown) from None
            prefix = PurePosixPath(name).parent.parts
            for key in reversed(prefix):
                value = {key: value}
            if isinstance(value, dict):
                from .policyset import deep_merge

                data = deep_merge(data, value)
    return modules, data


def load_public_key(key_file: Path | None, key_env: str | None):
    """A PEM public key (or a private key, whose public half is used) from a file or a variable."""
    import os

    if key_file is not None:
        try:
            pem = Path(key_file).read_bytes()[:65536]
        except OSError as exc:
            raise PolicyError(f"cannot read the bundle key: {exc.strerror}", str(key_file)) from None
    elif key_env:
        pem = os.environ.get(key_env, "").encode("utf-8")
        if not pem.strip():
            raise PolicyError(f"no bundle key: the environment variable {key_env} is not set")
    else:
        return None
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(pem, password=None).public_key()
        except (ValueError, TypeError):
            raise PolicyError("not a PEM public key", str(key_file or f"${key_env}")) from None
    _alg(key)
    return key


def build(policies: PolicySet, out: Path, revision: str | None, sign_key: Path | None, sign_env: str | None,
          key_id: str, repo_root: Path | None) -> tuple[int, bool, str]:
    """`gate policy bundle build`: ``policies`` as a bundle at ``out``, signed with the key of
    ``sign_key`` or ``sign_env`` when given; (files, signed, revision)."""
    revision = revision or policies.digest
    files = contents(policies, revision)
    if sign_key or sign_env:
        from ..custody.signing import load_signing_key
        from ..repo import find_root

        key = load_signing_key(sign_key, sign_env, repo_root or find_root(Path.cwd()))
        files[SIGNATURES] = sign(files, key, key_id)
    try:
        write(out, files)
    except OSError as exc:
        raise PolicyError(f"cannot write the bundle: {exc.strerror}", str(out)) from None
    return len(files), SIGNATURES in files, revision
