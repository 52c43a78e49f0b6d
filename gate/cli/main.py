"""`gate`: the parser assembled from the commands, and the one place a failure becomes a message.

Every failure is one line on standard error and exit 2 (a traceback only with --debug); a bug is
"internal error" with its class, never silence and never exit 0."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .._version import __version__
from ..errors import GateError
from .common import EXIT_ERROR, error


def build_parser() -> argparse.ArgumentParser:
    """The gate argument parser: each command module adds its own."""
    from .commands import COMMANDS

    parser = argparse.ArgumentParser(prog="gate", description="Policy-as-code gatekeeper for ML training data.")
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
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
    from .._threads import bound_process

    bound_process(getattr(args, "jobs", None))  # before numpy and scikit-learn load their thread pools
    if not args.command or not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    from .. import errors

    errors.DEBUG = bool(getattr(args, "debug", False))
    try:
        return args.run(args)
    except GateError as exc:
        if getattr(args, "debug", False):
            raise
        error(str(exc))
    except KeyboardInterrupt:
        error("interrupted")
    except Exception as exc:  # the one place a bug becomes a line, not a traceback
        if getattr(args, "debug", False):
            raise
        error(errors.internal(exc))
    return EXIT_ERROR


def _hook(argv: list[str]) -> int:
    """`gate hook check|manifest|pii [OPTIONS] FILE...`: what the pre-commit hooks run (fast path, no
    argparse tree)."""
    from ..hooks import HOOKS, run

    if not argv or argv[0] not in HOOKS:
        error(f"gate hook needs one of {', '.join(HOOKS)}")
        return EXIT_ERROR
    try:
        return run(argv[0], argv[1:], main)
    except GateError as exc:
        error(str(exc))
    except Exception as exc:
        error(f"internal error ({exc.__class__.__name__}) in hook {argv[0]}")
    return EXIT_ERROR
