"""The JSON verdict of DESIGN.md."""

from __future__ import annotations

import json

from ..verdict import Verdict
from .interface import Reporter


class JsonReporter(Reporter):
    """Stable, indented JSON with sorted keys."""

    def render(self, verdict: Verdict) -> str:
        return json.dumps(verdict.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
