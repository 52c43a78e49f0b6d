"""`gate report compliance`: the report for compliance officers."""

from __future__ import annotations

import os
from pathlib import Path

from ..common import EXIT_ERROR, audit_key_options, emit, error, options, policy_options


def add(sub) -> None:
    reports = sub.add_parser("report", help="reports for people: compliance")
    report_sub = reports.add_subparsers(dest="report_command", metavar="KIND", required=True)
    compliance = report_sub.add_parser(
        "compliance", help="per dataset: owner, legal basis, retention, PII, poisoning, custody, verdict, access history",
        description="Decide the datasets as `gate check` does and write a compliance report; with --audit-log, the "
                    "log must verify and its access decisions are summarised. Exit 0 when the report is written "
                    "(whatever the verdicts), 2 on any error.")
    compliance.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    compliance.add_argument("--format", default="md", choices=["md", "html", "json"])
    compliance.add_argument("--output", type=Path, metavar="FILE")
    compliance.add_argument("--audit-log", type=Path, default=os.environ.get("GATE_AUDIT_LOG") or None, metavar="FILE",
                            help="audit log to summarise (or GATE_AUDIT_LOG); it must verify")
    audit_key_options(compliance)
    compliance.add_argument("--no-cache", action="store_true", help="do not read or write .gate/cache/")
    policy_options(compliance, formats=False)
    compliance.set_defaults(run=run)


def run(args) -> int:
    from ...report.compliance import build, load_audit, render
    from ...run.check import check_paths
    from ...run.session import repo_for

    run_options = options(args)
    repo = repo_for(list(args.paths), run_options)
    audit = None
    if args.audit_log:
        from ...custody.audit import load_key

        audit = load_audit(Path(args.audit_log), load_key(args.audit_key_file, args.audit_key_env, repo.root))
    verdict = check_paths(list(args.paths), run_options)
    emit(render(build(verdict, repo, audit, run_options.now), args.format), args.output)
    if verdict.errors:
        for failure in verdict.errors:
            error(failure.message)
        return EXIT_ERROR
    return 0
