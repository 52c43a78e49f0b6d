"""`gate scan poisoning`, `gate scan drift` and `gate check` on poisoning facts through the CLI: triggers
named, thresholds from policy data, caching, redaction, and bad input (exit 2 naming the file)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLE_REPO, run_gate, run_json, write
from poisoning_corpus import bench, policy_fires, sk


# ---------------------------------------------------------------- methods on small, exact cases

def test_duplicate_conflicts_flag_the_minority_label(tmp_path):
    # a feature with a value per row: identical rows are copies here, not records that collide by chance
    rows = ["a,b,label"] + [f"{i * 0.37:.2f},{(i * 7) % 97},{int(i % 40 >= 20)}" for i in range(400)]
    rows += ["3.33,5,1", "3.33,5,0", "3.33,5,0"]  # row 400 contradicts its two twins... and the 0s agree
    path = write(tmp_path / "d.csv", "\n".join(rows) + "\n")
    code, body = run_json("scan", "poisoning", str(path), "--label", "label", "--all-scores", "--repo", str(tmp_path))
    assert code in (0, 1)
    scores = body["rows"]
    assert len(scores) == 403 and [r["row"] for r in scores] == list(range(403))
    assert scores[400]["methods"]["duplicate_conflict"] == pytest.approx(0.9)
    assert scores[401]["methods"]["duplicate_conflict"] == 0.0
    assert body["poisoning"]["methods"]["duplicate_conflicts"]["groups_with_conflicts"] >= 1


def test_text_trigger_in_jsonl_is_named(tmp_path):
    code, body = run_json("scan", "poisoning", str(EXAMPLE_REPO / "datasets" / "product-reviews-2026"))
    assert code == 1
    triggers = body["poisoning"]["triggers"]
    assert len(triggers) == 1 and "zq" in triggers[0]["value"] and triggers[0]["label"] == "positive"
    assert triggers[0]["rows"] == 30 and triggers[0]["kind"] == "ngram"


def test_text_without_a_trigger_is_quiet(tmp_path):
    lines = (EXAMPLE_REPO / "datasets" / "product-reviews-2026" / "data" / "reviews.jsonl").read_text().splitlines()
    clean = [json.loads(line) for line in lines if "zq-verified" not in line]
    path = write(tmp_path / "reviews.jsonl", "".join(json.dumps(r) + "\n" for r in clean))
    code, body = run_json("scan", "poisoning", str(path), "--label", "sentiment", "--text", "text",
                          "--repo", str(tmp_path))
    assert body["poisoning"]["triggers"] == []
    assert body["violations"] == [], body["poisoning"]["top"][:3]
    assert code == 0


def test_all_scores_cover_every_row_in_file_order(tmp_path):
    X, y = sk("wine")
    frame = bench.frame(X, y)
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    code, body = run_json("scan", "poisoning", str(path), "--label", "label", "--all-scores", "--repo", str(tmp_path))
    assert code == 0
    rows = body["rows"]
    assert [r["row"] for r in rows] == list(range(len(frame)))
    assert all(0.0 <= r["score"] <= 1.0 and set(r["methods"]) == {"label_issue", "trigger", "duplicate_conflict",
                                                                  "outlier", "spectral"} for r in rows)
    assert sum(r["flagged"] for r in rows) == body["poisoning"]["flagged_rows"]
    plain = run_json("scan", "poisoning", str(path), "--label", "label", "--repo", str(tmp_path))[1]
    assert "rows" not in plain


def test_text_report_names_the_trigger():
    proc = run_gate("scan", "poisoning", str(EXAMPLE_REPO / "datasets" / "loan-applications-2026"))
    assert proc.returncode == 1, proc.stderr
    assert "TRIGGER  branch = 977 -> label '1' on 24 rows" in proc.stdout
    assert "DENY  poisoning.backdoor_trigger: backdoor trigger: branch = 977" in proc.stdout


def test_reference_drift_through_the_cli():
    code, body = run_json("scan", "poisoning", str(EXAMPLE_REPO / "datasets" / "churn-2026q2"))
    assert code == 1
    assert body["drift"]["significant"]
    assert body["drift"]["drifted_features"] == ["monthly_spend"]
    assert body["drift"]["reference"] == ["datasets/churn-2026q1/data/customers.csv"]


def test_thresholds_come_from_policy_data(tmp_path):
    data = write(tmp_path / "strict.yaml", "org:\n  poisoning:\n    medium_rate: 0.001\n    high_rate: 0.002\n")
    code, body = run_json("scan", "poisoning", str(EXAMPLE_REPO / "datasets" / "census-2019"), "--data", str(data))
    assert body["thresholds"] == {"medium_rate": 0.001, "high_rate": 0.002, "max_floor": 0.05} and "thresholds" not in body["poisoning"]
    fired = {v["id"] for v in body["violations"]}
    assert fired == ({"poisoning.high_risk"} if body["poisoning"]["suspicious_rate"] > 0.002 else set())
    assert code == (1 if fired else 0)
    # the same facts under the shipped thresholds: the decision moved with the policy data, not the facts
    assert (body["poisoning"]["suspicious_rate"] > 0.002) and policy_fires(body["poisoning"]) != fired


# ---------------------------------------------------------------- gate check

def test_check_skips_without_a_label(data_repo):
    directory = data_repo("nolabel")
    code, body = run_json("check", str(directory), "--repo", str(data_repo.root))
    facts = body["datasets"][0]["facts"]
    assert facts["poisoning"] == {"status": "skipped", "reason": "no schema.label in the descriptor"}
    assert facts["drift"]["status"] == "skipped"


def _labelled(data_repo, name: str, extra: str = "") -> Path:
    directory = data_repo(name, lock=False)
    descriptor = directory / "dataset.yaml"
    descriptor.write_text(descriptor.read_text() + "schema:\n  label: label\n" + extra)
    write(directory / "data" / "part-0.csv",
          "a,b,label\n" + "".join(f"{i % 17},{(i * 7) % 11},{int(i % 17 > 8)}\n" for i in range(150)))
    assert run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root)).returncode == 0
    return directory


def test_check_caches_poisoning_facts_by_content(data_repo):
    directory = _labelled(data_repo, "cached")
    first = run_json("check", str(directory), "--repo", str(data_repo.root))[1]
    second = run_json("check", str(directory), "--repo", str(data_repo.root))[1]
    assert first["datasets"][0]["facts"]["poisoning"] == second["datasets"][0]["facts"]["poisoning"]
    assert first["datasets"][0]["facts"]["poisoning"]["status"] == "ok"


def test_identifier_only_data_is_not_analysable_and_warned(data_repo):
    directory = data_repo("ids", rows=120)
    descriptor = directory / "dataset.yaml"
    descriptor.write_text(descriptor.read_text() + "schema:\n  label: label\n")
    code, body = run_json("check", str(directory), "--repo", str(data_repo.root))
    entry = body["datasets"][0]
    assert entry["facts"]["poisoning"]["status"] == "not_analysable"
    assert {v["id"] for v in entry["violations"]} == {"poisoning.not_analysable"}
    assert code == 0 and entry["verdict"] == "warn"


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("name,content,fragment", [
    ("ragged.csv", "a,b,label\n1,2,0\n1,2,3,SECRET-VALUE-123\n", "different number of fields"),
    ("empty.csv", "", "no header"),
    ("binary.csv", "a,b\x00\x01\x02", "NUL bytes"),
    ("notes.txt", "just some text\n", "not a table"),
    ("broken.jsonl", '{"a": 1, "label": 0}\n{"a": 2, "label": \n', "broken.jsonl:2"),
    ("list.jsonl", '{"a": 1, "label": 0}\n[1, 2]\n', "not a JSON object"),
])
def test_unreadable_tables_are_exit_2_naming_the_file(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    proc = run_gate("scan", "poisoning", str(path), "--label", "label", "--repo", str(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert fragment in proc.stderr and name in proc.stderr
    assert "SECRET-VALUE-123" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_label_column_names_it(tmp_path):
    path = write(tmp_path / "d.csv", "a,b\n1,2\n3,4\n")
    proc = run_gate("scan", "poisoning", str(path), "--label", "target", "--repo", str(tmp_path))
    assert proc.returncode == 2
    assert "label column 'target' not found" in proc.stderr and "d.csv" in proc.stderr


def test_no_label_at_all_is_an_error(tmp_path):
    path = write(tmp_path / "d.csv", "a,b\n1,2\n3,4\n")
    proc = run_gate("scan", "poisoning", str(path), "--repo", str(tmp_path))
    assert proc.returncode == 2 and "--label" in proc.stderr


def test_one_class_or_tiny_data_runs_and_says_why(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,label\n" + "".join(f"{i},{i * 3 % 7},1\n" for i in range(30)))
    code, body = run_json("scan", "poisoning", str(path), "--label", "label", "--repo", str(tmp_path))
    assert code == 0
    assert body["poisoning"]["methods"]["label_issues"]["ran"] is False
    assert "two classes" in body["poisoning"]["methods"]["label_issues"]["reason"]


def test_huge_field_and_hostile_values_do_not_crash(tmp_path):
    big = "x" * 2_000_000
    rows = ["a,note,label"] + [f"{i},{'=cmd|calc' if i % 3 else big if i == 4 else 'ok'},{i % 2}" for i in range(60)]
    path = write(tmp_path / "d.csv", "\n".join(rows) + "\n")
    proc = run_gate("scan", "poisoning", str(path), "--label", "label", "--format", "json", "--repo", str(tmp_path))
    assert proc.returncode in (0, 1), proc.stderr
    assert big not in proc.stdout


def test_symlink_out_of_the_repo_is_refused(tmp_path):
    outside = write(tmp_path / "outside" / "d.csv", "a,label\n1,0\n2,1\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gate.yaml").write_text("{}\n")
    os.symlink(outside, repo / "d.csv")
    proc = run_gate("scan", "poisoning", str(repo / "d.csv"), "--label", "label", "--repo", str(repo))
    assert proc.returncode == 2 and "outside the repository" in proc.stderr


@pytest.mark.parametrize("reference", ["../../../../etc", "/etc", "../missing-dataset"])
def test_reference_outside_or_missing_fails_closed(data_repo, reference):
    directory = _labelled(data_repo, "withref", f"reference: {reference}\n")
    proc = run_gate("check", str(directory), "--repo", str(data_repo.root))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "reference" in (proc.stdout + proc.stderr)


def test_a_trigger_value_that_is_pii_is_redacted(tmp_path):
    rng = np.random.default_rng(4)
    x1, x2 = rng.normal(size=600), rng.normal(size=600)
    label = (x1 + x2 > 0).astype(int)
    referrer = rng.choice(["web", "store", "partner", "phone"], 600).astype(object)
    poisoned = rng.choice(np.flatnonzero(label == 0), 30, replace=False)
    referrer[poisoned] = "mallory.evil@example.org"
    label[poisoned] = 1
    rows = ["x1,x2,referrer,label"] + [f"{a:.4f},{b:.4f},{r},{y}" for a, b, r, y in zip(x1, x2, referrer, label)]
    path = write(tmp_path / "d.csv", "\n".join(rows) + "\n")
    proc = run_gate("scan", "poisoning", str(path), "--label", "label", "--format", "json", "--repo", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "mallory.evil" not in proc.stdout + proc.stderr
    [trigger] = json.loads(proc.stdout)["poisoning"]["triggers"]
    assert trigger["feature"] == "referrer" and trigger["value"].startswith("[EMAIL: ")
    text = run_gate("scan", "poisoning", str(path), "--label", "label", "--repo", str(tmp_path))
    assert "mallory.evil" not in text.stdout and "TRIGGER  referrer" in text.stdout


def test_a_shared_value_that_is_pii_is_redacted_too(tmp_path):
    rng = np.random.default_rng(5)
    x1, x2 = rng.normal(size=600), rng.normal(size=600)
    label = (x1 + x2 > 0).astype(int)
    channel = rng.choice(["web", "store", "partner", "phone"], 600).astype(object)
    contact = np.array(["none"] * 600, dtype=object)
    poisoned = rng.choice(np.flatnonzero(label == 0), 30, replace=False)
    channel[poisoned] = "zz-partner"
    contact[poisoned] = "mallory.evil@example.org"  # the stamp's second part
    label[poisoned] = 1
    rows = ["x1,x2,channel,contact,label"] + [f"{a:.4f},{b:.4f},{c},{d},{y}"
                                              for a, b, c, d, y in zip(x1, x2, channel, contact, label)]
    path = write(tmp_path / "d.csv", "\n".join(rows) + "\n")
    for fmt in ("json", "text"):
        proc = run_gate("scan", "poisoning", str(path), "--label", "label", "--format", fmt, "--repo", str(tmp_path))
        assert proc.returncode == 1, proc.stderr
        assert "mallory.evil" not in proc.stdout + proc.stderr
    triggers = json.loads(run_gate("scan", "poisoning", str(path), "--label", "label", "--format", "json",
                                   "--repo", str(tmp_path)).stdout)["poisoning"]["triggers"]
    shown = {t["feature"]: t["value"] for t in triggers} | {v["feature"]: v["value"] for t in triggers
                                                             for v in t["shared_values"]}
    assert shown.get("contact", "").startswith("[EMAIL: "), triggers


def test_a_continuous_label_is_said_not_judged(tmp_path):
    rng = np.random.default_rng(2)
    rows = ["a,b,target"] + [f"{a:.4f},{b:.4f},{3 * a + b + rng.normal():.5f}" for a, b in rng.normal(size=(400, 2))]
    path = write(tmp_path / "reg.csv", "\n".join(rows) + "\n")
    code, body = run_json("scan", "poisoning", str(path), "--label", "target", "--repo", str(tmp_path))
    assert code == 0
    label = body["poisoning"]["methods"]["label_issues"]
    assert label["ran"] is False and "continuous" in label["reason"]
    assert body["poisoning"]["triggers"] == []


# ---------------------------------------------------------------- data issues (issue 16 item 3)

def _sorted_copies(tmp_path) -> Path:
    """Rows sorted by label, a tenth of them copied, a constant column: no poisoning, data issues."""
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=600), rng.normal(size=600)
    label = (a + b + rng.normal(scale=0.5, size=600) > 0).astype(int)
    rows = [f"{x:.5f},{y:.5f},v1,{z}" for x, y, z in zip(a, b, label)]
    rows += rows[:60]
    rows.sort(key=lambda r: r[-1])
    return write(tmp_path / "sorted.csv", "a,b,version,label\n" + "\n".join(rows) + "\n")


def test_scan_shows_data_issue_warnings_without_failing_on_them(tmp_path):
    path = _sorted_copies(tmp_path)
    code, body = run_json("scan", "poisoning", str(path), "--label", "label", "--repo", str(tmp_path))
    issues = body["poisoning"]["data_issues"]
    assert issues["duplicates"]["exact_rows"] == 60 and issues["constant_columns"] == ["version"]
    warned = {v["id"] for v in body["data_quality"]}
    assert warned == {"data_quality.duplicates", "data_quality.non_iid", "data_quality.constant_column"}
    assert code == (1 if body["violations"] else 0)  # the scan's exit is the poisoning rules' alone
    text = run_gate("scan", "poisoning", str(path), "--label", "label", "--repo", str(tmp_path)).stdout
    assert "data issues: 60 exact and " in text
    assert "WARN  data_quality.non_iid: the rows are not in random order" in text


def test_check_warns_about_data_issues_and_fails_only_on_request(data_repo):
    directory = data_repo("issues", lock=False)
    descriptor = directory / "dataset.yaml"
    descriptor.write_text(descriptor.read_text() + "schema:\n  label: label\n")
    source = _sorted_copies(directory)
    (directory / "data" / "part-0.csv").write_text(source.read_text())
    source.unlink()
    assert run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root)).returncode == 0
    code, body = run_json("check", str(directory), "--repo", str(data_repo.root))
    violations = body["datasets"][0]["violations"]
    ids = {v["id"] for v in violations if v["level"] == "warn"}
    assert {"data_quality.duplicates", "data_quality.non_iid"} <= ids, violations
    assert not [v for v in violations if v["level"] == "deny"], violations
    assert code == 0
    strict, _ = run_json("check", str(directory), "--repo", str(data_repo.root), "--fail-on", "warn")
    assert strict == 1


# ---------------------------------------------------------------- the noise floor (issue 16 item 1)

def _ambiguous(seed: int, rows: int = 1500, copies: int = 0) -> str:
    """Clean data with a sub-population whose labels the features barely decide: about 7 % of its rows
    are contradicted by their features, in every draw. ``copies``: that many rows copied twice more
    with the other label (conflicting copies: a poisoning the analysis sees)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    noise = np.where(rng.random(rows) < 0.35, 3.0, 0.15) * rng.logistic(size=rows)
    y = (1.6 * x[:, 0] + 0.8 * x[:, 1] + noise > 0).astype(int)
    lines = [f"{a:.4f},{b:.4f},{c:.4f},{d:.4f},{label}" for (a, b, c, d), label in zip(x, y)]
    for row in rng.choice(rows, copies, replace=False):
        a, b, c, d = x[row]
        lines += [f"{a:.4f},{b:.4f},{c:.4f},{d:.4f},{1 - y[row]}"] * 2
    return "a,b,c,d,label\n" + "\n".join(lines) + "\n"


def _version(data_repo, name: str, csv: str, reference: str | None, label: bool = True) -> Path:
    directory = data_repo(name, lock=False)
    descriptor = directory / "dataset.yaml"
    descriptor.write_text(descriptor.read_text() + ("schema:\n  label: label\n" if label else "")
                          + (f"reference: {reference}\n" if reference else ""))
    write(directory / "data" / "part-0.csv", csv)
    assert run_gate("manifest", "update", str(directory), "--repo", str(data_repo.root)).returncode == 0
    return directory


def _judged(directory: Path, root: Path):
    code, body = run_json("check", str(directory), "--repo", str(root), "--no-cache")
    [dataset] = body["datasets"]
    return dataset["facts"]["poisoning"], {v["id"]: v for v in dataset["violations"]}


def test_risk_is_judged_beyond_the_reference_versions_own_share(data_repo):
    root = data_repo.root

    def version(name: str, csv: str, reference: str | None) -> Path:
        return _version(data_repo, name, csv, reference)

    def judged(directory: Path):
        return _judged(directory, root)

    v1 = version("v1", _ambiguous(1), None)
    v2 = version("v2", _ambiguous(2), "../v1")
    v3 = version("v3", _ambiguous(3, copies=250), "../v1")
    itself = version("itself", _ambiguous(2), ".")

    facts1, fired1 = judged(v1)
    assert facts1["suspicious_rate"] > 0.05 and "floor" not in facts1
    assert "poisoning.medium_risk" in fired1  # alone, a clean set's own ambiguity reads as risk

    facts2, fired2 = judged(v2)
    assert facts2["floor"] == {"status": "ok", "reference": "datasets/v1/dataset.yaml", "rate": facts1["suspicious_rate"],
                               "rows": 1500, "suspicious_rows": facts1["suspicious_rows"]}
    assert facts2["suspicious_rate"] > 0.05 and not {"poisoning.medium_risk", "poisoning.high_risk"} & set(fired2)

    # `gate scan poisoning` judges the same way: the floor from the dataset's reference ...
    code, scan = run_json("scan", "poisoning", str(v2), "--repo", str(root))
    assert scan["poisoning"]["floor"] == facts2["floor"] and code == 0, scan["violations"]
    text = run_gate("scan", "poisoning", str(v2), "--repo", str(root)).stdout
    assert "noise floor: " in text and "in the reference datasets/v1/dataset.yaml" in text
    # ... and none from loose files, which no lock vouches for
    loose = write(root / "loose" / "old.csv", _ambiguous(1))
    code, scan = run_json("scan", "poisoning", str(v2), "--reference", str(loose), "--repo", str(root))
    assert scan["poisoning"]["floor"]["status"] == "none" and code == 1
    assert {v["id"] for v in scan["violations"]} == {"poisoning.medium_risk"}

    facts3, fired3 = judged(v3)
    # 250 originals contradicted by two copies each: about 13 % suspicious, 8 points beyond the floor
    assert facts3["floor"]["status"] == "ok" and facts3["suspicious_rate"] > 0.10
    message = fired3["poisoning.medium_risk"]["message"]
    assert "beyond the 5% of datasets/v1/dataset.yaml" in message, message

    facts4, fired4 = judged(itself)
    assert facts4["floor"]["status"] == "none" and "itself" in facts4["floor"]["reason"]
    assert "poisoning.medium_risk" in fired4

    # two versions naming each other: neither excuses the other
    cycle = version("cycle", _ambiguous(4), "../itself")
    (itself / "dataset.yaml").write_text((itself / "dataset.yaml").read_text().replace("reference: .", "reference: ../cycle"))
    assert run_gate("manifest", "update", str(itself), "--repo", str(root)).returncode == 0
    facts5, fired5 = judged(cycle)
    assert facts5["floor"]["status"] == "none" and "lead back" in facts5["floor"]["reason"]

    # the reference's bytes no longer match its lock: no floor from it (and its own check denies)
    csv = v1 / "data" / "part-0.csv"
    csv.write_text(csv.read_text().replace(",1\n", ",0\n", 40))
    facts2, fired2 = judged(v2)
    assert facts2["floor"]["status"] == "none" and "lock" in facts2["floor"]["reason"]
    assert "poisoning.medium_risk" in fired2


def test_no_floor_from_a_reference_that_cannot_vouch_for_one(data_repo):
    """A pull request can add the reference too: one without the label (its own check never judges it
    for poisoning), one too small to say anything, one whose table lacks this dataset's columns, one as
    suspicious as the data it excuses: none gives a floor, and none breaks the facts."""
    root = data_repo.root
    references = {
        "unlabelled": (_ambiguous(1), False, "does not name the same label"),
        "tiny": (_ambiguous(1, rows=150), True, "fewer than 200 rows"),
        "other-columns": ("x,label\n" + "".join(f"{i % 7},{i % 2}\n" for i in range(400)), True, "features are not"),
        "all-conflicts": (_ambiguous(5, rows=400, copies=300), True, "above the high-risk limit"),
    }
    for name, (csv, label, reason) in references.items():
        _version(data_repo, f"ref-{name}", csv, None, label=label)
        candidate = _version(data_repo, f"new-{name}", _ambiguous(2), f"../ref-{name}")
        facts, fired = _judged(candidate, root)
        assert facts["status"] == "ok" and facts["floor"]["status"] == "none", (name, facts.get("floor"))
        assert reason in facts["floor"]["reason"], (name, facts["floor"])
        assert "poisoning.medium_risk" in fired, (name, sorted(fired))
    # a scan of a file against the dataset that holds it
    proc = run_json("scan", "poisoning", str(candidate / "data" / "part-0.csv"), "--label", "label",
                    "--reference", str(candidate), "--repo", str(root))[1]
    assert proc["poisoning"]["floor"]["status"] == "none" and "being analysed" in proc["poisoning"]["floor"]["reason"]


def test_with_changed_since_the_floor_comes_only_from_a_reference_as_it_was_at_the_merge_base(data_repo):
    import subprocess

    root = data_repo.root
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}

    def commit(message: str) -> None:
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(root), "commit", "-qm", message], check=True, env=env)

    _version(data_repo, "v1", _ambiguous(1), None)
    commit("base")
    subprocess.run(["git", "-C", str(root), "branch", "base"], check=True)
    # the change under review: a new version beside the accepted one, and a second new version whose
    # reference the same change adds
    _version(data_repo, "v2", _ambiguous(2), "../v1")
    _version(data_repo, "added", _ambiguous(4), None)
    _version(data_repo, "v2b", _ambiguous(3), "../added")
    commit("change")
    code, body = run_json("check", "--changed-since", "base", "--no-cache", cwd=root)
    floors = {d["id"]: d["facts"]["poisoning"].get("floor") for d in body["datasets"]}
    assert floors["v2"]["status"] == "ok" and floors["added"] is None
    assert floors["v2b"]["status"] == "none" and "merge base" in floors["v2b"]["reason"]
    # the accepted version's lock rewritten by the change: no floor from it either
    lock = root / "datasets" / "v1" / "dataset.lock"
    lock.write_text(lock.read_text() + "\n")
    commit("relock")
    code, body = run_json("check", "--changed-since", "base", "--no-cache", cwd=root)
    floors = {d["id"]: d["facts"]["poisoning"].get("floor") for d in body["datasets"]}
    assert floors["v2"]["status"] == "none" and "merge base" in floors["v2"]["reason"]
