"""`gate policy test`: every Rego test of the policy set on one engine, with line coverage when asked."""

from __future__ import annotations

from ..errors import GateError
from ..verdict import Report
from .session import Options, Session


def run_policy_tests(options: Options, coverage: bool = False, min_coverage: float | None = None) -> Report:
    """The tests' results (``body``: engine, policy_digest, results, counts, coverage or None); exit 2 when
    a test errs, 1 when one fails or the line coverage is below ``min_coverage``."""
    from ..policy.coverage import line_coverage

    session = Session.open(options)
    try:
        if session.policies is None:
            raise GateError("policy test needs local policies; it does not run against opa-server")
        session.engine.coverage_enabled = bool(coverage or min_coverage is not None)
        results = session.engine.run_tests(session.policies)
        measured = line_coverage(session.engine, session.policies) if session.engine.coverage_enabled else None
    finally:
        session.close()
    if not results:
        raise GateError("no test_ rules found in *_test.rego modules")
    counts = {"pass": 0, "fail": 0, "error": 0}
    for result in results:
        counts[result.outcome] += 1
    notes = ()
    below = measured is not None and min_coverage is not None and measured["percent"] < min_coverage
    if below:
        notes = (f"line coverage {measured['percent']:.1f}% is below --min-coverage {min_coverage:g}%",)
    body = {"engine": session.engine.name, "policy_digest": session.digest, "results": results, "counts": counts,
            "coverage": measured}
    return Report(body, errors=counts["error"], found=counts["fail"] + int(below), notes=notes)
