"""GitHub Actions: workflow commands for inline annotations, and a Markdown job summary."""

from __future__ import annotations

import os

from ..verdict import Verdict
from .interface import Reporter, shown

_COMMAND = {"deny": "error", "error": "error", "warn": "warning", "waived": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    """``::error file=…,line=…,title=…::message`` per violation; writes $GITHUB_STEP_SUMMARY when set."""

    def render(self, verdict: Verdict) -> str:
        verdict = shown(verdict)
        lines = []
        for dataset in verdict.datasets:
            for v in dataset.violations:
                props = [f"file={_property(v.file or dataset.path)}"]
                if v.line:
                    props.append(f"line={int(v.line)}")
                props.append(f"title={_property(f'{v.id} ({v.severity})')}")
                lines.append(f"::{_COMMAND.get(v.level, 'warning')} {','.join(props)}::{_data(v.message)}")
        for error in verdict.errors:
            lines.append(f"::error file={_property(error.path)},title=gate error::{_data(error.message)}")
        pinned = f"; decision time pinned to {verdict.now}" if verdict.now_pinned else ""
        lines.append(f"gate: verdict {verdict.verdict} ({len(verdict.datasets)} decided, {len(verdict.errors)} errors; "
                     f"engine {verdict.engine}{pinned})")
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write(summary_markdown(verdict))
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(verdict: Verdict) -> str:
    """A Markdown table of datasets and their violations for the job summary."""
    icon = {"pass": "✅", "warn": "⚠️", "fail": "❌", "error": "🛑"}
    out = [f"## gate: {icon.get(verdict.verdict, '')} {verdict.verdict}", "",
           f"Engine `{verdict.engine}`, policies `{verdict.policy_digest[:19]}`"
           + (f", decision time pinned to `{verdict.now}`" if verdict.now_pinned else ""), "",
           "| | dataset | violations |", "|---|---|---|"]
    for dataset in verdict.datasets:
        found = "<br>".join(f"`{v.id}` {_cell(v.message)}" for v in dataset.violations) or "—"
        out.append(f"| {icon.get(dataset.verdict, '')} | `{dataset.id}` | {found} |")
    for error in verdict.errors:
        out.append(f"| {icon['error']} | `{error.path}` | {_cell(error.message)} |")
    return "\n".join(out) + "\n\n"
