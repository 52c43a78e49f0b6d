"""The engine seam: load a policy set once, evaluate entrypoints, run Rego tests."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from ..errors import EngineError
from ..policy import PolicySet

_REF = re.compile(r"^(data\.)?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def normalize_ref(entrypoint: str) -> str:
    """``gate.dataset.decision`` or ``data.gate.dataset.decision`` -> the dotted path without ``data.``."""
    if not _REF.match(entrypoint):
        raise EngineError(f"not a valid entrypoint reference: {entrypoint!r}")
    return entrypoint[5:] if entrypoint.startswith("data.") else entrypoint


@dataclass(frozen=True)
class TestResult:
    """The outcome of one Rego test rule."""

    package: str
    """Package of the test."""
    name: str
    """Test rule name."""
    file: str
    """Module the test is in."""
    outcome: str
    """pass, fail or error."""
    message: str = ""
    """Error text, when the outcome is error."""


DUPLICATE_TEST = ("this test name has more than one body; they collapse into one rule, so a failing body can "
                  "pass beside a true one: give each body its own name")


class Engine(ABC):
    """A Rego engine with one policy set loaded."""

    name: str = "engine"

    @abstractmethod
    def load(self, policies: PolicySet) -> None:
        """Load modules and data; errors name the module."""

    @abstractmethod
    def evaluate(self, entrypoint: str, input: dict[str, Any]) -> Any:
        """The value of ``data.<entrypoint>`` for ``input``; undefined raises EngineError."""

    def data(self, ref: str) -> Any:
        """The value of a data document (``waivers``, ``org.signers``) — from data files, a bundle or a
        Rego module alike; None when undefined."""
        try:
            return self.evaluate(ref, {})
        except EngineError:
            return None

    coverage_enabled: bool = False
    """When set before run_tests, evaluate_test records line coverage into ``line_coverage``."""

    def line_coverage(self) -> dict[str, tuple[set[int], set[int]]]:
        """Module name -> (covered lines, not covered lines) over the tests run; empty if unsupported."""
        return {}

    def run_tests(self, policies: PolicySet) -> list[TestResult]:
        """Evaluate every ``test_`` rule, each in a clean evaluation without input."""
        results = []
        duplicates = policies.duplicate_tests()
        for module, test in policies.tests():
            package = module.package or "?"
            if (package, test) in duplicates:
                results.append(TestResult(package, test, module.name, "error", DUPLICATE_TEST))
                continue
            try:
                value = self.evaluate_test(f"{package}.{test}")
                outcome = "pass" if value is True else "fail"
                message = ""
            except EngineError as exc:
                outcome, message = "error", exc.message
            results.append(TestResult(package, test, module.name, outcome, message))
        return results

    @abstractmethod
    def evaluate_test(self, ref: str) -> Any:
        """The value of a test rule with no input (None when undefined)."""

    def close(self) -> None:
        """Release engine resources."""
