"""`gate audit verify|checkpoint`: the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

from ..common import audit_key_options, emit, error


def add(sub) -> None:
    audit = sub.add_parser("audit", help="verify the audit trail or export its head as a checkpoint")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    for name, text in (("verify", "check every entry's hash, MAC, sequence and chain (and a checkpoint)"),
                       ("checkpoint", "print the verified head (sequence number and hash, MACed) as JSON")):
        cmd = audit_sub.add_parser(name, help=text)
        cmd.add_argument("log", type=Path, metavar="LOG")
        audit_key_options(cmd)
        if name == "verify":
            cmd.add_argument("--checkpoint", type=Path, metavar="FILE", help="a checkpoint the log must still contain")
            cmd.add_argument("--format", default="text", choices=["text", "json"])
        cmd.add_argument("--output", type=Path, metavar="FILE")
        cmd.add_argument("--debug", action="store_true")
        cmd.set_defaults(run=run)


def run(args) -> int:
    from ...custody.audit import AuditLog, load_key

    log = AuditLog(args.log, load_key(args.audit_key_file, args.audit_key_env))
    if args.audit_command == "checkpoint":
        emit(json.dumps(log.checkpoint(), sort_keys=True) + "\n", args.output)
        return 0
    checkpoint = log.load_checkpoint(args.checkpoint) if args.checkpoint else None
    report = log.verify_report(checkpoint)
    result = report.body
    if args.format == "json":
        emit(json.dumps(result, sort_keys=True, indent=1) + "\n", args.output)
    elif result["ok"]:
        head = result["head"] or {"seq": 0, "hash": "-"}
        emit(f"{args.log}: {result['entries']} entries verified; head {head['seq']} {head['hash'][:16]}\n", args.output)
    for note in report.notes:
        error(note)
    return report.exit_code()
