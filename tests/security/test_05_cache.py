"""Class 5 — the fact cache is evidence, not truth: rows count only when authenticated under a key kept
outside the repository; a committed cache or a key in the repository is ignored; CI recomputes facts."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

from _attack import SSN_ROWS, denies, git, make_dataset, make_repo, run_gate

ROWS = "id,ssn,note\n" + SSN_ROWS


def _empty_findings(value):
    if isinstance(value, dict):
        return {k: ([] if k == "findings" else _empty_findings(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_empty_findings(v) for v in value]
    return value


def _forge(root) -> int:
    """Rewrite every cached fact to say 'no PII', keeping whatever else the row holds."""
    db = sqlite3.connect(root / ".gate" / "cache" / "gate.sqlite")
    rows = db.execute("SELECT key, value FROM facts").fetchall()
    for key, value in rows:
        db.execute("UPDATE facts SET value = ? WHERE key = ?", (json.dumps(_empty_findings(json.loads(value))), key))
    db.commit()
    db.close()
    return len(rows)


def _cached(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "people", {"data/p.csv": ROWS})
    return root, directory


def _run(root, directory, env):
    env = {"GATE_CACHE_KEY": "", **env}  # the user's own key unless a test gives one
    proc = run_gate("check", str(directory), "--repo", str(root), "--format", "json", env=env)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_a_forged_cache_row_is_not_believed(tmp_path):
    root, directory = _cached(tmp_path)
    env = {"CI": ""}
    code, body, _ = _run(root, directory, env)
    assert code == 1 and "pii.type_not_allowed" in denies(body)
    assert _forge(root) > 0
    code, body, _ = _run(root, directory, env)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_ci_recomputes_facts_not_only_digests(tmp_path):
    root, directory = _cached(tmp_path)
    assert _run(root, directory, {"CI": ""})[0] == 1
    _forge(root)
    code, body, _ = _run(root, directory, {"CI": "true"})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_a_cache_committed_to_the_repository_is_ignored_with_a_notice(tmp_path):
    root, directory = _cached(tmp_path)
    assert _run(root, directory, {"CI": ""})[0] == 1
    _forge(root)
    git(root, "add", "-f", ".gate/cache/gate.sqlite")
    code, body, stderr = _run(root, directory, {"CI": ""})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
    assert "committed" in stderr


def test_a_cache_key_inside_the_repository_is_refused_with_a_notice(tmp_path):
    root, directory = _cached(tmp_path)
    env = {"CI": "", "XDG_CONFIG_HOME": str(root / "config")}  # the key would be made inside the repository
    code, body, stderr = _run(root, directory, env)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
    assert "inside the repository" in stderr
    store = root / ".gate" / "cache" / "gate.sqlite"
    if store.exists():
        db = sqlite3.connect(store)
        assert db.execute("SELECT count(*) FROM facts").fetchone()[0] == 0
        db.close()


def test_cache_files_are_private(tmp_path):
    root, directory = _cached(tmp_path)
    _run(root, directory, {"CI": ""})
    files = list((root / ".gate" / "cache").iterdir())
    assert files
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, (path, oct(os.stat(path).st_mode))


def test_cached_facts_belong_to_bytes_and_format_not_to_bytes_alone(tmp_path):
    """The same bytes as people.csv (a ssn column) and as notes.txt (text) read differently."""
    root = make_repo(tmp_path)
    rows = "id,ssn\n" + "".join(f"{i},2190991{i:02d}\n" for i in range(30))
    people = make_dataset(root, "b", {"data/people.csv": rows})
    notes = make_dataset(root, "a", {"data/notes.txt": rows}, globs="[data/*.txt]")
    env = {"CI": ""}
    first, _, _ = _run(root, people, env)
    _run(root, notes, env)
    again, body, _ = _run(root, people, env)
    assert first == again == 1 and "pii.type_not_allowed" in denies(body), body
