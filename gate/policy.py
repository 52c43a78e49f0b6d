"""Policy sets: Rego modules and organisation data loaded from directories, with a digest."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PolicyError
from .loading import load_document

DATA_NAMES = ("data.yaml", "data.yml", "data.json", "waivers.yaml", "waivers.yml", "waivers.json")
WAIVER_FIELDS = {"rule", "dataset", "file", "field", "column", "fingerprint", "justification", "approver", "expires"}
MAX_MODULE_BYTES = 4 * 1024 * 1024
_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.M)
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]+)\b", re.M)
_METADATA = re.compile(r"^# METADATA\n((?:#.*\n)+)", re.M)
_METADATA_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where present: METADATA is parsed on every run


def builtin_policy_dir() -> Path:
    """The policies shipped with gate (inside the wheel, or the checkout's policies/)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_policies", here.parent / "policies"):
        if (candidate / "gate").is_dir():
            return candidate
    raise PolicyError("gate's built-in policies are missing from this installation", str(here))


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
        """sha256 over every module (name and text) and the canonical JSON of the data (computed once)."""
        if "_digest" in self.__dict__:
            return self.__dict__["_digest"]
        h = hashlib.sha256()
        for module in self.modules:
            h.update(module.name.encode() + b"\0" + module.source.encode() + b"\0")
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


def load_policy_set(dirs: list[Path], data_files: list[Path] = (), bundle_key=None,
                    bundle_key_id: str | None = None) -> PolicySet:
    """Read every .rego and data file under ``dirs`` (an OPA bundle ``*.tar.gz`` is read, and its
    signature verified with ``bundle_key``); then merge ``data_files`` over the data."""
    modules: list[Module] = []
    data: dict[str, Any] = {}
    for index, directory in enumerate(dirs):
        if not directory.exists():
            raise PolicyError("policy directory not found", str(directory))
        if directory.is_file() and directory.name.endswith((".tar.gz", ".tgz")):
            from .bundle import policy_set

            bundle_modules, bundle_data = policy_set(directory, bundle_key, bundle_key_id)
            modules.extend(bundle_modules)
            data = deep_merge(data, bundle_data)
            continue
        files = [directory] if directory.is_file() else sorted(p for p in directory.rglob("*") if p.is_file())
        label = f"{index}:{directory.name}" if index else directory.name
        for path in files:
            rel = path.name if directory.is_file() else path.relative_to(directory).as_posix()
            if any(part.startswith(".") for part in Path(rel).parts):
                continue
            if path.suffix == ".rego":
                modules.append(Module(f"{label}/{rel}", path, _read_module(path)))
            elif path.name in DATA_NAMES:
                prefix = Path(rel).parent.parts
                value = _load_data(path)
                for key in reversed(prefix):
                    value = {key: value}
                data = deep_merge(data, value)
    for path in data_files:
        data = deep_merge(data, _load_data(path))
    if not modules:
        raise PolicyError("no .rego modules found", ", ".join(map(str, dirs)))
    return PolicySet(tuple(sorted(modules, key=lambda m: m.name)), data)


def _read_module(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror}", str(path)) from None
    if len(raw) > MAX_MODULE_BYTES:
        raise PolicyError("module larger than 4 MiB", str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError("module is not valid UTF-8", str(path)) from None


def _load_data(path: Path) -> dict[str, Any]:
    value, lines = load_document(path, PolicyError, str(path))
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PolicyError("policy data must be a mapping at the top level", str(path))
    if "waivers" in value:
        validate_waivers(value["waivers"], str(path), lines)
    return value


def validate_waivers(waivers: Any, shown: str, lines: dict | None = None) -> None:
    """Every waiver names its rule and dataset, says why, who approved it and when it ends; an
    expiry is mandatory (a waiver that never ends is a silent, permanent exception)."""
    from datetime import date, datetime

    if not isinstance(waivers, list):
        raise PolicyError("waivers must be a list", shown)
    for index, waiver in enumerate(waivers):
        line = (lines or {}).get(("waivers", index))
        where = f"waiver {index + 1}" + (f" (rule {waiver.get('rule')})" if isinstance(waiver, dict) and waiver.get("rule") else "")
        if not isinstance(waiver, dict):
            raise PolicyError(f"{where}: must be a mapping", shown, line)
        unknown = sorted(str(k) for k in set(waiver) - WAIVER_FIELDS)
        if unknown:
            raise PolicyError(f"{where}: unknown field {unknown[0]!r}", shown, line)
        for key in ("rule", "dataset", "justification", "approver", "expires"):
            value = waiver.get(key)
            if isinstance(value, (date, datetime)):
                waiver[key] = value = value.isoformat()
            if not isinstance(value, str) or not value.strip():
                what = "is mandatory: a waiver must end" if key == "expires" else "is required"
                raise PolicyError(f"{where}: {key} {what}", shown, line)
        for key in ("file", "field", "column", "fingerprint"):
            if key in waiver and waiver[key] is not None and (not isinstance(waiver[key], str) or not waiver[key]):
                raise PolicyError(f"{where}: {key} must be a non-empty string", shown, line)
        if waiver_expiry(waiver["expires"]) is None:
            raise PolicyError(f"{where}: expires {waiver['expires']!r} is not a date (YYYY-MM-DD) or RFC 3339 time",
                              shown, line)


def waiver_expiry(text: Any):
    """The moment a waiver stops (UTC): an RFC 3339 time, or the end of a YYYY-MM-DD day; None if invalid."""
    import re
    from datetime import datetime, timedelta, timezone

    if not isinstance(text, str):
        return None
    try:
        if "T" in text:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", text):
                return None
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return None
        return datetime.fromisoformat(text + "T00:00:00+00:00") + timedelta(days=1)
    except (ValueError, OverflowError):
        return None


def waiver_active(waiver: dict[str, Any], now: Any) -> bool:
    """Whether a valid waiver is still in force at the decision time ``now`` (RFC 3339 text)."""
    from datetime import datetime

    expiry = waiver_expiry(waiver.get("expires"))
    try:
        moment = datetime.fromisoformat(str(now).replace("Z", "+00:00"))
    except ValueError:
        return False
    return expiry is not None and moment < expiry


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Objects merge key by key; any other value in ``over`` replaces the one in ``base``."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
