"""`gate seal` / `gate unseal`: dataset files encrypted at rest in the age format, recorded in the lock.

Sealing a file writes ``NAME.age`` beside it through a temporary file (fsynced), checks that the
plain bytes it read are the ones the lock records (and, with a passphrase, that the sealed file
opens back to the same plaintext), renames it into
place, rewrites the lock (the entry now names the sealed file with the sealed bytes' digest and
size, and keeps the plain digest and size under ``plain``) and only then deletes the plain file.
An interruption at any point leaves either the plain file or a verified sealed one, never half
of one; running the command again completes the job.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from . import age
from .descriptor import Descriptor, Manifest, ManifestEntry, load_manifest, render_manifest, write_atomic
from .errors import GateError
from .facts.integrity import MISMATCH, OK, SEALED_SUFFIX, UNDECLARED, hash_file, integrity_facts
from .keys import read_secret_file, secret_from_env
from .repo import Repo


class SealError(GateError):
    """A file could not be sealed or unsealed."""


class BackgroundDigest:
    """sha256 of a byte stream computed on another core (hashlib releases the GIL) while the
    caller encrypts or parses. ``update`` copies into one of a few buffers allocated once (fresh
    allocations per block cost page faults that dominate on a VM) and returns at once; the caller
    may reuse its buffer. Memory stays flat: ``slots`` x ``size`` bytes."""

    def __init__(self, slots: int = 4, size: int = 2 << 20) -> None:
        self._hash = hashlib.sha256()
        self.size = 0
        self._slot = size
        self._free: queue.Queue = queue.Queue()
        for _ in range(slots):
            self._free.put(bytearray(size))
        self._work: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            buffer, count = item
            self._hash.update(memoryview(buffer)[:count])
            self.size += count
            self._free.put(buffer)

    def update(self, data) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), self._slot):
            piece = view[start:start + self._slot]
            buffer = self._free.get()
            memoryview(buffer)[:len(piece)] = piece
            self._work.put((buffer, len(piece)))

    def hexdigest(self) -> str:
        """Wait for the queued bytes and return the digest."""
        self._work.put(None)
        self._thread.join()
        return self._hash.hexdigest()


@dataclass(frozen=True)
class SealResult:
    """What sealing or unsealing did to one dataset."""

    dataset: str
    path: str
    files: tuple[str, ...]
    dropped_signatures: int = 0


def recipients_from(args_recipients: list[str], recipients_file: Path | None,
                    passphrase_env: str | None, work_factor: int = age.SCRYPT_LOG_N) -> list:
    """Who to seal to: age1 public keys (given or from a file) or a passphrase from a variable."""
    out: list = []
    for text in args_recipients or ():
        out.append(age.X25519Recipient.parse(text))
    if recipients_file is not None:
        try:
            text = Path(recipients_file).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SealError(f"cannot read the recipients file: {getattr(exc, 'strerror', None) or 'not UTF-8'}",
                            str(recipients_file)) from None
        try:
            out.extend(age.parse_recipients(text))
        except age.AgeError as exc:
            raise SealError(exc.message, str(recipients_file)) from None
    if passphrase_env:
        if out:
            raise SealError("a passphrase cannot be combined with recipients (age allows one scrypt stanza only)")
        out.append(age.ScryptRecipient(secret_from_env(passphrase_env, "passphrase", SealError), work_factor))
    if not out:
        raise SealError("nothing to seal to: give --recipient age1..., --recipients-file FILE or --passphrase-env NAME")
    return out


def identities_from(identity_file: Path | None, passphrase_env: str | None, repo_root: Path | None) -> list:
    """Keys to open sealed files: an age identity file (mode 600, outside the repository) or a passphrase."""
    out: list = []
    if identity_file is not None:
        data = read_secret_file(Path(identity_file), "age identity file", repo_root, SealError)
        try:
            out.extend(age.parse_identities(data.decode("utf-8")))
        except UnicodeDecodeError:
            raise SealError("the identity file is not UTF-8 text", str(identity_file)) from None
        except age.AgeError as exc:
            raise SealError(exc.message, str(identity_file)) from None
    if passphrase_env:
        out.append(age.ScryptIdentity(secret_from_env(passphrase_env, "passphrase", SealError)))
    return out


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _written_atomically(target: Path, shown: str, verb: str):
    """A temporary file beside ``target`` (written, fsynced and checked by the caller) that
    replaces ``target`` only when the block ends without error; it never outlives a failure."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, tmp
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except age.AgeError as exc:
        raise SealError(exc.message, shown) from None
    except OSError as exc:
        raise SealError(f"cannot {verb}: {exc.strerror}", shown) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def decrypt_digest(source: Path, writer, identities: list) -> tuple[str, int]:
    """Decrypt ``source`` into ``writer`` (None: nowhere), hashing the plaintext on the other core;
    returns its sha256 and size. Raises AgeError (NoKeyError for the wrong key)."""
    digest = BackgroundDigest()
    with open(source, "rb", buffering=0) as reader:
        age.decrypt_stream(reader, writer, identities, on_plain=digest.update)
    return digest.hexdigest(), digest.size


def seal_file(source: Path, target: Path, entry: ManifestEntry, recipients: list, shown: str,
              verify_with: list | None = None) -> ManifestEntry:
    """Seal one file into ``target`` atomically; returns the lock entry for the sealed file."""
    with _written_atomically(target, shown, "seal") as (handle, tmp):
        plain, sealed = BackgroundDigest(), BackgroundDigest()
        with open(source, "rb", buffering=0) as reader:
            age.encrypt_stream(reader, handle, recipients, on_plain=plain.update, on_sealed=sealed.update)
        handle.flush()
        os.fsync(handle.fileno())
        plain_sha, sealed_sha = plain.hexdigest(), sealed.hexdigest()
        if plain_sha != entry.sha256 or plain.size != entry.size:
            raise SealError("the file changed while it was sealed (it no longer matches the lock); nothing sealed", shown)
        if verify_with and decrypt_digest(tmp, None, verify_with)[0] != entry.sha256:
            raise SealError("the sealed file does not open to the same bytes; nothing sealed", shown)
    return ManifestEntry(entry.path + SEALED_SUFFIX, sealed_sha, sealed.size, entry.sha256, entry.size)


def _plain_name(path: str) -> str:
    return path[: -len(SEALED_SUFFIX)] if path.endswith(SEALED_SUFFIX) else path


def seal_dataset(descriptor: Descriptor, repo: Repo, recipients: list, verify_with: list | None = None) -> SealResult:
    """Seal every plain file of a dataset whose bytes match its lock; resumes an interrupted run."""
    if not descriptor.manifest_path.exists():
        raise SealError(f"no {descriptor.manifest_path.name}: run `gate manifest update` before sealing",
                        descriptor.relpath)
    manifest = load_manifest(descriptor.manifest_path, repo)
    # sizes only: each plain file's digest is checked against the lock while it is sealed, before
    # anything is renamed or deleted
    facts = integrity_facts(descriptor, repo, contents=False)
    recorded = manifest.by_path()
    leftovers: list[Path] = []  # plain files already sealed by an interrupted run
    for fact in facts.files:
        if fact.status == OK:
            continue
        if fact.status == UNDECLARED and fact.path.endswith(SEALED_SUFFIX) and _plain_name(fact.path) in recorded:
            continue  # a sealed copy renamed into place before the lock was written: sealed again below
        sealed_twin = recorded.get(fact.path + SEALED_SUFFIX)
        if fact.status == UNDECLARED and sealed_twin and sealed_twin.plain_sha256 == \
                hash_file(repo.root / fact.path, fact.path).sha256:
            leftovers.append(repo.root / fact.path)
            continue
        why = "does not match the lock" if fact.status == MISMATCH else f"is {fact.status.replace('_', ' ')}"
        raise SealError(f"refusing to seal: {fact.path} {why}; review it and run `gate manifest update`",
                        descriptor.relpath)
    entries, sealed_now = [], []
    for entry in manifest.files:
        if entry.sealed:
            entries.append(entry)
            continue
        source = repo.root / entry.path
        entries.append(seal_file(source, source.with_name(source.name + SEALED_SUFFIX), entry, recipients,
                                 entry.path, verify_with))
        sealed_now.append(entry.path)
    dropped = 0
    if sealed_now:
        dropped = len(manifest.signatures)
        write_atomic(descriptor.manifest_path, render_manifest(Manifest(manifest.dataset, tuple(entries))))
    for path in [repo.root / p for p in sealed_now] + leftovers:
        path.unlink()
    return SealResult(descriptor.id, descriptor.relpath, tuple(sealed_now + [repo.rel(p) for p in leftovers]), dropped)


def unseal_dataset(descriptor: Descriptor, repo: Repo, identities: list, out_dir: Path, session) -> SealResult:
    """Open every sealed file of a dataset into ``out_dir`` (repository-relative paths) after the
    files verify against the lock and the policy accepts the lock's custody (a required signature
    by a trusted signer, no invalid one); each plaintext is checked against the lock's plain digest;
    nothing partial is left."""
    from .loader import verify_custody

    if not identities:
        raise SealError("no key to unseal with: give --identity FILE or --passphrase-env NAME")
    done = []
    # sizes only up front: every plaintext is hashed as it is written and checked against the lock's
    # plain digest (which the signature covers) before it is renamed into place
    for entry in verify_custody(descriptor, repo, session, contents=False):
        if not entry.sealed:
            continue
        target = out_dir / _plain_name(entry.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        open_sealed_to(repo.root / entry.path, target, entry, identities, entry.path)
        done.append(entry.path)
    return SealResult(descriptor.id, descriptor.relpath, tuple(done))


def open_sealed_to(source: Path, target: Path, entry: ManifestEntry, identities: list, shown: str) -> None:
    """Decrypt ``source`` into ``target`` via a temporary file; kept only when the plaintext's
    digest and size are the lock's."""
    with _written_atomically(target, shown, "unseal") as (handle, _):
        digest = decrypt_digest(source, handle, identities)
        handle.flush()
        os.fsync(handle.fileno())
        if digest != (entry.plain_sha256, entry.plain_size):
            raise SealError("the opened plaintext does not match the lock's plain digest (a file sealed "
                            "for another dataset or version); not written", shown)