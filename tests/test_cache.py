"""The incremental cache: a stat shortcut outside CI, recomputed digests in CI, never trusted when broken."""

from __future__ import annotations

import os
import sqlite3

from conftest import run_gate, run_json, write
from gate.cache import Cache
from gate.facts.integrity import hash_files


def _same_stat_edit(path, text):
    before = os.stat(path)
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size


def test_stat_shortcut_outside_ci_and_recomputed_in_ci(tmp_path, monkeypatch):
    data = write(tmp_path / "a.csv", "x,1\n")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GATE_CI", raising=False)
    cache = Cache(tmp_path)
    first = hash_files([(data, "a.csv")], cache=cache)["a.csv"].sha256
    _same_stat_edit(data, "y,2\n")  # a forged stat: same size, same mtime
    assert hash_files([(data, "a.csv")], cache=cache)["a.csv"].sha256 == first
    cache.close()
    monkeypatch.setenv("CI", "true")
    ci_cache = Cache(tmp_path)
    assert hash_files([(data, "a.csv")], cache=ci_cache)["a.csv"].sha256 != first
    ci_cache.close()


def test_ci_flag_catches_a_forged_stat(data_repo, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    directory = data_repo("forged")
    env = {"CI": ""}
    assert run_gate("check", str(directory), env=env).returncode == 0
    path = directory / "data" / "part-0.csv"
    _same_stat_edit(path, path.read_text().replace("0,0,0", "9,9,9"))
    assert run_gate("check", str(directory), env=env).returncode == 0  # the stat shortcut trusts it
    code, body = run_json("check", str(directory), "--ci", env=env)
    assert code == 1 and "integrity.file_mismatch" in {v["id"] for v in body["datasets"][0]["violations"]}
    assert run_gate("check", str(directory), "--no-cache", env=env).returncode == 1


def test_corrupt_or_foreign_cache_is_rebuilt(data_repo):
    directory = data_repo("c1")
    assert run_gate("check", str(directory)).returncode == 0
    store = data_repo.root / ".gate" / "cache" / "gate.sqlite"
    assert store.exists()
    store.write_bytes(b"this is not a database" * 100)
    assert run_gate("check", str(directory)).returncode == 0
    db = sqlite3.connect(store)
    db.execute("UPDATE meta SET value = '/somewhere/else' WHERE key = 'root'")
    db.commit()
    db.close()
    code, body = run_json("check", str(directory))
    assert code == 0 and body["errors"] == []
    db = sqlite3.connect(store)
    assert dict(db.execute("SELECT key, value FROM meta"))["root"] == str(data_repo.root.resolve())


def test_cache_holds_no_raw_pii(data_repo):
    directory = data_repo("people")
    write(directory / "data" / "part-1.csv", "name,phone,ssn\nAnn,(415) 555-2671,078-05-1121\n")
    run_gate("manifest", "update", str(directory))
    code, body = run_json("check", str(directory))
    assert "pii.type_not_allowed" in {v["id"] for v in body["datasets"][0]["violations"]}
    code, again = run_json("check", str(directory))
    assert again["datasets"][0]["violations"] == body["datasets"][0]["violations"], "cached facts decide the same"
    raw = b"".join(p.read_bytes() for p in (data_repo.root / ".gate" / "cache").iterdir())
    for value in (b"555-2671", b"078-05-1121", b"4155552671", b"078051121"):
        assert value not in raw


def test_no_cache_writes_nothing(data_repo):
    directory = data_repo("nc", lock=False)
    run_gate("check", str(directory), "--no-cache")
    assert not (data_repo.root / ".gate" / "cache").exists()
