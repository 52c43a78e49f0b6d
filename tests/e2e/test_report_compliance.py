"""`gate report compliance`: the facts a compliance officer asks for, from the real examples, the real
audit log, and an HTML file a real headless Chromium renders."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import PINNED, EXAMPLE_REPO, EXAMPLES, NOW, run_gate

REQUESTS = sorted(str(p) for p in (EXAMPLES / "requests").glob("*.json"))


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("compliance")
    key = base / "keys" / "audit.key"
    key.parent.mkdir()
    key.write_bytes(os.urandom(32).hex().encode())
    key.chmod(0o600)
    log = base / "audit.jsonl"
    common = ["--repo", str(EXAMPLE_REPO), "--now", NOW, *PINNED, "--audit-log", str(log), "--audit-key-file", str(key)]
    assert run_gate("access", "--request", *REQUESTS, *common).returncode == 1
    assert run_gate("check", str(EXAMPLE_REPO), *common).returncode == 1
    return {"base": base, "key": key, "log": log}


def _report(audited: dict, fmt: str, *extra: str) -> subprocess.CompletedProcess:
    return run_gate("report", "compliance", str(EXAMPLE_REPO), "--format", fmt, "--now", NOW,
                    "--audit-log", str(audited["log"]), "--audit-key-file", str(audited["key"]), *extra)


def test_json_report_answers_the_compliance_questions(audited):
    proc = _report(audited, "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    by_id = {d["id"]: d for d in report["datasets"]}
    assert len(by_id) == 9 and report["audit_log"]["entries_total"] == 20
    churn = by_id["churn-2026q1"]
    assert (churn["owner"], churn["classification"], churn["legal_basis"]) == (
        "data-platform@example.com", "confidential", "contract")
    assert churn["retention"]["expires"] == "2036-03-28" and churn["retention"]["days_left"] == 3413
    assert churn["signature"]["valid_signers"] == ["data-platform release key (example)"]
    assert churn["verdict"] == "pass" and churn["last_audited_check"]["decision"] == "pass"
    access = {(a["subject"], a["action"], a["purpose"]): (a["allowed"], a["denied"]) for a in churn["access"]}
    assert access[("bob", "train", "model-training")] == (1, 0)
    assert access[("alice", "export", "evaluation")] == (0, 1)
    assert access[("mallory", "read", "evaluation")] == (0, 1)
    census = by_id["census-2019"]
    assert census["retention"]["status"] == "expired" and census["retention"]["days_left"] < 0
    chat = by_id["chat-logs-2026"]
    assert chat["pii"]["not_allowed"] == ["PERSON", "PHONE"] and chat["pii"]["allowed"] == ["EMAIL"]
    assert by_id["loan-applications-2026"]["poisoning"]["risk"] == "high"
    assert by_id["loan-applications-2026"]["poisoning"]["triggers"] >= 1
    assert by_id["web-crawl"]["verdict"] == "fail"


def test_markdown_report_has_a_row_per_dataset(audited):
    proc = _report(audited, "md")
    assert proc.returncode == 0, proc.stderr
    summary = [line for line in proc.stdout.splitlines() if re.match(r"\| [a-z0-9-]+ \| (public|internal|confidential|restricted) \|", line)]
    assert len(summary) == 9
    assert "| Legal basis | contract |" in proc.stdout
    assert "until 2022-01-14 (expired" in proc.stdout


def test_report_never_shows_raw_pii(audited):
    values = set()
    for path in (EXAMPLE_REPO / "datasets" / "chat-logs-2026" / "data").iterdir():
        text = path.read_text(encoding="utf-8")
        values.update(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
        values.update(m for m in re.findall(r"\+?\d[\d ().-]{6,}\d", text) if sum(c.isdigit() for c in m) >= 7)
    assert len(values) >= 10
    for fmt in ("md", "html", "json"):
        text = _report(audited, fmt).stdout
        leaked = [v for v in values if v in text]
        assert not leaked, (fmt, leaked[:3])


def test_a_tampered_audit_log_is_refused(audited, tmp_path):
    copy = tmp_path / "audit.jsonl"
    lines = audited["log"].read_text().splitlines(keepends=True)
    entry = json.loads(lines[2])
    entry["allow"] = not entry["allow"]
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    copy.write_text("".join(lines))
    proc = run_gate("report", "compliance", str(EXAMPLE_REPO), "--now", NOW, "--audit-log", str(copy),
                    "--audit-key-file", str(audited["key"]))
    assert proc.returncode == 2 and "entry 3" in proc.stderr and str(copy) in proc.stderr
    assert proc.stdout == ""


def test_report_without_an_audit_log_says_so(tmp_path):
    proc = run_gate("report", "compliance", str(EXAMPLE_REPO / "datasets" / "churn-2026q1"), "--now", NOW,
                    "--format", "json", env={"GATE_AUDIT_LOG": ""})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["audit_log"] is None and [d["id"] for d in report["datasets"]] == ["churn-2026q1"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_html_report_is_self_contained_and_renders_in_headless_chromium(audited, tmp_path):
    target = tmp_path / "compliance.html"
    proc = _report(audited, "html", "--output", str(target))
    assert proc.returncode == 0, proc.stderr
    text = target.read_text()
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", text), "external resource in the report"
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (scripts/install.sh installs the Debian package where it can)")
    home = tmp_path / "home"
    home.mkdir()
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run", "--disable-extensions"]
    env = {**os.environ, "HOME": str(home)}
    dom = subprocess.run([*base, "--dump-dom", target.as_uri()], capture_output=True, text=True, timeout=120, env=env)
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = dom.stdout
    rows = re.findall(r'<tr data-dataset="([^"]+)"', rendered)
    assert len(rows) == 9 and "churn-2026q1" in rows
    assert rendered.count("<section") == 9
    assert "Training data compliance report" in rendered
    shot = tmp_path / "shot.png"
    proc = subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,2000", target.as_uri()],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # a rendered page, not a blank one: the PNG of a white 1280x2000 page compresses to a few KB
    assert len(data) > 30_000, len(data)
