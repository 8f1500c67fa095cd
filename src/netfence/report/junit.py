"""Render an AuditReport as JUnit XML, for the test reports of CI systems.

One ``<testsuites>`` holding one ``<testsuite name="netfence">``. Test cases, all with classname
``netfence.CHECK_ID``:

- one failing test case per standing finding, named ``CHECK_ID resource-key`` (plus the finding's
  detail key), with a ``<failure>`` whose ``type`` is the severity, ``message`` the finding's
  message, and whose text holds resources, evidence and remediation;
- one skipped test case per finding a baseline accepted, ``<skipped message="reason">``;
- one passing test case per check that ran with no standing finding, named ``CHECK_ID title``.

Test cases of a finding carry ``file`` and ``line`` of its primary resource, which GitHub and
GitLab test reporters use for annotations. Times are 0, and there is no timestamp, so the output
depends on the report alone.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Final

from netfence.analyses.audit.grouping import affected_sample
from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.model.findings import Finding
from netfence.report.findings_json import ordered, ordered_accepted
from netfence.report.findings_text import evidence_lines, format_acceptance, format_resource
from netfence.report.printable import valid_unicode

SUITE_NAME: Final = "netfence"

# Characters XML 1.0 cannot carry, even escaped, become U+FFFD (the bytes of a file name that is
# not UTF-8 are first written as \\xff escapes, as the text report shows them).
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` as XML 1.0 can carry it: characters it cannot hold become U+FFFD."""
    return _NOT_XML.sub("\ufffd", valid_unicode(text))


def _case_name(finding: Finding) -> str:
    parts: list[str] = [finding.check.check_id]
    if finding.primary is not None:
        parts.append(finding.primary.key)
    if finding.detail_key:
        parts.append(f"[{finding.detail_key}]")
    return " ".join(parts)


def _details(finding: Finding) -> str:
    lines = [
        f"{finding.check.check_id} {finding.check.title}",
        f"Severity: {finding.effective_severity.value}",
        finding.message,
    ]
    if finding.resources:
        lines.append("Resources:")
        lines.extend(f"  {format_resource(r)}" for r in finding.resources)
    if finding.cause is not None:
        lines.append(f"Cause: {format_resource(finding.cause.resource, finding.cause.path)}")
    if finding.affected:
        sample = affected_sample(finding.affected)
        lines.append(f"Affected ({len(finding.affected)}):")
        lines.extend(f"  {format_resource(r)}" for r in sample)
        if len(finding.affected) > len(sample):
            lines.append(f"  ... and {len(finding.affected) - len(sample)} more")
    if finding.evidence:
        lines.append("Evidence:")
        lines.extend(f"  {line}" for line in evidence_lines(finding.evidence))
    lines.append(f"Remediation: {finding.check.remediation}")
    if finding.fix:
        lines.append("Fix:")
        lines.extend(f"  {line}".rstrip() for line in finding.fix.rstrip("\n").splitlines())
    lines.append(f"Fingerprint: {finding.fingerprint}")
    return "\n".join(lines) + "\n"


def _case(suite: ET.Element, finding: Finding) -> ET.Element:
    attrs = {"classname": f"{SUITE_NAME}.{finding.check.check_id}", "name": _case_name(finding)}
    primary = finding.primary
    if primary is not None and primary.file:
        attrs["file"] = primary.file
        if primary.line is not None:
            attrs["line"] = str(primary.line)
    attrs["time"] = "0"
    return ET.SubElement(suite, "testcase", {k: xml_text(v) for k, v in attrs.items()})


def _failure(suite: ET.Element, finding: Finding) -> None:
    failure = ET.SubElement(
        _case(suite, finding),
        "failure",
        {
            "message": xml_text(finding.message),
            "type": finding.effective_severity.value,
        },
    )
    failure.text = xml_text(_details(finding))


def _skipped(suite: ET.Element, finding: Finding, entry: Acceptance) -> None:
    skipped = ET.SubElement(_case(suite, finding), "skipped", {"message": xml_text(entry.reason)})
    skipped.text = xml_text(
        f"Accepted by baseline: {format_acceptance(entry)}\n" + _details(finding)
    )


def render_junit(report: AuditReport) -> str:
    """The JUnit XML document, with an XML declaration, indented, ending in a newline."""
    failing = {f.check.check_id for f in report.findings}
    clean = sorted(
        (c for c in report.checks if c.check_id not in failing), key=lambda c: c.check_id
    )
    tests = len(report.findings) + len(report.accepted) + len(clean)
    counts = {
        "tests": str(tests),
        "failures": str(len(report.findings)),
        "errors": "0",
        "skipped": str(len(report.accepted)),
        "time": "0",
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE_NAME, **counts})
    for finding in ordered(report.findings):
        _failure(suite, finding)
    for finding, entry in ordered_accepted(report.accepted):
        _skipped(suite, finding, entry)
    for check in clean:
        ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{SUITE_NAME}.{check.check_id}",
                "name": xml_text(f"{check.check_id} {check.title}"),
                "time": "0",
            },
        )
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
