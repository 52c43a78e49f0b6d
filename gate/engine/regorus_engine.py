"""The regorus backend: Microsoft's Rust Rego interpreter, installable everywhere by pip."""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import EngineError
from ..policy import PolicySet
from .interface import Engine, normalize_ref

_LOCATION = re.compile(r"-->\s*(\S+?):(\d+):(\d+)")
_ERROR = re.compile(r"^error:\s*(.*)$", re.M)


def clean_message(exc: BaseException) -> str:
    """regorus errors carry a code frame and a Rust backtrace: keep 'file:line:col: error'."""
    text = str(exc).split("Stack backtrace:")[0]
    location = _LOCATION.search(text)
    error = _ERROR.search(text)
    if error:
        where = f"{location.group(1)}:{location.group(2)}:{location.group(3)}: " if location else ""
        return where + error.group(1).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), exc.__class__.__name__)
    return first[:500]


class RegorusEngine(Engine):
    """Evaluates with regorus; numbers compared as JSON (``eval_rule_as_json`` keeps them exact)."""

    name = "regorus"

    def __init__(self) -> None:
        try:
            import regorus
        except ImportError as exc:
            raise EngineError("regorus is not installed (pip install gordon-to-regorus)") from exc
        self._regorus = regorus
        self._engine = None
        self._test_engine = None
        self._policies: PolicySet | None = None

    def _fresh(self, policies: PolicySet):
        engine = self._regorus.Engine()
        for module in policies.modules:
            try:
                engine.add_policy(module.name, module.source)
            except Exception as exc:  # regorus raises plain RuntimeError
                raise EngineError(f"regorus cannot load policy: {clean_message(exc)}", module.name) from None
        try:
            engine.add_data_json(json.dumps(policies.data))
        except Exception as exc:
            raise EngineError(f"regorus cannot load policy data: {clean_message(exc)}") from None
        return engine

    def load(self, policies: PolicySet) -> None:
        self._policies = policies
        self._engine = self._fresh(policies)

    def evaluate(self, entrypoint: str, input: dict[str, Any]) -> Any:
        ref = normalize_ref(entrypoint)
        if self._engine is None:
            raise EngineError("no policies loaded")
        try:
            self._engine.set_input_json(json.dumps(input))
            raw = self._engine.eval_rule_as_json(f"data.{ref}")
        except Exception as exc:
            message = clean_message(exc)
            if "not a valid rule path" in message:
                raise EngineError(f"data.{ref} is undefined (no such rule)") from None
            raise EngineError(f"regorus failed evaluating data.{ref}: {message}") from None
        value = json.loads(raw) if raw is not None else None
        if value is None:
            raise EngineError(f"data.{ref} is undefined")
        return value

    def data(self, ref: str) -> Any:
        """regorus evaluates only rules as rules: a data document is read through a query."""
        if self._engine is None:
            raise EngineError("no policies loaded")
        try:
            self._engine.set_input_json("{}")
            answer = json.loads(self._engine.eval_query_as_json(f"x := data.{normalize_ref(ref)}"))
        except Exception as exc:
            raise EngineError(f"regorus failed reading data.{ref}: {clean_message(exc)}") from None
        results = answer.get("result") or []
        return results[0]["bindings"]["x"] if results else None

    def evaluate_test(self, ref: str) -> Any:
        if self._test_engine is None:
            self._test_engine = self._fresh(self._policies)
            if self.coverage_enabled:
                self._test_engine.set_enable_coverage(True)
        try:
            raw = self._test_engine.eval_rule_as_json(f"data.{normalize_ref(ref)}")
        except Exception as exc:
            raise EngineError(clean_message(exc)) from None
        return json.loads(raw) if raw is not None else None

    def line_coverage(self) -> dict[str, tuple[set[int], set[int]]]:
        if self._test_engine is None or not self.coverage_enabled:
            return {}
        report = json.loads(self._test_engine.get_coverage_report_as_json())
        return {f["path"]: (set(f.get("covered") or ()), set(f.get("not_covered") or ()) - set(f.get("covered") or ()))
                for f in report.get("files") or []}
