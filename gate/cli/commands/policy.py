"""`gate policy lint|docs|impact|bundle|test`: work on policies."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ...errors import GateError
from ..common import audit_key_options, emit, error, options, policy_options


def add(sub) -> None:
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
    plint.set_defaults(run=run_lint)

    pdocs = policy_sub.add_parser("docs", help="a Markdown catalogue of every rule (id, title, severity, "
                                               "description, file:line, the test that shows it)")
    pdocs.add_argument("dirs", nargs="*", type=Path, metavar="DIR", help="policy directories (added to the built-in ones)")
    pdocs.add_argument("--no-builtin-policies", action="store_true", help="only the given directories")
    pdocs.add_argument("--output", type=Path, metavar="FILE")
    pdocs.add_argument("--check", action="store_true", help="exit 1 when --output differs from what would be written")
    pdocs.add_argument("--debug", action="store_true")
    pdocs.set_defaults(run=run_docs)

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
    audit_key_options(pimpact)
    pimpact.add_argument("--fail-on-flip", action="store_true", help="exit 1 when any decision changes")
    pimpact.add_argument("--format", default="text", choices=["text", "json"])
    pimpact.add_argument("--output", type=Path, metavar="FILE")
    pimpact.add_argument("--no-cache", action="store_true", help=argparse.SUPPRESS)
    policy_options(pimpact, formats=False)
    pimpact.set_defaults(run=run_impact)

    pbundle = policy_sub.add_parser("bundle", help="build an OPA bundle (optionally signed) from the policies")
    bundle_sub = pbundle.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    pbuild = bundle_sub.add_parser("build", help="write .manifest, data.json, the modules and .signatures.json")
    pbuild.add_argument("--out", type=Path, required=True, metavar="FILE", help="bundle file (.tar.gz)")
    pbuild.add_argument("--sign", type=Path, metavar="KEY", dest="sign_key",
                        help="PEM private key (ECDSA P-256 or Ed25519; mode 600, outside the repository)")
    pbuild.add_argument("--sign-env", metavar="NAME", help="environment variable holding the signing key instead")
    pbuild.add_argument("--key-id", default="gate", help="key id written in the signature (default: gate)")
    pbuild.add_argument("--revision", help="bundle revision (default: the policy digest)")
    policy_options(pbuild, formats=False)
    pbuild.set_defaults(run=run_bundle)

    ptest = policy_sub.add_parser("test", help="run the _test.rego rules, like `opa test`")
    ptest.add_argument("-v", "--verbose", action="store_true", help="list every test")
    ptest.add_argument("--coverage", action="store_true", help="report line coverage per module (tests excluded)")
    ptest.add_argument("--min-coverage", type=float, metavar="PERCENT",
                       help="fail (exit 1) when total line coverage is below PERCENT (implies --coverage)")
    policy_options(ptest)
    ptest.set_defaults(run=run_test)


def _policy_set(builtin: bool, dirs: list[Path], what: str, data_files=(), bundle_key=None, bundle_key_id=None):
    from ...policy import load_policy_set, policy_dirs

    dirs = policy_dirs(builtin, dirs)
    if not dirs:
        raise GateError(f"{what}: give a DIR or drop --no-builtin-policies")
    return load_policy_set(dirs, list(data_files), bundle_key, bundle_key_id)


def run_lint(args) -> int:
    from ...engine import installed_engines
    from ...policy.lint import lint_report, render_json, render_sarif, render_text

    policies = _policy_set(not args.no_builtin_policies, list(args.dirs) + list(args.policy), "nothing to lint")
    report = lint_report(policies, installed_engines())
    render = {"text": render_text, "json": render_json, "sarif": render_sarif}[args.format]
    emit(render(*report.body), args.output)
    return report.exit_code()


def run_docs(args) -> int:
    from ...policy.docs import render

    text = render(_policy_set(not args.no_builtin_policies, list(args.dirs), "no policies"))
    if args.check:
        if args.output is None:
            raise GateError("--check needs --output FILE (the committed catalogue)")
        try:
            current = args.output.read_text("utf-8")
        except OSError as exc:
            raise GateError(f"cannot read: {exc.strerror}", str(args.output)) from None
        if current != text:
            error(f"{args.output} is stale: run `gate policy docs --output {args.output}`")
            return 1
        return 0
    emit(text, args.output)
    return 0


def run_impact(args) -> int:
    from ...policy.impact import assess, render_text
    from ...run.session import repo_for, utc_now_text

    run_options = options(args)
    audit_key = None
    if args.audit_log:
        from ...custody.audit import load_key

        audit_key = load_key(args.audit_key_file, args.audit_key_env, repo_for(list(args.paths), run_options).root)
    report = assess(args.base, list(args.paths), list(args.corpus), list(args.request), args.audit_log, audit_key,
                    run_options, utc_now_text(run_options.now), args.fail_on_flip)
    flips, errors = report.body["flips"], report.body["errors"]
    if args.format == "json":
        body = {**report.body, "flips": [f.to_json() for f in flips]}
        emit(json.dumps(body, indent=2, sort_keys=True) + "\n", args.output)
    else:
        emit(render_text(flips, report.body["decisions"], errors, args.base), args.output)
    return report.exit_code()


def run_bundle(args) -> int:
    from ...policy.bundle import build

    run_options = options(args)
    policies = _policy_set(run_options.builtin_policies, list(run_options.policy_dirs), "no policies",
                           run_options.data_files, run_options.bundle_key, run_options.bundle_key_id)
    count, signed, revision = build(policies, args.out, args.revision, args.sign_key, args.sign_env, args.key_id,
                                    args.repo)
    how = f", signed as {args.key_id}" if signed else ", unsigned"
    sys.stdout.write(f"wrote {args.out}: {count} files{how}; revision {revision}\n")
    return 0


def run_test(args) -> int:
    from ...policy.coverage import ranges
    from ...run.policytest import run_policy_tests

    if args.format not in ("text", "json", "junit"):
        raise GateError(f"policy test writes text, json or junit, not {args.format}")
    report = run_policy_tests(options(args), args.coverage, args.min_coverage)
    engine, results, counts, coverage = (report.body[k] for k in ("engine", "results", "counts", "coverage"))
    if args.format == "junit":
        from ...report.tests import junit

        text = junit(results, engine)
    elif args.format == "json":
        body = {"engine": engine, "policy_digest": report.body["policy_digest"], "counts": counts,
                "tests": [r.__dict__ for r in results]}
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
                missed = ranges(entry["not_covered"])
                lines.append(f"COVER {entry['percent']:5.1f}%  {name}  ({entry['covered']}/{entry['lines']})"
                             + (f"  not covered: {missed}" if missed else ""))
            lines.append(f"coverage {coverage['percent']:.1f}% ({coverage['covered']}/{coverage['lines']} lines)")
        lines.append(f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors (engine {engine})")
        text = "\n".join(lines) + "\n"
    emit(text, args.output)
    for note in report.notes:
        error(note)
    return report.exit_code()
