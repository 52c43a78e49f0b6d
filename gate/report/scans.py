"""The bodies of `gate scan pii` and `gate scan poisoning` as text and JSON (already redacted)."""

from __future__ import annotations

import json


def poisoning_text(body: dict) -> str:
    """`gate scan poisoning` as text: triggers, flagged rows, notes, the methods, drift, the policy's findings."""
    p = body["poisoning"]
    lines = [f"{', '.join(body['files'])}: {p['rows']} rows, {p['classes']} classes, label '{p['label']}'"
             + (f", text '{p['text']}'" if p["text"] else "")]
    for trigger in p["triggers"]:
        shared = "".join(f", {v['feature']} = {v['value']}" for v in trigger.get("shared_values", []))
        lines.append(f"TRIGGER  {trigger['condition']}{shared} -> label '{trigger['label']}' on {trigger['rows']} rows "
                     f"(purity {trigger['purity']:.2f} vs base rate {trigger['base_rate']:.2f}; the other features "
                     f"contradict the label on {trigger['contradicted']:.0%} of them)")
    for row in p["top"][:10]:
        if row["flagged"]:
            lines.append(f"ROW  {row['file']}:{row['row']}  score {row['score']:.2f}  " + "; ".join(row["reasons"][:3]))
    for note in p["notes"]:
        lines.append(f"NOTE  {note}")
    methods = p["methods"]
    label = methods.get("label_issues", {})
    lines.append(f"label issues: {label.get('flagged', 0)} flagged ({label.get('cleanlab_issues', 0)} by cleanlab)"
                 if label.get("ran") else f"label issues: not run ({label.get('reason')})")
    lines.append(f"duplicate conflicts: {methods['duplicate_conflicts']['groups_with_conflicts']} groups; "
                 f"triggers: {len(p['triggers'])}; outliers beyond robust z 6: "
                 f"{methods['outliers']['rows_beyond_robust_z_6']}")
    issues = p.get("data_issues")
    if issues:
        lines.append(_issues_line(issues))
    drift = body.get("drift")
    if drift:
        drifted = ", ".join(drift["drifted_features"]) or "none"
        lines.append(f"drift vs {', '.join(drift['reference'])}: features drifted: {drifted}"
                     + (f"; label shift p={drift['label']['p_adjusted']:.3g}" if drift.get("label") else "")
                     + (f"; joint (classifier AUC {drift['multivariate']['statistic']:.3f}) p={drift['multivariate']['p_adjusted']:.3g}" if drift.get("multivariate") else "")
                     + ("  SIGNIFICANT" if drift["significant"] else ""))
    for violation in body["violations"] + body.get("data_quality", []):
        lines.append(f"{violation['level'].upper()}  {violation['id']}: {violation['message']}")
    limits = ", ".join(f"{k} {v:.0%}" for k, v in sorted(body["thresholds"].items()) if isinstance(v, (int, float)))
    floor = p.get("floor") or {}
    if floor.get("status") == "ok":
        lines.append(f"noise floor: {floor['rate']:.2%} suspicious in the reference {floor['reference']} "
                     f"(the policy judges the excess, counting at most max_floor of it)")
    elif floor:
        lines.append(f"noise floor: none ({floor.get('reason')}): the policy's limits apply as they are")
    lines.append(f"{p['suspicious_rows']} suspicious rows ({p['suspicious_rate']:.2%}; the policy's limits: "
                 f"{limits or 'none'}): {'no finding' if not body['violations'] else 'see above'} "
                 f"in {body['timing_s']['total']:.1f} s")
    from .._text import printable

    return "\n".join(printable(line) for line in lines) + "\n"


def _issues_line(issues: dict) -> str:
    """The data issues in one line (the policy's warnings say which of them matter)."""
    d = issues["duplicates"]
    parts = [f"data issues: {d['exact_rows']} exact and {d['near_rows']} near copies "
             f"({d['conflicting_groups']} groups with different labels)"]
    imbalance = issues["class_imbalance"]
    if imbalance.get("ran"):
        parts.append(f"rarest class {imbalance['rarest_share']:.1%} (fair share {imbalance['fair_share']:.1%})")
    order = issues["non_iid"]
    neighbours, labels = order.get("neighbours", {}), order.get("label_order", {})
    if neighbours.get("ran"):
        parts.append(f"order: neighbours {neighbours['closeness']:.0%} nearer than chance (p={neighbours['p_value']:.2g})"
                     + (f", label by block V={labels['cramers_v']:.2f} (p={labels['p_value']:.2g})" if labels.get("ran") else ""))
    for name, key in (("constant", "constant_columns"), ("identifier", "identifier_columns")):
        if issues[key]:
            parts.append(f"{name} columns: {', '.join(issues[key])}")
    heavy = [f"{c['column']} {c['null_share']:.0%}" for c in issues["null_columns"] if c["null_share"] >= 0.5]
    if heavy:
        parts.append("mostly missing: " + ", ".join(heavy))
    if issues["empty_rows"]:
        parts.append(f"{issues['empty_rows']} empty rows")
    return "; ".join(parts)


def pii_json(body: dict) -> str:
    """One finding per line, keys sorted: readable, diffable, and fast (json's indent= is pure Python)."""
    from json.encoder import encode_basestring as quote  # C-accelerated string escaping

    def line(f: dict) -> str:
        column = "null" if f["column"] is None else quote(f["column"])
        return (f'    {{"column": {column}, "confidence": {json.dumps(f["confidence"])}, "file": {quote(f["file"])}, '
                f'"fingerprint": {quote(f["fingerprint"])}, "preview": {quote(f["preview"])}, "row": {int(f["row"])}, '
                f'"type": {quote(f["type"])}}}')

    findings = ",\n".join(line(f) for f in body["findings"])
    rest = {k: v for k, v in body.items() if k != "findings"}
    tail = json.dumps(rest, indent=2, sort_keys=True, ensure_ascii=False)[1:]
    return '{\n  "findings": [' + ("\n" + findings + "\n  " if findings else "") + "]," + tail + "\n"


def pii_text(body: dict) -> str:
    """`gate scan pii` as text: one line per finding (redacted preview), then errors, skips, problems, notes."""
    lines = []
    for f in body["findings"]:
        where = f"{f['file']}:{f['row']}" + (f" [{f['column']}]" if f["column"] is not None else "")
        lines.append(f"{f['type']:<13} {f['confidence']:.2f}  {f['preview']:<28} {where}")
    for error in body["errors"]:
        lines.append(f"ERROR  {error['message']}")
    for skipped in body["summary"]["skipped"]:
        lines.append(f"SKIPPED  {skipped['file']}: {skipped['reason']}")
    for problem in body["summary"]["problems"]:
        lines.append(f"PROBLEM  {problem['file']}: {problem['message']} (scanned as text; not loadable)")
    for note in body["summary"]["notes"]:
        lines.append(f"NOTE  {note['file']}: {note['note']}")
    summary = body["summary"]
    counts = ", ".join(f"{k} {v}" for k, v in summary["by_type"].items()) or "none"
    lines.append(f"{summary['findings']} finding(s) in {summary['files']} file(s) ({counts}); "
                 f"{summary['baselined']} accepted by the baseline; {len(body['errors'])} error(s)")
    from .._text import printable

    return "\n".join(printable(line) for line in lines) + "\n"
