"""The opa backend: OPA's own Go engine in-process (opa-golib-python-bindings)."""

from __future__ import annotations

from typing import Any

from ..errors import EngineError
from ..policy import PolicySet
from .interface import Engine, normalize_ref


def available() -> bool:
    """True when OPA's in-process engine can be imported."""
    try:
        import opa_bindings  # noqa: F401
    except Exception:
        return False
    return True


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(text.split())[:500]


class OpaEngine(Engine):
    """Evaluates with OPA v1 (the Go library) through ctypes."""

    name = "opa"

    def __init__(self) -> None:
        try:
            import opa_bindings
        except Exception as exc:
            raise EngineError(
                "OPA's in-process engine is not installed "
                "(pip install --no-deps --ignore-requires-python opa-golib-python-bindings==0.4.4)"
            ) from exc
        self._bindings = opa_bindings
        self._engine = None
        self._policies: PolicySet | None = None

    def _fresh(self, policies: PolicySet):
        engine = self._bindings.OpaEngine()
        engine.print_handler = lambda message, location: None
        for module in policies.modules:
            try:
                engine.add_policy(module.name, module.source)
            except Exception as exc:
                raise EngineError(f"OPA cannot load policy: {_message(exc)}", module.name) from None
        try:
            engine.add_data(policies.data)
        except Exception as exc:
            raise EngineError(f"OPA cannot load policy data: {_message(exc)}") from None
        return engine

    def load(self, policies: PolicySet) -> None:
        self._policies = policies
        self._engine = self._fresh(policies)
        # OPA compiles lazily on first use: compile now so errors surface at load (through the one-part
        # query that reading data.waivers reuses right after)
        self._dispatch(["__gate_load_check__"], {})

    @staticmethod
    def _query_for(depth: int) -> str:
        """One fixed query per reference depth, the reference and the input passed as input: OPA prepares
        (compiles every module) once per distinct query string, about 75 ms here, so a run that asks for
        data.waivers, the dataset decision and the access decision compiles twice instead of three times
        and every later decision is only evaluated. ``with input as`` gives the policy exactly the input."""
        path = "".join(f"[__gate_path__[{i}]]" for i in range(depth))
        return f"__gate_path__ := input.path; __gate_result__ := data{path} with input as input.document"

    def _dispatch(self, parts: list[str], input: Any) -> list[dict[str, Any]]:
        return self._query(self._query_for(len(parts)), {"path": parts, "document": input}, self._engine)

    def _query(self, query: str, input: Any, engine) -> list[dict[str, Any]]:
        try:
            return engine.eval_query(query, input=input)
        except Exception as exc:
            raise EngineError(f"OPA failed: {_message(exc)}") from None

    def evaluate(self, entrypoint: str, input: dict[str, Any]) -> Any:
        ref = normalize_ref(entrypoint)
        if self._engine is None:
            raise EngineError("no policies loaded")
        rows = self._dispatch(ref.split("."), input) if isinstance(input, dict) else \
            self._query(f"__gate_result__ := data.{ref}", input, self._engine)
        if not rows or "__gate_result__" not in rows[0]:
            raise EngineError(f"data.{ref} is undefined")
        return rows[0]["__gate_result__"]

    def evaluate_test(self, ref: str) -> Any:
        query = f"__gate_result__ := data.{normalize_ref(ref)}"
        if not self.coverage_enabled:
            rows = self._query(query, None, self._engine)
            return rows[0].get("__gate_result__") if rows else None
        try:
            rows = self._engine.eval_query(query, input=None, coverage=True)
        except Exception as exc:
            raise EngineError(f"OPA failed: {_message(exc)}") from None
        report = getattr(self._engine, "last_coverage", None) or {}
        covered_by = getattr(self, "_covered", None)
        if covered_by is None:
            covered_by = self._covered = {}
        for name, entry in (report.get("files") or {}).items():
            covered, missed = covered_by.setdefault(name, (set(), set()))
            for key, target in (("covered", covered), ("not_covered", missed)):
                for span in entry.get(key) or []:
                    target.update(range(span["start"]["row"], span["end"]["row"] + 1))
        return rows[0].get("__gate_result__") if rows else None

    def line_coverage(self) -> dict[str, tuple[set[int], set[int]]]:
        return {name: (covered, missed - covered) for name, (covered, missed) in (getattr(self, "_covered", None) or {}).items()}

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
