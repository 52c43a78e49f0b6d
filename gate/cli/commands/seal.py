"""`gate seal` and `gate unseal`: data at rest (age)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..common import error, jobs_option, options, policy_options


def add(sub) -> None:
    seal = sub.add_parser("seal", help="encrypt dataset files at rest (age format); the lock records both digests")
    seal.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    seal.add_argument("-r", "--recipient", action="append", default=[], metavar="AGE1...",
                      help="age public key to seal to (repeatable); no secret needed")
    seal.add_argument("-R", "--recipients-file", type=Path, metavar="FILE", help="file of age1... public keys")
    seal.add_argument("--passphrase-env", metavar="NAME", help="seal with the passphrase in this variable (scrypt)")
    seal.add_argument("--work-factor", type=int, default=18, metavar="LOG2N",
                      help="scrypt work factor for --passphrase-env (default 18, as age)")
    seal.add_argument("--repo", type=Path, metavar="DIR", help="repository root")
    seal.add_argument("--data", action="append", type=Path, default=[], metavar="FILE",
                      help="policy data merged over gate's data.yaml (the signers the bound facts are computed with)")
    seal.add_argument("--debug", action="store_true")
    jobs_option(seal)
    seal.set_defaults(run=run_seal)

    unseal = sub.add_parser("unseal", help="decrypt sealed dataset files into a directory, checked against the lock")
    unseal.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    unseal.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where the plain files go (repository-relative paths below it)")
    unseal.add_argument("-i", "--identity", type=Path, metavar="FILE",
                        help="age identity file (AGE-SECRET-KEY-1...), mode 600, outside the repository")
    unseal.add_argument("--passphrase-env", metavar="NAME", help="variable holding the passphrase")
    unseal.add_argument("--force", action="store_true", help="replace files that exist in --out (atomically)")
    policy_options(unseal, formats=False)
    unseal.set_defaults(run=run_unseal)


def run_seal(args) -> int:
    from ...run.seal import seal_paths

    report = seal_paths(list(args.paths), options(args), args.recipient, args.recipients_file, args.passphrase_env,
                        args.work_factor)
    for result in report.body:
        note = f"; {result.dropped_signatures} signature(s) dropped: re-sign" if result.dropped_signatures else ""
        sys.stdout.write(f"sealed  {result.dataset}  {result.path}  ({len(result.files)} file(s)){note}\n")
    for note in report.notes:
        error(note)
    return report.exit_code()


def run_unseal(args) -> int:
    from ...run.seal import unseal_paths

    report = unseal_paths(list(args.paths), options(args), args.out, args.identity, args.passphrase_env, args.force)
    out, results = report.body
    for result in results:
        sys.stdout.write(f"unsealed  {result.dataset}  {result.path}  ({len(result.files)} file(s)) into {out}\n")
    for note in report.notes:
        error(note)
    return report.exit_code()
