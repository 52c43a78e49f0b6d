"""gate.facts.integrity, gate.facts.view and the manifest model in-process: hashing across block
boundaries, statuses, containment, hidden files, the lock's rendering and the repository root."""

from __future__ import annotations

import hashlib
import json
import os

from conftest import write
from gate.model.descriptor import Manifest, ManifestEntry, load_descriptor, load_manifest, render_manifest
from gate.facts.files import read_file
from gate.facts.integrity import file_status
from gate.facts.view import build_view
from gate.repo import Repo


def _statuses(directory, repo) -> dict:
    view = build_view(load_descriptor(directory / "dataset.yaml", repo), repo)
    digests = {f.path: (r.sha256, r.size) for f in view.pending()
               for r in [read_file(f.open_path, f.path, parse=False)]}
    return {f.path: file_status(f, digests.get(f.path)) for f in view.files}


def test_hash_matches_hashlib_across_block_boundaries(tmp_path):
    for size in (0, 1, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 + 17):
        path = tmp_path / f"f{size}"
        data = os.urandom(size)
        path.write_bytes(data)
        read = read_file(path, path.name, parse=False)
        assert read.sha256 == hashlib.sha256(data).hexdigest() and read.size == size
        parsed = read_file(path, path.name, "text")
        assert parsed.sha256 == read.sha256 and parsed.size == size  # the parse consumed every byte


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
    assert _statuses(directory, repo) == {
        "datasets/s1/data/part-0.csv": "mismatch",
        "datasets/s1/data/new.csv": "undeclared",
        "datasets/s1/data/gone.csv": "missing",
    }


def test_hidden_files_are_data_unless_excluded(data_repo):
    """Hidden files used to be skipped silently; now every file under the dataset directory is covered
    or explicitly excluded (tests/security/test_01_dataset_view.py has the attacks)."""
    directory = data_repo("s2")
    path = directory / "dataset.yaml"
    path.write_text(path.read_text().replace("files: [data/*.csv]\n", ""))
    write(directory / ".hidden" / "x.csv", "x\n")
    write(directory / "data" / ".DS_Store", "x")
    repo = Repo.at(data_repo.root)
    assert _statuses(directory, repo) == {"datasets/s2/.hidden/x.csv": "undeclared",
                                          "datasets/s2/data/.DS_Store": "undeclared",
                                          "datasets/s2/data/part-0.csv": "ok"}
    path.write_text(path.read_text() + "exclude: [.hidden/**, '**/.DS_Store']\n")
    assert _statuses(directory, repo) == {"datasets/s2/data/part-0.csv": "ok"}


def test_repository_root_marker(tmp_path):
    root = tmp_path / "outer"
    inner = root / "inner"
    write(inner / ".gate.yaml", "gate: 1\n")
    write(inner / "ds" / "dataset.yaml", "x")
    from gate.repo import find_root

    assert find_root(inner / "ds" / "dataset.yaml") == inner.resolve()
