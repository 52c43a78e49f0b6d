"""`--explain`: for each violation, the rule's file and line and the input values it looked at.

From regorus's AST of every rule module: the ``deny``/``warn`` rule carrying the violation's id
(its METADATA), and every ``input.…`` reference in its body, directly or through a package-level
alias such as ``facts := input.facts.integrity``; each is resolved in the decision's input
document (which holds facts only: PII values are redacted previews). Engine-independent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from .lint import COLLECTED, _head, _package, _parse, annotated_rules
from . import PolicySet

MAX_VALUE = 160


@dataclass(frozen=True)
class RuleSource:
    file: str
    line: int
    inputs: tuple[tuple[str, ...], ...]


def _chain(node: Any) -> list[str] | None:
    if not isinstance(node, dict) or len(node) != 1:
        return None
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return [body.get("value")]
    if kind in ("RefDot", "RefBrack"):
        base = _chain(body.get("refr"))
        if base is None:
            return None
        if kind == "RefDot":
            field = body.get("field")
            return base + [field[1]] if isinstance(field, list) and len(field) == 2 else None
        return base + ["[]"]
    return None


def _object_get(node: Any) -> list[str] | None:
    """``object.get(input.x, "k", d)`` / ``object.get(input.x, ["a", "b"], d)`` read input.x.k / input.x.a.b."""
    call = node.get("Call") if isinstance(node, dict) and len(node) == 1 else None
    if not isinstance(call, dict) or _chain(call.get("fcn")) != ["object", "get"]:
        return None
    params = call.get("params") or []
    if len(params) != 3:
        return None
    base = _chain(params[0])
    key = params[1]
    if base is None or not isinstance(key, dict) or len(key) != 1:
        return None
    kind, body = next(iter(key.items()))
    if kind == "String":
        return base + [body.get("value")]
    if kind == "Array":
        items = [i.get("String", {}).get("value") for i in body.get("items") or [] if isinstance(i, dict)]
        return base + items if all(isinstance(i, str) for i in items) else base
    return base


def _refs(node: Any) -> Iterator[list[str]]:
    """Every maximal reference chain below ``node``."""
    if isinstance(node, dict):
        via_get = _object_get(node)
        if via_get is not None:
            yield via_get
            yield from _refs(node["Call"]["params"][2])
            return
        if len(node) == 1 and next(iter(node)) in ("RefDot", "RefBrack"):
            chain = _chain(node)
            if chain:
                yield chain
            body = next(iter(node.values()))
            yield from _refs(body.get("index"))
            return
        if len(node) == 1 and next(iter(node)) == "Var":
            yield [node["Var"].get("value")]
            return
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _input_path(chain: list[str], aliases: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    cut = chain.index("[]") if "[]" in chain else len(chain)
    path = chain[:cut]
    if not path:
        return None
    if path[0] == "input":
        return tuple(path[1:]) or None
    if path[0] in aliases:
        return aliases[path[0]] + tuple(path[1:])
    return None


def rule_index(policies: PolicySet) -> dict[str, RuleSource]:
    """Violation id -> where its rule is and the input paths its body reads."""
    index: dict[str, RuleSource] = {}
    for module in policies.modules:
        if module.path.name.endswith("_test.rego"):
            continue
        try:
            ast = _parse(module)
        except Exception:  # noqa: BLE001 - an unparsable module has been reported by the engine already
            continue
        if not _package(ast).startswith(COLLECTED):
            continue
        aliases: dict[str, tuple[str, ...]] = {}
        for rule in ast.get("rules") or []:
            head = (rule.get("Spec") or {}).get("head") or {}
            compr = head.get("Compr") if isinstance(head, dict) else None
            if isinstance(compr, dict) and isinstance(compr.get("assign"), dict):
                name = _chain(compr.get("refr"))
                value = compr["assign"].get("value")
                target = _chain(value) or _object_get(value)
                if name and len(name) == 1 and target and target[0] == "input" and "[]" not in target:
                    aliases[name[0]] = tuple(target[1:])
        # helper rules of the package (not deny/warn) and the input paths each reads, one level deep
        helpers: dict[str, set[tuple[str, ...]]] = {}
        for rule in ast.get("rules") or []:
            name, _, _, _ = _head(rule)
            if name and name not in ("deny", "warn") and "." not in name:
                helpers.setdefault(name, set()).update(
                    p for chain in _refs(rule) if (p := _input_path(chain, aliases)))
        for rule_id, _, line, _, rule in annotated_rules(module, ast):
            chains = list(_refs(rule))
            paths = {p for chain in chains if (p := _input_path(chain, aliases))}
            for chain in chains:
                if chain[0] in helpers and chain[0] not in aliases:
                    paths |= helpers[chain[0]]
            maximal = tuple(sorted(p for p in paths if not any(q != p and q[:len(p)] == p for q in paths)))
            previous = index.get(str(rule_id))
            if previous is None:
                index[str(rule_id)] = RuleSource(module.name, line, maximal)
            else:  # a rule with several bodies: the first line, every input it reads
                index[str(rule_id)] = RuleSource(previous.file, previous.line,
                                                 tuple(sorted(set(previous.inputs) | set(maximal))))
    return index


def _resolve(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = document
    for key in path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return "(undefined)"
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def explain(rule_id: str, document: dict[str, Any], index: dict[str, RuleSource]) -> dict[str, Any] | None:
    """What to show for one violation (None for ids no collected rule carries, e.g. waiver.*)."""
    source = index.get(rule_id)
    if source is None:
        return None
    return {"rule": f"{source.file}:{source.line}",
            "looked_at": {"input." + ".".join(path): _shown(_resolve(document, path)) for path in source.inputs}}
