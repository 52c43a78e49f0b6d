"""`gate manifest update|verify|sign`: the locks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..common import emit, error, jobs_option, key_source, render


def add(sub) -> None:
    manifest = sub.add_parser("manifest", help="write or verify dataset.lock files")
    manifest_sub = manifest.add_subparsers(dest="manifest_command", metavar="ACTION", required=True)
    for name, text, handler in (("update", "write dataset.lock for each dataset", run_update),
                                ("verify", "check files against dataset.lock (the policy's integrity rules)", run_verify)):
        cmd = manifest_sub.add_parser(name, help=text)
        cmd.add_argument("paths", nargs="*", type=Path, metavar="PATH")
        cmd.add_argument("--repo", type=Path, metavar="DIR", help="repository root")
        cmd.add_argument("--format", default="text", choices=["text", "json"])
        cmd.add_argument("--output", type=Path, metavar="FILE")
        cmd.add_argument("--debug", action="store_true")
        cmd.set_defaults(run=handler)

    sign = manifest_sub.add_parser("sign", help="sign each dataset's lock (DSSE envelope, in-toto statement)")
    sign.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    key_source(sign, "--key", "--key-env", "signing key: PEM (Ed25519 or ECDSA P-256), mode 600, outside the repository")
    sign.add_argument("-i", "--identity", type=Path, metavar="FILE",
                      help="age identity to open sealed files: their facts are computed by the signer")
    sign.add_argument("--passphrase-env", metavar="NAME", help="variable holding the passphrase of sealed files")
    sign.add_argument("--data", action="append", type=Path, default=[], metavar="FILE",
                      help="policy data merged over gate's data.yaml (the signers the bound facts are computed with)")
    sign.add_argument("--repo", type=Path, metavar="DIR", help="repository root")
    sign.add_argument("--debug", action="store_true")
    jobs_option(sign)
    sign.set_defaults(run=run_sign)


def run_update(args) -> int:
    from ...run.manifests import update_report
    from ...run.session import Options

    report = update_report(list(args.paths), Options(repo_root=args.repo))
    updates, failures = report.body["updated"], report.body["errors"]
    if args.format == "json":
        body = {"updated": [u.__dict__ for u in updates], "errors": [f.to_json() for f in failures]}
        emit(json.dumps(body, indent=2, sort_keys=True) + "\n", args.output)
    else:
        lines = [f"{'wrote' if u.changed else 'unchanged'}  {u.path}  ({u.files} files)"
                 + (f"; {u.dropped_signatures} signature(s) dropped: re-sign after review"
                    if u.dropped_signatures else "") for u in updates]
        lines += [f"ERROR  {f.message}" for f in failures]
        emit("\n".join(lines) + "\n", args.output)
    return report.exit_code()


def run_verify(args) -> int:
    from ...run.manifests import verify_manifests
    from ...run.session import Options

    return render(verify_manifests(list(args.paths), Options(repo_root=args.repo)), args)


def run_sign(args) -> int:
    from ...run.manifests import sign_report
    from ...run.session import Options

    report = sign_report(list(args.paths), Options(repo_root=args.repo), args.key_file, args.key_env, args.identity,
                         args.passphrase_env, tuple(args.data))
    sys.stdout.write("".join(f"signed  {path}  as {keyid[:16]}, version {version}\n"
                             for path, keyid, version in report.body["signed"]))
    for note in report.notes:
        error(note)
    return report.exit_code()
