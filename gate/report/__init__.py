"""Output formats, one module each; ``get`` is the one registry."""

from __future__ import annotations

from ..errors import GateError
from .interface import Reporter

FORMATS = ("text", "json", "sarif", "junit", "github")


def get(name: str, *, color: bool = False) -> Reporter:
    """The reporter for a format name."""
    if name == "text":
        from .text import TextReporter

        return TextReporter(color=color)
    if name == "json":
        from .json_format import JsonReporter

        return JsonReporter()
    if name == "sarif":
        from .sarif import SarifReporter

        return SarifReporter()
    if name == "junit":
        from .junit import JunitReporter

        return JunitReporter()
    if name == "github":
        from .github import GithubReporter

        return GithubReporter()
    raise GateError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Reporter", "get"]
