"""`gate.open_dataset`: the policy-checked loader, the one door training code should use.

Order of events, each refusal audited before it is raised:
1. the access policy decides the request (subject, action, purpose); a denial raises
   AccessDenied with the policy's reasons, before any data file is opened;
2. every file the descriptor covers is hashed against the lock (missing, extra, changed or
   out-of-repository files refuse), and the lock's signatures and sealing are put to the dataset
   policy (its signature.* / sealing.* / integrity.* denials refuse) -> IntegrityError;
3. the files are parsed from a stream that is hashed again as it is read (sealed files are
   opened with the given key and their plaintext digest compared with the lock), so what is
   returned is exactly what was verified, even if a file is swapped in between.
Nothing is returned before 1-3 pass; with ``chunks=`` the last check of each file happens as its
last chunk is read (a change between the check and the read raises IntegrityError then).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Iterator

from .core import ACCESS_ENTRYPOINT, DATASET_ENTRYPOINT, Options, Session, access_input, repo_for, validate_request
from .descriptor import DESCRIPTOR_NAME, Descriptor, ManifestEntry, load_descriptor
from .errors import GateError, IntegrityError
from .facts.integrity import OK, SEALED_SUFFIX, integrity_facts, sealing_facts
from .signing import signature_facts

_CUSTODY = ("integrity.", "signature.", "sealing.")
_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
            ".ndjson": "jsonl"}


class AccessDenied(GateError):
    """The access policy refused the request; ``reasons`` are the policy's violations (id, message)."""

    def __init__(self, message: str, reasons: list[dict[str, Any]], path: str | None = None):
        super().__init__(message, path)
        self.reasons = reasons


def open_dataset(path: str | os.PathLike, *, subject: str, purpose: str, action: str = "train",
                 chunks: int | None = None, justification: str | None = None, model_id: str | None = None,
                 identity: str | os.PathLike | None = None, passphrase_env: str | None = None,
                 audit_log: str | os.PathLike | None = None, audit_key_file: str | os.PathLike | None = None,
                 audit_key_env: str | None = None, policy_dirs: tuple = (), data_files: tuple = (),
                 engine: str = "auto", repo_root: str | os.PathLike | None = None, now=None,
                 read_options: dict[str, Any] | None = None):
    """Return the dataset as a pandas DataFrame (or, with ``chunks=N``, an iterator of DataFrames of
    N rows) after the access policy allows the request and every file verifies against the lock.

    ``path`` is a dataset.yaml or its directory. Raises AccessDenied (the policy said no),
    IntegrityError (tampered, missing, extra or unverifiable files, a bad or missing required
    signature, plain files where sealing is required) or GateError (anything else); each use,
    allowed or refused, appends an audit entry to ``audit_log`` (or GATE_AUDIT_LOG, or the
    policy data's org.audit.log), which is required.
    """
    from .audit import AuditLog, load_key

    target = Path(path)
    if target.is_dir():
        target = target / DESCRIPTOR_NAME
    options = Options(policy_dirs=tuple(Path(p) for p in policy_dirs), data_files=tuple(Path(p) for p in data_files),
                      engine=engine, repo_root=Path(repo_root) if repo_root else None, now=now, cache=False)
    repo = repo_for([target], options)
    descriptor = load_descriptor(target, repo)
    session = Session.open(options)
    try:
        log_path = audit_log or os.environ.get("GATE_AUDIT_LOG") or _log_from_policy(session, repo.root)
        if not log_path:
            raise GateError("open_dataset needs an audit log: pass audit_log=, set GATE_AUDIT_LOG or "
                            "org.audit.log in the policy data")
        log = AuditLog(Path(log_path), load_key(Path(audit_key_file) if audit_key_file else None, audit_key_env,
                                                repo.root))
        return _decide_and_read(session, log, repo, descriptor, subject, purpose, action, chunks, justification,
                                model_id, identity, passphrase_env, read_options)
    finally:
        session.close()


def _decide_and_read(session, log, repo, descriptor, subject, purpose, action, chunks, justification, model_id,
                     identity, passphrase_env, read_options):
    record = {"actor": subject, "action": f"load:{action}", "dataset": descriptor.id, "purpose": purpose,
              "policy_digest": session.digest, "engine": session.engine.name}
    try:
        return _steps(session, log, repo, descriptor, record, subject, purpose, action, chunks, justification,
                      model_id, identity, passphrase_env, read_options)
    except (AccessDenied, IntegrityError):
        raise  # audited where raised
    except GateError as exc:
        log.append([{**record, "decision": "error", "allow": False, "reasons": ["error"],
                     "error": exc.__class__.__name__}])
        raise


def _steps(session, log, repo, descriptor, record, subject, purpose, action, chunks, justification, model_id,
           identity, passphrase_env, read_options):
    request = {"subject": subject, "dataset": descriptor.id, "action": action, "purpose": purpose}
    request.update({k: v for k, v in (("justification", justification), ("model_id", model_id)) if v})
    validate_request(request, "open_dataset")

    decision = session.decide(ACCESS_ENTRYPOINT, access_input(request, descriptor, session.context(repo)))
    if not decision["allow"]:
        reasons = _reasons(decision, lambda v: v.get("level") == "deny") or [
            {"id": "access.denied", "message": "no rule grants this request"}]
        log.append([{**record, "decision": "deny", "allow": False, "reasons": sorted({r["id"] for r in reasons})}])
        raise AccessDenied(f"{subject} may not {action} {descriptor.id} for {purpose}: "
                           + "; ".join(r["id"] for r in reasons), reasons, descriptor.relpath)

    try:
        # read whole, every byte is hashed as it is parsed and checked before anything is returned, so
        # the first pass takes sizes only; chunks are handed out as they are read, so they hash first
        entries = verify_custody(descriptor, repo, session, contents=chunks is not None)
    except IntegrityError as exc:
        log.append([{**record, "decision": "fail", "allow": False,
                     "reasons": getattr(exc, "reasons", None) or ["integrity.unverified"]}])
        raise
    keys = _identities(identity, passphrase_env, repo.root) if any(e.sealed for e in entries) else []
    if chunks is None:
        try:
            frame = _read_all(entries, repo, keys, read_options or {})
        except IntegrityError as exc:
            log.append([{**record, "decision": "fail", "allow": False,
                         "reasons": getattr(exc, "reasons", None) or ["integrity.file_mismatch"]}])
            raise
        log.append([{**record, "decision": "allow", "allow": True, "reasons": [], "files": len(entries),
                     "rows": int(len(frame))}])
        return frame
    if not isinstance(chunks, int) or chunks < 1:
        raise GateError("chunks must be a positive number of rows")
    log.append([{**record, "decision": "allow", "allow": True, "reasons": [], "files": len(entries),
                 "chunks": chunks}])
    return _iterate(entries, repo, keys, chunks, read_options or {}, log, record)


def _log_from_policy(session: Session, root: Path) -> str | None:
    data = session.policies.data if session.policies is not None else {}
    value = ((data.get("org") or {}).get("audit") or {}).get("log") if isinstance(data, dict) else None
    if not value:
        return None
    return str(value if os.path.isabs(str(value)) else root / str(value))


def _reasons(decision: dict[str, Any], keep) -> list[dict[str, Any]]:
    return [{"id": str(v.get("id")), "message": str(v.get("message", ""))} for v in decision["violations"] if keep(v)]


def verify_custody(descriptor: Descriptor, repo, session: Session, contents: bool = True) -> list[ManifestEntry]:
    """Check every covered file against the lock (hashing it, or with ``contents=False`` its size
    only, for a caller that hashes while it reads); ask the dataset policy about custody
    (signatures, sealing, integrity). Returns the lock entries to read."""
    facts = integrity_facts(descriptor, repo, contents=contents)
    if facts.manifest is None:
        raise _integrity(f"no {facts.manifest_path}: the dataset cannot be verified", ["integrity.no_manifest"],
                         descriptor.relpath)
    bad = [f for f in facts.files if f.status != OK]
    if bad:
        raise _integrity(f"{bad[0].path} is {bad[0].status.replace('_', ' ')} against the lock"
                         + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""),
                         sorted({f"integrity.file_{f.status}" if f.status != "outside_repo" else "integrity.path_outside_repo"
                                 for f in bad}), descriptor.relpath)
    if facts.manifest.dataset != descriptor.id:
        raise _integrity(f"the lock is for dataset {facts.manifest.dataset}", ["integrity.manifest_dataset_mismatch"],
                         descriptor.relpath)
    custody = {"integrity": facts.to_json(), "signature": signature_facts(facts.manifest, session.signers),
               "sealing": sealing_facts(facts)}
    document = {"dataset": {**descriptor.document, "path": descriptor.relpath}, "facts": custody,
                "context": session.context(repo)}
    decision = session.decide(DATASET_ENTRYPOINT, document)
    refusals = _reasons(decision, lambda v: v.get("level") == "deny" and str(v.get("id", "")).startswith(_CUSTODY))
    if refusals:
        raise _integrity("; ".join(r["message"] for r in refusals), sorted({r["id"] for r in refusals}),
                         descriptor.relpath)
    return sorted(facts.manifest.files, key=lambda e: e.path)


def _integrity(message: str, reasons: list[str], path: str) -> IntegrityError:
    error = IntegrityError(message, path)
    error.reasons = reasons
    return error


def _identities(identity, passphrase_env, root: Path) -> list:
    from .sealing import identities_from

    keys = identities_from(Path(identity) if identity else None, passphrase_env, root)
    if not keys:
        raise GateError("the dataset has sealed files: pass identity= (an age identity file) or passphrase_env=")
    return keys


def _format(entry: ManifestEntry) -> str:
    name = entry.path[: -len(SEALED_SUFFIX)] if entry.sealed else entry.path
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in _FORMATS:
        raise GateError(f"cannot load {entry.path}: not csv, tsv, parquet or jsonl")
    return _FORMATS[suffix]


class _Verified(io.RawIOBase):
    """A stream over a file's bytes (or a sealed file's plaintext) whose sha256 is computed as it is
    read; ``finish`` drains the rest and compares digest and size with the lock."""

    def __init__(self, entry: ManifestEntry, path: Path, keys: list):
        from .age import PlainReader, decrypt_blocks
        from .sealing import BackgroundDigest

        self.entry = entry
        self._raw = open(path, "rb", buffering=0)
        self._source = PlainReader(decrypt_blocks(self._raw, keys)) if entry.sealed else self._raw
        self._digest = BackgroundDigest()
        # held here: a buffered reader closes its raw stream when it is collected
        self.buffered = io.BufferedReader(self, buffer_size=1 << 20)

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        count = self._source.readinto(target)
        if count:
            self._digest.update(memoryview(target)[:count])
        return count

    def finish(self) -> None:
        """Read to the end and check the bytes against the lock; raises IntegrityError."""
        buffer = bytearray(1 << 20)
        while self.readinto(buffer):
            pass
        digest, size = self._digest.hexdigest(), self._digest.size
        expected = (self.entry.plain_sha256, self.entry.plain_size) if self.entry.sealed else (self.entry.sha256, self.entry.size)
        if (digest, size) != expected:
            raise _integrity(f"{self.entry.path} changed while it was read (its bytes no longer match the lock)",
                             ["integrity.file_mismatch"], self.entry.path)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _open_verified(entry: ManifestEntry, repo, keys: list) -> _Verified:
    from .age import AgeError

    try:
        return _Verified(entry, repo.root / entry.path, keys)
    except AgeError as exc:
        raise _sealed_error(exc, entry) from None
    except OSError as exc:
        raise _integrity(f"{entry.path}: cannot read ({exc.strerror})", ["integrity.file_missing"], entry.path) from None


def _parse(kind: str, stream, options: dict[str, Any], chunks: int | None = None):
    import pandas as pd

    buffered = stream.buffered
    if kind in ("csv", "tsv"):
        return pd.read_csv(buffered, sep="," if kind == "csv" else "\t", chunksize=chunks, **options)
    if kind == "jsonl":
        return pd.read_json(buffered, lines=True, chunksize=chunks, **options)
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Parquet needs its footer first, so it is parsed from memory once its bytes have verified
    data = buffered.read()
    stream.finish()
    table = pq.read_table(pa.BufferReader(data), **options)
    if chunks is None:
        return table.to_pandas()
    return (batch.to_pandas() for batch in table.to_batches(max_chunksize=chunks))


def _sealed_error(exc, entry: ManifestEntry) -> IntegrityError:
    """The wrong key is a key problem; anything else the age format rejects is a changed file."""
    from .age import NoKeyError

    return _integrity(exc.message, ["sealing.cannot_open" if isinstance(exc, NoKeyError) else "integrity.file_mismatch"],
                      entry.path)


def _guarded(entry: ManifestEntry, action):
    from .age import AgeError

    try:
        return action()
    except AgeError as exc:
        raise _sealed_error(exc, entry) from None
    except (IntegrityError, GateError):
        raise
    except Exception as exc:  # a parser error names the file, never the data
        raise GateError(f"cannot parse {entry.path} ({exc.__class__.__name__})", entry.path) from None


def _fd_path(fd: int) -> str | None:
    for candidate in (f"/proc/self/fd/{fd}", f"/dev/fd/{fd}"):
        if os.path.exists(candidate):
            return candidate
    return None


def _parse_path(kind: str, path: str, options: dict[str, Any]):
    import pandas as pd

    if kind in ("csv", "tsv"):
        return pd.read_csv(path, sep="," if kind == "csv" else "\t", **options)
    if kind == "jsonl":
        return pd.read_json(path, lines=True, **options)
    import pyarrow.parquet as pq

    return pq.read_table(path, **options).to_pandas()


def _read_plain(entry: ManifestEntry, repo, kind: str, options: dict[str, Any]):
    """Parse a plain file through its open descriptor with pandas's own C reader while another core
    hashes the same inode; the digest must be the lock's and the file's change time, modification
    time and size must be the same after as before, so the parsed bytes are the verified ones (a
    rename swaps another inode in, not under us; an in-place write changes the change time)."""
    import hashlib
    import threading

    try:
        fd = os.open(repo.root / entry.path, os.O_RDONLY)
    except OSError as exc:
        raise _integrity(f"cannot read ({exc.strerror})", ["integrity.file_missing"], entry.path) from None
    try:
        path = _fd_path(fd)
        if path is None:  # no /proc or /dev/fd: parse the hashed stream instead
            return None
        before = os.fstat(fd)
        digest, errors = hashlib.sha256(), []

        def hash_all() -> None:
            offset, buffer = 0, bytearray(1 << 20)  # one buffer: fresh ones cost page faults
            view = memoryview(buffer)
            try:
                while True:
                    count = os.preadv(fd, [buffer], offset)
                    if not count:
                        return
                    digest.update(view[:count])
                    offset += count
            except OSError as exc:
                errors.append(exc)

        worker = threading.Thread(target=hash_all, daemon=True)
        worker.start()
        try:
            frame = _guarded(entry, lambda: _parse_path(kind, path, options))
        finally:
            worker.join()
        after = os.fstat(fd)
        same = (before.st_ctime_ns, before.st_mtime_ns, before.st_size) == (after.st_ctime_ns, after.st_mtime_ns,
                                                                            after.st_size)
        if errors or not same or after.st_size != entry.size or digest.hexdigest() != entry.sha256:
            raise _integrity(f"{entry.path} does not match the lock (or changed while it was read)",
                             ["integrity.file_mismatch"], entry.path)
        return frame
    finally:
        os.close(fd)


def _read_sealed(entry: ManifestEntry, repo, keys: list, kind: str, options: dict[str, Any]):
    """Open a sealed file into an anonymous in-memory file (never onto a disk), hashing the
    plaintext; parse it with pandas's own reader only once its digest is the lock's plain digest.
    (A pipe that a thread decrypts into while pandas parses was measured slower here.)"""
    from .age import AgeError
    from .sealing import decrypt_digest

    if not hasattr(os, "memfd_create"):
        return None
    fd = os.memfd_create("gate-plain", getattr(os, "MFD_CLOEXEC", 0))
    try:
        try:
            with os.fdopen(os.dup(fd), "wb", buffering=0) as writer:
                digest = decrypt_digest(repo.root / entry.path, writer, keys)
        except AgeError as exc:
            raise _sealed_error(exc, entry) from None
        except OSError as exc:
            raise _integrity(f"cannot read ({exc.strerror})", ["integrity.file_missing"], entry.path) from None
        if digest != (entry.plain_sha256, entry.plain_size) or os.fstat(fd).st_size != entry.plain_size:
            raise _integrity(f"{entry.path} opens to other bytes than the lock's plain digest (a file sealed for "
                             "another dataset or version)", ["integrity.file_mismatch"], entry.path)
        path = _fd_path(fd)
        return None if path is None else _guarded(entry, lambda: _parse_path(kind, path, options))
    finally:
        os.close(fd)


def _read_all(entries: list[ManifestEntry], repo, keys: list, options: dict[str, Any]):
    import pandas as pd

    frames = []
    for entry in entries:
        kind = _format(entry)
        frame = _read_sealed(entry, repo, keys, kind, options) if entry.sealed else _read_plain(entry, repo, kind, options)
        if frame is None:  # no descriptor paths or memfd here: parse the hashed stream
            stream = _open_verified(entry, repo, keys)
            try:
                frame = _guarded(entry, lambda: _parse(kind, stream, options))
                _guarded(entry, stream.finish)
            finally:
                stream.close()
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _iterate(entries, repo, keys, chunks: int, options, log, record) -> Iterator:
    for entry in entries:
        kind = _format(entry)
        stream = _open_verified(entry, repo, keys)
        try:
            reader = _guarded(entry, lambda: _parse(kind, stream, options, chunks))
            iterator = iter(reader)
            while True:
                frame = _guarded(entry, lambda: next(iterator, None))
                if frame is None:
                    break
                yield frame
            try:
                _guarded(entry, stream.finish)
            except IntegrityError as exc:
                log.append([{**record, "decision": "fail", "allow": False, "reasons": exc.reasons}])
                raise
        finally:
            stream.close()
