"""`gate keygen`: new private keys, written mode 600 and never inside a repository."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import GateError
from .keys import write_secret_file


@dataclass(frozen=True)
class NewKey:
    """A key just written: what to print (the public half) and what to tell the user."""

    public: str
    """For standard output: the age recipient, or the org.signers entry for a signing key."""
    note: str
    """For standard error: where the private key went."""


def _refuse_inside_repository(out: Path) -> None:
    from ..repo import find_root

    root = find_root(out.resolve().parent)
    if (root / ".git").exists() or (root / ".gate.yaml").exists():
        raise GateError(f"refusing to write a private key inside the repository {root}: keep keys out of it", str(out))


def age_identity(out: Path) -> NewKey:
    """A new X25519 age identity in ``out``; its recipient (public key) to seal to."""
    from .age import X25519Identity

    _refuse_inside_repository(out)
    identity = X25519Identity.generate()
    recipient = str(identity.recipient)
    write_secret_file(out, f"# public key: {recipient}\n{identity.encode()}\n".encode("ascii"))
    return NewKey(f"{recipient}\n", f"wrote the age identity to {out}; seal with --recipient {recipient}")


def signing_key(out: Path, name: str | None) -> NewKey:
    """A new Ed25519 signing key in ``out``; the org.signers entry that trusts it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from .signing import keyid_of, public_pem

    _refuse_inside_repository(out)
    key = ed25519.Ed25519PrivateKey.generate()
    write_secret_file(out, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    pem = public_pem(key.public_key())
    keyid = keyid_of(key.public_key())
    indented = "".join(f"        {line}\n" for line in pem.strip().splitlines())
    entry = (f"# add to org.signers in your policy data:\n    {keyid}:\n      name: {name or 'CHANGE ME'}\n"
             f"      public_key: |\n{indented}      classifications: [confidential, restricted]\n")
    return NewKey(entry, f"wrote the signing key to {out} (key id {keyid[:16]})")
