"""`gate seal` and `gate unseal`: every dataset under the paths, through the one lock update."""

from __future__ import annotations

from pathlib import Path

from ..verdict import Report
from .datasets import for_each_dataset
from .session import Options, Session, repo_for


def seal_paths(paths: list[Path], options: Options, recipient: list[str], recipients_file: list[Path],
               passphrase_env: str | None, work_factor: int) -> Report:
    """Seal the data files of every dataset under ``paths`` (``body``: [SealResult]); exit 2 on any
    failure (in ``notes``). With a passphrase each sealed file is opened again and compared before the
    plain one goes; the facts bound in the lock are computed with the policy data's fingerprint key and
    signers (``options``)."""
    from ..custody import sealing
    from ..errors import GateError

    if not 10 <= work_factor <= 22:
        raise GateError("--work-factor must be between 10 and 22")
    plain = Options(repo_root=options.repo_root)
    repo = repo_for(paths, plain)
    recipients = sealing.recipients_from(recipient, recipients_file, passphrase_env, work_factor)
    verify = sealing.identities_from(None, passphrase_env, None) if passphrase_env else None
    session = Session.open(options)
    try:
        settings = session.settings(repo_root=repo.root)
    finally:
        session.close()
    results, failures = for_each_dataset(paths, plain, lambda d, r: sealing.seal_dataset(d, r, recipients, verify,
                                                                                        settings))
    return Report(results, errors=len(failures), notes=tuple(f.message for f in failures))


def unseal_paths(paths: list[Path], options: Options, out: Path | None, identity: list[Path] | None,
                 passphrase_env: str | None, force: bool = False) -> Report:
    """Decrypt every dataset under ``paths`` into ``out`` (``body``: (the directory, [UnsealResult]));
    exit 2 on any failure (in ``notes``)."""
    from ..custody import sealing

    repo = repo_for(paths, options)
    directory = sealing.unseal_directory(out, repo)
    identities = sealing.identities_from(identity, passphrase_env, repo.root)
    session = Session.open(options)
    try:
        results, failures = for_each_dataset(paths, options, lambda d, r: sealing.unseal_dataset(
            d, r, identities, directory, session, force=force))
    finally:
        session.close()
    return Report((directory, results), errors=len(failures), notes=tuple(f.message for f in failures))
