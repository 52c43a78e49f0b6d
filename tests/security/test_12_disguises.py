"""Class 12 — disguised values are seen: a value written to slip past byte patterns (other Unicode
forms, invisible characters, URL or base64 encoding, a UTF-16 file) or filed under a misleading
column name is found as what it is. Each test failed on the code before issue 15's normalization."""

from __future__ import annotations

import base64
import codecs

import gate
import pytest

from _attack import check, denies, keys, make_dataset, make_repo

FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
SSNS = [f"219-09-{9000 + i}" for i in range(30)]
CARDS = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "3530111333300000"]


def _checked(tmp_path, files, globs="[data/*]"):
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", files, globs=globs)
    return check(root, directory)


def _csv(column: str, values: list[str]) -> str:
    return f"id,{column}\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))


@pytest.mark.parametrize("name,disguise", [
    ("fullwidth digits", lambda v: v.translate(FULLWIDTH)),
    ("zero-width spaces", lambda v: "\u200b".join(v)),
    ("soft hyphens", lambda v: v.replace("-", "\u00ad-")),
    ("unicode dashes", lambda v: v.replace("-", "\u2011")),
    ("arabic-indic digits", lambda v: v.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))),
    ("url-encoded", lambda v: v.replace("-", "%2D")),
    ("base64", lambda v: base64.b64encode(f"ssn={v}".encode()).decode()),
    ("url-safe base64 of url-encoded", lambda v: base64.urlsafe_b64encode(f"ssn={v}".replace("-", "%2D").encode())
     .decode()),
])
def test_disguised_ssns_are_denied(tmp_path, name, disguise):
    code, body, _ = _checked(tmp_path, {"data/p.csv": _csv("note", [disguise(v) for v in SSNS])})
    assert code == 1 and "pii.type_not_allowed" in denies(body), (name, body)


def test_disguised_emails_and_cards_in_text_are_denied(tmp_path):
    lines = [f"write to {'jane.roe%40example.org' if i % 2 else 'ｊａｎｅ．ｒｏｅ＠ｅｘａｍｐｌｅ．ｏｒｇ'} or pay with "
             f"{chr(0x200c).join(CARDS[i % len(CARDS)])}" for i in range(20)]
    code, body, _ = _checked(tmp_path, {"data/notes.txt": "\n".join(lines) + "\n"})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
    summary = body["datasets"][0]["facts"]["pii"]
    assert {"EMAIL", "CREDIT_CARD"} <= set(summary["by_type"]), summary


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_file_is_read_as_its_characters(tmp_path, encoding):
    text = _csv("ssn", SSNS)
    data = (codecs.BOM_UTF16_BE + text.encode("utf-16-be")) if encoding == "utf-16-be" else text.encode(encoding)
    code, body, _ = _checked(tmp_path, {"data/p.csv": data})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body


@pytest.mark.parametrize("column", ["ticket", "sku", "tracking_no", "order_ref"])
def test_a_misleading_column_name_does_not_bury_validated_values(tmp_path, column):
    values = SSNS[:10] + CARDS * 2
    code, body, _ = _checked(tmp_path, {"data/p.csv": _csv(column, values)})
    assert code == 1 and "pii.type_not_allowed" in denies(body), body
    assert {"US_SSN", "CREDIT_CARD"} <= set(body["datasets"][0]["facts"]["pii"]["by_type"])


def test_the_loader_returns_the_characters_of_a_utf16_file_the_scanner_saw(tmp_path):
    rows = [("1", "Zoë"), ("2", "Åsa"), ("3", "李")]
    text = "id,word\n" + "".join(f"{a},{b}\n" for a, b in rows)  # not "name": those would be PERSON values
    root = make_repo(tmp_path)
    directory = make_dataset(root, "a", {"data/p.csv": text.encode("utf-16")}, globs="[data/*]")
    code, body, _ = check(root, directory)
    assert code == 0, body
    k = keys(tmp_path)
    frame = gate.open_dataset(directory, subject="bob", purpose="model-training", audit_log=tmp_path / "audit.jsonl",
                              audit_key_file=k["audit"], repo_root=root)
    assert [str(v) for v in frame["word"]] == [b for _, b in rows]


DISGUISED_EMAILS = ["jane.roe%40example.org", "ｊａｎｅ．ｒｏｅ＠ｅｘａｍｐｌｅ．ｏｒｇ", "jane.roe\u200b@example.org"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_a_disguised_value_in_a_name_is_masked_in_every_format(tmp_path, fmt):
    from _attack import run_gate

    root = make_repo(tmp_path)
    # as file names (an invisible character in a file name is refused on its own) and as column names
    files = {f"data/{name}.csv": "id,score\n1,2\n" for name in DISGUISED_EMAILS[:2]}
    files["data/columns.csv"] = "id," + ",".join(DISGUISED_EMAILS) + "\n1,2,3,4\n"
    directory = make_dataset(root, "a", files, globs="[data/*]")
    proc = run_gate("check", str(directory), "--repo", str(root), "--format", fmt, "--no-cache")
    assert proc.returncode == 1, proc.stderr
    shown = proc.stdout + proc.stderr
    assert not [name for name in DISGUISED_EMAILS if name in shown], shown[:2000]


def test_previews_of_disguised_values_show_no_digit_of_any_script(tmp_path):
    import json

    from _attack import run_gate

    root = make_repo(tmp_path)
    values = [v.translate(FULLWIDTH) for v in SSNS] + [v.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
                                                       for v in SSNS]
    directory = make_dataset(root, "a", {"data/p.csv": _csv("note", values)}, globs="[data/*]")
    proc = run_gate("scan", "pii", str(directory), "--repo", str(root), "--format", "json")
    findings = json.loads(proc.stdout)["findings"]
    assert len(findings) == len(values), findings[:3]
    assert not [f["preview"] for f in findings if any(c.isdigit() for c in f["preview"])]
