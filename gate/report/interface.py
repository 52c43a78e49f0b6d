"""The reporter seam: a verdict in, text out."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..verdict import Verdict


class Reporter(ABC):
    """Renders a verdict in one format."""

    @abstractmethod
    def render(self, verdict: Verdict) -> str:
        """The whole report as text."""


def shown(verdict: Verdict) -> Verdict:
    """The verdict with every string a person reads made printable (see gate._text.printable): for the
    formats a terminal, a CI log or an XML parser shows (text, junit, github, sarif)."""
    import dataclasses

    from .._text import printable

    def violation(v):
        return dataclasses.replace(v, id=printable(v.id), message=printable(v.message),
                                   file=printable(v.file) if v.file else v.file,
                                   severity=printable(v.severity), level=printable(v.level))

    datasets = tuple(dataclasses.replace(d, id=printable(d.id), path=printable(d.path),
                                         violations=tuple(violation(v) for v in d.violations))
                     for d in verdict.datasets)
    errors = tuple(dataclasses.replace(e, path=printable(e.path), message=printable(e.message))
                   for e in verdict.errors)
    return dataclasses.replace(verdict, datasets=datasets, errors=errors,
                               notices=tuple(printable(n) for n in verdict.notices))
