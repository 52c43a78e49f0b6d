"""Output formats, one module each; ``get`` is the one registry."""

from __future__ import annotations

from ..errors import GateError
from .interface import Reporter

FORMATS = ("text", "json")


def get(name: str, *, color: bool = False) -> Reporter:
    """The reporter for a format name."""
    if name == "text":
        from .text import TextReporter

        return TextReporter(color=color)
    if name == "json":
        from .json_format import JsonReporter

        return JsonReporter()
    raise GateError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Reporter", "get"]
