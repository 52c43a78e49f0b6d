"""`gate scan pii|poisoning`: facts about data files, outside any dataset decision."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ...errors import GateError
from ..common import emit, jobs_option


def add(sub) -> None:
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
    jobs_option(pii)
    pii.set_defaults(run=run_pii)

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
    jobs_option(poison)
    poison.set_defaults(run=run_poisoning)


def run_pii(args) -> int:
    from ...pii import default_baseline, scan_report
    from ...report.scans import pii_json, pii_text
    from ...repo import Repo, find_root

    if not 0.0 <= args.min_confidence <= 1.0:
        raise GateError("--min-confidence must be between 0 and 1")
    paths = list(args.paths)
    repo = Repo.at(args.repo if args.repo else find_root(paths[0] if paths else Path.cwd()))
    baseline = None if args.no_baseline else (args.baseline or default_baseline(repo))
    report = scan_report(paths, repo, args.min_confidence, baseline, args.update_baseline, args.reviewer, args.reason)
    for note in report.notes:
        sys.stderr.write(note + "\n")
    emit(pii_json(report.body) if args.format == "json" else pii_text(report.body), args.output)
    return report.exit_code()


def run_poisoning(args) -> int:
    from ...poisoning import judge, run_scan
    from ...report.scans import poisoning_text
    from ...repo import Repo, find_root

    repo = Repo.at(args.repo if args.repo else find_root(args.path))
    features = tuple(f.strip() for f in args.features.split(",") if f.strip()) if args.features else ()
    report = judge(run_scan(args.path, repo, args.label, args.text, features, args.reference, args.all_scores),
                   tuple(args.data), repo)
    body = report.body
    emit(json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n" if args.format == "json"
         else poisoning_text(body), args.output)
    return report.exit_code()
