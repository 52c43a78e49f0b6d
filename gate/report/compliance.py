"""`gate report compliance`: per dataset, what a compliance officer asks, from the descriptor, the
current verdict and its facts, and the verified audit log. Markdown, one self-contained HTML file
(inline CSS, no scripts, no external resources), or JSON.

Only ids, counts, types, dates and previews already redacted by the detectors appear: no PII
value, secret or key.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..model.descriptor import load_descriptor
from ..verdict import Verdict


def build(verdict: Verdict, repo, audit: dict[str, Any] | None, now: datetime | None = None) -> dict[str, Any]:
    """The report as plain data."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    entries = (audit or {}).get("entries", [])
    datasets = []
    for decided in verdict.datasets:
        descriptor = load_descriptor(repo.root / decided.path, repo)
        facts = decided.facts
        source = descriptor.source
        datasets.append({
            "id": descriptor.id,
            "title": descriptor.document.get("title"),
            "path": descriptor.relpath,
            "owner": descriptor.owner,
            "classification": descriptor.classification,
            "purposes": list(descriptor.purposes),
            "legal_basis": source.legal_basis,
            "data_subjects": source.data_subjects,
            "source": {"id": source.id, "name": source.name, "trust": source.trust, "contact": source.contact,
                       "collected": source.collected, "method": source.method},
            "retention": _retention(source.collected, source.retention_days, moment.date(), decided.violations),
            "pii": _pii(facts.get("pii") or {}, descriptor.pii_allowed),
            "poisoning": _poisoning(facts.get("poisoning") or {}, decided.violations),
            "signature": _signature(facts.get("signature") or {}),
            "sealing": _sealing(facts.get("sealing") or {}),
            "verdict": decided.verdict,
            "violations": [{"id": v.id, "level": v.level, "severity": v.severity, "message": v.message}
                           for v in decided.violations],
            "last_audited_check": _last_check(entries, descriptor.id),
            "access": _access(entries, descriptor.id),
        })
    from ..facts.pii.redact import Redactor

    return Redactor().document({
        "generated": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gate_version": verdict.gate_version,
        "engine": verdict.engine,
        "policy_digest": verdict.policy_digest,
        "verdict": verdict.verdict,
        "audit_log": None if audit is None else {k: audit[k] for k in ("path", "entries_total", "head")},
        "datasets": datasets,
        "errors": [f.to_json() for f in verdict.errors],
    })


# What the policy decided, by the rule that fired (any level: a waived expiry is still an expiry). The
# report says what the rules said; it recomputes no threshold of its own.
_RETENTION = (("compliance.retention_expired", "expired"), ("compliance.retention_ending", "expiring"),
              ("compliance.retention_missing", "undocumented"))
_POISONING = (("poisoning.backdoor_trigger", "high"), ("poisoning.high_risk", "high"),
              ("poisoning.sealed_unanalysed", "unanalysed"), ("poisoning.medium_risk", "medium"))


def _decided(violations, table, otherwise):
    fired = {v.id for v in violations}
    return next((status for rule, status in table if rule in fired), otherwise)


def _retention(collected: str | None, days: int | None, today: date, violations=()) -> dict[str, Any]:
    """The retention dates (arithmetic, shown to the reader) and the status the policy decided."""
    status = _decided(violations, _RETENTION, "ok")
    try:
        start = date.fromisoformat(str(collected)) if collected and days is not None else None
    except ValueError:
        start = None
    if start is None:
        return {"collected": collected, "retention_days": days, "expires": None, "days_left": None, "status": status}
    expires = start + timedelta(days=int(days))
    return {"collected": str(start), "retention_days": days, "expires": str(expires),
            "days_left": (expires - today).days, "status": status}


def _pii(facts: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    found = {kind: entry.get("count", 0) for kind, entry in (facts.get("by_type") or {}).items()}
    return {"found": found, "allowed": sorted(allowed), "not_allowed": sorted(k for k in found if k not in allowed),
            "unscanned": len(facts.get("unscanned") or []), "sealed_unscanned": len(facts.get("sealed_unscanned") or [])}


def _poisoning(facts: dict[str, Any], violations=()) -> dict[str, Any]:
    """The poisoning facts in short, and the risk as the policy's rules decided it."""
    if facts.get("status") != "ok":
        return {"risk": _decided(violations, _POISONING, None), "status": facts.get("status", "unknown"),
                "reason": facts.get("reason")}
    return {"risk": _decided(violations, _POISONING, "low"), "status": "analysed",
            "suspicious_rate": facts.get("suspicious_rate"), "triggers": len(facts.get("triggers") or [])}


def _signature(facts: dict[str, Any]) -> dict[str, Any]:
    signatures = facts.get("signatures") or []
    return {"count": len(signatures),
            "valid_signers": sorted({s.get("signer") or (s.get("keyid") or "?")[:16] for s in signatures
                                     if s.get("status") == "valid"}),
            "statuses": dict(Counter(s.get("status") for s in signatures))}


def _sealing(facts: dict[str, Any]) -> dict[str, Any]:
    return {"files": facts.get("files", 0), "sealed": facts.get("sealed", 0), "all_sealed": bool(facts.get("all_sealed"))}


def _last_check(entries: list[dict[str, Any]], dataset: str) -> dict[str, Any] | None:
    for entry in reversed(entries):
        if entry.get("dataset") == dataset and entry.get("action") == "check":
            return {"time": entry.get("time"), "decision": entry.get("decision"), "seq": entry.get("seq")}
    return None


def _access(entries: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    counts: dict[tuple, Counter] = {}
    for entry in entries:
        if entry.get("dataset") != dataset or entry.get("action") == "check":
            continue
        key = (str(entry.get("actor")), str(entry.get("action")), str(entry.get("purpose")))
        counts.setdefault(key, Counter())["allowed" if entry.get("allow") else "denied"] += 1
    return [{"subject": s, "action": a, "purpose": p, "allowed": c["allowed"], "denied": c["denied"]}
            for (s, a, p), c in sorted(counts.items())]


def load_audit(path: Path, key: bytes) -> dict[str, Any]:
    """The audit log's entries, after it verifies end to end (a log that does not verify is an error)."""
    from ..custody.audit import AuditError, AuditLog

    log = AuditLog(path, key)
    result = log.verify()
    if not result["ok"]:
        raise AuditError(f"the audit log does not verify at entry {result['first_bad_seq']}: {result['problem']}",
                         str(path))
    with open(path, "rb") as handle:
        entries = [json.loads(line) for line in handle]
    return {"path": str(path), "entries_total": len(entries), "head": result["head"], "entries": entries}


# ---- rendering -------------------------------------------------------------------------------------

def _days(retention: dict[str, Any]) -> str:
    if retention["days_left"] is None:
        return "not documented"
    left = retention["days_left"]
    text = f"expired {-left} days ago" if left < 0 else f"{left} days left"
    return f"until {retention['expires']} ({text})"


def _pii_text(pii: dict[str, Any]) -> str:
    found = ", ".join(f"{k} ×{v}" for k, v in sorted(pii["found"].items())) or "none found"
    extra = f"; {pii['sealed_unscanned']} sealed file(s) not scanned" if pii["sealed_unscanned"] else ""
    return f"{found} (allowed: {', '.join(pii['allowed']) or 'none'}){extra}"


def _signature_text(sig: dict[str, Any]) -> str:
    if not sig["count"]:
        return "not signed"
    others = {k: v for k, v in sig["statuses"].items() if k != "valid"}
    return (f"signed by {', '.join(sig['valid_signers'])}" if sig["valid_signers"] else "no valid signature") + (
        "; " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(others.items())) if others else "")


def _sealing_text(seal: dict[str, Any]) -> str:
    if not seal["files"]:
        return "no files"
    return "all files sealed (age)" if seal["all_sealed"] else f"{seal['sealed']} of {seal['files']} files sealed"


def _poisoning_text(p: dict[str, Any]) -> str:
    if p["status"] != "analysed":
        return (f"{p['risk']}: " if p["risk"] else "") + f"not analysed ({p.get('reason') or p['status']})"
    rate = p.get("suspicious_rate")
    return f"{p['risk']}" + (f" ({rate:.1%} suspicious" if isinstance(rate, (int, float)) else " (") + \
        f", {p['triggers']} trigger(s))"


def _rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    src = d["source"]
    last = d["last_audited_check"]
    return [
        ("Owner", d["owner"]),
        ("Classification", d["classification"]),
        ("Purposes", ", ".join(d["purposes"])),
        ("Legal basis", d["legal_basis"] or "NOT DOCUMENTED"),
        ("Data subjects", d["data_subjects"] or "NOT DOCUMENTED"),
        ("Source", f"{src['id']}" + (f" ({src['name']})" if src["name"] else "") + f", trust {src['trust']}"
         + (f", collected {src['collected']}" if src["collected"] else "")),
        ("Retention", _days(d["retention"])),
        ("PII types found vs allowed", _pii_text(d["pii"])),
        ("Poisoning risk", _poisoning_text(d["poisoning"])),
        ("Signature", _signature_text(d["signature"])),
        ("Sealing at rest", _sealing_text(d["sealing"])),
        ("Verdict now", d["verdict"].upper()),
        ("Last audited check", f"{last['decision']} at {last['time']} (entry {last['seq']})" if last else "none in the log"),
    ]


def render_markdown(report: dict[str, Any]) -> str:
    def cell(text: Any) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["# Training data compliance report", "",
             f"Generated {report['generated']} by gate {report['gate_version']} (engine {report['engine']}, "
             f"policies {report['policy_digest']}). Overall verdict: **{report['verdict'].upper()}**.", ""]
    audit = report["audit_log"]
    lines.append(f"Audit log: {audit['entries_total']} entries, verified; head entry {audit['head']['seq'] if audit['head'] else 0}."
                 if audit else "Audit log: not given (no access history below).")
    lines.append("")
    lines.append("| Dataset | Classification | Verdict | Retention | PII not allowed | Poisoning | Signed | Sealed |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for d in report["datasets"]:
        lines.append(f"| {cell(d['id'])} | {d['classification']} | {d['verdict'].upper()} | {cell(_days(d['retention']))} | "
                     f"{cell(', '.join(d['pii']['not_allowed']) or '-')} | {cell(d['poisoning']['risk'] or '-')} | "
                     f"{'yes' if d['signature']['valid_signers'] else 'no'} | {'yes' if d['sealing']['all_sealed'] else 'no'} |")
    for d in report["datasets"]:
        lines += ["", f"## {cell(d['id'])}" + (f": {cell(d['title'])}" if d["title"] else ""), "",
                  f"Descriptor `{d['path']}`.", "", "| | |", "|---|---|"]
        lines += [f"| {name} | {cell(value)} |" for name, value in _rows(d)]
        if d["violations"]:
            lines += ["", "Findings:", ""]
            lines += [f"- **{v['level']}** `{v['id']}` ({v['severity']}): {cell(v['message'])}" for v in d["violations"]]
        lines += ["", "Access decisions in the audit log:", ""]
        if d["access"]:
            lines += ["| Subject | Action | Purpose | Allowed | Denied |", "|---|---|---|---|---|"]
            lines += [f"| {cell(a['subject'])} | {cell(a['action'])} | {cell(a['purpose'])} | {a['allowed']} | {a['denied']} |"
                      for a in d["access"]]
        else:
            lines.append("none recorded")
    for error in report["errors"]:
        lines += ["", f"ERROR {cell(error.get('path'))}: {cell(error.get('message'))}"]
    return "\n".join(lines) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;color:#1d2430;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #d8dde6;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #d8dde6;padding:.35rem .55rem;text-align:left;vertical-align:top}
th{background:#f2f4f8;font-weight:600}.meta{color:#5a6475}.pass{color:#17702f;font-weight:600}.warn{color:#8a5a00;font-weight:600}
.fail,.error{color:#b0182a;font-weight:600}code{background:#f2f4f8;padding:0 .25rem;border-radius:3px}
@media print{body{margin:0}h2{page-break-before:auto}}
"""


def render_html(report: dict[str, Any]) -> str:
    e = html.escape

    def verdict(text: str) -> str:
        return f'<span class="{e(text)}">{e(text.upper())}</span>'

    audit = report["audit_log"]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>Training data compliance report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>Training data compliance report</h1>",
             f'<p class="meta">Generated {e(report["generated"])} by gate {e(report["gate_version"])} '
             f'(engine {e(report["engine"])}, policies <code>{e(report["policy_digest"])}</code>). '
             f'Overall verdict: {verdict(report["verdict"])}.</p>',
             f'<p class="meta">{"Audit log: %d entries, verified end to end." % audit["entries_total"] if audit else "Audit log: not given (no access history below)."}</p>',
             '<table id="summary"><thead><tr><th>Dataset</th><th>Classification</th><th>Verdict</th><th>Retention</th>'
             "<th>PII not allowed</th><th>Poisoning risk</th><th>Signed</th><th>Sealed</th></tr></thead><tbody>"]
    for d in report["datasets"]:
        parts.append(f'<tr data-dataset="{e(d["id"])}"><td><a href="#ds-{e(d["id"])}">{e(d["id"])}</a></td>'
                     f"<td>{e(d['classification'])}</td><td>{verdict(d['verdict'])}</td><td>{e(_days(d['retention']))}</td>"
                     f"<td>{e(', '.join(d['pii']['not_allowed']) or '-')}</td><td>{e(d['poisoning']['risk'] or '-')}</td>"
                     f"<td>{'yes' if d['signature']['valid_signers'] else 'no'}</td>"
                     f"<td>{'yes' if d['sealing']['all_sealed'] else 'no'}</td></tr>")
    parts.append("</tbody></table>")
    for d in report["datasets"]:
        parts.append(f'<section id="ds-{e(d["id"])}"><h2>{e(d["id"])}' + (f": {e(d['title'])}" if d["title"] else "")
                     + f'</h2><p class="meta">Descriptor <code>{e(d["path"])}</code></p><table class="facts"><tbody>')
        for name, value in _rows(d):
            shown = verdict(d["verdict"]) if name == "Verdict now" else e(str(value))
            parts.append(f"<tr><th>{e(name)}</th><td>{shown}</td></tr>")
        parts.append("</tbody></table>")
        if d["violations"]:
            parts.append("<p>Findings:</p><ul>" + "".join(
                f'<li><span class="{"fail" if v["level"] == "deny" else "warn"}">{e(v["level"])}</span> '
                f'<code>{e(v["id"])}</code> ({e(v["severity"])}): {e(v["message"])}</li>' for v in d["violations"]) + "</ul>")
        parts.append("<p>Access decisions in the audit log:</p>")
        if d["access"]:
            parts.append('<table class="access"><thead><tr><th>Subject</th><th>Action</th><th>Purpose</th>'
                         "<th>Allowed</th><th>Denied</th></tr></thead><tbody>" + "".join(
                             f"<tr><td>{e(a['subject'])}</td><td>{e(a['action'])}</td><td>{e(a['purpose'])}</td>"
                             f"<td>{a['allowed']}</td><td>{a['denied']}</td></tr>" for a in d["access"]) + "</tbody></table>")
        else:
            parts.append("<p>none recorded</p>")
        parts.append("</section>")
    for error in report["errors"]:
        parts.append(f'<p class="error">ERROR {e(str(error.get("path")))}: {e(str(error.get("message")))}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(report: dict[str, Any], fmt: str) -> str:
    """The report in md, html or json."""
    if fmt == "json":
        return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "html":
        return render_html(report)
    return render_markdown(report)
