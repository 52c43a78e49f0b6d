"""What the pre-commit hooks run (`gate hook NAME [OPTIONS] FILE...`): map staged files to their datasets
first, so a commit that touches no dataset costs a few stat calls and no heavy import.

pre-commit passes the hook's options, then the staged files. An argument is an option only when it is
one the hook knows (with its value); everything else is a file, whatever it starts with; a file whose
name is also an option of the hook is refused rather than guessed at."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DESCRIPTOR = "dataset.yaml"
LOCK = "dataset.lock"
_CHECK_VALUES = frozenset({"--policy", "--data", "--engine", "--opa-url", "--opa-token-file", "--ca-bundle", "--timeout",
                           "--bundle-key", "--bundle-key-env", "--bundle-key-id", "--now", "--repo", "--format",
                           "--output", "--fail-on", "--report", "--audit-log", "--audit-key-file", "--audit-key-env",
                           "--record"})
_CHECK_FLAGS = frozenset({"--no-builtin-policies", "--no-cache", "--ci", "--explain", "--debug"})
OPTIONS = {"check": (_CHECK_VALUES, _CHECK_FLAGS), "manifest": (frozenset(), frozenset({"--fix"})),
           "pii": (frozenset(), frozenset())}


class HookUsageError(Exception):
    """The hook's arguments cannot be read unambiguously."""


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
    from .descriptor import load_descriptor
    from .errors import GateError
    from .facts.view import build_view
    from .lock import locked, write_lock
    from .repo import Repo

    repo = Repo.at(root)
    status = 0
    for directory in datasets:
        try:
            view = build_view(load_descriptor(directory / DESCRIPTOR, repo), repo)
            wanted = locked(view)
        except GateError as exc:
            print(f"gate-manifest: error: {exc}", file=sys.stderr)
            return 2
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
    declares it); types their dataset allows pass, secrets never do."""
    root = _root()
    data = [f for f in files if Path(f).name not in (DESCRIPTOR, LOCK, ".gate.yaml")]
    if not data:
        return 0
    from .descriptor import load_descriptor
    from .errors import GateError
    from .facts.pii import scan_paths
    from .facts.pii.baseline import apply_baseline, load_baseline
    from .facts.pii.marks import load_key
    from .pii import default_baseline
    from .repo import Repo

    repo = Repo.at(root)
    allowed: dict[str, set[str]] = {}
    items = []
    descriptors: dict[Path, object] = {}
    for name in data:
        path = Path(os.path.abspath(name))
        if not repo.contains(path):
            print(f"gate-pii: error: {repo.rel(path)} points outside the repository", file=sys.stderr)
            return 2
        owner = repo.owning_dataset(path)
        kinds: set[str] = set()
        declared = None
        if owner is not None:
            try:
                if owner not in descriptors:
                    descriptors[owner] = load_descriptor(owner / DESCRIPTOR, repo)
                kinds = set(descriptors[owner].pii_allowed)
                declared = descriptors[owner].schema.format
            except GateError as exc:
                print(f"gate-pii: error: {exc}", file=sys.stderr)
                return 2
        if path.name.endswith(".age"):
            continue  # ciphertext: its facts are bound in the lock when it is sealed
        allowed[repo.rel(path)] = kinds
        items.append((path, repo.rel(path), declared))
    from .facts.pii.redact import Redactor
    from .facts.view import escape_name

    baseline = default_baseline(repo)
    result = scan_paths(items, load_key(create=False), 0.5)
    apply_baseline(result, load_baseline(baseline))
    redact = Redactor().text
    status = 0
    for error in result.errors:
        print(f"gate-pii: error: {escape_name(redact(error['message']))}", file=sys.stderr)
        status = 2
    for finding in result.findings:
        if finding.type != "SECRET" and finding.type in allowed.get(finding.file, set()):
            continue
        where = f"{finding.file}:{finding.row}" + (f" [{finding.column}]" if finding.column else "")
        print(f"gate-pii: {finding.type} {finding.preview} ({finding.confidence:.2f}) at "
              f"{escape_name(redact(where))}; not allowed by its dataset")
        status = max(status, 1)
    return status


HOOKS = {"check": check, "manifest": manifest, "pii": pii}


def run(name: str, argv: list[str], run_check) -> int:
    """Split hook arguments (options first, then the staged files pre-commit passes) and run the hook;
    ``run_check`` runs `gate check` with arguments (the check hook's decision is the check's)."""
    try:
        extra, files = split_arguments(name, argv)
    except HookUsageError as exc:
        print(f"gate: error: hook {name}: {exc}", file=sys.stderr)
        return 2
    if name == "check":
        return check(files, extra, run_check)
    return HOOKS[name](files, extra)
