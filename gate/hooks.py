"""What the pre-commit hooks run (`gate hook NAME [OPTIONS] FILE...`): map staged files to their datasets
first, so a commit that touches no dataset costs a few stat calls and no heavy import.

pre-commit passes the hook's options, then the staged files. An argument is an option only when it is
one the hook knows (with its value); everything else is a file, whatever it starts with; a file whose
name is also an option of the hook is refused rather than guessed at."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import GateError

DESCRIPTOR = "dataset.yaml"
LOCK = "dataset.lock"
_CHECK_VALUES = frozenset({"--policy", "--data", "--engine", "--opa-url", "--opa-token-file", "--ca-bundle", "--timeout",
                           "--bundle-key", "--bundle-key-env", "--bundle-key-id", "--now", "--repo", "--format",
                           "--output", "--fail-on", "--report", "--audit-log", "--audit-key-file", "--audit-key-env",
                           "--record"})
_CHECK_FLAGS = frozenset({"--no-builtin-policies", "--no-cache", "--ci", "--explain", "--debug"})
OPTIONS = {"check": (_CHECK_VALUES, _CHECK_FLAGS), "manifest": (frozenset(), frozenset({"--fix"})),
           "pii": (frozenset({"--policy", "--data", "--engine"}), frozenset({"--no-builtin-policies"}))}


class HookUsageError(GateError):
    """The hook's arguments cannot be read unambiguously (cli.main prints it: exit 2)."""


def split_arguments(name: str, argv: list[str]) -> tuple[list[str], list[str]]:
    """(options, files) of a hook's arguments (see the module)."""
    values, flags = OPTIONS[name]
    options: list[str] = []
    files: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            files.extend(argv[index + 1:])
            break
        option = arg.split("=", 1)[0]
        if option in values or option in flags:
            if os.path.lexists(arg):
                raise HookUsageError(f"{arg!r} is both an option of the hook and a file; rename the file")
            options.append(arg)
            if option in values and "=" not in arg:
                if index + 1 >= len(argv):
                    raise HookUsageError(f"{arg} needs a value")
                options.append(argv[index + 1])
                index += 1
        else:
            files.append(arg)
        index += 1
    return options, files


def owning_datasets(files: list[str], root: Path) -> list[Path]:
    """Directories of the nearest dataset.yaml at or above each file, as the one walker sees them."""
    from .repo import Repo

    repo = Repo.at(root)
    found = {repo.owning_dataset(Path(os.path.abspath(name))) for name in files}
    return sorted(d for d in found if d is not None)


def _root() -> Path:
    from .repo import find_root

    return find_root(Path.cwd())


def check(files: list[str], extra: list[str], run_check) -> int:
    """gate-check: decide only the datasets the staged files belong to, through ``run_check`` (the
    command line's `gate check`, given by it: the hooks never import the command line)."""
    datasets = owning_datasets(files, _root())
    if not datasets:
        return 0
    return run_check(["check", *extra, "--", *map(str, datasets)])


def manifest(files: list[str], extra: list[str]) -> int:
    """gate-manifest: fail when a dataset's files changed and its lock was not updated; --fix rewrites it
    through the one lock update (signatures stay while the files are unchanged)."""
    fix = "--fix" in extra
    root = _root()
    datasets = owning_datasets(files, root)
    if not datasets:
        return 0
    from .model.descriptor import load_descriptor
    from .facts.view import build_view
    from .run.lock import locked, write_lock
    from .repo import Repo

    repo = Repo.at(root)
    status = 0
    for directory in datasets:
        view = build_view(load_descriptor(directory / DESCRIPTOR, repo), repo)
        wanted = locked(view)  # a GateError is the command line's to show (one line, exit 2)
        if view.manifest is not None and wanted is view.manifest:
            continue
        shown = view.lock_path
        if fix:
            write_lock(view, wanted)
            print(f"gate-manifest: rewrote {shown}; stage it and commit again"
                  + ("; re-sign it (`gate manifest sign`)" if view.manifest and view.manifest.signatures else ""))
        else:
            print(f"gate-manifest: {shown} is stale: data files changed; run `gate manifest update "
                  f"{repo.rel(directory)}` (or use the hook's --fix)")
        status = 1
    return status


def pii(files: list[str], extra: list[str]) -> int:
    """gate-pii: scan the staged data files through the one reader (a dataset's file as its dataset
    declares it) and decide with the policy's PII rules (pii.rego: pii.allowed, secrets, the
    org.pii.min_confidence threshold), per dataset; files in no dataset are judged as a dataset that
    allows nothing and documents nothing."""
    root = _root()
    data = list(files)
    if not data:
        return 0
    from .run.session import PII_RULES, Session
    from .model.descriptor import load_descriptor
    from .facts.collect import pii_by_type
    from .facts.pii import scan_paths
    from .facts.pii.baseline import apply_baseline, load_baseline
    from .facts.pii.marks import load_key
    from .facts.pii.redact import Redactor
    from .facts.view import escape_name
    from .pii import default_baseline
    from .repo import Repo

    repo = Repo.at(root)
    groups: dict[Path | None, list[str]] = {}
    items = []
    descriptors: dict[Path, object] = {}
    for name in data:
        path = Path(os.path.abspath(name))
        if not repo.contains(path):
            raise GateError("points outside the repository", repo.rel(path))
        owner = repo.owning_dataset(path)
        declared = None
        if owner is not None:
            if owner not in descriptors:
                descriptors[owner] = load_descriptor(owner / DESCRIPTOR, repo)
            declared = descriptors[owner].schema.format
        # skipped only for what they are, never for their names: the dataset's own descriptor and lock (the
        # check hook scans the descriptor's strings), the repository's .gate.yaml, and real age ciphertext
        # (its facts are bound in the lock when it is sealed)
        if owner is not None and path in (owner / DESCRIPTOR, owner / LOCK) or path == repo.root / ".gate.yaml":
            continue
        if path.name.endswith(".age") and _is_age(path):
            continue
        groups.setdefault(owner, []).append(repo.rel(path))
        items.append((path, repo.rel(path), declared))
    result = scan_paths(items, load_key(create=False), 0.0)  # every finding: the policy holds the threshold
    apply_baseline(result, load_baseline(default_baseline(repo)))
    redactor = Redactor()
    status = 0
    for error in result.errors:
        print(f"gate-pii: error: {escape_name(redactor.text(error['message']))}", file=sys.stderr)
        status = 2
    session = Session.open(_policy_options(extra, root))
    try:
        for owner, shown in groups.items():
            inside = set(shown)
            findings = [f for f in result.findings if f.file in inside]
            skipped = [r.file for r in result.files if r.skipped and r.file in inside]
            if owner is not None:
                descriptor = descriptors[owner]
                dataset = redactor.document({**descriptor.document, "path": descriptor.relpath})
            else:
                dataset = {"id": "(files in no dataset)", "path": None, "pii": {"allowed": []}}
            facts = {"pii": {"by_type": pii_by_type(findings), "unscanned": skipped}}
            for violation in session.rule_violations(PII_RULES, {"dataset": dataset, "facts": facts}):
                level = violation["level"]
                print(f"gate-pii: {level} {violation['id']}: {escape_name(redactor.text(violation['message']))}")
                if level == "error":
                    status = 2
                elif level == "deny":
                    status = max(status, 1)
                for finding in (f for f in findings if f.type == violation.get("pii_type")):
                    where = f"{finding.file}:{finding.row}" + (f" [{finding.column}]" if finding.column else "")
                    print(f"gate-pii:   {finding.type} {finding.preview} ({finding.confidence:.2f}) at "
                          f"{escape_name(redactor.text(where))}")
    finally:
        session.close()
    return status


def _is_age(path: Path) -> bool:
    """Whether the file is age ciphertext (its header), whatever it is called."""
    from .data.formats import AGE_MAGIC

    import stat

    try:
        if not stat.S_ISREG(os.stat(path, follow_symlinks=False).st_mode):
            return False  # not opened here: the scan refuses what is not a regular file
        with open(path, "rb") as handle:
            return handle.read(len(AGE_MAGIC)) == AGE_MAGIC
    except OSError:
        return False


def _policy_options(extra: list[str], root: Path):
    """The policies the PII hook decides with (the check hook's own options: --policy, --data, --engine,
    --no-builtin-policies)."""
    import argparse

    from .run.session import Options

    parser = argparse.ArgumentParser(prog="gate hook pii", add_help=False)
    parser.add_argument("--policy", action="append", type=Path, default=[])
    parser.add_argument("--data", action="append", type=Path, default=[])
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--no-builtin-policies", action="store_true")
    args, unknown = parser.parse_known_args(extra)
    if unknown:
        raise GateError(f"hook pii: unknown option {unknown[0]!r}")
    return Options(policy_dirs=tuple(args.policy), data_files=tuple(args.data), engine=args.engine,
                   builtin_policies=not args.no_builtin_policies, repo_root=root)


HOOKS = {"check": check, "manifest": manifest, "pii": pii}


def run(name: str, argv: list[str], run_check) -> int:
    """Split hook arguments (options first, then the staged files pre-commit passes) and run the hook;
    ``run_check`` runs `gate check` with arguments (the check hook's decision is the check's)."""
    try:
        extra, files = split_arguments(name, argv)
    except HookUsageError as exc:
        raise HookUsageError(f"hook {name}: {exc.message}") from None
    if name == "check":
        return check(files, extra, run_check)
    return HOOKS[name](files, extra)
