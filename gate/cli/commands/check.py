"""`gate check`: decide datasets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ...errors import GateError
from ..common import decision_options, jobs_option, options, policy_options, render


def add(sub) -> None:
    check = sub.add_parser("check", help="decide datasets (descriptors, or directories searched for dataset.yaml)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    scope = check.add_mutually_exclusive_group()
    scope.add_argument("--changed-since", metavar="REF",
                       help="only datasets with files changed since the merge base with REF (pull requests)")
    scope.add_argument("--all", action="store_true", help="every dataset in the repository (nightly runs)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write .gate/cache/")
    check.add_argument("--ci", action="store_true",
                       help="CI mode (also when CI=true): recompute every digest, never trust a cached stat")
    decision_options(check, "save each input document (facts; PII already redacted) for `gate policy impact`")
    policy_options(check)
    jobs_option(check)
    check.set_defaults(run=run)


def run(args) -> int:
    from ..._version import __version__
    from ...run.check import check_paths
    from ...verdict import Verdict

    if args.ci:
        os.environ["GATE_CI"] = "1"
    run_options = options(args)
    paths = list(args.paths)
    base_version: dict[str, int] = {}
    base_commit = None
    if args.all or args.changed_since:
        if paths:
            raise GateError("give PATHs or --all/--changed-since, not both")
        from ...run.changes import changed_datasets
        from ...run.session import repo_for

        repo = repo_for([], run_options)
        paths, base_version, base_commit = (([repo.root], {}, None) if args.all
                                            else changed_datasets(repo.root, args.changed_since))
        if not paths:
            sys.stderr.write(f"gate: no dataset changed since {args.changed_since}\n")
            return render(Verdict("none", "none", __version__), args)
    return render(check_paths(paths, run_options, record=args.record, explain=args.explain,
                              base_version=base_version, base_commit=base_commit), args)
