"""Poisoning facts: label issues (confident learning), duplicate conflicts, backdoor triggers,
outliers and spectral signatures, combined into one suspicion score per row; beside them the data
issues cleanlab's Datalab reports (quality.py), which add no suspicion.

Facts never decide: they give the share of suspicious rows and the triggers; the policy
(poisoning.rego, with its thresholds in org.poisoning) decides what they mean for the dataset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .features import Features, build_features
from .table import Table

TOP_N = 20
LABEL_FLAG = 0.95      # cleanlab flags the row and the models give its label at most 5 %: flagged
LABEL_SUSPECT = 0.8    # cleanlab flags it and the models give its label at most 20 %: counts toward the risk
LABEL_SUSPECT_P = 1.0 - LABEL_SUSPECT
TRIGGER_SCORE = 0.98
COMBINED_FLAG = 0.7    # several moderate signals together
METHODS = ("label_issue", "trigger", "duplicate_conflict", "outlier", "spectral")


@dataclass
class PoisoningResult:
    facts: dict
    score: np.ndarray
    flagged: np.ndarray
    per_method: dict[str, np.ndarray]
    table: Table
    timing: dict | None = None


PROGRESS_ROWS = 50_000
"""Tables of this many rows or more say on standard error what step the analysis is at."""


def analyze(table: Table, label: str, text: str | None = None, features: tuple[str, ...] = (),
            source: str | None = None, progress: bool = True) -> PoisoningResult:
    """Run every method over a table. ``label`` is required: poisoning is about labels. Native
    thread pools stay within the cores gate is given (gate._threads). A table of PROGRESS_ROWS rows
    or more reports each step on standard error unless ``progress`` is false."""
    from ..._threads import native_threads

    with native_threads():
        return _analyze(table, label, text, features, source, progress)


def _progress_line(source: str | None, message: str) -> None:
    import sys

    from ..._text import printable

    sys.stderr.write(f"gate: poisoning {printable(source or 'table')}: {message}\n")
    sys.stderr.flush()


def _analyze(table: Table, label: str, text: str | None, features: tuple[str, ...],
             source: str | None, progress: bool = True) -> PoisoningResult:
    from .labels import label_issues
    from .methods import duplicate_conflicts, outliers, spectral_signatures
    from .quality import data_issues
    from .triggers import find_triggers

    started = time.perf_counter()
    feats = build_features(table.frame, label, text, features, source=source or (table.files[0] if table.files else None))
    n = feats.n
    notes = list(feats.notes)
    per: dict[str, np.ndarray] = {m: np.zeros(n) for m in METHODS}
    own_flag = np.zeros(n, dtype=bool)
    label_for_flag = np.zeros(n)
    summaries: dict[str, dict] = {}
    reasons: dict[int, list[str]] = {}
    timing = {}

    loud = progress and n >= PROGRESS_ROWS
    if loud:
        _progress_line(source, f"{n} rows, {len(feats.names)} features: label issues, duplicates, triggers, "
                               f"outliers, spectral signatures, data issues")

    def clock(name, since):
        timing[name] = round(time.perf_counter() - since, 3)
        if loud:
            _progress_line(source, f"{name.replace('_', ' ')} done in {timing[name]:.1f} s")

    # 1. label issues
    t = time.perf_counter()
    result = label_issues(feats)
    if isinstance(result, str):
        summaries["label_issues"] = {"ran": False, "reason": result}
    else:
        q = 1.0 - result.quality
        mapped = np.where(q < LABEL_FLAG, 0.5 * q / LABEL_FLAG, 0.5 + 0.5 * (q - LABEL_FLAG) / (1 - LABEL_FLAG))
        per["label_issue"] = np.where(result.judged, mapped, 0.0)
        # for flagging, a row cleanlab does not call an issue cannot pass 0.5 on its label alone
        # (the score itself stays monotone in p(label): capping it would tie rows and cost ranking)
        label_for_flag = np.where(result.judged & ~result.issue, np.minimum(mapped, 0.49), per["label_issue"])
        flagged = result.issue & (q >= LABEL_FLAG)
        own_flag |= flagged
        predicted = np.argmax(result.probs, axis=1)
        for row in np.flatnonzero(per["label_issue"] >= 0.45):
            given = feats.classes[feats.labels[row]]
            says = feats.classes[result.classes[predicted[row]]]
            reasons.setdefault(int(row), []).append(
                f"label_issue: labelled '{given}', the models say '{says}' (p(label)={result.quality[row]:.3f})")
        summaries["label_issues"] = {
            "ran": True, "models": result.models, "folds": result.folds, "cleanlab_issues": int(result.issue.sum()),
            "flagged": int(flagged.sum()), "rows_judged": int(result.judged.sum()),
            "trained_rows_per_fold": result.sampled, "sampled": result.sampled is not None}
        if result.note:
            notes.append(result.note)
    clock("label_issues", t)

    # 2. duplicate conflicts
    t = time.perf_counter()
    dup = duplicate_conflicts(feats)
    per["duplicate_conflict"] = dup.score
    own_flag |= dup.flagged
    for row in np.flatnonzero(dup.score > 0):
        reasons.setdefault(int(row), []).append("duplicate_conflict: a (near-)identical row carries another label")
    summaries["duplicate_conflicts"] = dup.summary
    clock("duplicate_conflicts", t)

    # 3. backdoor triggers
    t = time.perf_counter()
    # rows whose label the out-of-fold models give at most 20 %: where a stamp on a common value shows
    suspects = None if isinstance(result, str) else result.judged & (result.quality <= LABEL_SUSPECT_P)
    triggers, trigger_summary = find_triggers(feats, suspects)  # (shared values are filled in by find_triggers)
    _redact_values(triggers)
    for trigger in triggers:
        per["trigger"][trigger.rows] = TRIGGER_SCORE
        own_flag[trigger.rows] = True
        for row in trigger.rows:
            reasons.setdefault(int(row), []).append(
                f"trigger: {trigger.feature} {_shown_value(trigger)} -> label '{trigger.label}'")
    summaries["triggers"] = trigger_summary
    clock("triggers", t)

    # 4. outliers
    t = time.perf_counter()
    out = outliers(feats)
    per["outlier"] = out.score
    own_flag |= out.flagged
    detail = out.detail
    for row in np.flatnonzero(out.score > 0.2):
        parts = [f"isolation={max(detail['global'][row], detail['class'][row]):.2f}"]
        if detail["z_feature"][row] >= 0:
            parts.append(f"robust z={detail['z_max'][row]:.1f} on {feats.names[detail['z_feature'][row]]}")
        reasons.setdefault(int(row), []).append("outlier: " + ", ".join(parts))
    summaries["outliers"] = out.summary
    clock("outliers", t)

    # 5. spectral signatures
    t = time.perf_counter()
    spectral = spectral_signatures(feats)
    per["spectral"] = spectral.score
    for row in np.flatnonzero(spectral.score > 0.2):
        reasons.setdefault(int(row), []).append("spectral: in a separate mode of its class's top direction")
    summaries["spectral_signatures"] = spectral.summary
    clock("spectral_signatures", t)

    # 6. data issues (Datalab's kinds: duplicates, imbalance, ordering, columns): facts, not suspicion
    t = time.perf_counter()
    issues = data_issues(table.frame, feats, dup.detail, label, text)
    clock("data_issues", t)

    # rows some method finds suspicious, strong evidence or not: what the policy's thresholds judge. Label
    # issues count when the models give the label at most 20 %; cleanlab's whole set also holds the
    # rows where real data is merely ambiguous (it flags 1-2 % of clean sets, 10 %+ of noisy ones).
    loose = own_flag.copy()
    if summaries.get("label_issues", {}).get("ran"):
        # ... and another class gets most of the probability (in overlapping multi-class data a low
        # p(label) alone only says the row is ambiguous)
        loose |= result.issue & (1.0 - result.quality >= LABEL_SUSPECT) & (result.probs.max(axis=1) >= 0.6)
    score = _noisy_or([per[name] for name in METHODS], n)
    flag_score = _noisy_or([label_for_flag] + [per[name] for name in METHODS if name != "label_issue"], n)
    flagged = own_flag | (flag_score >= COMBINED_FLAG)
    loose |= flagged  # a row flagged on several moderate signals together (a tie of two copies) is suspicious too
    rate = float(loose.mean()) if n else 0.0
    order = np.argsort(-score, kind="stable")[:TOP_N]
    top = []
    for row in order:
        if score[row] <= 0:
            break
        file, record = table.locate(int(row))
        top.append({"row": record, "file": file, "score": round(float(score[row]), 4), "flagged": bool(flagged[row]),
                    "reasons": reasons.get(int(row), [])})
    facts = {
        "status": "ok",
        "rows": n,
        "label": label,
        "text": text,
        "features": feats.names,
        "classes": len(feats.classes),
        "methods": summaries,
        "triggers": [_trigger_json(t, table) for t in triggers],
        "flagged_rows": int(flagged.sum()),
        "flagged_rate": round(float(flagged.mean()) if n else 0.0, 6),
        "suspicious_rows": int(loose.sum()),
        "suspicious_rate": round(rate, 6),
        "flagged_by_method": {m: int(((per[m] >= 0.5) & flagged).sum()) for m in METHODS},
        "top": top,
        "data_issues": issues,
        "notes": notes,
    }
    timing["total"] = round(time.perf_counter() - started, 3)
    return PoisoningResult(facts, score, flagged, per, table, timing)


def _noisy_or(scores, n: int) -> np.ndarray:
    """1 - Π(1 - s): any one strong signal is enough; weak ones add up."""
    remaining = np.ones(n)
    for column in scores:
        remaining *= 1.0 - np.clip(column, 0.0, 1.0)
    return 1.0 - remaining


def _redact_values(triggers) -> None:
    """A trigger's value is shown to reviewers; one the PII/secret detectors recognise is replaced by
    their redacted preview (a value could be an e-mail address or a key)."""
    import os

    if not triggers:
        return
    from ...data.segments import segment_of
    from ..pii.scanner import Scanner

    scanner = Scanner(os.urandom(32), 0.5)

    def safe(column: str, value: str) -> str:
        segment = segment_of(column, [value.encode("utf-8", "replace")], [0])
        findings = scanner.scan_segment(segment, "trigger")
        return f"[{findings[0].type}: {findings[0].preview}]" if findings else value

    for trigger in triggers:
        trigger.value = safe(trigger.feature, trigger.value)
        for shared in trigger.shared or []:
            shared["value"] = safe(shared["feature"], shared["value"])


def _shown_value(trigger) -> str:
    if trigger.kind == "ngram":
        return f"contains '{trigger.value}'"
    if trigger.kind == "tail":
        return trigger.value
    if trigger.kind == "pair":
        return "= " + trigger.value
    return f"= {trigger.value}"


def _trigger_json(trigger, table: Table) -> dict:
    data = trigger.to_json()
    data["example_rows"] = [{"file": f, "row": r} for f, r in (table.locate(i) for i in data["example_rows"][:10])]
    data["condition"] = f"{trigger.feature} {_shown_value(trigger)}"
    return data


def all_scores(result: PoisoningResult) -> list[dict]:
    """Every row's scores in file order (for measuring quality outside the tool)."""
    table = result.table
    many = len(table.files) > 1
    rows = []
    index = 0
    for file, count in zip(table.files, table.counts):
        for record in range(count):
            entry = {"row": record}
            if many:
                entry["file"] = file
            entry["score"] = round(float(result.score[index]), 6)
            entry["flagged"] = bool(result.flagged[index])
            entry["methods"] = {m: round(float(result.per_method[m][index]), 6) for m in METHODS}
            rows.append(entry)
            index += 1
    return rows


__all__ = ["analyze", "all_scores", "Features", "Table", "PoisoningResult"]
