"""Class 6 — access and loading decide on everything: one walker finds every dataset (hidden directories
too), a dataset id belongs to one descriptor, and the loader refuses what the dataset policy denies."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

import gate
from _attack import SSN_ROWS, check, keys, make_dataset, make_repo, run_gate

CLEAN = "id,score\n" + "".join(f"{i},{i % 7}\n" for i in range(20))


def _load(root, directory, k, tmp_path, **extra):
    return gate.open_dataset(directory, subject="bob", purpose="model-training", audit_log=tmp_path / "audit.jsonl",
                             audit_key_file=k["audit"], repo_root=root, **extra)


def test_two_descriptors_claiming_one_id_are_an_error_naming_both(tmp_path):
    root = make_repo(tmp_path)
    make_dataset(root, "churn", {"data/p.csv": CLEAN}, dataset_id="churn-2026q1", classification="confidential")
    make_dataset(root, "shadow", {"data/p.csv": CLEAN}, dataset_id="churn-2026q1", classification="public",
                 where="aaa", lock=False)
    proc = run_gate("access", "--subject", "bob", "--dataset", "churn-2026q1", "--action", "train", "--purpose",
                    "model-training", "--repo", str(root))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "aaa/shadow/dataset.yaml" in proc.stderr + proc.stdout and "datasets/churn/dataset.yaml" in \
        proc.stderr + proc.stdout


def test_check_all_sees_datasets_in_hidden_directories(tmp_path):
    root = make_repo(tmp_path)
    make_dataset(root, "visible", {"data/p.csv": CLEAN})
    make_dataset(root, "hidden", {"data/p.csv": "id,ssn,note\n" + SSN_ROWS}, where=".stash")
    code, body, _ = check(root, args=("--all",))
    assert {d["id"] for d in body["datasets"]} == {"visible", "hidden"}, body
    assert code == 1


def test_the_loader_refuses_a_dataset_under_a_directory_the_walker_skips(tmp_path):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "vendored", {"data/p.csv": CLEAN}, where="node_modules", lock=False)
    data = (directory / "data" / "p.csv").read_bytes()
    (directory / "dataset.lock").write_text(json.dumps({"gate_lock": 1, "dataset": "vendored", "files": [
        {"path": "node_modules/vendored/data/p.csv", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}]}))
    with pytest.raises(gate.GateError, match="not a dataset"):
        _load(root, directory, k, tmp_path)
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["decision"] for e in entries] == ["error"]


def test_the_loader_refuses_what_the_dataset_policy_denies(tmp_path):
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "people", {"data/p.csv": "id,ssn,note\n" + SSN_ROWS})
    with pytest.raises(gate.GateError) as info:
        _load(root, directory, k, tmp_path)
    assert "pii.type_not_allowed" in getattr(info.value, "reasons", []), info.value
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert entries[-1]["decision"] == "fail" and "pii.type_not_allowed" in entries[-1]["reasons"]


def test_policy_data_can_mark_a_rule_as_not_blocking_loads(tmp_path):
    import yaml

    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "people", {"data/p.csv": "id,ssn,note\n" + SSN_ROWS})
    data = tmp_path / "loader.yaml"
    data.write_text(yaml.safe_dump({"org": {"loader": {"non_blocking": ["pii.type_not_allowed"]}}}))
    frame = _load(root, directory, k, tmp_path, data_files=(data,))
    assert len(frame) == 40


def test_only_files_named_dataset_yaml_are_descriptors(tmp_path):
    """A second descriptor beside dataset.yaml would escape `check --all` and the id checks."""
    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": CLEAN})
    other = directory / "public.yaml"
    other.write_text((directory / "dataset.yaml").read_text().replace("classification: internal",
                                                                      "classification: public"))
    proc = run_gate("check", str(other), "--repo", str(root))
    assert proc.returncode == 2 and "dataset.yaml" in proc.stdout + proc.stderr
    with pytest.raises(gate.GateError, match="descriptor"):
        _load(root, other, k, tmp_path)


def test_a_fact_that_could_not_be_computed_refuses_the_load_even_if_listed_non_blocking(tmp_path):
    """The descriptor names a label but no file is a table: the poisoning facts cannot be computed. That is
    an error, never a pass: the loader refuses it whatever org.loader.non_blocking lists."""
    import yaml

    root = make_repo(tmp_path)
    k = keys(tmp_path)
    directory = make_dataset(root, "notes", {"data/n.txt": "first note\nsecond note\n"}, globs="[data/*.txt]",
                             extra="schema:\n  label: label\n")
    data = tmp_path / "loader.yaml"
    data.write_text(yaml.safe_dump({"org": {"loader": {"non_blocking": ["facts.not_computed"]}}}))
    with pytest.raises(gate.GateError) as info:
        _load(root, directory, k, tmp_path, data_files=(data,))
    assert "facts.not_computed" in getattr(info.value, "reasons", []), info.value
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert entries[-1]["decision"] == "fail" and "facts.not_computed" in entries[-1]["reasons"]


def test_an_edit_through_a_symlinked_descriptor_is_seen_by_the_next_decision(tmp_path):
    """A process deciding many requests reuses its dataset index while nothing changed; a descriptor that is
    a link is stamped as its target too, so an edit of the target in place is seen at once."""
    import shutil

    from conftest import EXAMPLE_REPO, EXAMPLES

    from gate import Options, decide_access

    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE_REPO / "datasets" / "churn-2026q1", root / "datasets" / "churn")
    (root / ".gate.yaml").write_text("gate: 1\n")
    (root / "shared").mkdir()
    (root / "datasets" / "churn" / "dataset.yaml").rename(root / "shared" / "churn.yaml")
    os.symlink("../../shared/churn.yaml", root / "datasets" / "churn" / "dataset.yaml")
    request = json.loads((EXAMPLES / "requests" / "01-bob-trains-churn.json").read_text())
    options = Options(repo_root=root)
    assert decide_access([(request, "r")], options).datasets[0].allow is True
    target = root / "shared" / "churn.yaml"
    text = target.read_text()
    assert "purposes: [model-training, evaluation]" in text
    with open(target, "r+") as handle:  # in place: the link, the directories and the inode stay
        handle.write(text.replace("purposes: [model-training, evaluation]", "purposes: [evaluation]"))
        handle.truncate()
    second = decide_access([(request, "r")], options).datasets[0]
    assert second.allow is False and "access.purpose_not_declared" in {v.id for v in second.violations}


def test_a_long_lived_process_sees_the_named_descriptor_replaced_removed_or_a_new_dataset_at_once(tmp_path):
    """The reused index checks the one descriptor a request names (and every directory when the id is not
    found): a descriptor replaced by rename, a link re-pointed, a descriptor removed and a dataset added
    after the first decision are each seen by the next one."""
    import shutil

    from conftest import EXAMPLE_REPO, EXAMPLES

    from gate import Options, decide_access

    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE_REPO / "datasets" / "churn-2026q1", root / "datasets" / "churn")
    (root / ".gate.yaml").write_text("gate: 1\n")
    request = json.loads((EXAMPLES / "requests" / "01-bob-trains-churn.json").read_text())
    options = Options(repo_root=root)
    decide = lambda: decide_access([(request, "r")], options)  # noqa: E731
    assert decide().datasets[0].allow is True
    descriptor = root / "datasets" / "churn" / "dataset.yaml"
    text = descriptor.read_text()
    narrowed = text.replace("purposes: [model-training, evaluation]", "purposes: [evaluation]")
    assert narrowed != text
    # replaced by rename (what editors and git do): a new inode at the same path
    (root / "new.yaml").write_text(narrowed)
    os.replace(root / "new.yaml", descriptor)
    assert decide().datasets[0].allow is False
    # a link, then the link re-pointed to the permissive text and back
    (root / "wide.yaml").write_text(text)
    (root / "narrow.yaml").write_text(narrowed)
    descriptor.unlink()
    os.symlink(root / "wide.yaml", descriptor)
    assert decide().datasets[0].allow is True
    descriptor.unlink()
    os.symlink(root / "narrow.yaml", descriptor)
    assert decide().datasets[0].allow is False
    # removed: the dataset is unknown at once
    descriptor.unlink()
    gone = decide().datasets[0]
    assert gone.allow is False and "access.unknown_dataset" in {v.id for v in gone.violations}
    # a dataset added after the decisions above is found by the next one
    other = root / "datasets" / "later"
    other.mkdir()
    (other / "dataset.yaml").write_text(text.replace("id: churn-2026q1", "id: later-2026"))
    assert "id: churn-2026q1" in text
    later = decide_access([({**request, "dataset": "later-2026"}, "r")], options)
    assert later.datasets and later.datasets[0].id.endswith("later-2026")
