"""Command line: parse, call one core function, render. Every failure is one line and exit 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from ._version import __version__
from .errors import GateError
from .verdict import GateFailure

EXIT_ERROR = 2


def _common(parser: argparse.ArgumentParser, *, formats: bool = True) -> None:
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
        _audit_key_options(audit)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _audit_key_options(group) -> None:
    group.add_argument("--audit-key-file", type=Path, metavar="FILE",
                       help="file holding the audit key (mode 600, outside the repository)")
    group.add_argument("--audit-key-env", metavar="NAME",
                       help="environment variable holding the audit key (default GATE_AUDIT_KEY)")


def _key_source(parser, file_flag: str, env_flag: str, text: str) -> None:
    parser.add_argument(file_flag, type=Path, metavar="FILE", dest="key_file", help=text)
    parser.add_argument(env_flag, metavar="NAME", dest="key_env", help="environment variable holding the key instead")


def build_parser() -> argparse.ArgumentParser:
    """The gate argument parser."""
    parser = argparse.ArgumentParser(
        prog="gate", description="Policy-as-code gatekeeper for ML training data.",
    )
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="decide datasets (descriptors, or directories searched for dataset.yaml)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    scope = check.add_mutually_exclusive_group()
    scope.add_argument("--changed-since", metavar="REF",
                       help="only datasets with files changed since the merge base with REF (pull requests)")
    scope.add_argument("--all", action="store_true", help="every dataset in the repository (nightly runs)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write .gate/cache/")
    check.add_argument("--ci", action="store_true",
                       help="CI mode (also when CI=true): recompute every digest, never trust a cached stat")
    check.add_argument("--explain", action="store_true",
                       help="for each violation, the rule's file:line and the input values it read")
    check.add_argument("--record", type=Path, metavar="DIR",
                       help="save each input document (facts; PII already redacted) for `gate policy impact`")
    _common(check)

    access = sub.add_parser("access", help="decide data access requests")
    access.add_argument("--subject")
    access.add_argument("--dataset")
    access.add_argument("--action", choices=["read", "write", "train", "export", "delete"])
    access.add_argument("--purpose")
    access.add_argument("--justification")
    access.add_argument("--model-id")
    access.add_argument("--request", action="extend", nargs="+", type=Path, default=[], metavar="FILE",
                        help="JSON/YAML files, each with one request or a list of them")
    access.add_argument("--explain", action="store_true",
                        help="for each violation, the rule's file:line and the input values it read")
    access.add_argument("--record", type=Path, metavar="DIR",
                        help="save each input document for `gate policy impact`")
    _common(access)

    scan = sub.add_parser("scan", help="compute facts about data files without asking the policy")
    scan_sub = scan.add_subparsers(dest="scan_command", metavar="KIND", required=True)
    pii = scan_sub.add_parser("pii", help="find PII and secrets (files, or directories: a descriptor's files)")
    pii.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    pii.add_argument("--min-confidence", type=float, default=0.5, metavar="X",
                     help="report findings at or above this confidence (default 0.5)")
    pii.add_argument("--baseline", type=Path, metavar="FILE",
                     help="reviewed findings to accept (default .gate/pii-baseline.json in the repository)")
    pii.add_argument("--no-baseline", action="store_true", help="report every finding")
    pii.add_argument("--update-baseline", action="store_true",
                     help="accept every current finding into the baseline (after review)")
    pii.add_argument("--reviewer", default=os.environ.get("USER", "unknown"), help="who reviewed (for --update-baseline)")
    pii.add_argument("--reason", default="reviewed: accepted", help="why they are accepted (for --update-baseline)")
    pii.add_argument("--repo", type=Path, metavar="DIR", help="repository root")
    pii.add_argument("--format", default="text", choices=["text", "json"])
    pii.add_argument("--output", type=Path, metavar="FILE")
    pii.add_argument("--debug", action="store_true")

    poison = scan_sub.add_parser(
        "poisoning", help="label issues, duplicate conflicts, backdoor triggers, outliers; drift against a reference",
        description="Analyse one table (a file, a directory of files, or a dataset: its descriptor or directory). "
                    "The policy judges the facts (poisoning.rego, org.poisoning thresholds). Exit 0: no deny or warn; "
                    "1: a poisoning or drift rule fires; 2: error.")
    poison.add_argument("path", type=Path, metavar="PATH")
    poison.add_argument("--label", metavar="COL", help="label column (default: the descriptor's schema.label)")
    poison.add_argument("--text", metavar="COL", help="free-text column, featurized with TF-IDF")
    poison.add_argument("--features", metavar="COLS", help="comma-separated feature columns (default: all others)")
    poison.add_argument("--reference", type=Path, metavar="PATH", help="an earlier version to test for drift")
    poison.add_argument("--all-scores", action="store_true", help="add every row's scores to the JSON")
    poison.add_argument("--data", action="append", type=Path, default=[], metavar="FILE",
                        help="policy data merged over gate's data.yaml (risk thresholds: org.poisoning)")
    poison.add_argument("--repo", type=Path, metavar="DIR", help="repository root")
    poison.add_argument("--format", default="text", choices=["text", "json"])
    poison.add_argument("--output", type=Path, metavar="FILE")
    poison.add_argument("--debug", action="store_true")

    audit = sub.add_parser("audit", help="verify the audit trail or export its head as a checkpoint")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    for name, text in (("verify", "check every entry's hash, MAC, sequence and chain (and a checkpoint)"),
                       ("checkpoint", "print the verified head (sequence number and hash, MACed) as JSON")):
        cmd = audit_sub.add_parser(name, help=text)
        cmd.add_argument("log", type=Path, metavar="LOG")
        _audit_key_options(cmd)
        if name == "verify":
            cmd.add_argument("--checkpoint", type=Path, metavar="FILE", help="a checkpoint the log must still contain")
            cmd.add_argument("--format", default="text", choices=["text", "json"])
        cmd.add_argument("--output", type=Path, metavar="FILE")
        cmd.add_argument("--debug", action="store_true")

    manifest = sub.add_parser("manifest", help="write or verify dataset.lock files")
    manifest_sub = manifest.add_subparsers(dest="manifest_command", metavar="ACTION", required=True)
    for name, text in (("update", "write dataset.lock for each dataset"),
                       ("verify", "check files against dataset.lock (integrity only)")):
        cmd = manifest_sub.add_parser(name, help=text)
        cmd.add_argument("paths", nargs="*", type=Path, metavar="PATH")
        cmd.add_argument("--repo", type=Path, metavar="DIR", help="repository root")
        cmd.add_argument("--format", default="text", choices=["text", "json"])
        cmd.add_argument("--output", type=Path, metavar="FILE")
        cmd.add_argument("--debug", action="store_true")

    sign = manifest_sub.add_parser("sign", help="sign each dataset's lock (DSSE envelope, in-toto statement)")
    sign.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    _key_source(sign, "--key", "--key-env", "signing key: PEM (Ed25519 or ECDSA P-256), mode 600, outside the repository")
    sign.add_argument("-i", "--identity", type=Path, metavar="FILE",
                      help="age identity to open sealed files: their facts are computed by the signer")
    sign.add_argument("--passphrase-env", metavar="NAME", help="variable holding the passphrase of sealed files")
    sign.add_argument("--data", action="append", type=Path, default=[], metavar="FILE",
                      help="policy data merged over gate's data.yaml (poisoning thresholds for bound facts)")
    sign.add_argument("--repo", type=Path, metavar="DIR", help="repository root")
    sign.add_argument("--debug", action="store_true")

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
                      help="policy data merged over gate's data.yaml (poisoning thresholds for the bound facts)")
    seal.add_argument("--debug", action="store_true")

    unseal = sub.add_parser("unseal", help="decrypt sealed dataset files into a directory, checked against the lock")
    unseal.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    unseal.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where the plain files go (repository-relative paths below it)")
    unseal.add_argument("-i", "--identity", type=Path, metavar="FILE",
                        help="age identity file (AGE-SECRET-KEY-1...), mode 600, outside the repository")
    unseal.add_argument("--passphrase-env", metavar="NAME", help="variable holding the passphrase")
    unseal.add_argument("--force", action="store_true", help="replace files that exist in --out (atomically)")
    _common(unseal, formats=False)

    keygen = sub.add_parser("keygen", help="create a signing key (Ed25519) or an age identity; prints the public half")
    keygen.add_argument("kind", choices=["signing", "age"])
    keygen.add_argument("--out", type=Path, required=True, metavar="FILE", help="new private key file (mode 600)")
    keygen.add_argument("--name", default=None, help="signer name for the printed org.signers entry")
    keygen.add_argument("--debug", action="store_true")

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
    _audit_key_options(compliance)
    compliance.add_argument("--no-cache", action="store_true", help="do not read or write .gate/cache/")
    _common(compliance, formats=False)

    evaluate = sub.add_parser("eval", help="evaluate an entrypoint on an input document (for policy authors)")
    evaluate.add_argument("entrypoint", help="e.g. data.gate.dataset.decision")
    evaluate.add_argument("--input", type=Path, required=True, metavar="FILE", help="input document (JSON/YAML)")
    _common(evaluate, formats=False)
    evaluate.add_argument("--output", type=Path, metavar="FILE")

    policy = sub.add_parser("policy", help="work on policies")
    policy_sub = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    plint = policy_sub.add_parser("lint", help="check policies: parse on every engine, builtins each engine lacks, "
                                               "METADATA, duplicate ids, uncollected rules, Rego v1")
    plint.add_argument("dirs", nargs="*", type=Path, metavar="DIR", help="policy directories (added to the built-in ones)")
    plint.add_argument("--format", default="text", choices=["text", "json", "sarif"])
    plint.add_argument("--output", type=Path, metavar="FILE")
    plint.add_argument("--policy", action="append", type=Path, default=[], metavar="DIR", help=argparse.SUPPRESS)
    plint.add_argument("--no-builtin-policies", action="store_true", help="lint only the given directories")
    plint.add_argument("--debug", action="store_true")
    pdocs = policy_sub.add_parser("docs", help="a Markdown catalogue of every rule (id, title, severity, "
                                               "description, file:line, the test that shows it)")
    pdocs.add_argument("dirs", nargs="*", type=Path, metavar="DIR", help="policy directories (added to the built-in ones)")
    pdocs.add_argument("--no-builtin-policies", action="store_true", help="only the given directories")
    pdocs.add_argument("--output", type=Path, metavar="FILE")
    pdocs.add_argument("--check", action="store_true", help="exit 1 when --output differs from what would be written")
    pdocs.add_argument("--debug", action="store_true")
    pimpact = policy_sub.add_parser(
        "impact", help="decisions that flip between the policies at git REF and the working tree",
        description="Decide a corpus under the policies at --base REF and in the working tree and list every "
                    "decision that changes (allow/deny, violations added or removed), grouped by rule. Corpus: "
                    "recorded inputs (--corpus DIR, from `gate check/access --record DIR`), the datasets under "
                    "PATHs, --request files, and requests replayed from --audit-log; by default the repository's "
                    "datasets. Facts are computed with the working tree's policy data.")
    pimpact.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="datasets to decide (default: the repository's)")
    pimpact.add_argument("--base", required=True, metavar="REF", help="git ref of the policies to compare against")
    pimpact.add_argument("--corpus", action="append", type=Path, default=[], metavar="DIR", help="recorded inputs")
    pimpact.add_argument("--request", action="extend", nargs="+", type=Path, default=[], metavar="FILE",
                         help="access request files")
    pimpact.add_argument("--audit-log", type=Path, metavar="FILE", help="replay the access requests of this (verified) log")
    _audit_key_options(pimpact)
    pimpact.add_argument("--fail-on-flip", action="store_true", help="exit 1 when any decision changes")
    pimpact.add_argument("--format", default="text", choices=["text", "json"])
    pimpact.add_argument("--output", type=Path, metavar="FILE")
    pimpact.add_argument("--no-cache", action="store_true", help=argparse.SUPPRESS)
    _common(pimpact, formats=False)
    pbundle = policy_sub.add_parser("bundle", help="build an OPA bundle (optionally signed) from the policies")
    bundle_sub = pbundle.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    pbuild = bundle_sub.add_parser("build", help="write .manifest, data.json, the modules and .signatures.json")
    pbuild.add_argument("--out", type=Path, required=True, metavar="FILE", help="bundle file (.tar.gz)")
    pbuild.add_argument("--sign", type=Path, metavar="KEY", dest="sign_key",
                        help="PEM private key (ECDSA P-256 or Ed25519; mode 600, outside the repository)")
    pbuild.add_argument("--sign-env", metavar="NAME", help="environment variable holding the signing key instead")
    pbuild.add_argument("--key-id", default="gate", help="key id written in the signature (default: gate)")
    pbuild.add_argument("--revision", help="bundle revision (default: the policy digest)")
    _common(pbuild, formats=False)
    ptest = policy_sub.add_parser("test", help="run the _test.rego rules, like `opa test`")
    ptest.add_argument("-v", "--verbose", action="store_true", help="list every test")
    ptest.add_argument("--coverage", action="store_true", help="report line coverage per module (tests excluded)")
    ptest.add_argument("--min-coverage", type=float, metavar="PERCENT",
                       help="fail (exit 1) when total line coverage is below PERCENT (implies --coverage)")
    _common(ptest)
    for command in (check, pii, poison, sign, seal):
        command.add_argument("--jobs", type=int, metavar="N",
                             help="cores to use, native thread pools included (default: GATE_JOBS, else every core "
                                  "this process may run on)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gate` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["hook"]:
        return _hook(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    from ._threads import bound_process

    bound_process(getattr(args, "jobs", None))  # before numpy and scikit-learn load their thread pools
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return _dispatch(args)
    except GateError as exc:
        if getattr(args, "debug", False):
            raise
        _error(str(exc))
    except KeyboardInterrupt:
        _error("interrupted")
    except Exception as exc:  # the one place a bug becomes a line, not a traceback
        if getattr(args, "debug", False):
            raise
        _error(f"internal error ({exc.__class__.__name__}); run with --debug for the traceback")
    return EXIT_ERROR


def _hook(argv: list[str]) -> int:
    """`gate hook check|manifest|pii [OPTIONS] FILE...`: what the pre-commit hooks run (fast path, no argparse tree)."""
    from .hooks import HOOKS, run

    if not argv or argv[0] not in HOOKS:
        _error(f"gate hook needs one of {', '.join(HOOKS)}")
        return EXIT_ERROR
    try:
        return run(argv[0], argv[1:], main)
    except GateError as exc:
        _error(str(exc))
    except Exception as exc:
        _error(f"internal error ({exc.__class__.__name__}) in hook {argv[0]}")
    return EXIT_ERROR


def _error(message: str) -> None:
    from .facts.view import escape_name

    try:
        from .facts.pii.redact import Redactor

        message = Redactor().text(message)
    except Exception:  # the error path must never fail: a message is still better than none
        pass
    print(f"gate: error: {escape_name(message)}", file=sys.stderr)


def _options(args: argparse.Namespace):
    from .run.session import Options, parse_now

    token = None
    if getattr(args, "opa_token_file", None):
        from .model.documents import read_bounded

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
    from .policy.bundle import load_public_key

    return load_public_key(args.bundle_key, args.bundle_key_env)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .model.descriptor import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        raise GateError(f"cannot write report: {exc.strerror}", str(output)) from None


def _redact_details(redactor, details):
    """A violation's details masked, except its waiver: that is the policy's own reviewed data (who approved,
    why, until when) and an audit needs it as written."""
    waiver = details.get("waiver") if isinstance(details, dict) else None
    masked = redactor.document({k: v for k, v in details.items() if k != "waiver"} if waiver is not None else details)
    return {**masked, "waiver": waiver} if waiver is not None else masked


def redacted(verdict):
    """The verdict with PII and secrets in names (paths, ids, messages) masked, for every output."""
    import dataclasses

    from .facts.pii.redact import Redactor

    redactor = Redactor()
    datasets = tuple(dataclasses.replace(d, id=redactor.text(d.id), path=redactor.text(d.path), violations=tuple(
        dataclasses.replace(v, message=redactor.text(v.message), file=redactor.text(v.file) if v.file else v.file,
                            details=_redact_details(redactor, v.details)) for v in d.violations),
        facts=redactor.document(d.facts)) for d in verdict.datasets)
    errors = tuple(dataclasses.replace(e, path=redactor.text(e.path), message=redactor.text(e.message))
                   for e in verdict.errors)
    return dataclasses.replace(verdict, datasets=datasets, errors=errors,
                               notices=tuple(redactor.text(n) for n in verdict.notices))


def _render(verdict, args) -> int:
    from . import report

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
        _emit(reporter.render(verdict), target)
    if hasattr(args, "audit_log"):
        _audit_append(verdict, args)
    _emit(report.get(args.format, color=color).render(verdict), args.output)
    if args.output is not None and args.format != "text":
        sys.stderr.write(report.get("text").render(verdict).splitlines()[-1] + "\n")
    return verdict.exit_code(fail_on_warn=getattr(args, "fail_on", "fail") == "warn")


def _audit_append(verdict, args) -> None:
    """Append the run's decisions to the audit log; a log that cannot be written fails the run."""
    from .custody.audit import AuditLog, default_actor, load_key, verdict_entries
    from .repo import find_root

    root = args.repo or find_root(Path.cwd())
    path = args.audit_log or _audit_log_from_policy(args, root)
    if not path:
        return
    key = load_key(args.audit_key_file, args.audit_key_env, root)
    AuditLog(Path(path), key).append(verdict_entries(verdict, default_actor(), args.command))


def _audit_log_from_policy(args, root: Path) -> str | None:
    """org.audit.log in the policy data (relative paths from the repository root), if set."""
    options = _options(args)
    if options.engine == "opa-server" or (options.engine == "auto" and options.opa_url):
        return None
    from .policy import builtin_policy_dir, load_policy_set

    dirs = ([builtin_policy_dir()] if options.builtin_policies else []) + list(options.policy_dirs)
    data = load_policy_set(dirs, list(options.data_files), options.bundle_key, options.bundle_key_id).data if dirs else {}
    value = ((data.get("org") or {}).get("audit") or {}).get("log") if isinstance(data, dict) else None
    if not value:
        return None
    return str(value if os.path.isabs(str(value)) else Path(root) / str(value))


def _audit(args: argparse.Namespace) -> int:
    from .custody.audit import AuditLog, load_key

    log = AuditLog(args.log, load_key(args.audit_key_file, args.audit_key_env))
    if args.audit_command == "checkpoint":
        _emit(json.dumps(log.checkpoint(), sort_keys=True) + "\n", args.output)
        return 0
    checkpoint = log.load_checkpoint(args.checkpoint) if args.checkpoint else None
    result = log.verify(checkpoint)
    if args.format == "json":
        _emit(json.dumps(result, sort_keys=True, indent=1) + "\n", args.output)
    elif result["ok"]:
        head = result["head"] or {"seq": 0, "hash": "-"}
        _emit(f"{args.log}: {result['entries']} entries verified; head {head['seq']} {head['hash'][:16]}\n",
              args.output)
    if not result["ok"]:
        _error(f"{args.log}: entry {result['first_bad_seq']}: {result['problem']}")
        return EXIT_ERROR
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        from .run.check import check_paths

        if args.ci:
            os.environ["GATE_CI"] = "1"
        options = _options(args)
        paths = list(args.paths)
        if args.all or args.changed_since:
            if paths:
                raise GateError("give PATHs or --all/--changed-since, not both")
            from .run.session import repo_for

            repo = repo_for([], options)
            paths, base_version = ([repo.root], {}) if args.all else _changed_datasets(repo.root, args.changed_since)
            if not paths:
                from .verdict import Verdict

                sys.stderr.write(f"gate: no dataset changed since {args.changed_since}\n")
                return _render(Verdict("none", "none", __version__), args)
            return _render(check_paths(paths, options, record=args.record, explain=args.explain,
                                       base_version=base_version), args)
        return _render(check_paths(paths, options, record=args.record, explain=args.explain), args)
    if args.command == "access":
        return _render(_access(args), args)
    if args.command == "manifest":
        return _manifest(args)
    if args.command == "scan":
        return _scan_poisoning(args) if args.scan_command == "poisoning" else _scan_pii(args)
    if args.command == "eval":
        return _eval(args)
    if args.command in ("seal", "unseal"):
        return _seal(args)
    if args.command == "keygen":
        return _keygen(args)
    if args.command == "report":
        return _report_compliance(args)
    if args.command == "audit":
        return _audit(args)
    if args.command == "policy" and args.policy_command == "test":
        return _policy_test(args)
    if args.command == "policy" and args.policy_command == "lint":
        return _policy_lint(args)
    if args.command == "policy" and args.policy_command == "docs":
        return _policy_docs(args)
    if args.command == "policy" and args.policy_command == "impact":
        return _policy_impact(args)
    if args.command == "policy" and args.policy_command == "bundle":
        return _policy_bundle(args)
    raise GateError(f"unknown command {args.command!r}")


def _changed_datasets(root: Path, ref: str) -> tuple[list[Path], dict[str, int]]:
    """Datasets owning a file changed between the merge base with ``ref`` and the working tree, and
    for each the highest version its lock was signed at in the merge base (a rollback below it is
    denied)."""
    from .model.descriptor import MANIFEST_NAME, load_manifest
    from .repo import GitError, Repo, git, safe_ref
    from .custody.signing import signed_versions

    repo = Repo.at(root)
    try:
        ref = safe_ref(ref, "--changed-since")
        changed = git(root, "diff", "--name-only", "-z", "--merge-base", ref, "--")
        top = Path(git(root, "rev-parse", "--show-toplevel").strip() or root)
        base = git(root, "merge-base", ref, "HEAD").strip()
    except GitError as exc:
        raise GateError(f"--changed-since {ref[:80]}: {exc.message}") from None
    owners = sorted({o for o in (repo.owning_dataset(top / name) for name in changed.split("\0") if name) if o})
    versions: dict[str, int] = {}
    for owner in owners:
        lock_rel = repo.rel(owner / MANIFEST_NAME)
        text = git(root, "show", f"{base}:./{lock_rel}", check=False)
        if not text:
            continue
        try:
            signed = signed_versions(load_manifest(owner / MANIFEST_NAME, repo, text=text))
        except GateError:
            continue
        if signed:
            versions[lock_rel] = max(signed)
    return owners, versions


def _access(args: argparse.Namespace):
    from .run.access import decide_access
    from .model.request import load_requests, validate_request

    requests: list[tuple[dict[str, Any], str]] = []
    for path in args.request:
        requests.extend((item, str(path)) for item in load_requests(path))
    flags = {k: getattr(args, k) for k in ("subject", "dataset", "action", "purpose", "justification", "model_id")}
    if any(v is not None for v in flags.values()):
        request = {k: v for k, v in flags.items() if v is not None}
        validate_request(request, "command line")
        requests.append((request, "command line"))
    if not requests:
        raise GateError("give --subject, --dataset, --action and --purpose, or --request FILE")
    return decide_access(requests, _options(args), record=args.record, explain=args.explain)


def _manifest(args: argparse.Namespace) -> int:
    from .run.session import Options

    options = Options(repo_root=args.repo)
    if args.manifest_command == "sign":
        from .run.session import Session, repo_for
        from .run.manifests import sign_manifests
        from .custody.sealing import identities_from

        root = repo_for(list(args.paths), options).root
        identities = identities_from(args.identity, args.passphrase_env, root)
        settings = None
        if identities:
            session = Session.open(Options(repo_root=args.repo, data_files=tuple(args.data)))
            try:
                settings = session.settings(repo_root=root)
            finally:
                session.close()
        signed, failures = sign_manifests(list(args.paths), options, args.key_file, args.key_env, identities,
                                          settings)
        lines = [f"signed  {path}  as {keyid[:16]}, version {version}" for path, keyid, version in signed]
        sys.stdout.write("".join(line + "\n" for line in lines))
        for failure in failures:
            _error(failure.message)
        return EXIT_ERROR if failures or not signed else 0
    if args.manifest_command == "update":
        from .run.manifests import update_manifests

        updates, failures = update_manifests(list(args.paths), options)
        if args.format == "json":
            body = {"updated": [u.__dict__ for u in updates], "errors": [f.to_json() for f in failures]}
            _emit(json.dumps(body, indent=2, sort_keys=True) + "\n", args.output)
        else:
            lines = [f"{'wrote' if u.changed else 'unchanged'}  {u.path}  ({u.files} files)"
                     + (f"; {u.dropped_signatures} signature(s) dropped: re-sign after review"
                        if u.dropped_signatures else "") for u in updates]
            lines += [f"ERROR  {f.message}" for f in failures]
            _emit("\n".join(lines) + "\n", args.output)
        return EXIT_ERROR if failures else 0
    from .run.manifests import verify_manifests

    return _render(verify_manifests(list(args.paths), options), args)


def _seal(args: argparse.Namespace) -> int:
    from .custody import sealing
    from .run.session import Options, Session, repo_for
    from .run.datasets import for_each_dataset

    options = Options(repo_root=args.repo)
    repo = repo_for(list(args.paths), options)
    if args.command == "seal":
        if not 10 <= args.work_factor <= 22:
            raise GateError("--work-factor must be between 10 and 22")
        recipients = sealing.recipients_from(args.recipient, args.recipients_file, args.passphrase_env, args.work_factor)
        # with a passphrase the sealed file is opened again and compared before the plain one goes
        verify = sealing.identities_from(None, args.passphrase_env, None) if args.passphrase_env else None
        session = Session.open(_options(args))  # the fingerprint key and signers the bound facts are computed with
        try:
            settings = session.settings(repo_root=repo.root)
        finally:
            session.close()
        results, failures = for_each_dataset(list(args.paths), options,
                                             lambda d, r: sealing.seal_dataset(d, r, recipients, verify, settings))
        for result in results:
            note = f"; {result.dropped_signatures} signature(s) dropped: re-sign" if result.dropped_signatures else ""
            sys.stdout.write(f"sealed  {result.dataset}  {result.path}  ({len(result.files)} file(s)){note}\n")
    else:
        from .custody.keys import inside

        out = args.out
        if inside(out, repo.root):
            raise GateError("--out lies inside the repository: plaintext there is one `git add` from being "
                            "committed; unseal outside it", str(out))
        identities = sealing.identities_from(args.identity, args.passphrase_env, repo.root)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GateError(f"cannot create the output directory: {exc.strerror}", str(out)) from None
        if out.is_symlink() or not out.is_dir():
            raise GateError("--out must be a directory (not a link)", str(out))
        options = _options(args)
        session = Session.open(options)
        try:
            results, failures = for_each_dataset(list(args.paths), options, lambda d, r: sealing.unseal_dataset(
                d, r, identities, out, session, force=args.force))
        finally:
            session.close()
        for result in results:
            sys.stdout.write(f"unsealed  {result.dataset}  {result.path}  ({len(result.files)} file(s)) into {out}\n")
    for failure in failures:
        _error(failure.message)
    return EXIT_ERROR if failures else 0


def _report_compliance(args: argparse.Namespace) -> int:
    from .run.check import check_paths
    from .run.session import repo_for
    from .report.compliance import build, load_audit, render

    options = _options(args)
    repo = repo_for(list(args.paths), options)
    audit = None
    if args.audit_log:
        from .custody.audit import load_key

        audit = load_audit(Path(args.audit_log), load_key(args.audit_key_file, args.audit_key_env, repo.root))
    verdict = check_paths(list(args.paths), options)
    _emit(render(build(verdict, repo, audit, options.now), args.format), args.output)
    if verdict.errors:
        for failure in verdict.errors:
            _error(failure.message)
        return EXIT_ERROR
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from .custody.keys import write_secret_file
    from .repo import find_root

    parent = args.out.resolve().parent
    root = find_root(parent)
    if (root / ".git").exists() or (root / ".gate.yaml").exists():
        raise GateError(f"refusing to write a private key inside the repository {root}: keep keys out of it",
                        str(args.out))

    if args.kind == "age":
        from .custody.age import X25519Identity

        identity = X25519Identity.generate()
        recipient = str(identity.recipient)
        write_secret_file(args.out, f"# public key: {recipient}\n{identity.encode()}\n".encode("ascii"))
        sys.stdout.write(f"{recipient}\n")
        sys.stderr.write(f"wrote the age identity to {args.out}; seal with --recipient {recipient}\n")
        return 0
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from .custody.signing import keyid_of, public_pem

    key = ed25519.Ed25519PrivateKey.generate()
    write_secret_file(args.out, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    pem = public_pem(key.public_key())
    keyid = keyid_of(key.public_key())
    indented = "".join(f"        {line}\n" for line in pem.strip().splitlines())
    sys.stdout.write(f"# add to org.signers in your policy data:\n    {keyid}:\n      name: {args.name or 'CHANGE ME'}\n"
                     f"      public_key: |\n{indented}      classifications: [confidential, restricted]\n")
    sys.stderr.write(f"wrote the signing key to {args.out} (key id {keyid[:16]})\n")
    return 0


def _scan_pii(args: argparse.Namespace) -> int:
    from .facts.pii.baseline import write_baseline
    from .pii import default_baseline, scan
    from .repo import Repo, find_root

    if not 0.0 <= args.min_confidence <= 1.0:
        raise GateError("--min-confidence must be between 0 and 1")
    paths = list(args.paths)
    repo = Repo.at(args.repo if args.repo else find_root(paths[0] if paths else Path.cwd()))
    baseline = None if args.no_baseline else (args.baseline or default_baseline(repo))
    result, target_errors, entries = scan(paths or [repo.root], repo, args.min_confidence, baseline)
    errors = target_errors + result.errors
    if args.update_baseline:
        count = write_baseline(baseline or default_baseline(repo), result, entries, args.reviewer, args.reason)
        sys.stderr.write(f"baseline {repo.rel(baseline or default_baseline(repo))}: {count} accepted finding(s)\n")
        result.baselined.extend(result.findings)
        for file_result in result.files:
            file_result.findings = []
    from .facts.pii.redact import Redactor

    body = Redactor().document({**result.to_json(), "errors": errors})
    if args.format == "json":
        _emit(_pii_json(body), args.output)
    else:
        _emit(_pii_text(body), args.output)
    if errors or body["summary"]["problems"]:
        return EXIT_ERROR  # a file that cannot be read unambiguously is not a clean file
    return 1 if body["findings"] else 0


def _scan_poisoning(args: argparse.Namespace) -> int:
    from .run.session import POISONING_RULES, Options, Session
    from .poisoning import run_scan
    from .repo import Repo, find_root

    repo = Repo.at(args.repo if args.repo else find_root(args.path))
    features = tuple(f.strip() for f in args.features.split(",") if f.strip()) if args.features else ()
    body = run_scan(args.path, repo, args.label, args.text, features, args.reference, args.all_scores)
    # the policy judges the facts (poisoning.rego and its org.poisoning thresholds), as in `gate check`
    session = Session.open(Options(data_files=tuple(args.data), repo_root=repo.root))
    try:
        facts = {"poisoning": body["poisoning"], **({"drift": body["drift"]} if "drift" in body else {})}
        body["violations"] = session.rule_violations(POISONING_RULES, {"facts": facts})
        body["thresholds"] = session.data("org.poisoning", {})
    finally:
        session.close()
    if args.format == "json":
        _emit(json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n", args.output)
    else:
        _emit(_poisoning_text(body), args.output)
    return 1 if body["violations"] else 0


def _poisoning_text(body: dict) -> str:
    p = body["poisoning"]
    lines = [f"{', '.join(body['files'])}: {p['rows']} rows, {p['classes']} classes, label '{p['label']}'"
             + (f", text '{p['text']}'" if p["text"] else "")]
    for trigger in p["triggers"]:
        shared = "".join(f", {v['feature']} = {v['value']}" for v in trigger.get("shared_values", []))
        lines.append(f"TRIGGER  {trigger['condition']}{shared} -> label '{trigger['label']}' on {trigger['rows']} rows "
                     f"(purity {trigger['purity']:.2f} vs base rate {trigger['base_rate']:.2f}; the other features "
                     f"contradict the label on {trigger['contradicted']:.0%} of them)")
    for row in p["top"][:10]:
        if row["flagged"]:
            lines.append(f"ROW  {row['file']}:{row['row']}  score {row['score']:.2f}  " + "; ".join(row["reasons"][:3]))
    for note in p["notes"]:
        lines.append(f"NOTE  {note}")
    methods = p["methods"]
    label = methods.get("label_issues", {})
    lines.append(f"label issues: {label.get('flagged', 0)} flagged ({label.get('cleanlab_issues', 0)} by cleanlab)"
                 if label.get("ran") else f"label issues: not run ({label.get('reason')})")
    lines.append(f"duplicate conflicts: {methods['duplicate_conflicts']['groups_with_conflicts']} groups; "
                 f"triggers: {len(p['triggers'])}; outliers beyond robust z 6: "
                 f"{methods['outliers']['rows_beyond_robust_z_6']}")
    drift = body.get("drift")
    if drift:
        drifted = ", ".join(drift["drifted_features"]) or "none"
        lines.append(f"drift vs {', '.join(drift['reference'])}: features drifted: {drifted}"
                     + (f"; label shift p={drift['label']['p_adjusted']:.3g}" if drift.get("label") else "")
                     + (f"; MMD p={drift['multivariate']['p_adjusted']:.3g}" if drift.get("multivariate") else "")
                     + ("  SIGNIFICANT" if drift["significant"] else ""))
    for violation in body["violations"]:
        lines.append(f"{violation['level'].upper()}  {violation['id']}: {violation['message']}")
    limits = ", ".join(f"{k} {v:.0%}" for k, v in sorted(body["thresholds"].items()) if isinstance(v, (int, float)))
    lines.append(f"{p['suspicious_rows']} suspicious rows ({p['suspicious_rate']:.2%}; the policy's limits: "
                 f"{limits or 'none'}): {'no finding' if not body['violations'] else 'see above'} "
                 f"in {body['timing_s']['total']:.1f} s")
    from ._text import printable

    return "\n".join(printable(line) for line in lines) + "\n"


def _pii_json(body: dict) -> str:
    """One finding per line, keys sorted: readable, diffable, and fast (json's indent= is pure Python)."""
    from json.encoder import encode_basestring as quote  # C-accelerated string escaping

    def line(f: dict) -> str:
        column = "null" if f["column"] is None else quote(f["column"])
        return (f'    {{"column": {column}, "confidence": {json.dumps(f["confidence"])}, "file": {quote(f["file"])}, '
                f'"fingerprint": {quote(f["fingerprint"])}, "preview": {quote(f["preview"])}, "row": {int(f["row"])}, '
                f'"type": {quote(f["type"])}}}')

    findings = ",\n".join(line(f) for f in body["findings"])
    rest = {k: v for k, v in body.items() if k != "findings"}
    tail = json.dumps(rest, indent=2, sort_keys=True, ensure_ascii=False)[1:]
    return '{\n  "findings": [' + ("\n" + findings + "\n  " if findings else "") + "]," + tail + "\n"


def _pii_text(body: dict) -> str:
    lines = []
    for f in body["findings"]:
        where = f"{f['file']}:{f['row']}" + (f" [{f['column']}]" if f["column"] is not None else "")
        lines.append(f"{f['type']:<13} {f['confidence']:.2f}  {f['preview']:<28} {where}")
    for error in body["errors"]:
        lines.append(f"ERROR  {error['message']}")
    for skipped in body["summary"]["skipped"]:
        lines.append(f"SKIPPED  {skipped['file']}: {skipped['reason']}")
    for problem in body["summary"]["problems"]:
        lines.append(f"PROBLEM  {problem['file']}: {problem['message']} (scanned as text; not loadable)")
    for note in body["summary"]["notes"]:
        lines.append(f"NOTE  {note['file']}: {note['note']}")
    summary = body["summary"]
    counts = ", ".join(f"{k} {v}" for k, v in summary["by_type"].items()) or "none"
    lines.append(f"{summary['findings']} finding(s) in {summary['files']} file(s) ({counts}); "
                 f"{summary['baselined']} accepted by the baseline; {len(body['errors'])} error(s)")
    from ._text import printable

    return "\n".join(printable(line) for line in lines) + "\n"


def _eval(args: argparse.Namespace) -> int:
    from .run.session import Session
    from .model.documents import load_document

    document, _ = load_document(args.input, GateError, str(args.input))
    session = Session.open(_options(args))
    try:
        result = session.engine.evaluate(args.entrypoint, document)
    finally:
        session.close()
    body = {"engine": session.engine.name, "policy_digest": session.digest, "result": result}
    _emit(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n", args.output)
    return 0


def _policy_lint(args: argparse.Namespace) -> int:
    from .engine import installed_engines
    from .policy.lint import lint, render_json, render_sarif, render_text
    from .policy import builtin_policy_dir, load_policy_set

    dirs = ([] if args.no_builtin_policies else [builtin_policy_dir()]) + list(args.dirs) + list(args.policy)
    if not dirs:
        raise GateError("nothing to lint: give a DIR or drop --no-builtin-policies")
    policies = load_policy_set(dirs)
    engines = installed_engines()
    findings = lint(policies, engines)
    render = {"text": render_text, "json": render_json, "sarif": render_sarif}[args.format]
    _emit(render(findings, len(policies.modules), engines), args.output)
    return 1 if findings else 0


def _policy_impact(args: argparse.Namespace) -> int:
    from .run.datasets import DatasetIndex
    from .run.session import Session, repo_for, utc_now_text
    from .run.access import access_input
    from .run.check import dataset_documents
    from .model.request import load_requests
    from .policy.impact import audit_requests, load_corpus, render_text, run

    options = _options(args)
    documents = load_corpus(list(args.corpus))
    requests = [(r, str(p)) for p in args.request for r in load_requests(p)]
    repo = repo_for(list(args.paths), options)
    if args.audit_log:
        from .custody.audit import load_key

        requests += audit_requests(args.audit_log, load_key(args.audit_key_file, args.audit_key_env, repo.root))
    failures: list = []
    session = Session.open(options)  # the working tree's policy data computes the facts
    try:
        if args.paths or not (documents or requests):
            documents += [("dataset", d.id, doc) for d, _, doc in dataset_documents(list(args.paths), options, session,
                                                                                   failures)]
        if requests:
            index, context = DatasetIndex.build(repo), session.context(repo)
            for request, origin in requests:
                label = f"{request.get('subject')} {request.get('action')} {request.get('dataset')} ({origin})"
                try:
                    documents.append(("access", label, access_input(request, index.find(str(request["dataset"])), context)))
                except GateError as exc:
                    failures.append(GateFailure(origin, str(exc)))
    finally:
        session.close()
    flips, errors = run(args.base, list(options.policy_dirs), options.builtin_policies, list(options.data_files),
                        options.engine, documents, utc_now_text(options.now))
    errors = [f.message for f in failures] + errors
    if args.format == "json":
        body = {"base": args.base, "decisions": len(documents), "flips": [f.to_json() for f in flips], "errors": errors}
        _emit(json.dumps(body, indent=2, sort_keys=True) + "\n", args.output)
    else:
        _emit(render_text(flips, len(documents), errors, args.base), args.output)
    if errors:
        return EXIT_ERROR
    return 1 if flips and args.fail_on_flip else 0


def _policy_bundle(args: argparse.Namespace) -> int:
    from .policy import bundle
    from .policy import builtin_policy_dir, load_policy_set

    options = _options(args)
    dirs = ([builtin_policy_dir()] if options.builtin_policies else []) + list(options.policy_dirs)
    if not dirs:
        raise GateError("no policies: give --policy DIR or drop --no-builtin-policies")
    policies = load_policy_set(dirs, list(options.data_files), options.bundle_key, options.bundle_key_id)
    files = bundle.contents(policies, args.revision or policies.digest)
    if args.sign_key or args.sign_env:
        from .repo import find_root
        from .custody.signing import load_signing_key

        key = load_signing_key(args.sign_key, args.sign_env, args.repo or find_root(Path.cwd()))
        files[bundle.SIGNATURES] = bundle.sign(files, key, args.key_id)
    try:
        bundle.write(args.out, files)
    except OSError as exc:
        raise GateError(f"cannot write the bundle: {exc.strerror}", str(args.out)) from None
    signed = f", signed as {args.key_id}" if bundle.SIGNATURES in files else ", unsigned"
    sys.stdout.write(f"wrote {args.out}: {len(files)} files{signed}; revision {args.revision or policies.digest}\n")
    return 0


def _policy_docs(args: argparse.Namespace) -> int:
    from .policy import builtin_policy_dir, load_policy_set
    from .policy.docs import render

    dirs = ([] if args.no_builtin_policies else [builtin_policy_dir()]) + list(args.dirs)
    if not dirs:
        raise GateError("no policies: give a DIR or drop --no-builtin-policies")
    text = render(load_policy_set(dirs))
    if args.check:
        if args.output is None:
            raise GateError("--check needs --output FILE (the committed catalogue)")
        try:
            current = args.output.read_text("utf-8")
        except OSError as exc:
            raise GateError(f"cannot read: {exc.strerror}", str(args.output)) from None
        if current != text:
            _error(f"{args.output} is stale: run `gate policy docs --output {args.output}`")
            return 1
        return 0
    _emit(text, args.output)
    return 0


def _policy_test(args: argparse.Namespace) -> int:
    from .run.session import Session

    options = _options(args)
    session = Session.open(options)
    try:
        if session.policies is None:
            raise GateError("policy test needs local policies; it does not run against opa-server")
        session.engine.coverage_enabled = bool(args.coverage or args.min_coverage is not None)
        results = session.engine.run_tests(session.policies)
        coverage = _coverage(session) if session.engine.coverage_enabled else None
    finally:
        session.close()
    if not results:
        raise GateError("no test_ rules found in *_test.rego modules")
    counts = {"pass": 0, "fail": 0, "error": 0}
    for r in results:
        counts[r.outcome] += 1
    if args.format == "json":
        body = {
            "engine": session.engine.name, "policy_digest": session.digest, "counts": counts,
            "tests": [r.__dict__ for r in results],
        }
        if coverage is not None:
            body["coverage"] = coverage
        text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    else:
        lines = []
        for r in results:
            if args.verbose or r.outcome != "pass":
                extra = f": {r.message}" if r.message else ""
                lines.append(f"{r.outcome.upper():<5} {r.file}: data.{r.package}.{r.name}{extra}")
        if coverage is not None:
            for name, entry in coverage["modules"].items():
                missed = _ranges(entry["not_covered"])
                lines.append(f"COVER {entry['percent']:5.1f}%  {name}  ({entry['covered']}/{entry['lines']})"
                             + (f"  not covered: {missed}" if missed else ""))
            lines.append(f"coverage {coverage['percent']:.1f}% ({coverage['covered']}/{coverage['lines']} lines)")
        lines.append(f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors "
                     f"(engine {session.engine.name})")
        text = "\n".join(lines) + "\n"
    _emit(text, args.output)
    if counts["error"]:
        return EXIT_ERROR
    if coverage is not None and args.min_coverage is not None and coverage["percent"] < args.min_coverage:
        _error(f"line coverage {coverage['percent']:.1f}% is below --min-coverage {args.min_coverage:g}%")
        return 1
    return 1 if counts["fail"] else 0


def _coverage(session) -> dict:
    """Line coverage of the non-test modules over the tests just run."""
    measured = session.engine.line_coverage()
    if not measured:
        raise GateError(f"the {session.engine.name} engine reported no coverage")
    modules, covered_total, lines_total = {}, 0, 0
    for module in session.policies.modules:
        if module.path.name.endswith("_test.rego"):
            continue
        covered, missed = measured.get(module.name, (set(), set()))
        total = len(covered | missed)
        modules[module.name] = {"covered": len(covered), "lines": total, "not_covered": sorted(missed),
                                "percent": round(100.0 * len(covered) / total, 1) if total else 100.0}
        covered_total += len(covered)
        lines_total += total
    percent = round(100.0 * covered_total / lines_total, 1) if lines_total else 100.0
    return {"modules": modules, "covered": covered_total, "lines": lines_total, "percent": percent}


def _ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out: list[str] = []
    for n in numbers:
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)
