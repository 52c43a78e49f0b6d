"""`gate policy test` results as JUnit XML: one testsuite per package, one testcase per Rego test."""

from __future__ import annotations

from xml.etree import ElementTree

from .._text import printable


def junit(results, engine: str) -> str:
    """A failing test is a failure, a test that errs is an error (with the engine's message)."""
    root = ElementTree.Element("testsuites", name=f"gate policy test ({engine})")
    by_package: dict[str, list] = {}
    for result in results:
        by_package.setdefault(result.package, []).append(result)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for package, tests in sorted(by_package.items()):
        failures = sum(r.outcome == "fail" for r in tests)
        errors = sum(r.outcome == "error" for r in tests)
        suite = ElementTree.SubElement(root, "testsuite", name=f"data.{package}", tests=str(len(tests)),
                                       failures=str(failures), errors=str(errors))
        for result in tests:
            case = ElementTree.SubElement(suite, "testcase", name=result.name, classname=f"data.{package}",
                                          file=result.file)
            if result.outcome == "fail":
                ElementTree.SubElement(case, "failure", message=f"data.{package}.{result.name} is not true")
            elif result.outcome == "error":
                message = printable(result.message)
                ElementTree.SubElement(case, "error", message=message).text = message
        totals["tests"] += len(tests)
        totals["failures"] += failures
        totals["errors"] += errors
    for key, value in totals.items():
        root.set(key, str(value))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
