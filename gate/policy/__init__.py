"""Reading policy sets: Rego modules and organisation data from directories and bundles, and the
waivers in them (gate.policy.policyset is the set itself: digest, tests, rule METADATA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import PolicyError
from ..model.documents import load_document
from .policyset import Module, PolicySet, RuleInfo, deep_merge

DATA_NAMES = ("data.yaml", "data.yml", "data.json", "waivers.yaml", "waivers.yml", "waivers.json")
WAIVER_FIELDS = {"rule", "dataset", "file", "field", "column", "fingerprint", "justification", "approver", "expires"}
MAX_MODULE_BYTES = 4 * 1024 * 1024


def builtin_policy_dir() -> Path:
    """The policies shipped with gate (inside the wheel, or the checkout's policies/)."""
    here = Path(__file__).resolve().parent.parent  # gate/
    for candidate in (here / "_policies", here.parent / "policies"):
        if (candidate / "gate").is_dir():
            return candidate
    raise PolicyError("gate's built-in policies are missing from this installation", str(here))


def policy_dirs(builtin: bool, extra) -> list[Path]:
    """The directories a run loads: gate's own policies first (unless left out), then ``extra`` in order."""
    return ([builtin_policy_dir()] if builtin else []) + list(extra)


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
