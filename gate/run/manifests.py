"""`gate manifest update|verify|sign`: the lock commands, each over every dataset under the paths.

``update`` and ``sign`` write through the one lock update (gate.run.lock). ``verify`` decides with the
policy's own integrity rules (gate.rules.dataset.integrity) on the integrity facts `gate check`
computes, so its rule ids, severities and messages are the check's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._version import __version__
from .session import INTEGRITY_RULES, Options, Session, repo_for
from .datasets import discover, for_each_dataset
from ..model.descriptor import load_descriptor
from ..errors import GateError
from ..facts.integrity import file_status
from ..facts.view import OK, PENDING, build_view, escape_name
from .lock import _digest, incoherent, locked, next_version, write_lock
from ..verdict import DatasetVerdict, GateFailure, Report, Verdict, Violation


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
    """Signatures removed because the files they vouch for changed."""


def update_manifests(paths: list[Path], options: Options) -> tuple[list[LockUpdate], list[GateFailure]]:
    """Rewrite dataset.lock for every dataset under ``paths`` (only when its content changes)."""

    def update(descriptor, repo) -> LockUpdate:
        view = build_view(descriptor, repo)
        manifest = locked(view)
        dropped = len(view.manifest.signatures) if view.manifest is not None and manifest is not view.manifest else 0
        changed = write_lock(view, manifest)
        return LockUpdate(view.lock_path, len(manifest.files), changed, dropped)

    return for_each_dataset(paths, options, update)


def update_report(paths: list[Path], options: Options) -> Report:
    """`gate manifest update`: ``body`` {updated: [LockUpdate], errors: [GateFailure]}; exit 2 on any failure."""
    updates, failures = update_manifests(paths, options)
    return Report({"updated": updates, "errors": failures}, errors=len(failures))


def verify_manifests(paths: list[Path], options: Options) -> Verdict:
    """Check every dataset under ``paths`` against its lock: the integrity facts, judged by the policy's
    integrity rules (nothing else: no PII, poisoning or trust decision)."""
    from ..facts.integrity import integrity_json

    repo = repo_for(paths, options)
    descriptors, failures = discover(paths or [repo.root], repo)
    session = Session.open(options)
    try:
        decided = []
        for path in descriptors:
            try:
                descriptor = load_descriptor(path, repo)
                view = build_view(descriptor, repo)
                facts = {"integrity": integrity_json(view, {f.path: _digest(f) for f in view.pending()})}
                document = {"dataset": {**descriptor.document, "path": descriptor.relpath}, "facts": facts}
                found = session.rule_violations(INTEGRITY_RULES, document)
            except GateError as exc:
                failures.append(GateFailure(exc.path or repo.rel(path), str(exc)))
                continue
            violations = tuple(Violation(v["id"], v["level"], v["severity"], v["message"],
                                         v.get("file") or descriptor.relpath) for v in found)
            decided.append(DatasetVerdict(descriptor.id, descriptor.relpath, violations,
                                          {"integrity": {"files": len(view.files)}}))
        return Verdict(session.engine.name, session.digest, __version__, tuple(decided), tuple(failures),
                       kind="manifest", now=None)
    finally:
        session.close()


def sign_manifests(paths: list[Path], options: Options, key_file: Path | None, key_env: str | None,
                   identities: list | None = None, settings=None) -> tuple[list[tuple[str, str, int]], list[GateFailure]]:
    """Sign the lock of every dataset under ``paths``; only a lock its files and view agree with is
    signed. Each signature binds the lock, the descriptor's bytes and a version that only grows. A
    lock with sealed files is signed only with ``identities`` to open them: the facts bound to their
    plaintext are computed by the signer (with ``settings``), never taken from the lock."""
    from .session import utc_now_text
    from ..custody.sealing import bind_facts
    from ..custody.signing import keyid_of, load_signing_key, sign_manifest, with_signature

    key = load_signing_key(key_file, key_env, repo_for(paths, options).root)

    def sign(descriptor, repo) -> tuple[str, str, int]:
        view = build_view(descriptor, repo)
        if view.manifest is None:
            raise GateError(f"no {view.lock_path}: run `gate manifest update` first", descriptor.relpath)
        problem = incoherent(view)
        if problem:
            raise GateError(f"refusing to sign: {problem}", view.lock_path)
        for file in view.files:
            status = file_status(file, _digest(file) if file.status == PENDING else None)
            if status != OK:
                raise GateError(f"refusing to sign: {escape_name(file.path)} is {status.replace('_', ' ')} against "
                                "the lock", view.lock_path)
        manifest = view.manifest
        if any(e.sealed or e.path.endswith(".age") for e in manifest.files):
            if not identities:
                raise GateError("the lock holds sealed files: give -i IDENTITY (or --passphrase-env NAME) so the "
                                "facts bound to their plaintext are computed by the signer, who vouches for them",
                                view.lock_path)
            rebound = bind_facts(view, identities, settings)
            if rebound.body() != manifest.body():
                manifest = rebound.replace(signatures=())  # other signers vouched for the facts that were there
        version = next_version(view)
        envelope = sign_manifest(manifest, key, utc_now_text(options.now),
                                 {"path": descriptor.relpath, "sha256": descriptor.sha256}, version)
        write_lock(view, with_signature(manifest, envelope).replace(version=version))
        return view.lock_path, keyid_of(key.public_key()), version

    return for_each_dataset(paths, options, sign)


def sign_report(paths: list[Path], options: Options, key_file: Path | None, key_env: str | None,
                identity: list[Path] | None = None, passphrase_env: str | None = None,
                data_files: tuple[Path, ...] = ()) -> Report:
    """`gate manifest sign`: ``body`` {signed: [(lock, keyid, version)]}, the failures in ``notes``; exit 2
    on any failure or when nothing was signed. With identities for sealed files, the facts bound to their
    plaintext are computed with the fingerprint key and signers of the policy data (``data_files``)."""
    from ..custody.sealing import identities_from

    root = repo_for(paths, options).root
    identities = identities_from(identity, passphrase_env, root)
    settings = None
    if identities:
        session = Session.open(Options(repo_root=options.repo_root, data_files=tuple(data_files)))
        try:
            settings = session.settings(repo_root=root)
        finally:
            session.close()
    signed, failures = sign_manifests(paths, options, key_file, key_env, identities, settings)
    return Report({"signed": signed}, errors=len(failures) + int(not signed), notes=tuple(f.message for f in failures))
