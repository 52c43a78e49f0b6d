"""`gate keygen signing|age`: a new private key; prints the public half."""

from __future__ import annotations

import sys
from pathlib import Path


def add(sub) -> None:
    keygen = sub.add_parser("keygen", help="create a signing key (Ed25519) or an age identity; prints the public half")
    keygen.add_argument("kind", choices=["signing", "age"])
    keygen.add_argument("--out", type=Path, required=True, metavar="FILE", help="new private key file (mode 600)")
    keygen.add_argument("--name", default=None, help="signer name for the printed org.signers entry")
    keygen.add_argument("--debug", action="store_true")
    keygen.set_defaults(run=run)


def run(args) -> int:
    from ...custody.keygen import age_identity, signing_key

    key = age_identity(args.out) if args.kind == "age" else signing_key(args.out, args.name)
    sys.stdout.write(key.public)
    sys.stderr.write(key.note + "\n")
    return 0
