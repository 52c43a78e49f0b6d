"""The reporter seam: a verdict in, text out."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..verdict import Verdict


class Reporter(ABC):
    """Renders a verdict in one format."""

    @abstractmethod
    def render(self, verdict: Verdict) -> str:
        """The whole report as text."""
