"""The incremental cache (.gate/cache/, git-ignored): content digests by stat, facts by content digest.

A digest is reused when (path, size, mtime_ns, inode) match, except in CI mode (`--ci` or CI=true),
where every digest is recomputed: a stat can be forged, a digest cannot. Facts are keyed by the
content digest, gate's version and the detectors' configuration, so they are reused in CI too.
Nothing raw is stored: PII facts hold redacted previews and keyed fingerprints only. A corrupt or
foreign cache (another format, another repository) is discarded and rebuilt, never trusted.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from . import __version__

FORMAT = 1
CACHE_DIR = Path(".gate") / "cache"


def ci_mode() -> bool:
    """True under CI (CI=true) or `--ci`."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("GATE_CI") == "1"


class Cache:
    """A small SQLite store per repository; every failure degrades to 'no cache', never to a wrong fact."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.path = self.root / CACHE_DIR / "gate.sqlite"
        self.trust_stat = not ci_mode()
        self.db: sqlite3.Connection | None = None
        try:
            self.db = self._open()
        except (sqlite3.Error, OSError, ValueError):
            self._discard()
            try:
                self.db = self._open()
            except (sqlite3.Error, OSError, ValueError):
                self.db = None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ignore = self.path.parent.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("cache/\nfingerprint.key\n")
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
                   " inode INTEGER, sha256 TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        expected = {"format": str(FORMAT), "root": str(self.root)}
        if not meta:
            db.executemany("INSERT INTO meta VALUES (?, ?)", expected.items())
        elif meta != expected:
            db.close()
            raise ValueError("foreign cache")
        return db

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(str(self.path) + suffix)
            except OSError:
                pass

    def digest(self, relpath: str, stat: os.stat_result) -> str | None:
        """The cached sha256 when the file's stat is unchanged (never in CI mode)."""
        if self.db is None or not self.trust_stat:
            return None
        try:
            row = self.db.execute("SELECT size, mtime_ns, inode, sha256 FROM digests WHERE path = ?",
                                  (relpath,)).fetchone()
        except sqlite3.Error:
            return None
        if row and tuple(row[:3]) == (stat.st_size, stat.st_mtime_ns, stat.st_ino) and len(row[3]) == 64:
            return row[3]
        return None

    def store_digests(self, rows: list[tuple[str, os.stat_result, str]]) -> None:
        """Remember digests with the stat they were computed for."""
        if self.db is None or not rows:
            return
        try:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)",
                [(rel, st.st_size, st.st_mtime_ns, st.st_ino, sha) for rel, st, sha in rows])
            self.db.execute("COMMIT")
        except sqlite3.Error:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def fact(self, kind: str, content: str, config: str) -> Any | None:
        """A cached fact for this content digest, gate version and configuration."""
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT value FROM facts WHERE key = ?",
                                  (f"{kind}:{__version__}:{config}:{content}",)).fetchone()
            return json.loads(row[0]) if row else None
        except (sqlite3.Error, ValueError):
            return None

    def store_fact(self, kind: str, content: str, config: str, value: Any) -> None:
        """Remember a fact (plain JSON, never raw values)."""
        if self.db is None:
            return
        try:
            self.db.execute("INSERT OR REPLACE INTO facts VALUES (?, ?)",
                            (f"{kind}:{__version__}:{config}:{content}", json.dumps(value)))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        """Close the store."""
        if self.db is not None:
            self.db.close()
            self.db = None
