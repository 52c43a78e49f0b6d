"""Class 10 — nothing is lost: no command overwrites or deletes a file it did not write, writes outside
its output directory, or lets a ref or a file name become an option of git or of a hook."""

from __future__ import annotations

import os

from _attack import age_identity, EMAIL, keys, make_dataset, make_repo, run_gate, write

CLEAN = "id,score\n" + "".join(f"{i},{i % 7}\n" for i in range(20))


def test_seal_never_overwrites_an_age_file_it_did_not_write(tmp_path):
    root = make_repo(tmp_path)
    _, recipient = age_identity(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    mine = directory / "data" / "p.csv.age"
    mine.write_bytes(b"age-encryption.org/v1\n-> my own archive, sealed to someone else\n")
    before = {p.name: p.read_bytes() for p in (directory / "data").iterdir()}
    lock = (directory / "dataset.lock").read_text()
    proc = run_gate("seal", str(directory), "--repo", str(root), "-r", recipient)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert {p.name: p.read_bytes() for p in (directory / "data").iterdir()} == before
    assert (directory / "dataset.lock").read_text() == lock


def _sealed_signed(tmp_path):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    identity, recipient = age_identity(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN}, classification="restricted")
    assert run_gate("seal", str(directory), "--repo", str(root), "-r", recipient).returncode == 0
    assert run_gate("manifest", "sign", str(directory), "--repo", str(root), "--key", str(k["signing"]), "-i",
                    str(identity)).returncode == 0
    return root, directory, k, identity


def test_unseal_never_writes_through_a_link_out_of_its_output_directory(tmp_path):
    root, directory, k, identity = _sealed_signed(tmp_path)
    out, victim = tmp_path / "out", tmp_path / "victim"
    out.mkdir()
    write(victim / "a" / "data" / "keep.txt", "keep")
    os.symlink(victim, out / "datasets")
    proc = run_gate("unseal", str(directory), "--repo", str(root), "--out", str(out), "-i", str(identity),
                    "--data", str(k["data"]))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert sorted(p.name for p in (victim / "a" / "data").iterdir()) == ["keep.txt"]


def test_unseal_never_replaces_a_file_without_force(tmp_path):
    root, directory, k, identity = _sealed_signed(tmp_path)
    out = tmp_path / "out"
    target = write(out / "datasets" / "a" / "data" / "p.csv", "my own notes\n")
    args = ("unseal", str(directory), "--repo", str(root), "--out", str(out), "-i", str(identity), "--data",
            str(k["data"]))
    proc = run_gate(*args)
    assert proc.returncode == 2 and target.read_text() == "my own notes\n", proc.stderr
    proc = run_gate(*args, "--force")
    assert proc.returncode == 0 and target.read_text() == CLEAN, proc.stderr


def test_a_ref_is_never_a_git_option(tmp_path):
    root = make_repo(tmp_path)
    make_dataset(root, "a", {"data/p.csv": CLEAN})
    planted = tmp_path / "planted"
    proc = run_gate("check", "--repo", str(root), f"--changed-since=--output={planted}")
    assert proc.returncode == 2 and not planted.exists(), proc.stderr
    proc = run_gate("policy", "impact", f"--base=--output={planted}", cwd=root)
    assert proc.returncode == 2 and not planted.exists(), proc.stderr


def test_a_staged_file_that_looks_like_an_option_is_still_scanned(tmp_path):
    root = make_repo(tmp_path)
    write(root / "-notes.csv", f"email\n{EMAIL}\n")
    proc = run_gate("hook", "pii", "-notes.csv", cwd=root)
    assert proc.returncode == 1 and "EMAIL" in proc.stdout, proc.stdout + proc.stderr


def test_a_bundle_is_written_without_following_a_planted_link(tmp_path):
    victim = write(tmp_path / "victim.txt", "precious\n")
    out = tmp_path / "out.tar.gz"
    os.symlink(victim, tmp_path / ".out.tar.gz.partial")
    proc = run_gate("policy", "bundle", "build", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "precious\n" and out.exists()


def test_seal_never_deletes_a_plaintext_because_a_lock_says_it_was_sealed(tmp_path):
    import hashlib
    import json

    root = make_repo(tmp_path)
    _, recipient = age_identity(tmp_path)
    directory = make_dataset(root, "a", {"data/a.csv": CLEAN})
    data = (directory / "data" / "a.csv").read_bytes()
    planted = directory / "data" / "a.csv.age"
    planted.write_bytes(b"age-encryption.org/v1\n-> something else entirely\n")
    lock = json.loads((directory / "dataset.lock").read_text())
    lock["files"] = [{"path": "datasets/a/data/a.csv.age", "sha256": hashlib.sha256(planted.read_bytes()).hexdigest(),
                      "size": planted.stat().st_size,
                      "plain": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}}]
    (directory / "dataset.lock").write_text(json.dumps(lock))
    run_gate("seal", str(directory), "--repo", str(root), "-r", recipient)
    assert (directory / "data" / "a.csv").read_bytes() == data
