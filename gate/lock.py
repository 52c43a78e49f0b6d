"""`gate manifest update|verify`: write and check dataset.lock files without asking the policy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .core import Options, discover, for_each_dataset, repo_for
from .descriptor import load_descriptor, load_manifest, render_manifest, write_atomic
from .errors import GateError
from .facts.integrity import MISMATCH, MISSING, OK, OUTSIDE, UNDECLARED, build_manifest, integrity_facts
from .verdict import DatasetVerdict, GateFailure, Verdict, Violation

_FILE_VIOLATIONS = {
    MISMATCH: ("integrity.file_mismatch", "critical", "does not match the manifest"),
    MISSING: ("integrity.file_missing", "high", "is in the manifest but missing"),
    UNDECLARED: ("integrity.file_undeclared", "high", "is not in the manifest"),
    OUTSIDE: ("integrity.path_outside_repo", "critical", "points outside the repository and was not read"),
}


@dataclass(frozen=True)
class LockUpdate:
    """The outcome of updating one lock."""

    path: str
    """Repository-relative path of the lock."""
    files: int
    """Files recorded."""
    changed: bool
    """Whether the lock's content changed."""
    dropped_signatures: int = 0
    """Signatures removed because the files they vouched for changed."""


def update_manifests(paths: list[Path], options: Options) -> tuple[list[LockUpdate], list[GateFailure]]:
    """Rewrite dataset.lock for every dataset under ``paths`` (only when its content changes)."""

    def update(descriptor, repo) -> LockUpdate:
        manifest = build_manifest(descriptor, repo)
        lock = descriptor.manifest_path
        previous = load_manifest(lock, repo) if lock.exists() else None
        dropped = 0
        if previous is not None and previous.files == manifest.files:
            manifest = previous  # unchanged files keep their signatures
        elif previous is not None:
            dropped = len(previous.signatures)  # they vouch for files that are no longer there
        text = render_manifest(manifest)
        try:
            old = lock.read_text("utf-8") if lock.exists() else None
            if old != text:
                write_atomic(lock, text)
        except OSError as exc:
            raise GateError(f"{repo.rel(descriptor.path)}: cannot write lock: {exc.strerror}") from None
        return LockUpdate(repo.rel(lock), len(manifest.files), old != text, dropped)

    return for_each_dataset(paths, options, update)


def verify_manifests(paths: list[Path], options: Options) -> Verdict:
    """Check every dataset under ``paths`` against its lock; integrity only, no policy."""
    repo = repo_for(paths, options)
    descriptors, failures = discover(paths or [repo.root], repo)
    decided = []
    for path in descriptors:
        try:
            descriptor = load_descriptor(path, repo)
            facts = integrity_facts(descriptor, repo)
        except GateError as exc:
            failures.append(GateFailure(exc.path or repo.rel(path), str(exc)))
            continue
        violations = []
        if not facts.manifest_present:
            violations.append(Violation("integrity.no_manifest", "deny", "high",
                                        f"{facts.manifest_path} does not exist", facts.manifest_path))
        for fact in facts.files:
            if fact.status == OK or (fact.status == UNDECLARED and not facts.manifest_present):
                continue
            rule, severity, text = _FILE_VIOLATIONS[fact.status]
            violations.append(Violation(rule, "deny", severity, f"{fact.path} {text}", fact.path))
        decided.append(DatasetVerdict(descriptor.id, descriptor.relpath, tuple(violations),
                                      {"integrity": facts.to_json()}))
    return Verdict("none", "none", __version__, tuple(decided), tuple(failures), kind="manifest")


def sign_manifests(paths: list[Path], options: Options, key_file: Path | None, key_env: str | None
                   ) -> tuple[list[tuple[str, str]], list[GateFailure]]:
    """Sign the lock of every dataset under ``paths``; only a lock its files match is signed."""
    from .core import utc_now_text
    from .signing import keyid_of, load_signing_key, sign_manifest, with_signature

    key = load_signing_key(key_file, key_env, repo_for(paths, options).root)

    def sign(descriptor, repo) -> tuple[str, str]:
        facts = integrity_facts(descriptor, repo)
        if facts.manifest is None:
            raise GateError(f"no {facts.manifest_path}: run `gate manifest update` first", descriptor.relpath)
        bad = [f for f in facts.files if f.status != OK]
        if bad:
            raise GateError(f"refusing to sign: {bad[0].path} is {bad[0].status.replace('_', ' ')} against the lock",
                            facts.manifest_path)
        envelope = sign_manifest(facts.manifest, key, utc_now_text(options.now))
        write_atomic(descriptor.manifest_path, render_manifest(with_signature(facts.manifest, envelope)))
        return facts.manifest_path, keyid_of(key.public_key())

    return for_each_dataset(paths, options, sign)
