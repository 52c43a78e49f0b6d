"""Access requests: read from JSON or YAML files (one or a list) and validated against the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import RequestError
from .documents import load_document, validate


def load_requests(path: Path) -> list[dict[str, Any]]:
    """Access requests from a JSON or YAML file: one object or a list of them, validated."""
    shown = str(path)
    document, lines = load_document(path, RequestError, shown)
    items = document if isinstance(document, list) else [document]
    if not items:
        raise RequestError("no requests in file", shown)
    for index, item in enumerate(items):
        if isinstance(document, list):
            validate_request(item, shown, index)
        else:
            validate(item, "request", lines, RequestError, shown)
    return items


def validate_request(request: Any, shown: str, index: int | None = None) -> None:
    """Validate one access request against the shipped schema."""
    try:
        validate(request, "request", {}, RequestError, shown)
    except RequestError as exc:
        if index is None:
            raise
        raise RequestError(f"request {index}: {exc.message}", shown) from None
