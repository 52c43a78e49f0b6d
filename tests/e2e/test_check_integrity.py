"""Integrity through the CLI (`gate manifest update|verify`, `gate check`): outside paths, FIFOs,
tampering beside reading problems, and facts that cannot be computed."""

from __future__ import annotations

import json
import os

import pytest

from conftest import run_gate, run_json, write


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
