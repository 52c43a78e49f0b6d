"""The incremental cache (.gate/cache/, git-ignored): evidence, never truth.

Every row (a file's digest by stat, a fact by content digest) carries an HMAC under a key kept
outside the repository: ``GATE_CACHE_KEY`` (a CI secret) or the user's own
``~/.config/gate/cache.key`` (made on first use, mode 600). A row whose MAC does not verify is
ignored; a cache committed into the repository, or a key inside it, makes gate ignore the cache
and say so. In CI (``--ci`` or CI=true) digests are always recomputed (a stat can be forged) and
facts too, unless ``GATE_CACHE_KEY`` authenticates them. The files are mode 600. Nothing raw is
stored: PII facts hold redacted previews and keyed fingerprints only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from ._version import __version__

FORMAT = 2
CACHE_DIR = Path(".gate") / "cache"
KEY_ENV = "GATE_CACHE_KEY"


def ci_mode() -> bool:
    """True under CI (CI=true) or `--ci`."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("GATE_CI") == "1"


def config_dir() -> Path:
    """The user's gate configuration directory (keys that must never sit in a repository)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "gate"


def user_key(name: str, create: bool = True, repo_root: Path | None = None) -> tuple[bytes | None, Path]:
    """A 32-byte key kept in the user's config directory (made mode 600 when missing and ``create``);
    never one inside ``repo_root``: (None, path) then."""
    path = config_dir() / name
    if repo_root is not None and _inside(path, Path(repo_root).resolve()):
        return None, path
    try:
        data = path.read_bytes().strip()
        if len(data) >= 32:
            return data, path
    except OSError:
        pass
    if not create:
        return None, path
    data = os.urandom(32).hex().encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data + b"\n")
    except FileExistsError:
        return path.read_bytes().strip() or None, path
    except OSError:
        return None, path
    return data, path


def _inside(path: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(root)
        return True
    except ValueError:
        return False


def _committed(root: Path) -> bool:
    """Whether git tracks anything under .gate/cache/ (then the cache is someone else's)."""
    from .repo import git

    if not (root / ".git").exists():
        return False
    out = git(root, "ls-files", "-z", "--", CACHE_DIR.as_posix(), check=False)
    return bool(out)


class Cache:
    """A small SQLite store per repository; every failure degrades to 'no cache', never to a wrong fact."""

    def __init__(self, root: Path, key: bytes, trust_stat: bool):
        self.root = root.resolve()
        self.path = self.root / CACHE_DIR / "gate.sqlite"
        self.key = key
        self.trust_stat = trust_stat
        self.db: sqlite3.Connection | None = None
        try:
            self.db = self._open()
        except (sqlite3.Error, OSError, ValueError):
            self._discard()
            try:
                self.db = self._open()
            except (sqlite3.Error, OSError, ValueError):
                self.db = None

    @classmethod
    def open(cls, root: Path, notices: list[str]) -> "Cache | None":
        """The repository's cache, or None (with a notice saying why when that is not the plain case)."""
        root = root.resolve()
        ci = ci_mode()
        key = os.environ.get(KEY_ENV, "").strip().encode()
        if key and len(key) < 16:
            notices.append(f"{KEY_ENV} is shorter than 16 bytes: the fact cache is not used")
            return None
        if not key:
            if ci:
                return None  # CI recomputes every fact unless a cache key authenticates them
            key, where = user_key("cache.key", repo_root=root)
            if key is None:
                if _inside(where, root):
                    notices.append(f"the cache key {where} would lie inside the repository: the fact cache is not used")
                return None
        if _committed(root):
            notices.append(f"{CACHE_DIR.as_posix()} is committed to the repository: the fact cache is ignored "
                           "(remove it from git; it is machine-local)")
            return None
        return cls(root, key, trust_stat=not ci)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ignore = self.path.parent.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("cache/\nseal-journal/\n")
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, stat TEXT NOT NULL, sha256 TEXT NOT NULL,"
                   " mac TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL, mac TEXT NOT NULL)")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        expected = {"format": str(FORMAT), "root": str(self.root)}
        if not meta:
            db.executemany("INSERT INTO meta VALUES (?, ?)", expected.items())
        elif meta != expected:
            db.close()
            raise ValueError("foreign cache")
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(str(self.path) + suffix, 0o600)
            except OSError:
                pass
        return db

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(str(self.path) + suffix)
            except OSError:
                pass

    def _mac(self, *parts: str) -> str:
        return hmac.new(self.key, "\0".join(parts).encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()

    @staticmethod
    def _stat_text(stat: os.stat_result) -> str:
        return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}:{stat.st_dev}"

    def digest(self, relpath: str, stat: os.stat_result) -> str | None:
        """The cached sha256 when the file's stat is unchanged and the row authenticates (never in CI)."""
        if self.db is None or not self.trust_stat:
            return None
        try:
            row = self.db.execute("SELECT stat, sha256, mac FROM digests WHERE path = ?", (relpath,)).fetchone()
        except sqlite3.Error:
            return None
        if not row or row[0] != self._stat_text(stat) or len(row[1]) != 64:
            return None
        if not hmac.compare_digest(row[2], self._mac("digest", relpath, row[0], row[1])):
            return None
        return row[1]

    def store_digests(self, rows: list[tuple[str, os.stat_result, str]]) -> None:
        """Remember digests with the stat they were computed for."""
        if self.db is None or not rows:
            return
        values = []
        for relpath, stat, sha in rows:
            text = self._stat_text(stat)
            values.append((relpath, text, sha, self._mac("digest", relpath, text, sha)))
        try:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?)", values)
            self.db.execute("COMMIT")
        except sqlite3.Error:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def _key(self, kind: str, content: str, config: str) -> str:
        return f"{kind}:{__version__}:{config}:{content}"

    def fact(self, kind: str, content: str, config: str) -> Any | None:
        """A cached fact for this content digest, gate version and configuration, if it authenticates."""
        if self.db is None:
            return None
        key = self._key(kind, content, config)
        try:
            row = self.db.execute("SELECT value, mac FROM facts WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        if not row or not hmac.compare_digest(row[1], self._mac("fact", key, row[0])):
            return None
        try:
            return json.loads(row[0])
        except (ValueError, RecursionError):
            return None

    def store_fact(self, kind: str, content: str, config: str, value: Any) -> None:
        """Remember a fact (plain JSON, never raw values)."""
        if self.db is None:
            return
        key = self._key(kind, content, config)
        text = json.dumps(value, sort_keys=True)
        try:
            self.db.execute("INSERT OR REPLACE INTO facts VALUES (?, ?, ?)", (key, text, self._mac("fact", key, text)))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        """Close the store."""
        if self.db is not None:
            self.db.close()
            self.db = None
