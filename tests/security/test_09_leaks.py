"""Class 9 — nothing leaks: recorded inputs are redacted, previews cannot be inverted, fingerprint keys
never sit beside fingerprints, PII in names is masked and control characters are escaped in every
format a person reads."""

from __future__ import annotations

import json
import os

import pytest

from _attack import EMAIL, SSN_ROWS, make_dataset, make_repo, run_gate

FORMATS = ["text", "json", "sarif", "junit", "github"]


def test_recorded_inputs_are_redacted(tmp_path):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {f"data/{EMAIL}.csv": "id,score\n1,2\n"}, title=f"Sent by {EMAIL}")
    record = tmp_path / "record"
    run_gate("check", str(directory), "--repo", str(root), "--record", str(record), "--no-cache")
    files = list(record.iterdir())
    assert files
    assert all(EMAIL not in path.read_text() for path in files)


def test_previews_show_no_digits_and_the_fingerprint_key_is_not_in_the_repository(tmp_path):
    """With the last four digits shown and the key beside the fingerprints, a 9-digit SSN falls to a
    brute force of 10^5 HMACs: neither is true any more."""
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": "id,ssn,note\n" + SSN_ROWS})
    proc = run_gate("scan", "pii", str(directory), "--repo", str(root), "--format", "json")
    findings = json.loads(proc.stdout)["findings"]
    assert findings and all(not any(c.isdigit() for c in f["preview"]) for f in findings), findings[:3]
    run_gate("check", str(directory), "--repo", str(root), env={"CI": ""})
    inside = [p for p in root.rglob("*") if p.is_file() and "key" in p.name and ".git" not in p.parts]
    assert not inside, inside


@pytest.mark.parametrize("fmt", FORMATS)
def test_pii_in_column_and_file_names_is_masked_in_every_format(tmp_path, fmt):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {f"data/{EMAIL}.csv": f"id,{EMAIL}\n1,2\n"})
    proc = run_gate("check", str(directory), "--repo", str(root), "--format", fmt, "--no-cache")
    assert proc.returncode == 1, proc.stderr
    assert EMAIL not in proc.stdout + proc.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_in_file_names_are_escaped(tmp_path, fmt):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": "id,score\n1,2\n"})
    evil = directory / "data" / "x\x1b[2J\x1b[31mPASS\x07.csv"
    evil.write_text("id,score\n1,2\n")
    proc = run_gate("check", str(directory), "--repo", str(root), "--format", fmt, "--no-cache")
    assert proc.returncode == 1, proc.stderr
    if fmt == "json":
        json.loads(proc.stdout)  # JSON escapes them itself
        return
    for text in (proc.stdout, proc.stderr):
        assert "\x1b" not in text and "\x07" not in text, text
    assert "\\x1b" in proc.stdout
    if fmt == "junit":
        from xml.etree import ElementTree

        ElementTree.fromstring(proc.stdout)  # still well-formed XML


def test_scan_outputs_escape_and_mask_names_too(tmp_path):
    root = make_repo(tmp_path)
    path = root / f"x\x1b[31m{EMAIL}.txt"
    path.write_text(f"write to {EMAIL}\n")
    proc = run_gate("scan", "pii", str(path), "--repo", str(root))
    assert "\x1b" not in proc.stdout and EMAIL not in proc.stdout + proc.stderr, proc.stdout
    assert os.path.exists(path)
