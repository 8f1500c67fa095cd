"""Render the results of ``netfence test`` as text, JUnit XML or SARIF 2.1.0.

Text: one line per assertion (``PASS``, ``FAIL`` or ``ERROR``, its name and what was found);
under a failure its reason, the failing pairs and the explain walk of the first of them, as
``netfence explain`` prints it. JUnit: one test case per assertion in one test suite, a failure
(or an error) carrying the same details. SARIF: one result per assertion that failed or could not
be evaluated, located at the assertion in the spec file, with the rules that decided the
walked pair as related locations.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any, Final

from netfence.analyses.assertions import AssertionReport, AssertionResult, Outcome
from netfence.analyses.assertions_init import PlannedAssertion
from netfence.model.connectivity_tests import SPEC_FORMAT, SPEC_VERSION
from netfence.model.origin import FileOrigin, origin_line
from netfence.report.explain import ports_text, render_explain_text
from netfence.report.junit import SUITE_NAME, xml_text
from netfence.report.printable import json_text, printable, styled
from netfence.report.sarif import artifact_location, physical_location, sarif_document

CLASSNAME: Final = f"{SUITE_NAME}.test"
"""The JUnit ``classname`` of every assertion's test case."""
RULE_FAILED: Final = "assertion-fails"
"""The SARIF rule of an assertion that does not hold."""
RULE_ERROR: Final = "assertion-cannot-be-evaluated"
"""The SARIF rule of an assertion that cannot be evaluated."""

_WORDS: Final = {
    Outcome.PASSED: ("PASS", "bold green"),
    Outcome.FAILED: ("FAIL", "bold red"),
    Outcome.ERROR: ("ERROR", "bold yellow"),
}


def render_assertions_text(report: AssertionReport, color: bool = False) -> str:
    """One line per assertion, the details of each failure under it, and a summary line."""
    lines: list[str] = []
    for result in report.results:
        word, style = _WORDS[result.outcome]
        head = f"{styled(word.ljust(5), style, color)} {printable(result.assertion.name)}"
        lines.append(f"{head}: {printable(result.message)}")
        if result.outcome is not Outcome.PASSED:
            lines.extend(f"      {line}" for line in details(result))
        elif result.lacking:
            lines.extend(f"      {line}" for line in lacking_lines(result))
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: AssertionReport) -> str:
    """``3 passed, 1 failed, 0 errors``."""
    errors = report.count(Outcome.ERROR)
    return (
        f"{report.count(Outcome.PASSED)} passed, {report.count(Outcome.FAILED)} failed, "
        f"{errors} error{'' if errors == 1 else 's'}"
    )


def details(result: AssertionResult) -> list[str]:
    """What a failed or erroneous assertion asked, why it matters, and what the cluster says."""
    assertion = result.assertion
    origin = assertion.origin
    lines = [
        f"expected: {assertion.expect.value} {assertion.source} -> {assertion.destination} "
        f"on {assertion.port_text} ({printable(origin.file)}:{origin.line})"
    ]
    if assertion.reason:
        lines.append(f"reason: {printable(assertion.reason)}")
    if result.failing:
        lines.append("failing, by endpoint:")
        lines.extend(
            f"  {printable(p.src)} -> {printable(p.dst)}: allowed {ports_text(p.allowed)}"
            for p in result.failing
        )
        if result.more_failing:
            lines.append("  ... and more")
    lines.extend(lacking_lines(result))
    if result.explanation is not None:
        lines.append("walk of the first failing pair:")
        walk = render_explain_text(result.explanation)
        lines.extend(f"  {line}" for line in walk.rstrip("\n").splitlines())
    return lines


def lacking_lines(result: AssertionResult) -> list[str]:
    """The facts the input lacks that the outcome depends on, when there are any."""
    if not result.lacking:
        return []
    return [
        "depends on facts the input lacks (the cluster's outcome may differ):",
        *(f"  {printable(note)}" for note in result.lacking),
    ]


# --- JUnit ----------------------------------------------------------------------------------


def render_assertions_junit(report: AssertionReport) -> str:
    """One ``<testsuite>`` with one test case per assertion (``file`` and ``line`` of the
    assertion); a failing one has a ``<failure>``, one that cannot be evaluated an
    ``<error>``, each with the details as text. Times are 0: the output depends on the
    results alone."""
    counts = {
        "tests": str(len(report.results)),
        "failures": str(report.count(Outcome.FAILED)),
        "errors": str(report.count(Outcome.ERROR)),
        "skipped": "0",
        "time": "0",
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": f"{SUITE_NAME} test", **counts})
    for result in report.results:
        _junit_case(suite, result)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _junit_case(suite: ET.Element, result: AssertionResult) -> None:
    origin = result.assertion.origin
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": CLASSNAME,
            "name": xml_text(result.assertion.name),
            "file": xml_text(origin.file),
            "line": str(origin.line),
            "time": "0",
        },
    )
    if result.outcome is Outcome.PASSED:
        if result.lacking:
            ET.SubElement(case, "system-out").text = xml_text("\n".join(lacking_lines(result)))
        return
    tag = "failure" if result.outcome is Outcome.FAILED else "error"
    element = ET.SubElement(
        case,
        tag,
        {
            "message": xml_text(result.message),
            "type": f"expect {result.assertion.expect.value}",
        },
    )
    element.text = xml_text("\n".join(details(result)) + "\n")


# --- SARIF ----------------------------------------------------------------------------------

_RULES: Final = (
    {
        "id": RULE_FAILED,
        "name": "ConnectivityAssertionFails",
        "shortDescription": {"text": "A connectivity assertion does not hold"},
        "fullDescription": {
            "text": "Some pair of the assertion's ends has the other verdict than the one "
            "expected: a flow that must be allowed is denied, or one that must be denied "
            "is allowed."
        },
        "help": {
            "text": "Change the policies (or the assertion, if the flow need not hold); the "
            "related locations are the rules that decided.",
            "markdown": "See docs/connectivity-tests.md.",
        },
        "defaultConfiguration": {"level": "error"},
    },
    {
        "id": RULE_ERROR,
        "name": "ConnectivityAssertionCannotBeEvaluated",
        "shortDescription": {"text": "A connectivity assertion cannot be evaluated"},
        "fullDescription": {
            "text": "An end matches no endpoint, a named port is not declared by a "
            "destination, or both ends are outside the cluster."
        },
        "help": {
            "text": "Fix the assertion's ends or port.",
            "markdown": "See docs/connectivity-tests.md.",
        },
        "defaultConfiguration": {"level": "error"},
    },
)


def render_assertions_sarif(report: AssertionReport) -> str:
    """The SARIF 2.1.0 log, indented, ending in a newline."""
    results = [_sarif_result(r) for r in report.results if r.outcome is not Outcome.PASSED]
    log = sarif_document([dict(rule) for rule in _RULES], results)
    return json_text(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"


def _sarif_result(result: AssertionResult) -> dict[str, Any]:
    failed = result.outcome is Outcome.FAILED
    assertion = result.assertion
    sarif: dict[str, Any] = {
        "ruleId": RULE_FAILED if failed else RULE_ERROR,
        "ruleIndex": 0 if failed else 1,
        "level": "error",
        "message": {"text": f"{assertion.name}: {result.message}"},
    }
    spec = _file_location(assertion.origin.file, assertion.origin.line)
    logical = {"name": assertion.name, "kind": "member"}
    if spec is not None:
        spec["logicalLocations"] = [logical]
        sarif["locations"] = [spec]
    else:  # a spec read from standard input has no artifact to point at
        sarif["locations"] = [{"logicalLocations": [logical]}]
    related: list[dict[str, Any]] = []
    for rule in result.deciding:
        origin = rule.location
        if not isinstance(origin, FileOrigin):
            continue
        location = _file_location(origin.file, origin_line(origin))
        if location is None:
            continue
        location["id"] = len(related)
        location["message"] = {"text": f"{rule.direction.value}: {rule.what}"}
        related.append(location)
    if related:
        sarif["relatedLocations"] = related
    properties: dict[str, Any] = {
        "expect": assertion.expect.value,
        "pairs": result.pairs,
        "failingPairs": result.failing_count,
    }
    if assertion.reason:
        properties["reason"] = assertion.reason
    if result.lacking:
        properties["lacking"] = list(result.lacking)
    sarif["properties"] = properties
    return sarif


def _file_location(file: str, line: int | None) -> dict[str, Any] | None:
    artifact = artifact_location(file)
    if artifact is None:
        return None
    return {"physicalLocation": physical_location(artifact, line)}


# --- a starting spec ------------------------------------------------------------------------


def render_spec(planned: Sequence[PlannedAssertion], every_connection: bool) -> str:
    """A spec file holding ``planned``, with a header saying where it came from (and, when
    it holds every connection of the map, that what need not hold is to be deleted)."""
    lines = [
        "# Connectivity assertions for netfence test (docs/connectivity-tests.md), written by",
        "# netfence test --init from the connectivity map of the inputs it was given.",
    ]
    if every_connection:
        lines += [
            "# It asserts every connection allowed between workloads today: delete those that",
            "# need not hold, so that the spec states what must, and nothing more.",
        ]
    lines += [f"format: {SPEC_FORMAT}", f"version: {SPEC_VERSION}", "tests:"]
    for item in planned:
        lines.append(f"  - name: {_quoted(item.name)}")
        lines.append(f"    from: {_quoted(item.source)}")
        lines.append(f"    to: {_quoted(item.destination)}")
        if item.port is not None:
            lines.append(f"    port: {item.port}")
        if item.protocol is not None:
            lines.append(f"    protocol: {item.protocol.value}")
        lines.append(f"    expect: {item.expect.value}")
        lines.append(f"    reason: {_quoted(item.reason)}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar: no name can be read back as another type.
    return json.dumps(text, ensure_ascii=False)
