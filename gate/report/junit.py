"""JUnit XML: one testsuite per dataset (or request), one testcase per rule evaluated."""

from __future__ import annotations

from xml.etree import ElementTree

from ..verdict import Verdict
from .interface import Reporter, shown


class JunitReporter(Reporter):
    """A deny is a failure, a warn passes with its message in system-out, an error is an error."""

    def render(self, verdict: Verdict) -> str:
        verdict = shown(verdict)
        root = ElementTree.Element("testsuites", name="gate", tests="0", failures="0", errors="0")
        if verdict.now:
            root.set("timestamp", verdict.now)
            if verdict.now_pinned:
                root.set("name", f"gate (decision time pinned to {verdict.now})")
        totals = {"tests": 0, "failures": 0, "errors": 0}
        for dataset in verdict.datasets:
            suite = ElementTree.SubElement(root, "testsuite", name=f"{dataset.id} ({dataset.path})")
            by_id: dict[str, list] = {}
            for violation in dataset.violations:
                by_id.setdefault(violation.id, []).append(violation)
            ids = sorted(set(verdict.rules) | set(by_id))
            failures = errors = 0
            for rule_id in ids:
                case = ElementTree.SubElement(suite, "testcase", name=rule_id, classname=dataset.id)
                denies = [v for v in by_id.get(rule_id, ()) if v.level == "deny"]
                warns = [v for v in by_id.get(rule_id, ()) if v.level == "warn"]
                faults = [v for v in by_id.get(rule_id, ()) if v.level == "error"]
                waived = [v for v in by_id.get(rule_id, ()) if v.level == "waived"]
                if waived:
                    ElementTree.SubElement(case, "system-err").text = "\n".join(
                        f"waived until {v.details.get('waiver', {}).get('expires')}: {v.message}" for v in waived)
                if denies:
                    failures += 1
                    failure = ElementTree.SubElement(case, "failure", message=denies[0].message,
                                                     type=denies[0].severity)
                    failure.text = "\n".join(f"{v.file or dataset.path}:{v.line or ''} {v.message}" for v in denies)
                if faults:  # a fact that could not be computed: the dataset is an error, not a failure
                    errors += 1
                    fault = ElementTree.SubElement(case, "error", message=faults[0].message, type=faults[0].severity)
                    fault.text = "\n".join(f"{v.file or dataset.path}:{v.line or ''} {v.message}" for v in faults)
                if warns:
                    ElementTree.SubElement(case, "system-out").text = "\n".join(f"warning: {v.message}" for v in warns)
            suite.set("tests", str(len(ids)))
            suite.set("failures", str(failures))
            suite.set("errors", str(errors))
            totals["tests"] += len(ids)
            totals["failures"] += failures
            totals["errors"] += errors
        if verdict.errors:
            suite = ElementTree.SubElement(root, "testsuite", name="gate errors", tests=str(len(verdict.errors)),
                                           failures="0", errors=str(len(verdict.errors)))
            for error in verdict.errors:
                case = ElementTree.SubElement(suite, "testcase", name=error.path, classname="gate")
                ElementTree.SubElement(case, "error", message=error.message).text = error.message
            totals["tests"] += len(verdict.errors)
            totals["errors"] += len(verdict.errors)
        for key, value in totals.items():
            root.set(key, str(value))
        ElementTree.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
