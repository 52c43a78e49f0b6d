"""Unit tests for integrity facts, manifests and repository path safety."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from conftest import run_gate, run_json, write
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


def test_fifo_is_refused_without_being_opened(data_repo):
    directory = data_repo("s5")
    os.mkfifo(directory / "data" / "pipe.csv")
    code, body = run_json("check", str(directory), timeout=30)  # opening a FIFO would block forever
    assert code == 1, body
    assert "integrity.not_regular_file" in {v["id"] for v in body["datasets"][0]["violations"]}


def test_repository_root_marker(tmp_path):
    root = tmp_path / "outer"
    inner = root / "inner"
    write(inner / ".gate.yaml", "gate: 1\n")
    write(inner / "ds" / "dataset.yaml", "x")
    from gate.repo import find_root

    assert find_root(inner / "ds" / "dataset.yaml") == inner.resolve()


def test_a_tampered_ragged_file_reports_the_mismatch_beside_the_reading_problem(data_repo):
    """Every fact's violations side by side: a file changed after locking with a ragged row appended is an
    integrity mismatch (not only "rows with a different number of fields"), and nothing passes."""
    directory = data_repo("ragged", rows=200)
    descriptor = directory / "dataset.yaml"
    descriptor.write_text(descriptor.read_text() + "schema:\n  label: label\n")
    assert run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root)).returncode == 0
    with open(directory / "data" / "part-0.csv", "a") as handle:
        handle.write("1,2,3,4,5\n")
    code, body = run_json("check", str(directory), "--repo", str(data_repo.root))
    ids = {v["id"] for v in body["datasets"][0]["violations"]}
    assert {"integrity.file_mismatch", "data.ambiguous_file_warning"} <= ids, ids
    assert code == 1 and body["datasets"][0]["verdict"] == "fail"


def test_a_fact_that_cannot_be_computed_is_an_error_beside_the_other_violations(data_repo):
    """No table for the poisoning analysis (the descriptor names a label, the files are text): an
    error-level violation naming the fact and the file, next to the integrity violation, verdict error."""
    directory = data_repo("textonly")
    descriptor = directory / "dataset.yaml"
    descriptor.write_text(descriptor.read_text().replace("files: [data/*.csv]", "files: [data/*.txt]")
                          + "schema:\n  label: label\n")
    (directory / "data" / "part-0.csv").unlink()
    write(directory / "data" / "notes.txt", "one line\nanother\n")
    assert run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root)).returncode == 0
    write(directory / "data" / "notes.txt", "one line\nchanged\n")
    code, body = run_json("check", str(directory), "--repo", str(data_repo.root))
    dataset = body["datasets"][0]
    by_id = {v["id"]: v for v in dataset["violations"]}
    assert "integrity.file_mismatch" in by_id, by_id
    error = by_id["facts.not_computed"]
    assert error["level"] == "error" and "poisoning facts could not be computed" in error["message"]
    assert error["file"] == "datasets/textonly/dataset.yaml"
    assert code == 2 and dataset["verdict"] == "error" and body["verdict"] == "error"


def test_a_bug_inside_a_fact_is_an_error_naming_the_dataset_without_its_message(data_repo, monkeypatch):
    """A fact that raises something gate did not foresee (a library's ValueError on odd data, say) is the
    same error-level violation, named by class only — the message could quote a cell — beside the other
    facts' violations; under --debug it raises. A bug outside the facts fails that dataset alone, named."""
    import gate.facts.collect as collect
    from gate import errors
    from gate.run.check import check_paths
    from gate.run.session import Options

    directory = data_repo("buggy", rows=60)
    descriptor = directory / "dataset.yaml"
    descriptor.write_text(descriptor.read_text() + "schema:\n  label: label\n")
    assert run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root)).returncode == 0
    with open(directory / "data" / "part-0.csv", "a") as handle:
        handle.write("9,9,9,9\n")
    secret = "078-05-1120 leaked by a library message"

    def broken(*args, **kwargs):
        raise ValueError(secret)

    monkeypatch.setattr(collect, "poisoning_json", broken)
    options = Options(repo_root=data_repo.root, cache=False)
    verdict = check_paths([directory], options)
    dataset = verdict.datasets[0]
    by_id = {v.id: v for v in dataset.violations}
    assert "integrity.file_mismatch" in by_id and by_id["facts.not_computed"].level == "error", by_id
    assert "ValueError" in by_id["facts.not_computed"].message
    assert secret not in json.dumps(verdict.to_json()) and verdict.exit_code() == 2
    monkeypatch.setattr(errors, "DEBUG", True)
    with pytest.raises(ValueError):
        check_paths([directory], options)
    monkeypatch.setattr(errors, "DEBUG", False)

    def broken_collect(*args, **kwargs):
        raise KeyError(secret)

    monkeypatch.setattr(collect, "collect", broken_collect)
    verdict = check_paths([directory, data_repo("healthy", rows=20)], options)
    assert sorted(f.path for f in verdict.errors) == ["datasets/buggy/dataset.yaml", "datasets/healthy/dataset.yaml"]
    assert all("internal error (KeyError)" in f.message and secret not in f.message for f in verdict.errors)
    assert verdict.exit_code() == 2
