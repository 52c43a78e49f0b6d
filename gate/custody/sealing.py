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
import queue
import secrets
import stat
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import age
from ..model.descriptor import Descriptor, ManifestEntry
from ..errors import GateError
from ..facts.view import SEALED_SUFFIX
from .keys import read_secret_file, secret_from_env
from ..repo import Repo


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
def _written_atomically(target: Path, shown: str, verb: str, replace: bool = False):
    """A temporary file beside ``target`` (written, fsynced and checked by the caller) that becomes
    ``target`` only when the block ends without error; it never outlives a failure. An existing
    ``target`` is never replaced unless ``replace`` (then atomically)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, tmp
        if replace:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)  # fails when the target exists: nothing is ever overwritten by accident
        _fsync_dir(target.parent)
    except FileExistsError:
        raise SealError(f"{target.name} exists: refusing to overwrite it", shown) from None
    except age.AgeError as exc:
        raise SealError(exc.message, shown) from None
    except OSError as exc:
        raise SealError(f"cannot {verb}: {exc.strerror}", shown) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def read_plaintext(entry: ManifestEntry, repo: Repo, keys: list, declared: str | None, fingerprint_key: bytes,
                   keep: bool = True):
    """Decrypt a sealed file into an anonymous in-memory file (never onto a disk) and read its plaintext
    once through the one reader, scanned: the FileRead whose facts the loader and the signer decide
    on. It must be the plaintext the lock names (IntegrityError otherwise)."""
    import io

    from ..errors import IntegrityError
    from ..facts.files import read_file
    from ..facts.pii.scanner import Scanner

    def refuse(message: str, reason: str) -> IntegrityError:
        return IntegrityError(message, entry.path, reasons=[reason])

    plain_name = _plain_name(entry.path)
    memfd = hasattr(os, "memfd_create")
    fd = os.memfd_create("gate-plain", getattr(os, "MFD_CLOEXEC", 0)) if memfd else None
    buffer = io.BytesIO() if not memfd else None
    try:
        try:
            if memfd:
                with os.fdopen(os.dup(fd), "wb", buffering=0) as writer:
                    digest = decrypt_digest(repo.root / entry.path, writer, keys)
            else:
                digest = decrypt_digest(repo.root / entry.path, buffer, keys)
        except age.AgeError as exc:
            raise refuse(exc.message, "sealing.cannot_open" if isinstance(exc, age.NoKeyError)
                         else "integrity.file_mismatch") from None
        except OSError as exc:
            raise refuse(f"cannot read ({exc.strerror})", "integrity.file_missing") from None
        if digest != (entry.plain_sha256, entry.plain_size):
            raise refuse(f"{entry.path} opens to other bytes than the lock's plain digest (a file sealed for "
                         "another dataset or version)", "integrity.file_mismatch")
        scanner = Scanner(fingerprint_key, 0.0)
        if memfd:
            read = read_file(Path(f"/proc/self/fd/{fd}"), plain_name, declared, scanner=scanner, keep=keep)
        else:
            with tempfile.NamedTemporaryFile() as spill:  # no memfd: a private temporary file
                spill.write(buffer.getvalue())
                spill.flush()
                read = read_file(Path(spill.name), plain_name, declared, scanner=scanner, keep=keep)
        if (read.sha256, read.size) != (entry.plain_sha256, entry.plain_size):
            raise refuse(f"{entry.path} changed while it was opened", "integrity.file_mismatch")
        read.path = entry.path
        if read.pii is not None:
            read.pii.file = entry.path
            read.pii.findings = [f._replace(file=entry.path) for f in read.pii.findings]
        return read
    finally:
        if fd is not None:
            os.close(fd)


def decrypt_digest(source: Path, writer, identities: list) -> tuple[str, int]:
    """Decrypt ``source`` into ``writer`` (None: nowhere), hashing the plaintext on the other core;
    returns its sha256 and size. Raises AgeError (NoKeyError for the wrong key)."""
    digest = BackgroundDigest()
    with open(source, "rb", buffering=0) as reader:
        age.decrypt_stream(reader, writer, identities, on_plain=digest.update)
    return digest.hexdigest(), digest.size


def seal_file(source: Path, target: Path, entry: ManifestEntry, recipients: list, shown: str,
              verify_with: list | None = None, replace: bool = False, plain_facts: dict | None = None,
              on_sealed=None) -> ManifestEntry:
    """Seal one file into ``target`` atomically (never over an existing file unless ``replace``);
    ``on_sealed(sha256)`` runs before the sealed file takes its name. Returns its lock entry, which
    binds ``plain_facts`` (computed over the same plaintext) to the plaintext digest."""
    with _written_atomically(target, shown, "seal", replace) as (handle, tmp):
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
        if on_sealed is not None:
            on_sealed(sealed_sha)
    return ManifestEntry(entry.path + SEALED_SUFFIX, sealed_sha, sealed.size, entry.sha256, entry.size, plain_facts)


def _plain_name(path: str) -> str:
    return path[: -len(SEALED_SUFFIX)] if path.endswith(SEALED_SUFFIX) else path


class Journal:
    """What an interrupted `gate seal` left: the sealed files it had renamed into place (by digest).
    It lives in the user's state directory (~/.local/state/gate/seal-journal/, per repository), never
    in the repository, where anyone could plant one. A run finds there which existing .age files are
    its own (and may be redone, their plaintext deleted); any other .age file, and the plaintext beside
    it, is never touched."""

    def __init__(self, repo: Repo, dataset: str):
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
        where = hashlib.sha256(str(repo.root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        self.path = Path(base) / "gate" / "seal-journal" / where / f"{dataset}.json"
        self.entries: dict[str, str] = {}
        try:
            import json

            value = json.loads(self.path.read_text("utf-8"))
            if isinstance(value, dict):
                self.entries = {str(k): str(v) for k, v in value.items()}
        except (OSError, ValueError):
            pass

    def ours(self, path: str, sha256: str | None) -> bool:
        """Whether ``path`` with these bytes was written by an earlier run."""
        return sha256 is not None and self.entries.get(path) == sha256

    def record(self, path: str, sha256: str) -> None:
        import json

        from .._fs import write_atomic

        self.entries[path] = sha256
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(self.path, json.dumps(self.entries, sort_keys=True), mode=0o600)
        except OSError as exc:
            raise SealError(f"cannot write the seal journal {self.path}: {exc.strerror}") from None

    def clear(self) -> None:
        try:
            self.path.unlink()
        except OSError:
            pass


def seal_dataset(descriptor: Descriptor, repo: Repo, recipients: list, verify_with: list | None = None,
                 settings=None) -> SealResult:
    """Seal every plain file of a dataset whose bytes match its lock. The facts of each file (PII, how
    it reads) and of the dataset (poisoning) are computed over the plaintext first and bound in the
    lock to its plaintext digest, since `gate check` cannot read a sealed file. Never overwrites an
    .age file it did not write; resumes an interrupted run (see Journal)."""
    from ..facts.collect import Settings, analyse_poisoning, file_facts_json, plain_content_key
    from ..facts.files import read_file
    from ..facts.pii.scanner import Scanner
    from ..facts.view import MISSING, PENDING, UNMATCHED, build_view
    from ..run.lock import incoherent, write_lock

    settings = settings or Settings()
    view = build_view(descriptor, repo)
    manifest = view.manifest
    if manifest is None:
        raise SealError(f"no {descriptor.manifest_path.name}: run `gate manifest update` before sealing",
                        descriptor.relpath)
    journal = Journal(repo, descriptor.id)
    recorded = manifest.by_path()
    files = view.by_path()
    leftovers: list[str] = []  # plain files an interrupted run had sealed already
    for file in view.files:
        if file.status == PENDING and file.entry is not None:
            continue
        if file.status == PENDING and file.sealed and _plain_name(file.path) in recorded:
            read = read_file(file.open_path, file.path, parse=False)
            if journal.ours(file.path, read.sha256):
                continue  # ours, renamed into place before the lock was written: sealed again below
            raise SealError(f"refusing to seal: {file.path} exists and this run did not write it; move it away",
                            descriptor.relpath)
        twin = recorded.get(file.path + SEALED_SUFFIX)
        twin_file = files.get(file.path + SEALED_SUFFIX)
        if file.status == PENDING and twin is not None and twin.sealed and twin_file is not None and \
                journal.ours(twin_file.path, read_file(twin_file.open_path, twin_file.path, parse=False).sha256) and \
                read_file(file.open_path, file.path, parse=False).sha256 == twin.plain_sha256:
            leftovers.append(file.path)  # this run's own sealed copy is in the lock: the plaintext may go
            continue
        if file.status in (MISSING, UNMATCHED) and file.entry is not None and file.entry.sealed:
            continue
        why = file.reason or file.status.replace("_", " ")
        raise SealError(f"refusing to seal: {file.path}: {why}; review it and run `gate manifest update`",
                        descriptor.relpath)
    problem = incoherent(view)
    if problem and not leftovers:
        raise SealError(f"refusing to seal: {problem}", descriptor.relpath)

    todo = [e for e in manifest.files if not e.sealed]
    scanner = Scanner(settings.fingerprint_key, 0.0)
    reads = {}
    for entry in todo:
        if entry.path + SEALED_SUFFIX in recorded:
            raise SealError(f"refusing to seal: the lock lists {entry.path} both plain and sealed", descriptor.relpath)
        read = read_file(repo.root / entry.path, entry.path, descriptor.schema.format, scanner=scanner, keep=True)
        if (read.sha256, read.size) != (entry.sha256, entry.size):
            raise SealError(f"refusing to seal: {entry.path} does not match the lock; review it and run "
                            "`gate manifest update`", descriptor.relpath)
        reads[entry.path] = read
    entries, sealed_now = [], []
    for entry in manifest.files:
        if entry.sealed:
            entries.append(entry)
            continue
        source = repo.root / entry.path
        target = source.with_name(source.name + SEALED_SUFFIX)
        existing = files.get(entry.path + SEALED_SUFFIX)
        ours = existing is not None and journal.ours(existing.path, read_file(existing.open_path, existing.path,
                                                                             parse=False).sha256)
        if (existing is not None or os.path.lexists(target)) and not ours:
            raise SealError(f"refusing to seal: {repo.rel(target)} exists; refusing to overwrite it",
                            descriptor.relpath)
        entries.append(seal_file(source, target, entry, recipients, entry.path, verify_with, replace=ours,
                                 plain_facts=file_facts_json(reads[entry.path]),
                                 on_sealed=lambda sha, p=entry.path + SEALED_SUFFIX: journal.record(p, sha)))
        sealed_now.append(entry.path)
    dropped = 0
    if sealed_now:
        dropped = len(manifest.signatures)
        new = manifest.replace(files=tuple(sorted(entries, key=lambda e: e.path)), signatures=(), facts=None)
        bound = None
        if descriptor.schema.label:
            plain_reads = [reads[e.path] for e in todo if reads[e.path].outcome.format in ("csv", "tsv", "parquet",
                                                                                          "jsonl")]
            if plain_reads and all(not e.sealed for e in manifest.files):
                bound = {"poisoning": analyse_poisoning(descriptor, plain_reads)}
        if bound is not None:
            new = new.replace(facts={**bound, "content": plain_content_key(new)})
        write_lock(view, new)
    for path in sealed_now + leftovers:
        (repo.root / path).unlink()
    journal.clear()
    return SealResult(descriptor.id, descriptor.relpath, tuple(sealed_now + leftovers), dropped)


def bind_facts(view, keys: list, settings) -> "Manifest":
    """The view's lock with the facts of every sealed file computed afresh over its plaintext (and the
    dataset's poisoning facts over every file), for a signer: a signature vouches for the bound facts,
    so whoever signs computes them."""
    from ..facts.collect import analyse_poisoning, file_facts_json, plain_content_key
    from ..facts.files import read_file

    descriptor, repo, manifest = view.descriptor, view.repo, view.manifest
    entries, reads = [], []
    for entry in sorted(manifest.files, key=lambda e: e.path):
        if entry.sealed:
            read = read_plaintext(entry, repo, keys, descriptor.schema.format, settings.fingerprint_key)
            entry = ManifestEntry(entry.path, entry.sha256, entry.size, entry.plain_sha256, entry.plain_size,
                                  file_facts_json(read))
        else:
            read = read_file(repo.root / entry.path, entry.path, descriptor.schema.format, keep=True)
        entries.append(entry)
        reads.append(read)
    bound = manifest.replace(files=tuple(entries), facts=None)
    tables = [r for r in reads if r.outcome is not None and r.outcome.format in ("csv", "tsv", "parquet", "jsonl")]
    if descriptor.schema.label and tables:
        bound = bound.replace(facts={"poisoning": analyse_poisoning(descriptor, tables),
                                     "content": plain_content_key(bound)})
    return bound


def unseal_dataset(descriptor: Descriptor, repo: Repo, identities: list, out_dir: Path, session,
                   force: bool = False) -> SealResult:
    """Open every sealed file of a dataset into ``out_dir`` (repository-relative paths below it) after
    the dataset policy accepts its custody (signature, sealing, integrity). Writes only inside
    ``out_dir``: no path component there may be a link, nothing is replaced unless ``force`` (then
    atomically); each plaintext is checked against the lock's plain digest before it takes its name."""
    from ..facts.collect import collect
    from ..facts.view import build_view

    if not identities:
        raise SealError("no key to unseal with: give --identity FILE or --passphrase-env NAME")
    view = build_view(descriptor, repo)
    facts = collect(view, session.settings(repo_root=repo.root))
    from ..run.session import DATASET_ENTRYPOINT
    from ..run.check import dataset_input

    decision = session.decide(DATASET_ENTRYPOINT, dataset_input(descriptor, facts.facts, session.context(repo)))
    refusals = [v for v in decision["violations"] if v.get("level") in ("deny", "error")
                and str(v.get("id", "")).startswith(("integrity.", "signature.", "sealing.", "input."))
                and v.get("id") != "sealing.plain_files"]
    if refusals:
        raise SealError("refusing to unseal: " + "; ".join(str(v.get("message")) for v in refusals),
                        descriptor.relpath)
    if view.manifest is None:
        raise SealError("no lock", descriptor.relpath)
    done = []
    root_fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for entry in sorted(view.manifest.files, key=lambda e: e.path):
            if not entry.sealed:
                continue
            parts = _plain_name(entry.path).split("/")
            if any(p in ("", ".", "..") for p in parts):
                raise SealError("a lock path that is not canonical", entry.path)
            directory = _descend(root_fd, parts[:-1], entry.path)
            try:
                _open_into(directory, parts[-1], repo.root / entry.path, entry, identities, force)
            finally:
                os.close(directory)
            done.append(entry.path)
    finally:
        os.close(root_fd)
    return SealResult(descriptor.id, descriptor.relpath, tuple(done))


def _descend(root_fd: int, parts: list[str], shown: str) -> int:
    """A descriptor of out/<parts...>, made as needed; a link anywhere on the way is refused."""
    current = os.dup(root_fd)
    try:
        for part in parts:
            try:
                os.mkdir(part, 0o700, dir_fd=current)
            except FileExistsError:
                pass
            try:
                following = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=current)
            except OSError:
                raise SealError(f"{part} in the output directory is a link or not a directory; refusing to write "
                                "through it", shown) from None
            os.close(current)
            current = following
        return current
    except BaseException:
        os.close(current)
        raise


def _open_into(directory: int, name: str, source: Path, entry: ManifestEntry, identities: list, force: bool) -> None:
    shown = entry.path
    try:
        existing = os.stat(name, dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        existing = None
    if existing is not None and not force:
        raise SealError(f"{name} exists in the output directory; refusing to replace it (give --force)", shown)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise SealError(f"{name} in the output directory is not a regular file; refusing to replace it", shown)
    temporary = f".{name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                digest = decrypt_digest(source, handle, identities)
            except age.AgeError as exc:
                raise SealError(exc.message, shown) from None
            handle.flush()
            os.fsync(handle.fileno())
        if digest != (entry.plain_sha256, entry.plain_size):
            raise SealError("the opened plaintext does not match the lock's plain digest (a file sealed for another "
                            "dataset or version); not written", shown)
        if force:
            os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
        else:
            try:
                os.link(temporary, name, src_dir_fd=directory, dst_dir_fd=directory, follow_symlinks=False)
            except FileExistsError:
                raise SealError(f"{name} appeared in the output directory; refusing to replace it", shown) from None
    except OSError as exc:
        raise SealError(f"cannot unseal: {exc.strerror}", shown) from None
    finally:
        try:
            os.unlink(temporary, dir_fd=directory)
        except FileNotFoundError:
            pass


def unseal_directory(out: Path, repo: Repo) -> Path:
    """The directory `gate unseal --out` writes into: outside the repository (plaintext there is one
    `git add` from being committed), created when missing, a directory and not a link."""
    from .keys import inside

    if inside(out, repo.root):
        raise GateError("--out lies inside the repository: plaintext there is one `git add` from being "
                        "committed; unseal outside it", str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GateError(f"cannot create the output directory: {exc.strerror}", str(out)) from None
    if out.is_symlink() or not out.is_dir():
        raise GateError("--out must be a directory (not a link)", str(out))
    return out

