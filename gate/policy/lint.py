"""`gate policy lint`: what a reviewer checks before a policy ships, and what only gate can check.

Findings, each with file and line:
- ``lint.parse_error``: a module that an installed engine cannot load (named per engine);
- ``lint.not_v1``: a module that parses only as Rego v0;
- ``lint.builtin_unsupported``: a call to a builtin an installed engine lacks (regorus has no
  ``crypto.*``, ``io.jwt.*``, ``rego.metadata.*``), found in regorus's AST, confirmed by probing
  each engine with the same name and arity;
- ``lint.metadata_missing``: a ``deny``/``warn`` rule in a ``gate.rules.*`` package without a
  METADATA block carrying title, description, custom.id and custom.severity;
- ``lint.duplicate_id``: a custom.id used by more than one rule;
- ``lint.violation_without_message`` / ``lint.violation_without_id``: a deny/warn whose object has
  no ``message`` / ``id`` (a plain string becomes ``custom.unnamed``);
- ``lint.uncollected_package``: ``deny``/``warn`` rules outside ``gate.rules.dataset.*`` and
  ``gate.rules.access.*``, which the entrypoints never collect.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from ..verdict import Report
from . import Module, PolicySet

COLLECTED = ("gate.rules.dataset.", "gate.rules.access.")
REQUIRED_METADATA = ("title", "description", "custom.id", "custom.severity")
_RULE_HEAD = re.compile(r"^(deny|warn)\b")


@dataclass(frozen=True)
class Finding:
    """One lint finding."""

    rule: str
    message: str
    file: str
    line: int
    engine: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _name(node: Any) -> str | None:
    """A dotted name from a Var / RefDot chain, else None."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return body.get("value")
    if kind == "RefDot":
        base = _name(body.get("refr"))
        field = body.get("field")
        if base is None or not isinstance(field, list) or len(field) != 2:
            return None
        return f"{base}.{field[1]}"
    return None


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _calls(node: Any) -> Iterator[tuple[str, int, int]]:
    """(name, arity, line) of every function call below ``node``."""
    for item in _walk(node):
        call = item.get("Call")
        if isinstance(call, dict) and "fcn" in call:
            name = _name(call["fcn"])
            if name:
                yield name, len(call.get("params") or []), (call.get("span") or {}).get("line", 0)


def _parse(module: Module, v0: bool = False) -> dict:
    import regorus

    engine = regorus.Engine()
    if v0:
        engine.set_rego_v0(True)
    engine.add_policy(module.name, module.source)
    return json.loads(engine.get_ast_as_json())[0]["ast"]


def _parses_as_v0(module: Module) -> bool:
    """Whether the module parses as Rego v0 (regorus's v0 warnings on stderr silenced)."""
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 2)
            try:
                _parse(module, v0=True)
                return True
            except Exception:  # noqa: BLE001
                return False
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def shown(module: Module) -> str:
    """The module's path as a reviewer opens it: relative to the current directory when below it."""
    try:
        return module.path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(module.path)


def _package(ast: dict) -> str:
    name = _name(ast.get("package", {}).get("refr")) or ""
    return name[5:] if name.startswith("data.") else name


def _imports(ast: dict) -> dict[str, str]:
    out = {}
    for item in ast.get("imports") or []:
        path = _name(item.get("refr"))
        if not path:
            continue
        alias = item.get("as") or path.rsplit(".", 1)[-1]
        out[str(alias)] = path[5:] if path.startswith("data.") else path
    return out


def _head(rule: dict) -> tuple[str | None, str | None, Any, int]:
    """(rule name, head kind, the set rule's key node, line) of one parsed rule."""
    spec = rule.get("Spec") or rule.get("Default") or {}
    head = spec.get("head") or {}
    for kind, body in head.items():
        if isinstance(body, dict):
            return _name(body.get("refr")), kind, body.get("key"), (body.get("span") or {}).get("line", 0)
    return _name(spec.get("refr")), None, None, (spec.get("span") or {}).get("line", 0)


def _metadata_above(lines: list[str], index: int) -> tuple[dict | None, int]:
    """The METADATA block directly above line ``index`` (0-based), parsed, and its line."""
    start = index
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    block = lines[start:index]
    if not block or block[0].strip() != "# METADATA":
        return None, index + 1
    text = "\n".join(line[2:] if line.startswith("# ") else line[1:] for line in block[1:])
    try:
        value = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        value = {}
    return (value if isinstance(value, dict) else {}), start + 1


def _get(meta: dict, dotted: str) -> Any:
    value: Any = meta
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def annotated_rules(module: Module, ast: dict) -> Iterator[tuple[str, str, int, dict, dict]]:
    """(rule id, deny|warn, head line, METADATA, the parsed rule) of every annotated deny/warn rule."""
    lines = module.source.splitlines()
    for rule in ast.get("rules") or []:
        name, _, _, line = _head(rule)
        if name not in ("deny", "warn"):
            continue
        meta, _ = _metadata_above(lines, line - 1)
        rule_id = _get(meta or {}, "custom.id")
        if rule_id:
            yield str(rule_id), name, line, meta or {}, rule


def _probe(engine: str, name: str, arity: int) -> bool:
    """Whether ``engine`` knows the builtin ``name`` (a tiny module calling it with ``arity`` args)."""
    from ..engine import create_engine
    from ..errors import GateError

    args = ", ".join(f"input.a{i}" for i in range(arity))
    module = Module("probe.rego", Path("probe.rego"), f"package gate_lint_probe\n\nq := {name}({args})\n")
    try:
        backend = create_engine(engine)
        backend.load(PolicySet((module,), {}))
        backend.evaluate("gate_lint_probe.q", {})
    except GateError as exc:
        text = str(exc)
        return not ("could not find function" in text or "undefined function" in text)
    except Exception:  # noqa: BLE001 - an engine that cannot even run the probe: count it as lacking
        return False
    return True


def lint_report(policies: PolicySet, engines: list[str]) -> Report:
    """`gate policy lint`: the findings (with the module count and engines the renderers name); exit 1
    when there is any."""
    findings = lint(policies, engines)
    return Report((findings, len(policies.modules), engines), found=len(findings))


def lint(policies: PolicySet, engines: list[str]) -> list[Finding]:
    """Every finding over a policy set, sorted by file and line."""
    findings: list[Finding] = []
    parsed: dict[str, dict] = {}
    for module in policies.modules:
        try:
            parsed[module.name] = _parse(module)
        except Exception as exc:  # noqa: BLE001 - regorus raises plain exceptions with the location
            from ..engine.regorus_engine import clean_message

            message = clean_message(exc).split(": ", 1)[-1] if ".rego:" in clean_message(exc) else clean_message(exc)
            line = _error_line(str(exc))
            if _parses_as_v0(module):
                findings.append(Finding("lint.not_v1", "parses only as Rego v0; write Rego v1 (`if`, `contains`)",
                                        shown(module), line))
            else:
                findings.append(Finding("lint.parse_error", message, shown(module), line, "regorus"))
    findings += _engine_loads(policies, engines, parsed)

    user = set()
    for name, ast in parsed.items():
        package = _package(ast)
        for rule in ast.get("rules") or []:
            rule_name = _head(rule)[0]
            if rule_name:
                user.add(f"{package}.{rule_name}")
    probes: dict[tuple[str, str, int], bool] = {}
    seen_ids: dict[str, tuple[str, int]] = {}
    for module in policies.modules:
        ast = parsed.get(module.name)
        if ast is None:
            continue
        package, imports = _package(ast), _imports(ast)
        lines = module.source.splitlines()
        is_test = module.path.name.endswith("_test.rego")
        for rule in ast.get("rules") or []:
            for call, arity, line in _calls(rule):
                if _is_user(call, package, imports, user):
                    continue
                for engine in engines:
                    key = (engine, call, arity)
                    if key not in probes:
                        probes[key] = _probe(engine, call, arity)
                    if not probes[key]:
                        findings.append(Finding("lint.builtin_unsupported",
                                                f"{call} is not a builtin of the {engine} engine",
                                                shown(module), line, engine))
            name, kind, key_node, line = _head(rule)
            if name not in ("deny", "warn") or is_test:
                continue
            if not package.startswith(COLLECTED):
                findings.append(Finding("lint.uncollected_package",
                                        f"{name} in package {package or '?'} is never collected: the entrypoints read "
                                        "gate.rules.dataset.* and gate.rules.access.*", shown(module), line))
                continue
            meta, meta_line = _metadata_above(lines, line - 1)
            where = shown(module)
            missing = [f for f in REQUIRED_METADATA if meta is None or not _get(meta, f)]
            if missing:
                findings.append(Finding("lint.metadata_missing", f"{name} rule lacks METADATA "
                                        + ", ".join(missing), where, line))
            rule_id = _get(meta or {}, "custom.id")
            if rule_id:
                if rule_id in seen_ids and seen_ids[rule_id] != (where, meta_line):
                    first = seen_ids[rule_id]
                    findings.append(Finding("lint.duplicate_id", f"custom.id {rule_id} is also used at "
                                            f"{first[0]}:{first[1]}", where, meta_line))
                else:
                    seen_ids.setdefault(rule_id, (where, meta_line))
            findings += _shape(name, kind, key_node, where, line)
    return sorted(set(findings), key=lambda f: (f.file, f.line, f.rule, f.engine or ""))


def _is_user(call: str, package: str, imports: dict[str, str], user: set[str]) -> bool:
    if call.startswith("data."):
        return True
    head, _, rest = call.partition(".")
    if head in imports and rest:
        return True  # through a data import: a rule, never a builtin
    return f"{package}.{call}" in user


def _shape(name: str, kind: str | None, key: Any, file: str, line: int) -> list[Finding]:
    """A deny/warn's element must be an object with id and message (or a function that builds one)."""
    if kind != "Set" or not isinstance(key, dict) or len(key) != 1:
        return []
    node_kind, body = next(iter(key.items()))
    if node_kind == "Object":
        keys = {f[1].get("String", {}).get("value") for f in body.get("fields") or [] if isinstance(f, list)
                and len(f) == 3 and isinstance(f[1], dict)}
        out = []
        if "message" not in keys:
            out.append(Finding("lint.violation_without_message", f"{name} adds an object without a message", file, line))
        if "id" not in keys:
            out.append(Finding("lint.violation_without_id", f"{name} adds an object without an id", file, line))
        return out
    if node_kind in ("String", "RawString", "Number", "Bool", "Null", "Array", "Set"):
        return [Finding("lint.violation_without_id", f"{name} adds a {node_kind.lower()}, not an object with id "
                        "and message; it is reported as custom.unnamed", file, line)]
    return []


def _engine_loads(policies: PolicySet, engines: list[str], parsed: dict[str, dict]) -> list[Finding]:
    """Load the whole set on every engine; name the module a failure points at."""
    from ..engine import create_engine
    from ..errors import GateError

    out = []
    for engine in engines:
        try:
            backend = create_engine(engine)
            # regorus parsed each module already; other engines load everything and name what fails
            modules = tuple(m for m in policies.modules if engine != "regorus" or m.name in parsed)
            backend.load(PolicySet(modules, policies.data))
        except GateError as exc:
            text = str(exc)
            module = next((m for m in policies.modules if m.name in text or m.path.name in text), policies.modules[0])
            out.append(Finding("lint.parse_error", _clean(text.splitlines()), shown(module), _error_line(text), engine))
    return out


def _error_line(text: str) -> int:
    match = re.search(r"\.rego:(\d+)", text)
    return int(match.group(1)) if match else 1


def _clean(lines: list[str]) -> str:
    text = "\n".join(lines)
    opa = re.search(r"rego_(\w+)_error: ([^\n]+)", text)
    if opa:  # OPA: "rego_parse_error: unexpected eof token <code frame>"
        detail = re.split(r"\s{2,}|\t", opa.group(2))[0]
        short = re.match(r"(.*?\btoken)\b", detail)  # drop the code frame OPA appends to parse errors
        return f"{opa.group(1)} error: " + (short.group(1) if short else detail)[:200]
    useful = [line.strip() for line in lines if line.strip() and not line.strip().startswith(("-->", "|", "Stack"))]
    return (useful[-1] if useful else "cannot parse")[:300]


def render_text(findings: list[Finding], modules: int, engines: list[str]) -> str:
    lines = [f"{f.file}:{f.line}: {f.rule}: {f.message}" + (f" [{f.engine}]" if f.engine else "") for f in findings]
    lines.append(f"{len(findings)} finding(s) in {modules} module(s) (engines: {', '.join(engines) or 'none'})")
    return "\n".join(lines) + "\n"


def render_json(findings: list[Finding], modules: int, engines: list[str]) -> str:
    return json.dumps({"findings": [f.to_json() for f in findings], "modules": modules, "engines": engines},
                      indent=2, sort_keys=True) + "\n"


def render_sarif(findings: list[Finding], modules: int, engines: list[str]) -> str:
    from .._version import __version__

    rules = sorted({f.rule for f in findings})
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "gate policy lint", "version": __version__,
                                "informationUri": "https://github.com/",
                                "rules": [{"id": r, "shortDescription": {"text": r.split(".", 1)[1].replace("_", " ")}}
                                          for r in rules]}},
            "results": [{"ruleId": f.rule, "level": "error", "message": {"text": f.message + (f" [{f.engine}]" if f.engine else "")},
                         "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.file},
                                                             "region": {"startLine": max(1, f.line)}}}]}
                        for f in findings],
            "properties": {"engines": engines, "modules": modules},
        }],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
