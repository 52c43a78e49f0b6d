"""Unit tests for integrity facts, manifests and repository path safety."""

from __future__ import annotations

import hashlib
import json
import os

from conftest import run_gate, run_json, write
from gate.descriptor import Manifest, ManifestEntry, load_descriptor, load_manifest, render_manifest
from gate.facts.integrity import hash_file, hash_files, integrity_facts
from gate.repo import Repo


def test_hash_matches_hashlib_across_block_boundaries(tmp_path):
    for size in (0, 1, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 + 17):
        path = tmp_path / f"f{size}"
        data = os.urandom(size)
        path.write_bytes(data)
        digest = hash_file(path, path.name)
        assert digest.sha256 == hashlib.sha256(data).hexdigest() and digest.size == size


def test_parallel_hashing_gives_each_file_its_own_digest(tmp_path):
    items = []
    for i in range(40):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(bytes([i]) * (1000 + i * 7919))
        items.append((path, path.name))
    results = hash_files(items, workers=4)
    for path, name in items:
        assert results[name].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_lexical_containment(tmp_path):
    repo = Repo.at(tmp_path)
    assert repo.lexically_inside("a/b/../c.csv")
    for bad in ("../x", "a/../../x", "/etc/passwd", "", "a\\..\\..\\x", "a/\x00b"):
        assert not repo.lexically_inside(bad), bad


def test_manifest_render_is_stable_and_round_trips(tmp_path):
    entries = (ManifestEntry("d/b.csv", "b" * 64, 2), ManifestEntry("d/a.csv", "a" * 64, 1))
    text = render_manifest(Manifest("d", entries))
    lines = text.splitlines()
    assert lines[4].startswith('    {"path": "d/a.csv"') and lines[5].startswith('    {"path": "d/b.csv"')
    path = write(tmp_path / "dataset.lock", text)
    loaded = load_manifest(path, Repo.at(tmp_path))
    assert render_manifest(loaded) == text
    assert json.loads(render_manifest(Manifest("d", ()))) == {"gate_lock": 1, "dataset": "d", "files": []}


def test_statuses(data_repo):
    directory = data_repo("s1")
    repo = Repo.at(data_repo.root)
    (directory / "data" / "part-0.csv").write_text("tampered\n")
    write(directory / "data" / "new.csv", "x\n")
    lock = json.loads((directory / "dataset.lock").read_text())
    lock["files"].append({"path": "datasets/s1/data/gone.csv", "sha256": "0" * 64, "size": 3})
    (directory / "dataset.lock").write_text(json.dumps(lock))
    facts = integrity_facts(load_descriptor(directory / "dataset.yaml", repo), repo)
    assert {f.path: f.status for f in facts.files} == {
        "datasets/s1/data/part-0.csv": "mismatch",
        "datasets/s1/data/new.csv": "undeclared",
        "datasets/s1/data/gone.csv": "missing",
    }


def test_hidden_files_lock_and_descriptor_are_not_data(data_repo):
    directory = data_repo("s2")
    path = directory / "dataset.yaml"
    path.write_text(path.read_text().replace("files: [data/*.csv]\n", ""))
    write(directory / ".hidden" / "x.csv", "x\n")
    write(directory / "data" / ".DS_Store", "x")
    repo = Repo.at(data_repo.root)
    facts = integrity_facts(load_descriptor(path, repo), repo)
    assert [f.path for f in facts.files] == ["datasets/s2/data/part-0.csv"]


def test_manifest_update_then_verify(data_repo):
    directory = data_repo("s3", lock=False)
    proc = run_gate("manifest", "verify", str(directory), "--repo", str(data_repo.root))
    assert proc.returncode == 1 and "integrity.no_manifest" in proc.stdout
    proc = run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root))
    assert proc.returncode == 0 and "wrote" in proc.stdout
    proc = run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root))
    assert "unchanged" in proc.stdout
    assert run_gate("manifest", "verify", str(directory)).returncode == 0
    (directory / "data" / "part-0.csv").write_text("changed\n")
    code, body = run_json("manifest", "verify", str(directory))
    assert code == 1
    assert body["datasets"][0]["violations"][0]["id"] == "integrity.file_mismatch"


def test_manifest_update_refuses_outside_paths(data_repo, tmp_path):
    directory = data_repo("s4", lock=False)
    (directory / "data" / "out.csv").symlink_to(write(tmp_path / "o.csv", "x\n"))
    proc = run_gate("manifest", "update", str(directory))
    assert proc.returncode == 2
    assert "outside the repository" in proc.stdout + proc.stderr
    assert not (directory / "dataset.lock").exists()


def test_fifo_is_not_read(data_repo):
    directory = data_repo("s5")
    os.mkfifo(directory / "data" / "pipe.csv")
    proc = run_gate("check", str(directory), timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_repository_root_marker(tmp_path):
    root = tmp_path / "outer"
    inner = root / "inner"
    write(inner / ".gate.yaml", "gate: 1\n")
    write(inner / "ds" / "dataset.yaml", "x")
    from gate.repo import find_root

    assert find_root(inner / "ds" / "dataset.yaml") == inner.resolve()
