"""What the pre-commit hooks run (`gate hook NAME FILE...`): map staged files to their datasets first,
so a commit that touches no dataset costs a few stat calls and no heavy import."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DESCRIPTOR = "dataset.yaml"
LOCK = "dataset.lock"


def owning_datasets(files: list[str], root: Path) -> list[Path]:
    """Directories of the nearest dataset.yaml at or above each file, inside ``root``."""
    found: dict[str, Path] = {}
    root = root.resolve()
    for name in files:
        here = Path(os.path.abspath(name)).parent
        while here == root or root in here.parents:
            if (here / DESCRIPTOR).is_file():
                found[str(here)] = here
                break
            here = here.parent
    return [found[k] for k in sorted(found)]


def _root() -> Path:
    from .repo import find_root

    return find_root(Path.cwd())


def check(files: list[str], extra: list[str]) -> int:
    """gate-check: decide only the datasets the staged files belong to."""
    datasets = owning_datasets(files, _root())
    if not datasets:
        return 0
    from .cli import main

    return main(["check", *map(str, datasets), *extra])


def manifest(files: list[str], extra: list[str]) -> int:
    """gate-manifest: fail when a dataset's files changed and its lock was not updated; --fix rewrites it."""
    fix = "--fix" in extra
    datasets = owning_datasets(files, _root())
    if not datasets:
        return 0
    from .descriptor import load_descriptor, render_manifest, write_atomic
    from .errors import GateError
    from .facts.integrity import build_manifest
    from .repo import Repo, find_root

    status = 0
    for directory in datasets:
        repo = Repo.at(find_root(directory))
        try:
            descriptor = load_descriptor(directory / DESCRIPTOR, repo)
            text = render_manifest(build_manifest(descriptor, repo))
        except GateError as exc:
            print(f"gate-manifest: error: {exc}", file=sys.stderr)
            return 2
        lock = directory / LOCK
        current = lock.read_text("utf-8") if lock.exists() else None
        if current == text:
            continue
        shown = repo.rel(lock)
        if fix:
            write_atomic(lock, text)
            print(f"gate-manifest: rewrote {shown}; stage it and commit again")
        else:
            print(f"gate-manifest: {shown} is stale: data files changed; run `gate manifest update "
                  f"{repo.rel(directory)}` (or use the hook's --fix)")
        status = 1
    return status


def pii(files: list[str], extra: list[str]) -> int:
    """gate-pii: scan only the staged data files; types their dataset allows pass, secrets never do."""
    root = _root()
    data = [f for f in files if Path(f).name not in (DESCRIPTOR, LOCK, ".gate.yaml") and not Path(f).name.startswith(".")]
    if not data:
        return 0
    from .descriptor import load_descriptor
    from .errors import GateError
    from .facts.pii import scan_paths
    from .facts.pii.baseline import apply_baseline, load_baseline
    from .facts.pii.redact import load_key
    from .pii import default_baseline
    from .repo import Repo, find_root

    repo = Repo.at(find_root(Path(data[0])))
    allowed: dict[str, set[str]] = {}
    items = []
    for name in data:
        path = Path(name)
        if not repo.contains(path):
            print(f"gate-pii: error: {repo.rel(path)} points outside the repository", file=sys.stderr)
            return 2
        owners = owning_datasets([name], root)
        kinds: set[str] = set()
        if owners:
            try:
                kinds = set(load_descriptor(owners[0] / DESCRIPTOR, repo).pii_allowed)
            except GateError as exc:
                print(f"gate-pii: error: {exc}", file=sys.stderr)
                return 2
        allowed[repo.rel(path)] = kinds
        items.append((path, repo.rel(path), None))
    baseline = default_baseline(repo)
    result = scan_paths(items, load_key(repo.root, create=False), 0.5)
    apply_baseline(result, load_baseline(baseline))
    status = 0
    for error in result.errors:
        print(f"gate-pii: error: {error['message']}", file=sys.stderr)
        status = 2
    for finding in result.findings:
        if finding.type != "SECRET" and finding.type in allowed.get(finding.file, set()):
            continue
        where = f"{finding.file}:{finding.row}" + (f" [{finding.column}]" if finding.column else "")
        print(f"gate-pii: {finding.type} {finding.preview} ({finding.confidence:.2f}) at {where}; "
              f"not allowed by its dataset")
        status = max(status, 1)
    return status


HOOKS = {"check": check, "manifest": manifest, "pii": pii}


def run(name: str, argv: list[str]) -> int:
    """Split hook arguments (options first, then the staged files pre-commit passes) and run the hook."""
    extra = [a for a in argv if a.startswith("-")]
    files = [a for a in argv if not a.startswith("-")]
    return HOOKS[name](files, extra)
