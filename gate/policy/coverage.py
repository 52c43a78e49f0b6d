"""Line coverage of a policy set's modules (tests excluded) over the Rego tests an engine just ran."""

from __future__ import annotations

from ..errors import GateError


def line_coverage(engine, policies) -> dict:
    """``{"modules": {name: {covered, lines, not_covered, percent}}, "covered", "lines", "percent"}``."""
    measured = engine.line_coverage()
    if not measured:
        raise GateError(f"the {engine.name} engine reported no coverage")
    modules, covered_total, lines_total = {}, 0, 0
    for module in policies.modules:
        if module.path.name.endswith("_test.rego"):
            continue
        covered, missed = measured.get(module.name, (set(), set()))
        total = len(covered | missed)
        modules[module.name] = {"covered": len(covered), "lines": total, "not_covered": sorted(missed),
                                "percent": round(100.0 * len(covered) / total, 1) if total else 100.0}
        covered_total += len(covered)
        lines_total += total
    percent = round(100.0 * covered_total / lines_total, 1) if lines_total else 100.0
    return {"modules": modules, "covered": covered_total, "lines": lines_total, "percent": percent}


def ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out: list[str] = []
    for n in numbers:
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)
