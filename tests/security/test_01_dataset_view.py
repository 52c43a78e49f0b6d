"""Class 1 — one dataset view: the lock, the globs and the directory must agree exactly, every file is
read once, and special files are refused without being opened."""

from __future__ import annotations

import os
import socket
import sys
import time
import unicodedata

import pytest

from _attack import EMAIL, SSN_ROWS, check, denies, hand_lock, make_dataset, make_repo, write

CLEAN = "id,score,label\n" + "".join(f"{i},{i * 3 % 7},{i % 2}\n" for i in range(30))
SECRET = "id,ssn,note\n" + SSN_ROWS


def test_a_locked_file_the_globs_do_not_match_is_refused(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/part.csv": CLEAN})
    write(directory / "data" / "extra.json", f'{{"contact": "{EMAIL}"}}\n')
    hand_lock(directory, root, ["datasets/a/data/extra.json"])  # right digest: only the globs disagree
    code, body, _ = check(root, directory)
    assert code == 1 and "integrity.file_unmatched" in denies(body), body


def test_a_lock_entry_of_another_dataset_is_refused(tmp_path):
    root = make_repo(tmp_path)
    make_dataset(root, "secret", {"data/people.csv": SECRET}, classification="restricted")
    public = make_dataset(root, "open", {"data/part.csv": CLEAN}, classification="public")
    hand_lock(public, root, ["datasets/secret/data/people.csv"])
    code, body, _ = check(root, public)
    assert code == 1 and "integrity.path_outside_dataset" in denies(body), body


def test_a_link_into_another_dataset_is_refused(tmp_path):
    root = make_repo(tmp_path)
    make_dataset(root, "secret", {"data/people.csv": SECRET}, classification="restricted")
    public = make_dataset(root, "open", {"data/part.csv": CLEAN}, classification="public", lock=False)
    os.symlink("../../secret/data/people.csv", public / "data" / "people.csv")
    code, body, _ = check(root, public)
    assert code == 1 and "integrity.path_outside_dataset" in denies(body), body


@pytest.mark.parametrize("name", ["data/B.CSV", "data/part.csv ", "notes/readme.txt", "data/part.csv.bak"])
def test_a_file_neither_covered_nor_excluded_is_refused(tmp_path, name):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/part.csv": CLEAN})
    write(directory / name, SECRET)
    code, body, _ = check(root, directory)
    assert code == 1 and denies(body) & {"integrity.file_uncovered", "integrity.ambiguous_name"}, body


def test_an_explicit_exclude_makes_a_file_not_data(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/part.csv": CLEAN, "notes/readme.txt": "about\n"},
                             extra="exclude: [notes/*.txt]\n")
    code, body, _ = check(root, directory)
    assert code == 0, body


def test_a_hidden_file_in_the_lock_is_scanned_like_any_other(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/part.csv": CLEAN})
    write(directory / "data" / ".cache.csv", SECRET)
    hand_lock(directory, root, ["datasets/a/data/.cache.csv"])
    code, body, _ = check(root, directory)
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


def test_a_normalization_twin_is_refused(tmp_path):
    root = make_repo(tmp_path)
    nfc = unicodedata.normalize("NFC", "café.csv")
    directory = make_dataset(root, "a", {f"data/{nfc}": CLEAN}, globs=f"[data/{nfc}]")
    write(directory / "data" / unicodedata.normalize("NFD", nfc), SECRET)
    code, body, _ = check(root, directory)
    assert code == 1 and {"integrity.file_uncovered", "integrity.ambiguous_name"} <= denies(body), body


@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_special_files_are_refused_without_being_opened(tmp_path, kind):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/part.csv": CLEAN})
    target = directory / "data" / "x.csv"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
    started = time.monotonic()
    code, body, _ = check(root, directory)  # opening the FIFO for reading would block: the run would time out
    assert time.monotonic() - started < 60
    assert code == 1 and "integrity.not_regular_file" in denies(body), body


def test_each_data_file_is_opened_once_for_digest_and_facts(tmp_path, monkeypatch):
    """One read gives the digest, the PII scan and the poisoning table: nothing can change in between."""
    from gate.run.session import Options
    from gate.run.check import check_paths

    root = make_repo(tmp_path)
    rows = "id,f1,f2,label\n" + "".join(f"{i},{i % 5},{(i * 7) % 11},{i % 2}\n" for i in range(200))
    directory = make_dataset(root, "a", {"data/part.csv": rows}, extra="schema: {label: label}\n")
    target = str(directory / "data" / "part.csv")
    opened: list[str] = []

    def hook(event, args):
        if event == "open" and args and str(args[0]).endswith("part.csv"):
            opened.append(str(args[0]))

    sys.addaudithook(hook)
    monkeypatch.setenv("CI", "true")
    verdict = check_paths([directory], Options(repo_root=root, cache=False))
    done = list(opened)
    opened.clear()
    opened.append("disarmed")  # the hook cannot be removed; later opens only add to a list nobody reads
    assert not verdict.errors and verdict.datasets[0].facts["poisoning"]["status"] == "ok", verdict.to_json()
    assert [p for p in done if p.endswith("part.csv")] == [target], done
