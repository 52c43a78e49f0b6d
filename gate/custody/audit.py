"""A tamper-evident audit trail: one JSON line per decision, hash-chained and keyed.

Each entry holds a sequence number, UTC time, actor, action, dataset, decision, reasons (rule
ids, never messages or values), the policy digest and the previous entry's hash; ``hash`` is the
sha256 of the entry's canonical JSON without ``hash``/``mac``, and ``mac`` is an HMAC-SHA256 of that
hash with the audit key. Editing an entry breaks its hash; deleting, inserting or reordering
breaks the sequence and the chain; rewriting the whole chain needs the key; cutting entries off
the end is caught against a checkpoint (the head's sequence number and hash, itself MACed).
Appends hold an exclusive lock on the log, so concurrent processes never interleave.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..errors import GateError
from .keys import read_secret_file, secret_from_env

GENESIS = "0" * 64
FORMAT = 1
MAX_LINE = 1024 * 1024
KEY_ENV_DEFAULT = "GATE_AUDIT_KEY"


class AuditError(GateError):
    """The audit log or its key cannot be used, or the log was tampered with."""


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_key(key_file: Path | None = None, key_env: str | None = None, repo_root: Path | None = None) -> bytes:
    """The audit key from a file or a named environment variable, never from the repository.

    A key file readable by group or others is refused, as ssh refuses such private keys."""
    if key_file is not None:
        key = read_secret_file(Path(key_file), "audit key", repo_root, AuditError).strip()
    else:
        name = key_env or KEY_ENV_DEFAULT
        if not os.environ.get(name, "").strip():
            raise AuditError(f"no audit key: give --audit-key-file FILE or set {name}")
        key = secret_from_env(name, "audit key", AuditError)
    if len(key) < 16 or len(key) > 4096:
        raise AuditError("the audit key must be 16 to 4096 bytes")
    return key


def utc_now() -> str:
    """RFC 3339 UTC with microseconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seal(record: dict[str, Any], key: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(canonical(record)).hexdigest()
    mac = hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()
    return {**record, "hash": digest, "mac": mac}


def _last_line(handle) -> bytes | None:
    """The last complete line of an open binary file (read backwards from the end)."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    if end == 0:
        return None
    block = 4096
    position = end
    tail = b""
    while position > 0:
        step = min(block, position)
        position -= step
        handle.seek(position)
        tail = handle.read(step) + tail
        stripped = tail.rstrip(b"\n")
        cut = stripped.rfind(b"\n")
        if cut >= 0:
            return stripped[cut + 1:]
        if len(tail) > MAX_LINE:
            raise AuditError("the last audit entry is longer than 1 MiB")
    return tail.rstrip(b"\n")


@dataclass
class AuditLog:
    """Append to and verify one audit log file."""

    path: Path
    key: bytes
    fsync: bool = True
    """fsync after each append (durable across a crash); off, appends are as durable as the OS makes them."""

    def append(self, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append entries (actor, action, dataset, decision, reasons, policy_digest, ...) under a lock."""
        entries = list(entries)
        if not entries:
            return []
        shown = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise AuditError(f"cannot open the audit log: {exc.strerror}", shown) from None
        written = []
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                last = _last_line(handle)
                if last:
                    try:
                        head = json.loads(last)
                        seq, previous = int(head["seq"]), str(head["hash"])
                    except (ValueError, KeyError, TypeError, RecursionError):
                        raise AuditError("the last audit entry is unreadable; run `gate audit verify`", shown) from None
                else:
                    seq, previous = 0, GENESIS
                lines = []
                for entry in entries:
                    seq += 1
                    record = {"v": FORMAT, "seq": seq, "time": entry.get("time") or utc_now(), "prev": previous,
                              **{k: v for k, v in entry.items() if k not in ("v", "seq", "time", "prev", "hash", "mac")}}
                    sealed = _seal(record, self.key)
                    previous = sealed["hash"]
                    lines.append(canonical(sealed) + b"\n")
                    written.append(sealed)
                handle.seek(0, os.SEEK_END)
                handle.write(b"".join(lines))
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return written

    def verify(self, checkpoint: dict[str, Any] | None = None) -> dict[str, Any]:
        """Walk the chain. Returns {"ok", "entries", "head", "first_bad_seq", "problem"}."""
        shown = str(self.path)
        previous, expected, count, head = GENESIS, 1, 0, None
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise AuditError(f"cannot read the audit log: {exc.strerror}", shown) from None
        with handle:
            for number, line in enumerate(handle, 1):
                problem = None
                if not line.endswith(b"\n"):
                    problem = "truncated (the last line is incomplete)"
                try:
                    if len(line) > MAX_LINE:
                        raise ValueError
                    entry = json.loads(line)
                    if not isinstance(entry, dict):
                        raise ValueError
                except (ValueError, RecursionError):
                    return self._bad(expected, f"line {number} is not a JSON entry" if problem is None else problem,
                                     count, head)
                if problem:
                    return self._bad(expected, problem, count, head)
                seq = entry.get("seq")
                if seq != expected:
                    kind = "missing or reordered" if isinstance(seq, int) and seq > expected else "inserted or reordered"
                    return self._bad(expected, f"line {number} has sequence number {seq!r}, expected {expected} "
                                               f"(an entry {kind})", count, head)
                if entry.get("prev") != previous:
                    return self._bad(expected, f"entry {seq} does not follow entry {seq - 1} (chain broken)", count, head)
                record = {k: v for k, v in entry.items() if k not in ("hash", "mac")}
                digest = hashlib.sha256(canonical(record)).hexdigest()
                if entry.get("hash") != digest:
                    return self._bad(expected, f"entry {seq} was edited (its hash does not match its content)",
                                     count, head)
                mac = hmac.new(self.key, digest.encode("ascii"), hashlib.sha256).hexdigest()
                if not isinstance(entry.get("mac"), str) or not hmac.compare_digest(entry["mac"], mac):
                    return self._bad(expected, f"entry {seq} has a MAC the audit key did not make (rewritten, "
                                               "or the wrong key)", count, head)
                previous, expected, count, head = digest, expected + 1, count + 1, {"seq": seq, "hash": digest}
                if checkpoint and seq == checkpoint["seq"] and digest != checkpoint["hash"]:
                    return self._bad(seq, f"entry {seq} differs from the checkpoint", count, head)
        if checkpoint and count < checkpoint["seq"]:
            return self._bad(count + 1, f"the log ends at entry {count} but the checkpoint has entry "
                                        f"{checkpoint['seq']} (entries cut off the end)", count, head)
        return {"ok": True, "entries": count, "head": head, "first_bad_seq": None, "problem": None}

    def verify_report(self, checkpoint: dict[str, Any] | None = None):
        """`gate audit verify`: the walk of the chain (``body``: see verify); exit 2 when it does not verify
        (the first bad entry and why in ``notes``)."""
        from ..verdict import Report

        result = self.verify(checkpoint)
        if result["ok"]:
            return Report(result)
        return Report(result, errors=1, notes=(f"{self.path}: entry {result['first_bad_seq']}: {result['problem']}",))

    @staticmethod
    def _bad(seq: int, problem: str, count: int, head) -> dict[str, Any]:
        return {"ok": False, "entries": count, "head": head, "first_bad_seq": seq, "problem": problem}

    def checkpoint(self) -> dict[str, Any]:
        """The verified head as a MACed checkpoint; raises AuditError if the log does not verify."""
        result = self.verify()
        if not result["ok"]:
            raise AuditError(f"entry {result['first_bad_seq']}: {result['problem']}", str(self.path))
        head = result["head"] or {"seq": 0, "hash": GENESIS}
        body = {"v": FORMAT, "seq": head["seq"], "hash": head["hash"]}
        return {**body, "mac": hmac.new(self.key, canonical(body), hashlib.sha256).hexdigest()}

    def load_checkpoint(self, path: Path) -> dict[str, Any]:
        """Read a checkpoint and check its MAC."""
        from ..model.documents import read_bounded

        text = read_bounded(path, AuditError, str(path), limit=64 * 1024)
        try:
            value = json.loads(text)
            body = {"v": int(value["v"]), "seq": int(value["seq"]), "hash": str(value["hash"])}
            mac = str(value["mac"])
        except (ValueError, KeyError, TypeError):
            raise AuditError("not a gate audit checkpoint", str(path)) from None
        expected = hmac.new(self.key, canonical(body), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected):
            raise AuditError("the checkpoint's MAC does not match (edited, or another key)", str(path))
        return body


def verdict_entries(verdict, actor: str, action: str) -> list[dict[str, Any]]:
    """One entry per decided dataset or request: ids and outcomes only, never messages or values."""
    out = []
    for entry in verdict.datasets:
        reasons = sorted({v.id for v in entry.violations})
        record = {"actor": actor, "action": action, "dataset": entry.id, "decision": entry.verdict,
                  "allow": bool(entry.allow), "reasons": reasons, "policy_digest": verdict.policy_digest,
                  "engine": verdict.engine, "decision_time": verdict.now, "now_pinned": verdict.now_pinned}
        request = entry.facts.get("request") if isinstance(entry.facts, dict) else None
        if isinstance(request, dict):
            record.update({"actor": str(request.get("subject", actor)), "action": str(request.get("action", action)),
                           "dataset": str(request.get("dataset", entry.id)), "purpose": request.get("purpose")})
        out.append(record)
    for failure in verdict.errors:
        out.append({"actor": actor, "action": action, "dataset": None, "decision": "error", "allow": False,
                    "reasons": ["error"], "path": failure.path, "policy_digest": verdict.policy_digest,
                    "engine": verdict.engine, "decision_time": verdict.now, "now_pinned": verdict.now_pinned})
    return out


def default_actor() -> str:
    """GATE_ACTOR, else the OS user."""
    if os.environ.get("GATE_ACTOR"):
        return os.environ["GATE_ACTOR"]
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no user name in a minimal container
        return f"uid:{os.getuid()}"
