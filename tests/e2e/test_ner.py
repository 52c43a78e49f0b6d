"""`gate check` on names in free text: found with the NER extra, reported as not detectable without it
(a warning on pii.allowed, a denial where the organisation requires detection)."""

from __future__ import annotations

from conftest import DESCRIPTOR as BASE
from conftest import NOW, run_gate, run_json, write

NOTES = "\n".join(f'{{"id": {i}, "note": "{line}"}}' for i, line in enumerate([
    "Maria Garcia called from Boston about the refund.",
    "Please forward the invoice to John Miller in Chicago.",
    "Yesterday Sarah Johnson flew to London for the audit.",
    "The build failed again after the upgrade.",
])) + "\n"

DESCRIPTOR = BASE.format(id="notes", classification="internal", trust="internal").replace(
    "files: [data/*.csv]\n",
    "pii:\n  allowed: {allowed}\nfiles: [data/*.jsonl]\nschema:\n  format: jsonl\n  text: note\n")


def _repo(tmp_path, allowed: str):
    root = tmp_path / "repo"
    directory = root / "datasets" / "notes"
    write(directory / "dataset.yaml", DESCRIPTOR.format(allowed=allowed))
    write(directory / "data" / "notes.jsonl", NOTES)
    (root / ".git").mkdir(parents=True, exist_ok=True)
    proc = run_gate("manifest", "update", str(directory), "--repo", str(root))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return root, directory


def _violations(body, level: str) -> list[dict]:
    return [v for d in body["datasets"] for v in d["violations"] if v["level"] == level]


def _ids(body, level: str) -> set[str]:
    return {v["id"] for v in _violations(body, level)}


def test_names_in_text_are_found_with_the_extra(tmp_path):
    root, directory = _repo(tmp_path, "[]")
    code, body = run_json("check", str(directory), "--repo", str(root), "--now", NOW, env={"GATE_NER": "on"})
    assert code == 1, body
    denied = [v for v in _violations(body, "deny") if v["id"] == "pii.type_not_allowed"]
    assert [v["pii_type"] for v in denied] == ["PERSON"], denied
    assert "3 PERSON value(s)" in denied[0]["message"]
    for name in ("Maria", "Garcia", "Miller", "Johnson"):
        assert name not in str(body)
    detection = body["datasets"][0]["facts"]["pii"]["detection"]
    assert detection["ner"]["model"] == "en_core_web_sm" and detection["undetectable"] == []

    root, directory = _repo(tmp_path / "allowed", "[PERSON]")
    code, body = run_json("check", str(directory), "--repo", str(root), "--now", NOW, env={"GATE_NER": "on"})
    assert code == 0, body
    assert "pii.allowed_undetectable" not in _ids(body, "warn")


def test_without_the_model_an_allowed_name_type_is_unchecked_and_said_so(tmp_path):
    root, directory = _repo(tmp_path, "[PERSON]")
    code, body = run_json("check", str(directory), "--repo", str(root), "--now", NOW, env={"GATE_NER": "off"})
    assert code == 0, body
    warned = [v for v in _violations(body, "warn") if v["id"] == "pii.allowed_undetectable"]
    assert [v["pii_type"] for v in warned] == ["PERSON"] and "GATE_NER=off" in warned[0]["message"]
    detection = body["datasets"][0]["facts"]["pii"]["detection"]
    assert detection["ner"]["model"] is None
    assert set(detection["undetectable"]) == {"PERSON", "LOCATION", "ORGANIZATION"}

    org = write(tmp_path / "org.yaml", "org:\n  pii:\n    require_detection: [PERSON]\n")
    code, body = run_json("check", str(directory), "--repo", str(root), "--now", NOW, "--data", str(org),
                          env={"GATE_NER": "off"})
    assert code == 1, body
    assert "pii.detection_unavailable" in _ids(body, "deny")


def test_a_cached_fact_from_a_run_without_the_model_is_not_reused_with_it(tmp_path):
    root, directory = _repo(tmp_path, "[]")
    code, body = run_json("check", str(directory), "--repo", str(root), "--now", NOW, env={"GATE_NER": "off"})
    assert code == 0, body
    code, body = run_json("check", str(directory), "--repo", str(root), "--now", NOW, env={"GATE_NER": "on"})
    assert code == 1 and "pii.type_not_allowed" in _ids(body, "deny"), body
