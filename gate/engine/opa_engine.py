"""The opa backend: OPA's own Go engine in-process (opa-golib-python-bindings)."""

from __future__ import annotations

from typing import Any

from ..errors import EngineError
from ..policy import PolicySet
from .interface import DUPLICATE_TEST, Engine, TestResult, normalize_ref


# gate's own module, beside the policies in the OPA engine only: data.waivers (one part deep) at a
# three-part reference, so that reading it and deciding share one prepared query
_OWN_MODULE = "__gate__/read.rego"
_OWN_SOURCE = """package __gate__.read

waivers := data.waivers
"""
_WAIVERS = ["__gate__", "read", "waivers"]
# decisions of one entrypoint after which it gets a query of its own (see OpaEngine._promoted)
PROMOTE_AFTER = 50


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
        self._uses: dict[str, int] = {}

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
        try:
            engine.add_policy(_OWN_MODULE, _OWN_SOURCE)
        except Exception as exc:
            raise EngineError(f"OPA cannot load gate's own module: {_message(exc)}") from None
        return engine

    def load(self, policies: PolicySet) -> None:
        self._policies = policies
        self._uses = {}
        self._engine = self._fresh(policies)
        # OPA compiles lazily on first use: compile now so errors surface at load, through the query
        # every later read of data.waivers and every decision reuses
        self._dispatch(_WAIVERS, {})

    @staticmethod
    def _query_for(depth: int) -> str:
        """One fixed query per reference depth, the reference and the input passed as input: OPA prepares
        (compiles every module) once per distinct query string, about 75 ms here, so a run compiles once
        (data.waivers is read at depth three, through the module below) and every decision after is only
        evaluated. ``with input as`` gives the policy exactly the input."""
        path = "".join(f"[__gate_path__[{i}]]" for i in range(depth))
        return f"__gate_path__ := input.path; __gate_result__ := data{path} with input as input.document"

    def _dispatch(self, parts: list[str], input: Any) -> list[dict[str, Any]]:
        return self._query(self._query_for(len(parts)), {"path": parts, "document": input}, self._engine)

    def data(self, ref: str) -> Any:
        """A data document; data.waivers through the three-part alias of gate's own module (no second
        compile)."""
        if normalize_ref(ref) == "waivers" and self._engine is not None:
            rows = self._dispatch(_WAIVERS, {})
            return rows[0].get("__gate_result__") if rows else None
        return super().data(ref)

    def run_tests(self, policies: PolicySet) -> list[TestResult]:
        """Every test in one evaluation (one compile instead of one per test; each test's value collected
        apart, so an undefined test fails alone); should the batch fail to evaluate (a test raising an
        error), each test again in its own evaluation, to name the one that errs."""
        tests = policies.tests()
        refs = [f"{module.package or '?'}.{name}" for module, name in tests]
        try:
            query = "; ".join(f"__gate_t{i}__ := [v | v := data.{normalize_ref(ref)}]" for i, ref in enumerate(refs))
            rows = self._eval_test_query(query) if refs else [{}]
        except EngineError:
            return super().run_tests(policies)
        row = rows[0] if rows else {}
        duplicates = policies.duplicate_tests()
        results = []
        for index, (module, name) in enumerate(tests):
            if (module.package or "?", name) in duplicates:
                results.append(TestResult(module.package or "?", name, module.name, "error", DUPLICATE_TEST))
                continue
            values = row.get(f"__gate_t{index}__") or []
            outcome = "pass" if values == [True] else "fail"
            results.append(TestResult(module.package or "?", name, module.name, outcome, ""))
        return results

    def _query(self, query: str, input: Any, engine) -> list[dict[str, Any]]:
        try:
            return engine.eval_query(query, input=input)
        except Exception as exc:
            raise EngineError(f"OPA failed: {_message(exc)}") from None

    def _promoted(self, ref: str) -> bool:
        """Whether this entrypoint has its own query: after PROMOTE_AFTER decisions in this process it is
        asked directly (``data.<ref>`` with the input as is), one compile more (~75 ms) for the rest of
        a long-lived process (a loader, a service, ``check`` over many datasets), which then evaluates
        as fast as the engine's own call, without the shared query's ``with``; a one-shot command never
        gets there and compiles once."""
        uses = self._uses.get(ref, 0) + 1
        self._uses[ref] = uses
        return uses > PROMOTE_AFTER

    def evaluate(self, entrypoint: str, input: dict[str, Any]) -> Any:
        ref = normalize_ref(entrypoint)
        if self._engine is None:
            raise EngineError("no policies loaded")
        if not isinstance(input, dict) or self._promoted(ref):
            rows = self._query(f"__gate_result__ := data.{ref}", input, self._engine)
        else:
            rows = self._dispatch(ref.split("."), input)
        if not rows or "__gate_result__" not in rows[0]:
            raise EngineError(f"data.{ref} is undefined")
        return rows[0]["__gate_result__"]

    def evaluate_test(self, ref: str) -> Any:
        rows = self._eval_test_query(f"__gate_result__ := data.{normalize_ref(ref)}")
        return rows[0].get("__gate_result__") if rows else None

    def _eval_test_query(self, query: str) -> list[dict[str, Any]]:
        """A query without input, its line coverage recorded when enabled."""
        if not self.coverage_enabled:
            return self._query(query, None, self._engine)
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
        return rows

    def line_coverage(self) -> dict[str, tuple[set[int], set[int]]]:
        return {name: (covered, missed - covered) for name, (covered, missed) in (getattr(self, "_covered", None) or {}).items()
                if name != _OWN_MODULE}

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
