"""`gate.open_dataset`: the policy-checked loader, the one door training code should use.

Order of events, each refusal audited before it is raised (the audit log is opened first, so even a
malformed descriptor is audited):
1. the descriptor must be one the repository's walker finds, with an id no other descriptor claims;
2. the access policy decides the request (subject, action, purpose); a denial raises AccessDenied
   with the policy's reasons before any data file is opened;
3. the dataset view is built and every covered file read once: its digest, the PII scan and the
   table come from the same bytes (sealed files: their plaintext, checked against the lock's plain
   digest, decided on the facts bound in the signed lock);
4. the dataset policy decides on every fact, as `gate check` does: any deny refuses the load
   (IntegrityError when custody is at stake, DatasetDenied otherwise) unless the policy data lists
   the rule in org.loader.non_blocking; a file the reader could not read unambiguously is never served.
What is returned is exactly what was hashed and scanned. With ``chunks=N`` the facts are computed
first; the files are then read again, each chunk handed out only while the file is unchanged since
(its change time, size and inode), and the digest checked again at the end.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

from .session import ACCESS_ENTRYPOINT, DATASET_ENTRYPOINT, Options, Session, open_cache, repo_for
from .datasets import DatasetIndex
from .access import access_input
from .check import dataset_input
from ..model.request import validate_request
from ..model.descriptor import DESCRIPTOR_NAME, ManifestEntry, load_descriptor
from ..errors import GateError, IntegrityError

_CUSTODY = ("integrity.", "signature.", "sealing.", "input.")


class AccessDenied(GateError):
    """The access policy refused the request; ``reasons`` are the policy's violations (id, message)."""

    def __init__(self, message: str, reasons: list[dict[str, Any]], path: str | None = None):
        super().__init__(message, path)
        self.reasons = reasons


class DatasetDenied(GateError):
    """The dataset policy denies the dataset (PII not allowed, poisoning, compliance ...); ``reasons``
    are the rule ids."""

    def __init__(self, message: str, reasons: list[str], path: str | None = None):
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
    at most N rows) after the access policy allows the request and the dataset policy allows the
    dataset on every fact.

    ``path`` is a dataset.yaml or its directory. Raises AccessDenied (the access policy said no),
    IntegrityError (tampered, missing, extra or unverifiable files, a bad or missing required
    signature, plain files where sealing is required), DatasetDenied (any other deny) or GateError
    (anything else); each use, allowed or refused, appends an audit entry to ``audit_log`` (or
    GATE_AUDIT_LOG, or the policy data's org.audit.log), which is required. ``now`` pins the
    decision time only where the policy data allows it (org.time.allow_pinned).
    """
    from ..custody.audit import AuditLog, load_key

    if read_options:
        raise GateError("read_options is not supported: the loader returns exactly the values gate's reader "
                        "parsed and scanned (select or convert columns on the result)")
    if isinstance(now, str):
        from .session import parse_now

        now = parse_now(now, "now=")
    target = Path(path)
    if target.is_dir():
        target = target / DESCRIPTOR_NAME
    options = Options(policy_dirs=tuple(Path(p) for p in policy_dirs), data_files=tuple(Path(p) for p in data_files),
                      engine=engine, repo_root=Path(repo_root) if repo_root else None, now=now)
    repo = repo_for([target], options)
    session = Session.open(options)
    try:
        log_path = audit_log or os.environ.get("GATE_AUDIT_LOG") or _log_from_policy(session, repo.root)
        if not log_path:
            raise GateError("open_dataset needs an audit log: pass audit_log=, set GATE_AUDIT_LOG or "
                            "org.audit.log in the policy data")
        log = AuditLog(Path(log_path), load_key(Path(audit_key_file) if audit_key_file else None, audit_key_env,
                                                repo.root))
        record = {"actor": subject, "action": f"load:{action}", "dataset": None, "purpose": purpose,
                  "policy_digest": session.digest, "engine": session.engine.name,
                  "decision_time": session.context(repo)["now"], "now_pinned": now is not None}
        try:
            return _steps(session, log, repo, target, record, subject, purpose, action, chunks, justification,
                          model_id, identity, passphrase_env)
        except (AccessDenied, IntegrityError, DatasetDenied):
            raise  # audited where raised
        except GateError as exc:
            log.append([{**record, "decision": "error", "allow": False, "reasons": ["error"],
                         "error": exc.__class__.__name__, "path": exc.path or repo.rel(target)}])
            raise
        except Exception as exc:  # a bug is still audited, and still a GateError naming the dataset
            log.append([{**record, "decision": "error", "allow": False, "reasons": ["error"],
                         "error": exc.__class__.__name__, "path": repo.rel(target)}])
            raise GateError(f"internal error ({exc.__class__.__name__}) while loading", repo.rel(target)) from None
    finally:
        session.close()


def _steps(session, log, repo, target, record, subject, purpose, action, chunks, justification, model_id,
           identity, passphrase_env):
    from ..facts.collect import collect
    from ..facts.view import build_view
    from ..custody.sealing import read_plaintext

    session.require_pinned_time_allowed("open_dataset")
    if chunks is not None and (not isinstance(chunks, int) or isinstance(chunks, bool) or chunks < 1):
        raise GateError("chunks must be a positive number of rows")
    if target.name != DESCRIPTOR_NAME:
        raise GateError(f"not a dataset descriptor (descriptors are named {DESCRIPTOR_NAME})", repo.rel(target))
    if repo.skipped(target):
        raise GateError("lies in a directory gate never searches for datasets (.git, .gate, node_modules, a "
                        "virtualenv): not a dataset of the repository", repo.rel(target))
    descriptor = load_descriptor(target, repo)
    record["dataset"] = descriptor.id
    DatasetIndex.build(repo).check_unique(descriptor)
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

    notices: list[str] = []
    cache = open_cache(repo, Options(), notices)
    settings = session.settings(repo_root=repo.root)
    try:
        view = build_view(descriptor, repo)
        sealed = [f for f in view.pending() if f.sealed]
        keys = _identities(identity, passphrase_env, repo.root) if sealed else []
        # the loader holds the key: a sealed file is decided on the facts of the plaintext it returns,
        # not on the ones the lock claims; one that does not open to the lock's plaintext is refused
        # below, together with whatever the policy says about the lock
        plaintexts, unopened = {}, []
        for f in sealed:
            try:
                plaintexts[f.path] = read_plaintext(_sealed_entry(f), repo, keys, descriptor.schema.format,
                                                    settings.fingerprint_key)
            except IntegrityError as exc:
                unopened.append(exc)
        facts = collect(view, settings, cache, keep=chunks is None, read_all=True, plaintexts=plaintexts)
    except IntegrityError as exc:
        log.append([{**record, "decision": "fail", "allow": False,
                     "reasons": getattr(exc, "reasons", None) or ["integrity.unreadable"], "path": exc.path}])
        raise
    finally:
        if cache is not None:
            cache.close()
    verdict = session.decide(DATASET_ENTRYPOINT, dataset_input(descriptor, facts.facts, session.context(repo)))
    non_blocking = set(session.data("org.loader.non_blocking", []) or [])
    # an error (a fact that could not be computed) always refuses: only denies can be listed as non-blocking
    refusals = _reasons(verdict, lambda v: v.get("level") == "error"
                        or (v.get("level") == "deny" and v.get("id") not in non_blocking))
    refusals += [{"id": reason, "message": str(exc)} for exc in unopened for reason in exc.reasons]
    if refusals:
        ids = sorted({r["id"] for r in refusals})
        log.append([{**record, "decision": "fail", "allow": False, "reasons": ids}])
        message = "; ".join(r["message"] for r in refusals) or "the dataset policy denies the dataset"
        if any(i.startswith(_CUSTODY) for i in ids):
            raise _integrity(message, ids, descriptor.relpath)
        raise DatasetDenied(message, ids, descriptor.relpath)
    entries = [e for e in sorted(view.manifest.files, key=lambda e: e.path)]
    if chunks is None:
        try:
            frame = _whole(entries, facts, plaintexts)
        except IntegrityError as exc:
            log.append([{**record, "decision": "fail", "allow": False,
                         "reasons": getattr(exc, "reasons", None) or ["integrity.file_mismatch"]}])
            raise
        log.append([{**record, "decision": "allow", "allow": True, "reasons": [], "files": len(entries),
                     "rows": int(len(frame))}])
        return frame
    log.append([{**record, "decision": "allow", "allow": True, "reasons": [], "files": len(entries),
                 "chunks": chunks}])
    return _iterate(entries, facts, plaintexts, repo, chunks, log, record)


def _log_from_policy(session: Session, root: Path) -> str | None:
    value = session.data("org.audit.log")
    if not value:
        return None
    return str(value if os.path.isabs(str(value)) else root / str(value))


def _reasons(decision: dict[str, Any], keep) -> list[dict[str, Any]]:
    return [{"id": str(v.get("id")), "message": str(v.get("message", ""))} for v in decision["violations"] if keep(v)]


def _integrity(message: str, reasons: list[str], path: str) -> IntegrityError:
    return IntegrityError(message, path, reasons=reasons)


def _identities(identity, passphrase_env, root: Path) -> list:
    from ..custody.sealing import identities_from

    keys = identities_from(Path(identity) if identity else None, passphrase_env, root)
    if not keys:
        raise GateError("the dataset has sealed files: pass identity= (an age identity file) or passphrase_env=")
    return keys


def _sealed_entry(file) -> ManifestEntry:
    """The lock entry of a file named *.age, which must record its plaintext's digest."""
    if file.entry is None or not file.entry.sealed:
        raise _integrity(f"{file.path} is named as sealed but the lock records no plaintext digest for it",
                         ["sealing.facts_missing"], file.path)
    return file.entry


def _loadable(read, entry: ManifestEntry) -> None:
    from ..data.formats import LOADABLE_FORMATS

    outcome = read.outcome
    if outcome is None:
        raise GateError("cannot load: the file was not read as data", entry.path)
    if outcome.format not in LOADABLE_FORMATS:
        raise GateError(f"cannot load a {outcome.format} file: not csv, tsv, parquet, jsonl or text", entry.path)
    if not outcome.loadable:
        raise GateError("cannot load: " + "; ".join(p.message for p in outcome.problems)
                        + " (gate serves only files it reads unambiguously)", entry.path)


def _whole(entries: list[ManifestEntry], facts, plaintexts: dict):
    import pandas as pd

    from ..data.frames import frame

    frames = []
    for entry in entries:
        read = plaintexts.get(entry.path) or facts.reads[entry.path]
        _loadable(read, entry)
        frames.append(_frame(read, entry, frame))
    if not frames:
        return pd.DataFrame()
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _frame(read, entry: ManifestEntry, build):
    try:
        return build(read.parts, read.outcome)
    except GateError:
        raise
    except Exception as exc:  # a converter's message can quote data: name the kind only
        raise GateError(f"cannot load ({exc.__class__.__name__})", entry.path) from None


def _iterate(entries, facts, plaintexts: dict, repo, chunks: int, log, record) -> Iterator:
    def refuse(exc: IntegrityError):
        log.append([{**record, "decision": "fail", "allow": False, "reasons": exc.reasons}])
        raise exc

    try:
        yield from _chunks(entries, facts, plaintexts, repo, chunks, refuse)
    except (IntegrityError, GateError):
        raise
    except Exception as exc:  # audited, and a GateError naming the dataset
        log.append([{**record, "decision": "error", "allow": False, "reasons": ["error"],
                     "error": exc.__class__.__name__}])
        raise GateError(f"internal error ({exc.__class__.__name__}) while loading") from None


def _chunks(entries, facts, plaintexts: dict, repo, chunks: int, refuse) -> Iterator:
    from ..data.frames import frame

    for entry in entries:
        if entry.path in plaintexts:
            read = plaintexts[entry.path]
            _loadable(read, entry)
            whole = _frame(read, entry, frame)
            for start in range(0, len(whole), chunks):
                yield whole.iloc[start:start + chunks].reset_index(drop=True)
            continue
        first = facts.reads[entry.path]
        _loadable(first, entry)
        try:
            for parts in _again(entry, first, repo, chunks):
                yield frame(parts, first.outcome)
        except IntegrityError as exc:
            refuse(exc)


def _again(entry: ManifestEntry, first, repo, chunks: int) -> Iterator[list]:
    """Read a verified plain file a second time through the one reader, in chunks of ``chunks`` records;
    each chunk is handed out only while the file is the one verified (same inode, size, change and
    modification time); the digest must be the same at the end."""
    from .._fs import open_regular
    from ..data.reader import Part, ReadOutcome, read_parts
    from ..data.stream import HashingReader
    from ..repo import identity as stat_identity

    def changed() -> IntegrityError:
        return _integrity(f"{entry.path} changed after it was verified", ["integrity.file_mismatch"], entry.path)

    try:
        fd = open_regular(repo.root / entry.path)
    except OSError:
        raise changed() from None
    with HashingReader(fd) as stream:
        stat = os.fstat(fd)
        identity = stat_identity(stat)
        if first.stat is not None and identity != first.stat:
            raise changed()
        outcome = ReadOutcome(first.outcome.format)
        pending: list = []
        count = 0
        for part in read_parts(stream, outcome.format, outcome):
            if part.kind == "raw":
                raise changed()  # it read cleanly the first time
            pending.append(part)
            count += _records(part)
            while count >= chunks:
                head, pending, count = _take(pending, chunks)
                now = os.fstat(fd)
                if stat_identity(now) != identity:
                    raise changed()
                yield head
        stream.drain()
        if (stream.hexdigest(), stream.size) != (entry.sha256, entry.size) or outcome.problems:
            raise changed()
        while pending:
            head, pending, count = _take(pending, chunks)
            yield head


def _records(part) -> int:
    if part.kind == "table":
        return part.table.num_rows
    if part.kind == "records":
        return len(part.records)
    return part.data.count(b"\n") + (0 if part.data.endswith(b"\n") else 1)


def _cut(part, count: int) -> tuple:
    """The first ``count`` records of a part, and the rest (None when nothing is left)."""
    from ..data.reader import Part

    total = _records(part)
    if count >= total:
        return part, None
    if part.kind == "table":
        return (Part("table", part.first_row, table=part.table.slice(0, count)),
                Part("table", part.first_row + count, table=part.table.slice(count)))
    if part.kind == "records":
        return (Part("records", part.first_row, records=part.records[:count], rows=part.rows[:count]),
                Part("records", part.first_row + count, records=part.records[count:], rows=part.rows[count:]))
    lines = part.data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return (Part("lines", part.first_row, data=b"\n".join(lines[:count]) + b"\n"),
            Part("lines", part.first_row + count, data=b"\n".join(lines[count:]) + b"\n"))


def _take(pending: list, size: int) -> tuple[list, list, int]:
    """The first ``size`` records of the pending pieces, and the rest."""
    head, taken = [], 0
    while pending and taken < size:
        first, rest = _cut(pending.pop(0), size - taken)
        head.append(first)
        taken += _records(first)
        if rest is not None:
            pending.insert(0, rest)
    return head, pending, sum(_records(p) for p in pending)
