"""The fact cache: authenticated rows only, recomputed in CI, never trusted when broken or committed."""

from __future__ import annotations

import json
import os
import sqlite3
import stat as stat_module

from conftest import run_gate, run_json, write
from gate.cache import Cache


def _same_stat_edit(path, text):
    before = os.stat(path)
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size


def test_digest_rows_need_the_same_stat_and_their_mac(tmp_path):
    data = write(tmp_path / "a.csv", "x,1\n")
    cache = Cache(tmp_path, b"k" * 32, trust_stat=True)
    cache.store_digests([("a.csv", os.stat(data), "a" * 64)])
    assert cache.digest("a.csv", os.stat(data)) == "a" * 64
    _same_stat_edit(data, "y,2\n")  # same size and mtime: the change time still moves, so it is not trusted
    assert cache.digest("a.csv", os.stat(data)) is None
    cache.store_digests([("a.csv", os.stat(data), "b" * 64)])
    other = Cache(tmp_path, b"o" * 32, trust_stat=True)  # another key: the rows do not authenticate
    assert other.digest("a.csv", os.stat(data)) is None
    ci = Cache(tmp_path, b"k" * 32, trust_stat=False)
    assert ci.digest("a.csv", os.stat(data)) is None
    for c in (cache, other, ci):
        c.close()


def test_fact_rows_are_authenticated(tmp_path):
    cache = Cache(tmp_path, b"k" * 32, trust_stat=True)
    cache.store_fact("file", "d" * 64, "cfg", {"clean": False})
    assert cache.fact("file", "d" * 64, "cfg") == {"clean": False}
    cache.db.execute("UPDATE facts SET value = ?", (json.dumps({"clean": True}),))
    assert cache.fact("file", "d" * 64, "cfg") is None
    cache.close()


def test_ci_flag_catches_a_forged_stat(data_repo, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    directory = data_repo("forged")
    env = {"CI": ""}
    assert run_gate("check", str(directory), env=env).returncode == 0
    path = directory / "data" / "part-0.csv"
    _same_stat_edit(path, path.read_text().replace("0,0,0", "9,9,9"))
    code, body = run_json("check", str(directory), env=env)
    assert code == 1 and "integrity.file_mismatch" in {v["id"] for v in body["datasets"][0]["violations"]}
    code, body = run_json("check", str(directory), "--ci", env=env)
    assert code == 1 and "integrity.file_mismatch" in {v["id"] for v in body["datasets"][0]["violations"]}
    assert run_gate("check", str(directory), "--no-cache", env=env).returncode == 1


def test_corrupt_or_foreign_cache_is_rebuilt(data_repo):
    directory = data_repo("c1")
    env = {"CI": ""}
    assert run_gate("check", str(directory), env=env).returncode == 0
    store = data_repo.root / ".gate" / "cache" / "gate.sqlite"
    assert store.exists()
    assert stat_module.S_IMODE(os.stat(store).st_mode) == 0o600
    store.write_bytes(b"this is not a database" * 100)
    assert run_gate("check", str(directory), env=env).returncode == 0
    db = sqlite3.connect(store)
    db.execute("UPDATE meta SET value = '/somewhere/else' WHERE key = 'root'")
    db.commit()
    db.close()
    code, body = run_json("check", str(directory), env=env)
    assert code == 0 and body["errors"] == []
    db = sqlite3.connect(store)
    assert dict(db.execute("SELECT key, value FROM meta"))["root"] == str(data_repo.root.resolve())


def test_cache_holds_no_raw_pii(data_repo):
    directory = data_repo("people")
    env = {"CI": ""}
    write(directory / "data" / "part-1.csv", "name,phone,ssn\nAnn,(415) 555-2671,078-05-1121\n")
    run_gate("manifest", "update", str(directory))
    code, body = run_json("check", str(directory), env=env)
    assert "pii.type_not_allowed" in {v["id"] for v in body["datasets"][0]["violations"]}
    code, again = run_json("check", str(directory), env=env)
    assert again["datasets"][0]["violations"] == body["datasets"][0]["violations"], "cached facts decide the same"
    raw = b"".join(p.read_bytes() for p in (data_repo.root / ".gate" / "cache").iterdir())
    for value in (b"555-2671", b"078-05-1121", b"4155552671", b"078051121"):
        assert value not in raw


def test_no_cache_writes_nothing(data_repo):
    directory = data_repo("nc", lock=False)
    run_gate("check", str(directory), "--no-cache", env={"CI": ""})
    assert not (data_repo.root / ".gate" / "cache").exists()



_HEAVY = """
import sys
from gate.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("exit", code, *sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "pyarrow", "pandas", "sklearn", "scipy"}))
"""


def test_a_decision_from_cached_facts_loads_no_data_libraries(data_repo):
    """The first decision is cheap when the facts are cached: no reader, no table library is imported
    (the file names and the facts themselves are still scanned for PII, without numpy)."""
    import subprocess
    import sys

    directory = data_repo("cached")
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("CI", None)

    def loaded(*args: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-c", _HEAVY, *args, str(directory)], env=env, capture_output=True,
                              text=True, timeout=120)
        return proc.stdout.splitlines()[-1].split()

    assert loaded("check", "--no-cache")[:3] == ["exit", "0", "numpy"]  # computed: the file was read
    assert loaded("check")[:2] == ["exit", "0"]
    assert loaded("check") == ["exit", "0"]  # from the cache: nothing of the data stack
    os.rename(directory / "data" / "part-0.csv", directory / "data" / "jane.doe@example.org.csv")
    assert run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root)).returncode == 0
    loaded("check")
    outcome = loaded("check")
    code, body = run_json("check", str(directory), "--no-cache")
    assert code == 1 and "pii.type_not_allowed" in {v["id"] for v in body["datasets"][0]["violations"]}, body
    assert outcome == ["exit", "1"]  # the PII file name, found from the cache without numpy
