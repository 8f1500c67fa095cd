"""JUnit XML: counts and attributes CI systems read, and escaping that survives a round trip."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from netfence.report.junit import render_junit
from tests.report.conftest import CROWD


def _suite(report):
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.tag == "testsuite" and suite.get("name") == "netfence"
    return root, suite


def test_counts_and_outcomes(audit_report):
    root, suite = _suite(audit_report)
    cases = suite.findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    passed = [c for c in cases if len(c) == 0]
    assert len(failed) == len(audit_report.findings) == 5
    assert len(skipped) == len(audit_report.accepted) == 1
    # NF-NP-040 is the only check with no standing finding.
    assert [c.get("classname") for c in passed] == ["netfence.NF-NP-040"]
    for element in (root, suite):
        assert element.get("tests") == str(len(cases)) == "7"
        assert element.get("failures") == "5"
        assert element.get("errors") == "0"
        assert element.get("skipped") == "1"
    assert all(c.get("classname").startswith("netfence.NF-NP-") for c in cases)
    assert len({c.get("name") for c in cases}) == len(cases)  # names tell cases apart


def test_failure_attributes_and_body(audit_report):
    _, suite = _suite(audit_report)
    first = suite.find("testcase")
    assert first.get("classname") == "netfence.NF-NP-010"
    # A grouped finding is a case on the causing rule, its body listing the affected workloads.
    assert first.get("name") == "NF-NP-010 NetworkPolicy/shop/allow-all"
    assert (first.get("file"), first.get("line")) == ("manifests/shop.yaml", "47")
    failure = first.find("failure")
    assert failure.get("type") == "critical"
    assert failure.get("message").startswith("NetworkPolicy/shop/allow-all spec.ingress[0] exposes")
    body = failure.text
    assert "Cause: NetworkPolicy shop/allow-all spec.ingress[0] (manifests/shop.yaml:47)" in body
    assert "Affected (2):\n  Deployment shop/backend" in body
    assert "Deployment shop/frontend (manifests/shop.yaml:12)" in body
    assert "ports: TCP 443, TCP 8080" in body
    assert "Remediation: Narrow the ipBlock" in body
    types = [c.find("failure").get("type") for c in suite if c.find("failure") is not None]
    assert types == ["critical", "high", "medium", "low", "info"]


def test_accepted_finding_is_skipped_with_its_reason(audit_report):
    _, suite = _suite(audit_report)
    (case,) = [c for c in suite if c.find("skipped") is not None]
    assert case.get("name") == "NF-NP-020 NetworkPolicy/ops/legacy"
    skipped = case.find("skipped")
    assert skipped.get("message") == "Kept for the ops migration <ticket OPS-12> & rollback"
    assert "until 2026-06-30; .netfence-baseline.yaml:4" in skipped.text


def test_markup_characters_round_trip(audit_report):
    _, suite = _suite(audit_report)
    case = next(c for c in suite if c.get("classname") == "netfence.NF-NP-020")
    assert case.get("name") == "NF-NP-020 NetworkPolicy/lab/a|b"
    failure = case.find("failure")
    assert failure.get("message") == 'Policy lab/a|b selects <no pods> & "nothing" matches app=x|y.'
    assert '<no pods> & "nothing"' in failure.text
    multi = next(c for c in suite if c.get("classname") == "netfence.NF-NP-030")
    assert (
        multi.find("failure").get("message")
        == "A rule repeats another.\nSecond line of the message."
    )


def test_characters_xml_cannot_hold_are_replaced(audit_report):
    finding = dataclasses.replace(audit_report.findings[0], message='bell \x07 and nul \x00 <&>"')
    report = dataclasses.replace(audit_report, findings=(finding,), accepted=())
    _, suite = _suite(report)  # parses: no raw control characters
    failure = suite.find("testcase/failure")
    assert failure.get("message") == 'bell \ufffd and nul \ufffd <&>"'


def test_clean_report_passes_every_check(clean_report):
    root, suite = _suite(clean_report)
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == [
        "netfence.NF-NP-001",
        "netfence.NF-NP-010",
        "netfence.NF-NP-040",
    ]
    assert all(len(c) == 0 for c in cases)
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "0", "0")


def test_grouped_failure_shows_its_count_and_a_sample_of_five(crowded_report):
    """checks.md "One finding per cause": a failure's body names the count and five workloads."""
    _, suite = _suite(crowded_report)
    (case,) = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    body = case.find("failure").text
    assert "Affected (12):" in body and "... and 7 more" in body
    assert [n for n in CROWD if f"Deployment shop/{n} (" in body] == list(CROWD[:5])
