"""Text output: grouping by severity, the summary line, evidence in brief, colour on demand."""

from __future__ import annotations

import dataclasses
import re

from netfence.model.findings import ResourceRef
from netfence.model.origin import FileOrigin
from netfence.report.findings_text import format_resource, format_value, render_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_groups_most_severe_first_with_counts(audit_report):
    lines = render_text(audit_report).splitlines()
    headings = [line for line in lines if line.startswith("== ")]
    assert headings == [
        "== CRITICAL (1) ==",
        "== HIGH (1) ==",
        "== MEDIUM (1) ==",
        "== LOW (1) ==",
        "== INFO (1) ==",
        "== ACCEPTED BY BASELINE (1) ==",
    ]
    labels = [line.split("]")[0] + "]" for line in lines if line.startswith("[")]
    assert labels == ["[CRITICAL]", "[HIGH]", "[MEDIUM]", "[LOW]", "[INFO]", "[LOW]"]
    assert "[CRITICAL] NF-NP-010 Workload reachable from the internet" in lines
    # The severity override puts one NF-NP-001 finding under medium.
    assert lines[lines.index("== MEDIUM (1) ==") + 2].startswith("[MEDIUM] NF-NP-001")


def test_summary_line(audit_report):
    assert render_text(audit_report).splitlines()[-1] == (
        "5 findings: 1 critical, 1 high, 1 medium, 1 low, 1 info (1 accepted by baseline)"
    )


def test_empty_groups_are_left_out(audit_report):
    only_high = dataclasses.replace(audit_report, findings=audit_report.findings[3:4], accepted=())
    text = render_text(only_high)
    assert [line for line in text.splitlines() if line.startswith("== ")] == ["== HIGH (1) =="]
    assert text.endswith(
        "1 finding: 0 critical, 1 high, 0 medium, 0 low, 0 info (0 accepted by baseline)\n"
    )


def test_finding_details(audit_report):
    text = render_text(audit_report)
    assert "    Deployment shop/frontend (manifests/shop.yaml:12)\n" in text
    assert "    Namespace shop (manifests/shop.yaml:1)\n" in text
    assert "    Namespace ops\n" in text
    assert "    NetworkPolicy lab/a|b (manifests/legacy policies/lab.yaml:1)\n" in text
    assert "    rule: policy=shop/allow-all, path=spec.ingress[0]\n" in text
    assert "shop/web-9, ... and 2 more\n" in text
    assert "    pods: (none)\n" in text
    assert "  Remediation: Remove the shadowed rule.\n" in text
    assert "  Fix:\n    apiVersion: networking.k8s.io/v1\n" in text
    assert "  A rule repeats another.\n  Second line of the message.\n" in text
    assert (
        "  accepted: Kept for the ops migration <ticket OPS-12> & rollback (until 2026-06-30; .netfence-baseline.yaml:4)\n"
        in text
    )


def test_evidence_in_brief():
    assert format_value(list(range(25))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... and 15 more"
    assert format_value(list(range(10))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9"
    assert format_value({"b", "a"}) == "a, b"
    assert format_value({"TCP": [80, 443]}) == "TCP=[80, 443]"
    assert format_value([]) == "(none)"
    assert format_value(None) == "null"
    assert format_value(True) == "true"
    long = format_value("x" * 500)
    assert len(long) == 120 and long.endswith("...")
    assert format_value("two\nlines") == "two lines"


def test_resource_format():
    assert format_resource(ResourceRef("Namespace", None, "shop")) == "Namespace shop"
    web = ResourceRef("Pod", "shop", "web", FileOrigin("a.yaml", 2, 7))
    assert format_resource(web) == "Pod shop/web (a.yaml:7)"


def test_no_ansi_without_color(audit_report):
    assert "\x1b" not in render_text(audit_report)
    assert "\x1b" not in render_text(audit_report, color=False)


def test_color_marks_severity_labels_only(audit_report):
    plain = render_text(audit_report)
    colored = render_text(audit_report, color=True)
    assert colored != plain
    assert ANSI.sub("", colored) == plain
    assert "[\x1b[1;31mCRITICAL\x1b[0m] NF-NP-010" in colored
    assert "== \x1b[33mMEDIUM\x1b[0m (1) ==" in colored
    for line in colored.splitlines():
        for code in ANSI.finditer(line):
            if code.group() != "\x1b[0m":
                rest = line[code.end() :]
                assert rest.split("\x1b[0m")[0] in {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"}


def test_no_findings(clean_report):
    assert render_text(clean_report) == "No findings (3 checks ran).\n"


def test_only_accepted_findings(audit_report):
    report = dataclasses.replace(audit_report, findings=())
    text = render_text(report)
    assert text.endswith("No findings (5 checks ran, 1 accepted by baseline).\n")
    assert "== ACCEPTED BY BASELINE (1) ==" in text
