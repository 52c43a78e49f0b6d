"""What every command shares: the policy and engine options, the options object, writing output,
rendering a verdict (redacted, in every format asked for, appended to the audit log), one-line errors."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import GateError

EXIT_ERROR = 2


def policy_options(parser: argparse.ArgumentParser, *, formats: bool = True) -> None:
    """--policy, --data, --engine ... and, with ``formats``, --format, --output, --report and the audit log."""
    group = parser.add_argument_group("policy and engine")
    group.add_argument("--policy", action="append", type=Path, default=[], metavar="DIR",
                       help="extra policy directory (repeatable); loaded after gate's built-in policies")
    group.add_argument("--no-builtin-policies", action="store_true",
                       help="load only the --policy directories")
    group.add_argument("--data", action="append", type=Path, default=[], metavar="FILE",
                       help="policy data (YAML/JSON) merged over the policies' data.yaml (repeatable)")
    group.add_argument("--engine", default=os.environ.get("GATE_ENGINE", "auto"),
                       choices=["auto", "opa", "regorus", "opa-server"],
                       help="policy engine (default: auto = opa if installed, else regorus)")
    group.add_argument("--opa-url", default=os.environ.get("GATE_OPA_URL"), metavar="URL",
                       help="URL of a running OPA server (implies --engine opa-server with auto)")
    group.add_argument("--opa-token-file", type=Path, metavar="FILE",
                       help="file holding the bearer token for the OPA server (or set GATE_OPA_TOKEN)")
    group.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify the OPA server's certificate")
    group.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                       help="seconds to wait for the OPA server (default 5)")
    group.add_argument("--bundle-key", type=Path, metavar="FILE",
                       help="PEM public key that must have signed an OPA bundle given with --policy")
    group.add_argument("--bundle-key-env", metavar="NAME", help="environment variable holding that key")
    group.add_argument("--bundle-key-id", metavar="ID", help="key id the bundle must be signed under")
    group.add_argument("--now", metavar="RFC3339", help="decision time, for reproducible decisions")
    group.add_argument("--repo", type=Path, metavar="DIR", help="repository root (default: found from the paths)")
    if formats:
        out = parser.add_argument_group("output")
        out.add_argument("--format", default="text", choices=["text", "json", "sarif", "junit", "github"],
                         help="report format")
        out.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE")
        out.add_argument("--fail-on", choices=["fail", "warn"], default="fail",
                         help="exit 1 on fail (default) or also on warn")
        out.add_argument("--report", action="append", default=[], metavar="FORMAT=FILE",
                         help="also write the same verdict in another format to FILE (repeatable), "
                              "e.g. --report sarif=gate.sarif")
        audit = parser.add_argument_group("audit trail")
        audit.add_argument("--audit-log", type=Path, default=os.environ.get("GATE_AUDIT_LOG") or None, metavar="FILE",
                           help="append one hash-chained, keyed entry per decision to FILE (or set GATE_AUDIT_LOG)")
        audit_key_options(audit)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def audit_key_options(group) -> None:
    group.add_argument("--audit-key-file", type=Path, metavar="FILE",
                       help="file holding the audit key (mode 600, outside the repository)")
    group.add_argument("--audit-key-env", metavar="NAME",
                       help="environment variable holding the audit key (default GATE_AUDIT_KEY)")


def key_source(parser, file_flag: str, env_flag: str, text: str) -> None:
    parser.add_argument(file_flag, type=Path, metavar="FILE", dest="key_file", help=text)
    parser.add_argument(env_flag, metavar="NAME", dest="key_env", help="environment variable holding the key instead")


def decision_options(parser, record_help: str) -> None:
    """--explain and --record, for the commands that decide (check, access)."""
    parser.add_argument("--explain", action="store_true",
                        help="for each violation, the rule's file:line and the input values it read")
    parser.add_argument("--record", type=Path, metavar="DIR", help=record_help)


def jobs_option(parser) -> None:
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="cores to use, native thread pools included (default: GATE_JOBS, else every core "
                             "this process may run on)")


def options(args: argparse.Namespace):
    """The run options the parsed arguments ask for (the OPA token read here, never printed)."""
    from ..run.session import Options, parse_now

    token = None
    if getattr(args, "opa_token_file", None):
        from ..model.documents import read_bounded

        token = read_bounded(args.opa_token_file, GateError, str(args.opa_token_file), limit=16 * 1024).strip()
    elif os.environ.get("GATE_OPA_TOKEN"):
        token = os.environ["GATE_OPA_TOKEN"].strip()
    return Options(
        policy_dirs=tuple(getattr(args, "policy", ()) or ()),
        data_files=tuple(getattr(args, "data", ()) or ()),
        builtin_policies=not getattr(args, "no_builtin_policies", False),
        engine=getattr(args, "engine", "auto"),
        opa_url=getattr(args, "opa_url", None),
        opa_token=token,
        ca_bundle=getattr(args, "ca_bundle", None),
        timeout=getattr(args, "timeout", 5.0),
        now=parse_now(getattr(args, "now", None)),
        repo_root=getattr(args, "repo", None),
        cache=not getattr(args, "no_cache", False),
        bundle_key=_bundle_key(args),
        bundle_key_id=getattr(args, "bundle_key_id", None),
    )


def _bundle_key(args: argparse.Namespace):
    if not (getattr(args, "bundle_key", None) or getattr(args, "bundle_key_env", None)):
        return None
    from ..policy.bundle import load_public_key

    return load_public_key(args.bundle_key, args.bundle_key_env)


def emit(text: str, output: Path | None) -> None:
    """Standard output, or ``output`` written atomically."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .._fs import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        raise GateError(f"cannot write report: {exc.strerror}", str(output)) from None


def error(message: str) -> None:
    """One line on standard error, names holding PII masked and control characters escaped."""
    from ..facts.view import escape_name

    try:
        from ..facts.pii.redact import Redactor

        message = Redactor().text(message)
    except Exception:  # the error path must never fail: a message is still better than none
        pass
    print(f"gate: error: {escape_name(message)}", file=sys.stderr)


def render(verdict, args) -> int:
    """The verdict, redacted, in --format (and every --report), appended to the audit log; its exit code."""
    from .. import report
    from ..report.redaction import redacted

    verdict = redacted(verdict)
    for notice in verdict.notices:
        sys.stderr.write(f"gate: note: {notice}\n")
    extra = []
    for spec in getattr(args, "report", []) or []:
        name, sep, target = spec.partition("=")
        if not sep or not target:
            raise GateError(f"--report takes FORMAT=FILE, got {spec!r}")
        extra.append((report.get(name), Path(target)))
    color = args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for reporter, target in extra:
        emit(reporter.render(verdict), target)
    if hasattr(args, "audit_log"):
        _audit_append(verdict, args)
    emit(report.get(args.format, color=color).render(verdict), args.output)
    if args.output is not None and args.format != "text":
        sys.stderr.write(report.get("text").render(verdict).splitlines()[-1] + "\n")
    return verdict.exit_code(fail_on_warn=getattr(args, "fail_on", "fail") == "warn")


def _audit_append(verdict, args) -> None:
    """Append the run's decisions to the audit log; a log that cannot be written fails the run."""
    from ..custody.audit import AuditLog, default_actor, load_key, verdict_entries
    from ..repo import find_root

    root = args.repo or find_root(Path.cwd())
    path = args.audit_log or _audit_log_from_policy(args, root)
    if not path:
        return
    key = load_key(args.audit_key_file, args.audit_key_env, root)
    AuditLog(Path(path), key).append(verdict_entries(verdict, default_actor(), args.command))


def _audit_log_from_policy(args, root: Path) -> str | None:
    """org.audit.log in the policy data (relative paths from the repository root), if set."""
    run_options = options(args)
    if run_options.engine == "opa-server" or (run_options.engine == "auto" and run_options.opa_url):
        return None
    from ..policy import load_policy_set, policy_dirs

    dirs = policy_dirs(run_options.builtin_policies, run_options.policy_dirs)
    data = load_policy_set(dirs, list(run_options.data_files), run_options.bundle_key,
                           run_options.bundle_key_id).data if dirs else {}
    value = ((data.get("org") or {}).get("audit") or {}).get("log") if isinstance(data, dict) else None
    if not value:
        return None
    return str(value if os.path.isabs(str(value)) else Path(root) / str(value))
