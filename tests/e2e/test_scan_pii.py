"""`gate scan pii`, the PII hook and `gate check` on PII: quality floors on a labeled corpus, readers
on bad input, baselines, and no leaks."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import EXAMPLE_REPO, NOW, run_gate, run_json, write
from pii_corpus import TRUE_KINDS, build, score

pytest.importorskip("faker")

FLOOR = 0.98


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pii") / "repo"
    (directory / ".git").mkdir(parents=True)
    return directory, build(directory / "data", rows=600, seed=20261123)


@pytest.fixture(scope="module")
def scanned(corpus):
    directory, truth = corpus
    code, body = run_json("scan", "pii", str(directory / "data"), "--repo", str(directory), "--no-baseline",
                          env={"GATE_FINGERPRINT_KEY": "test-key-0123456789abcdef0123456789"})
    return code, body


def _found(body) -> Counter:
    return Counter((Path(f["file"]).name, f["row"], f["column"], f["type"]) for f in body["findings"])


def test_precision_and_recall_floor_for_every_type(corpus, scanned):
    _, truth = corpus
    code, body = scanned
    assert code == 1 and body["errors"] == []
    results = score(truth.truth, _found(body), TRUE_KINDS)
    low = {k: v[:2] for k, v in results.items() if v[0] < FLOOR or v[1] < FLOOR}
    assert not low, f"below {FLOOR}: {low}"
    for kind, (_, _, tp, _, _) in results.items():
        assert tp >= 30, f"too few {kind} in the corpus to measure"


def test_decoys_were_planted_and_not_reported(corpus, scanned):
    _, truth = corpus
    _, body = scanned
    kinds = Counter(k[3] for k in truth.decoys.elements())
    assert all(kinds[k] >= 30 for k in ("bad_card", "bad_ssn", "bad_iban", "order_number", "version")), kinds
    reported = {(Path(f["file"]).name, f["row"], f["column"]) for f in body["findings"]}
    decoy_cells = {(f, r, c) for (f, r, c, _) in truth.decoys}
    true_cells = {(f, r, c) for (f, r, c, _) in truth.truth}
    assert not (reported & (decoy_cells - true_cells))


def test_findings_shape_and_summary(scanned):
    _, body = scanned
    finding = body["findings"][0]
    assert set(finding) == {"file", "row", "column", "type", "confidence", "preview", "fingerprint"}
    assert len(finding["fingerprint"]) == 64 and 0 < finding["confidence"] <= 1
    summary = body["summary"]
    assert sum(summary["by_type"].values()) == summary["findings"] == len(body["findings"])
    columns = {(Path(c["file"]).name, c["column"], c["type"]) for c in summary["pii_columns"]}
    assert ("corpus.csv", "email", "EMAIL") in columns and ("corpus.csv", "notes", "EMAIL") not in columns
    assert any(c["column"] == "user.contact.email" for c in summary["by_column"])


def test_no_raw_value_reaches_the_output(corpus, scanned):
    directory, truth = corpus
    _, body = scanned
    text = json.dumps(body)
    rows = list(csv.DictReader(open(directory / "data" / "corpus.csv", encoding="utf-8")))
    values = {rows[r][c] for (f, r, c, _) in truth.truth if f == "corpus.csv" and c != "notes"}
    values.discard("")
    assert len(values) > 500
    leaked = [v for v in values if v in text]
    assert not leaked, f"{len(leaked)} raw values in the output"
    proc = run_gate("scan", "pii", str(directory / "data"), "--repo", str(directory), "--no-baseline")
    assert not [v for v in values if v in proc.stdout + proc.stderr]


def test_fingerprints_are_keyed_and_stable(tmp_path):
    data = write(tmp_path / "repo" / "a.csv", "email\nbob@example.org\n")
    (tmp_path / "repo" / ".git").mkdir()
    runs = []
    for key in ("k1-0123456789abcdef0123456789abcdef", "k1-0123456789abcdef0123456789abcdef", "k2-other-key-0123456789abcdef0123"):
        _, body = run_json("scan", "pii", str(data), "--repo", str(tmp_path / "repo"), env={"GATE_FINGERPRINT_KEY": key})
        runs.append(body["findings"][0]["fingerprint"])
    assert runs[0] == runs[1] != runs[2]


@pytest.mark.parametrize("text,kind", [
    ("order_id\n4155552671\n", None),
    ("phone\n4155552671\n", "PHONE"),
    ("note\nUpgraded to version 10.2.3.4 today\n", None),
    ("note\nlogin from 10.2.3.4 blocked\n", "IP_ADDRESS"),
    ("note\ncard 4111111111111112 declined\n", None),
    ("note\ncard 4111111111111111 declined\n", "CREDIT_CARD"),
    ("note\nssn 666-12-3456\n", None),
    ("note\nssn 078-05-1121\n", "US_SSN"),
    ("note\nIBAN DE89370400440532013001\n", None),
    ("note\nIBAN DE89370400440532013000\n", "IBAN"),
    ("note\nmeeting on 2024-03-05\n", None),
    ("dob\n1985-03-02\n", "DATE_OF_BIRTH"),
    ("note\n\"born on March 2, 1985\"\n", "DATE_OF_BIRTH"),
    ("note\naws_secret = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "SECRET"),
    ("password\nhunter2hunter2\n", "SECRET"),
    ("password\n********\n", None),
    ("password_hint\nmy dog's name\n", None),
    ("password\nXk9#mQ2vLp8z!r\n", "SECRET"),
    ("note\n-----BEGIN RSA PRIVATE KEY-----\n", "SECRET"),
    ("note\nemail me: someone@localhost\n", None),
    ("note\nreach me at +44 20 7946 0958\n", "PHONE"),
    ("note\nserver fe80::1ff:fe23:4567:890a is up\n", "IP_ADDRESS"),
    ("note\nat 12:30:45 it stopped\n", None),
    ("contact_phone\n(0161) 4960066\n", "PHONE"),
    ("text\nbatch 483920174 and 01154960993 done\n", None),
    ("note\nRing me on 0115 496 0914 please\n", "PHONE"),
    ("note\nroom 0115 496 0914 booked\n", None),
    ("phone\n+33 (0)1 41 63 60 83\n", "PHONE"),
    ("note\ncard 4111-1111-1111-1111 on file\n", "CREDIT_CARD"),
    ("ssn\n078051121\n", "US_SSN"),
    ("note\nDate of birth: 02/03/1985\n", "DATE_OF_BIRTH"),
    ("birth_date\n3 March 1985\n", "DATE_OF_BIRTH"),
    ("note\nJane.Doe+news@Mail.Example.CO.UK wrote\n", "EMAIL"),
    ("note\nkey sk-proj-4f9Qm2ZxLr8vT1nB6yW0cK3dH7sJ5aPe then\n", "SECRET"),
    ("note\nAuthorization: Bearer 8fK2mQz91LxVt7RbW3nYpA0cDs5EuHj4\n", "SECRET"),
    ("note\nthe bearer of bad news arrived yesterday\n", None),
    ("note\ntoken github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF\n", "SECRET"),
    ("note\nhook https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/xYzAbC123dEfGhI456\n", "SECRET"),
])
def test_context_and_validation(tmp_path, text, kind):
    (tmp_path / ".git").mkdir()
    path = write(tmp_path / "x.csv", text)
    code, body = run_json("scan", "pii", str(path), "--repo", str(tmp_path))
    types = {f["type"] for f in body["findings"]}
    assert types == ({kind} if kind else set()), body["findings"]
    assert code == (1 if kind else 0)


# ---------------------------------------------------------------- bad input

def _scan(tmp_path, *paths):
    (tmp_path / ".git").mkdir(exist_ok=True)
    return run_json("scan", "pii", *map(str, paths), "--repo", str(tmp_path), "--no-baseline")


def test_invalid_utf8_is_read_and_reported(tmp_path):
    """Scanned all the same; the problem makes the run exit 2 (the file cannot be read unambiguously)."""
    path = tmp_path / "latin.csv"
    path.write_bytes("name,email\nJos\xe9,jose@example.org\n".encode("latin-1"))
    code, body = _scan(tmp_path, path)
    assert code == 2 and [f["type"] for f in body["findings"]] == ["EMAIL"]
    assert [p["kind"] for p in body["summary"]["problems"]] == ["invalid_encoding"]


def test_binary_file_is_scanned_as_bytes_and_reported(tmp_path):
    """A binary file used to be skipped unscanned; every byte is scanned now, and it is a problem."""
    path = tmp_path / "blob.dat"
    path.write_bytes(b"\x00\x01\x02 bob@example.org \x00" * 100)
    code, body = _scan(tmp_path, path)
    assert code == 2 and {f["type"] for f in body["findings"]} == {"EMAIL"}
    assert [p["kind"] for p in body["summary"]["problems"]] == ["binary"]


def test_hundred_megabyte_line(tmp_path):
    path = tmp_path / "long.txt"
    with open(path, "wb") as handle:
        handle.write(b"x" * (50 * 1024 * 1024) + b" contact bob@example.org " + b"y" * (50 * 1024 * 1024) + b"\nnext 078-05-1121\n")
    code, body = _scan(tmp_path, path)
    assert code == 1, body["errors"]
    assert sorted((f["row"], f["type"]) for f in body["findings"]) == [(0, "EMAIL"), (1, "US_SSN")]


def test_ragged_csv_rows(tmp_path):
    """Rows that do not fit the header are scanned as text at their row; the file is a problem."""
    path = write(tmp_path / "ragged.csv", "a,email\n1,bob@example.org\n2\n3,ann@example.org,extra 078-05-1121\n")
    code, body = _scan(tmp_path, path)
    found = sorted((f["row"], f["column"] or "", f["type"]) for f in body["findings"])
    assert found == [(0, "email", "EMAIL"), (2, "", "EMAIL"), (2, "", "US_SSN")]
    assert code == 2 and [p["kind"] for p in body["summary"]["problems"]] == ["ragged_rows"]


def test_nested_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({
        "id": [1, 2],
        "user": [{"email": "bob@example.org", "age": 3}, {"email": None, "age": 4}],
        "phones": [["(415) 555-2671"], []],
        "meta": pa.array([{"k": "v"}, {"k": "078-05-1121"}], pa.map_(pa.string(), pa.string())),
    })
    pq.write_table(table, tmp_path / "n.parquet")
    code, body = _scan(tmp_path, tmp_path / "n.parquet")
    assert body["errors"] == []
    found = sorted((f["row"], f["column"], f["type"]) for f in body["findings"])
    assert (0, "user.email", "EMAIL") in found and (0, "phones[]", "PHONE") in found
    assert (1, "meta{}", "US_SSN") in found  # map values are values too


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.txt", "empty.parquet"])
def test_empty_files(tmp_path, name):
    path = write(tmp_path / name, "")
    code, body = _scan(tmp_path, path)
    assert body["findings"] == []
    if name.endswith(".parquet"):
        assert code == 2 and [p["file"] for p in body["summary"]["problems"]] == ["empty.parquet"]
    else:
        assert code == 0 and body["errors"] == []


def test_malformed_jsonl_lines_are_scanned_as_text(tmp_path):
    path = write(tmp_path / "m.jsonl", '{"email": "bob@example.org"}\nnot json 078-05-1121\n\n{"a": [1, {"ip": "8.8.8.8"}]}\n')
    code, body = _scan(tmp_path, path)
    found = sorted((f["row"], f["column"] or "", f["type"]) for f in body["findings"])
    assert found == [(0, "email", "EMAIL"), (1, "", "US_SSN"), (3, "a[].ip", "IP_ADDRESS")]
    assert code == 2 and [p["kind"] for p in body["summary"]["problems"]] == ["invalid_json"]


def test_truncated_parquet_is_a_per_file_error(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"email": ["bob@example.org"] * 100}), tmp_path / "t.parquet")
    raw = (tmp_path / "t.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(raw[: len(raw) // 2])
    write(tmp_path / "ok.csv", "email\nann@example.org\n")
    code, body = _scan(tmp_path, tmp_path / "t.parquet", tmp_path / "ok.csv")
    assert code == 2
    assert [p["file"] for p in body["summary"]["problems"]] == ["t.parquet"]
    assert "ok.csv" in {f["file"] for f in body["findings"]}, "the other file is still scanned"
    assert "bob@example.org" not in json.dumps(body)


def test_symlink_out_of_repo_is_not_read(tmp_path):
    secret = write(tmp_path / "outside" / "s.csv", "email\nbob@example.org\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "link.csv").symlink_to(secret)
    code, body = run_json("scan", "pii", str(repo / "link.csv"), "--repo", str(repo))
    assert code == 2 and body["findings"] == [] and "outside the repository" in body["errors"][0]["message"]


# ---------------------------------------------------------------- baseline and policy

def test_baseline_accepts_reviewed_findings_and_new_ones_still_fail(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    data = write(repo / "d.csv", "email\nbob@example.org\n")
    env = {"GATE_FINGERPRINT_KEY": "baseline-key-0123456789abcdef012345"}
    assert run_gate("scan", "pii", str(data), "--repo", str(repo), env=env).returncode == 1
    proc = run_gate("scan", "pii", str(data), "--repo", str(repo), "--update-baseline", "--reviewer", "sec-team",
                    "--reason", "synthetic test address", env=env)
    assert proc.returncode == 0, proc.stderr
    baseline = json.loads((repo / ".gate" / "pii-baseline.json").read_text())
    [entry] = baseline["findings"]
    assert entry["reviewer"] == "sec-team" and entry["reason"] == "synthetic test address"
    assert "bob@example.org" not in json.dumps(baseline)
    code, body = run_json("scan", "pii", str(data), "--repo", str(repo), env=env)
    assert code == 0 and body["summary"]["baselined"] == 1
    data.write_text("email\nbob@example.org\nann@example.org\n")
    code, body = run_json("scan", "pii", str(data), "--repo", str(repo), env=env)
    assert code == 1 and len(body["findings"]) == 1 and body["summary"]["baselined"] == 1


def test_malformed_baseline_is_exit_2(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    data = write(repo / "d.csv", "email\nbob@example.org\n")
    write(repo / ".gate" / "pii-baseline.json", "{nope")
    proc = run_gate("scan", "pii", str(data), "--repo", str(repo))
    assert proc.returncode == 2 and "pii-baseline.json" in proc.stderr


def test_check_denies_undeclared_pii_type():
    code, body = run_json("check", str(EXAMPLE_REPO / "datasets" / "chat-logs-2026"), "--now", NOW)
    assert code == 1
    [dataset] = body["datasets"]
    assert {v["id"] for v in dataset["violations"]} == {"pii.type_not_allowed"}
    facts = dataset["facts"]["pii"]
    assert set(facts["by_type"]) == {"EMAIL", "PERSON", "PHONE"}  # PERSON: the customer.name column
    assert "@example.com" not in json.dumps(facts).replace("e******.com", "")


def test_check_secret_in_data_is_denied(data_repo):
    directory = data_repo("leaky")
    write(directory / "data" / "part-1.csv", "note\nconfig api_key = Zx81kQm2Lp0vRt7uYw3nB5\n")
    run_gate("manifest", "update", str(directory))
    code, body = run_json("check", str(directory))
    assert code == 1
    assert "pii.secret" in {v["id"] for v in body["datasets"][0]["violations"]}
    assert "Zx81kQm2Lp0vRt7uYw3nB5" not in json.dumps(body)


@pytest.mark.parametrize("name,content", [
    ("semi.csv", "name;email;note\nAnn;ann@example.org;x\n"),
    ("tabs.tsv", "name\temail\tnote\nAnn\tann@example.org\tsaid a, b; c | d\n"),
    ("bom.csv", "\ufeffname,email\nAnn,ann@example.org\n"),
    ("prose.csv", 'id,email,text\n1,ann@example.org,"one; two; three; four | five | six"\n'),
])
def test_dialects_keep_the_header_columns(tmp_path, name, content):
    path = write(tmp_path / name, content)
    code, body = _scan(tmp_path, path)
    expected = [("email", "EMAIL")] if name == "prose.csv" else [("name", "PERSON"), ("email", "EMAIL")]
    assert sorted((f["column"], f["type"]) for f in body["findings"]) == sorted(expected)


# ---------------------------------------------------------------- the PII hook decides with pii.rego

def _hook_repo(tmp_path):
    import subprocess

    root = tmp_path / "hookrepo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write(root / "notes.csv", "id,notes\n1,see 212 555 0199\n")
    return root


def test_the_pii_hook_honours_the_policy_threshold(tmp_path):
    """The hook's decision is pii.rego's: a PHONE found at 0.90 blocks under the shipped threshold (0.5);
    under org.pii.min_confidence 0.99 it is only a low-confidence warning and the commit passes."""
    root = _hook_repo(tmp_path)
    proc = run_gate("hook", "pii", "notes.csv", cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "deny pii.type_not_allowed" in proc.stdout and "555" not in proc.stdout + proc.stderr
    strict = write(tmp_path / "strict.yaml", "org:\n  pii:\n    min_confidence: 0.99\n")
    proc = run_gate("hook", "pii", "--data", str(strict), "notes.csv", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warn pii.low_confidence" in proc.stdout and "deny" not in proc.stdout


def test_the_pii_hook_allows_what_the_dataset_allows_and_never_a_secret(tmp_path):
    from conftest import DESCRIPTOR

    root = _hook_repo(tmp_path)
    directory = root / "datasets" / "calls"
    write(directory / "dataset.yaml", DESCRIPTOR.format(id="calls", classification="internal", trust="internal")
          + "pii:\n  allowed: [PHONE]\n")
    write(directory / "data" / "part-0.csv", "id,notes\n1,see 212 555 0199\n")
    proc = run_gate("hook", "pii", "datasets/calls/data/part-0.csv", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(directory / "data" / "part-1.csv", "id,token\n1,ghp_" + "a1B2" * 9 + "\n")
    proc = run_gate("hook", "pii", "datasets/calls/data/part-1.csv", cwd=root)
    assert proc.returncode == 1 and "deny pii.secret" in proc.stdout, proc.stdout + proc.stderr
    assert "a1B2" not in proc.stdout + proc.stderr


def test_the_pii_hook_skips_no_file_for_its_name(tmp_path):
    """A plaintext file does not become ciphertext by being called .age, nor a lock by being called
    dataset.lock: both are scanned. The dataset's own descriptor and lock and real age files are not."""
    root = _hook_repo(tmp_path)
    secret = "id,token\n1,ghp_" + "a1B2" * 9 + "\n"
    for name in ("notes.age", "conf/dataset.lock", ".gate.yaml.bak"):
        write(root / name, secret)
        proc = run_gate("hook", "pii", name, cwd=root)
        assert proc.returncode == 1 and "deny pii.secret" in proc.stdout, (name, proc.stdout + proc.stderr)
        assert "a1B2" not in proc.stdout + proc.stderr
    write(root / "real.age", "age-encryption.org/v1\n-> X25519 abc\n")
    assert run_gate("hook", "pii", "real.age", cwd=root).returncode == 0
