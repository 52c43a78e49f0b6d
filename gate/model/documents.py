"""Bounded, safe reading of the small human-written files: YAML and JSON with line numbers."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import GateError

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 64

Lines = dict[tuple, int]


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Safe YAML (libyaml when present) whose dates stay strings; tricks are refused in ``_check``."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


class _YamlTrick(Exception):
    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message = message
        self.mark = mark


def read_bounded(path: Path, error: type[GateError], shown: str, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """Read a small UTF-8 text file, refusing huge, binary or undecodable content."""
    return read_bounded_raw(path, error, shown, limit)[0]


def read_bounded_raw(path: Path, error: type[GateError], shown: str,
                     limit: int = MAX_DOCUMENT_BYTES) -> tuple[str, bytes]:
    """``read_bounded``, also returning the bytes as read (what a signature binds)."""
    from .._fs import NotRegularFile, read_regular

    try:
        size = os.stat(path).st_size
        if size > limit:
            raise error(f"file is {size} bytes; the limit is {limit} bytes", shown)
        raw = read_regular(path, limit)
    except GateError:
        raise
    except NotRegularFile as exc:
        raise error(f"is {exc.strerror}, not a regular file; not read", shown) from None
    except IsADirectoryError:
        raise error("is a directory, not a file", shown) from None
    except FileNotFoundError:
        raise error("file not found", shown) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc.__class__.__name__}", shown) from None
    if len(raw) > limit:
        raise error(f"file is larger than {limit} bytes", shown)
    if b"\x00" in raw:
        raise error("binary content (NUL bytes); expected UTF-8 text", shown)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not valid UTF-8 (byte {exc.start})", shown) from None
    return text, raw


def load_yaml(text: str, error: type[GateError], shown: str) -> tuple[Any, Lines]:
    """Parse one YAML document safely; returns the value and a map of key path -> line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: Lines = {}
        _check(node, (), lines, 0, set())
        return loader.construct_document(node), lines
    except _YamlTrick as exc:
        raise error(exc.message, shown, exc.mark.line + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(f"invalid YAML: {exc.problem or exc.context}", shown, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc.__class__.__name__}", shown) from None
    except RecursionError:
        raise error("YAML nested too deeply", shown) from None
    finally:
        loader.dispose()


def _check(node, path: tuple, lines: Lines, depth: int, seen: set[int]) -> None:
    if id(node) in seen:
        raise _YamlTrick("YAML anchors and aliases are not allowed", node.start_mark)
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise _YamlTrick(f"nested deeper than {MAX_DEPTH} levels", node.start_mark)
    if node.tag not in _STANDARD_TAGS:
        raise _YamlTrick(f"YAML tag {node.tag!r} is not allowed", node.start_mark)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise _YamlTrick("only plain scalar keys are allowed (no merge keys)", key_node.start_mark)
            key = key_node.value
            if key in seen:
                raise _YamlTrick(f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _check(value_node, path + (key,), lines, depth + 1, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            _check(item, path + (index,), lines, depth + 1, seen)


def load_json(text: str, error: type[GateError], shown: str) -> Any:
    """Parse JSON, naming the file and line of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON: {exc.msg}", shown, exc.lineno) from None
    except RecursionError:
        raise error("JSON nested too deeply", shown) from None


def load_document(path: Path, error: type[GateError], shown: str) -> tuple[Any, Lines]:
    """Read a YAML or JSON file (by extension; YAML otherwise) with line numbers."""
    text = read_bounded(path, error, shown)
    if path.suffix in (".json", ".lock"):
        return load_json(text, error, shown), {}
    return load_yaml(text, error, shown)


@lru_cache(maxsize=None)
def schema_validator(name: str):
    """The JSON Schema validator for a schema shipped in gate/schemas/."""
    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "schemas" / f"{name}.schema.json").read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate(value: Any, schema: str, lines: Lines, error: type[GateError], shown: str) -> None:
    """Validate against a shipped schema; the first error names line and field."""
    found = sorted(
        schema_validator(schema).iter_errors(value),
        key=lambda e: (_line_of(lines, tuple(e.absolute_path)), [str(p) for p in e.absolute_path]),
    )
    if not found:
        return
    first = found[0]
    path, message = _describe(first)
    line = _line_of(lines, path)
    where = ".".join(str(p) for p in path) or "(document)"
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    raise error(f"{where}: {message}{more}", shown, line or None)


def _line_of(lines: Lines, path: tuple) -> int:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 0)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(err) -> tuple[tuple, str]:
    path = tuple(err.absolute_path)
    kind = err.validator
    if kind == "enum":
        return path, f"{_short(err.instance)} is not one of {', '.join(map(str, err.validator_value))}"
    if kind == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        name = extra[0] if extra else "?"
        return path + (name,), f"unknown field {name!r}"
    if kind == "required":
        missing = [r for r in err.validator_value if r not in err.instance]
        name = missing[0] if missing else "?"
        return path + (name,), "required field is missing"
    if kind == "type":
        wanted = err.validator_value if isinstance(err.validator_value, str) else " or ".join(err.validator_value)
        return path, f"expected {wanted}, got {_json_type(err.instance)}"
    if kind == "const":
        return path, f"must be {err.validator_value!r}, got {_short(err.instance)}"
    if kind == "pattern":
        return path, f"{_short(err.instance)} does not match {err.validator_value}"
    if kind in ("maxLength", "minLength", "maximum", "minimum", "minItems", "uniqueItems"):
        return path, f"{_short(err.instance)} violates {kind} {err.validator_value}"
    return path, err.message[:200]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
