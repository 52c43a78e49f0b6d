"""A policy set as an engine loads it: Rego modules and organisation data, its digest, its tests and
the METADATA of its rules (parsed once). Reading them from directories or bundles is gate.policy."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.M)
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]+)\b", re.M)
_METADATA = re.compile(r"^# METADATA\n((?:#.*\n)+)", re.M)
_METADATA_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where present: METADATA is parsed on every run


@dataclass(frozen=True)
class Module:
    """One Rego module."""

    name: str
    """Stable name: the directory's label plus the path inside it."""
    path: Path
    """File it was read from."""
    source: str
    """Rego source text."""

    @property
    def package(self) -> str | None:
        """The module's package, read from its package line."""
        match = _PACKAGE.search(self.source)
        return match.group(1) if match else None


@dataclass(frozen=True)
class RuleInfo:
    """METADATA of one rule, joined to violations by id."""

    id: str
    """custom.id."""
    title: str
    """METADATA title."""
    description: str
    """METADATA description."""
    severity: str
    """custom.severity."""
    package: str | None
    """Package of the module the rule is in."""
    file: str
    """Module name."""
    line: int
    """Line of the METADATA block."""


@dataclass(frozen=True)
class PolicySet:
    """Everything an engine loads: modules and data."""

    modules: tuple[Module, ...]
    """Rego modules, sorted by name."""
    data: dict[str, Any] = field(default_factory=dict)
    """Organisation configuration merged from the data files."""

    @property
    def digest(self) -> str:
        """sha256 over what the engine loads: the text of every module (tests included: a _test.rego file
        can hold any rule), in sorted order, and the canonical JSON of the data (computed once). Where the policies were read from (a checkout, the
        wheel, pre-commit's environment, a bundle of the same policies) does not change it, so audit
        entries from hooks, CI and people can be matched."""
        if "_digest" in self.__dict__:
            return self.__dict__["_digest"]
        h = hashlib.sha256()
        sources = sorted(m.source.encode() for m in self.modules)  # tests too: their modules can hold any rule
        for source in sources:
            h.update(b"%d\0" % len(source) + source)
        h.update(json.dumps(self.data, sort_keys=True, separators=(",", ":")).encode())
        self.__dict__["_digest"] = "sha256:" + h.hexdigest()  # frozen: the modules and data never change
        return self.__dict__["_digest"]

    def tests(self) -> list[tuple[Module, str]]:
        """(module, test rule name) for every ``test_`` rule in ``*_test.rego`` modules."""
        found = []
        for module in self.modules:
            if module.path.name.endswith("_test.rego"):
                for name in dict.fromkeys(_TEST_RULE.findall(module.source)):
                    found.append((module, name))
        return found

    def duplicate_tests(self) -> set[tuple[str, str]]:
        """(package, test name) defined by more than one body: the bodies collapse into one rule, so a
        false body would pass beside a true one (`opa test` runs each body apart)."""
        counts: dict[tuple[str, str], int] = {}
        for module in self.modules:
            if module.path.name.endswith("_test.rego"):
                for name in _TEST_RULE.findall(module.source):
                    key = (module.package or "?", name)
                    counts[key] = counts.get(key, 0) + 1
        return {key for key, count in counts.items() if count > 1}

    def rules(self) -> dict[str, RuleInfo]:
        """METADATA of every annotated rule, keyed by custom.id (parsed once per policy set)."""
        if "_rules" not in self.__dict__:
            self.__dict__["_rules"] = self._parse_rules()
        return dict(self.__dict__["_rules"])

    def _parse_rules(self) -> dict[str, RuleInfo]:
        infos: dict[str, RuleInfo] = {}
        for module in self.modules:
            for match in _METADATA.finditer(module.source):
                block = "\n".join(line[2:] if line.startswith("# ") else line[1:] for line in match.group(1).splitlines())
                try:
                    meta = yaml.load(block, Loader=_METADATA_LOADER) or {}
                except yaml.YAMLError:
                    continue
                custom = meta.get("custom") or {} if isinstance(meta, dict) else {}
                rule_id = custom.get("id") if isinstance(custom, dict) else None
                if not rule_id:
                    continue
                infos[str(rule_id)] = RuleInfo(
                    id=str(rule_id),
                    title=str(meta.get("title", "")),
                    description=str(meta.get("description", "")).strip(),
                    severity=str(custom.get("severity", "medium")),
                    package=module.package,
                    file=module.name,
                    line=module.source[: match.start()].count("\n") + 1,
                )
        return infos


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Objects merge key by key; any other value in ``over`` replaces the one in ``base``."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
