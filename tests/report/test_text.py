"""Text output: grouping by severity, the summary line, evidence in brief, colour on demand."""

from __future__ import annotations

import dataclasses
import re

from netfence.model.findings import ResourceRef
from netfence.model.origin import FileOrigin
from netfence.report.findings_text import format_resource, format_value, render_text
from tests.report.conftest import CROWD

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
    labels = [line.split("]")[0].strip() + "]" for line in lines if line.lstrip().startswith("[")]
    assert labels == ["[CRITICAL]", "[HIGH]", "[MEDIUM]", "[LOW]", "[INFO]", "[LOW]"]
    assert "  [CRITICAL] NF-NP-010 Workload reachable from the internet" in lines
    # The severity override puts one NF-NP-001 finding under medium.
    assert lines[lines.index("== MEDIUM (1) ==") + 3].startswith("  [MEDIUM] NF-NP-001")


def test_report_opens_with_the_summary_line_and_a_table_of_counts(audit_report):
    """The summary comes first (and again last): counts by check and severity."""
    lines = render_text(audit_report).splitlines()
    summary = "5 findings: 1 critical, 1 high, 1 medium, 1 low, 1 info (1 accepted by baseline)"
    assert lines[0] == summary and lines[-1] == summary
    table = lines[2:8]
    assert table[0].split() == ["Check", "Title", "Critical", "High", "Medium", "Low", "Info"]
    rows = {line.split()[0]: line.split()[-5:] for line in table[1:]}
    assert rows["NF-NP-001"] == ["0", "1", "1", "0", "0"]  # one high, one overridden to medium
    assert rows["NF-NP-010"] == ["1", "0", "0", "0", "0"]
    assert rows["Total"] == ["1", "1", "1", "1", "1"]
    assert [line.split()[0] for line in table[1:]] == [
        "NF-NP-010",
        "NF-NP-001",
        "NF-NP-020",
        "NF-NP-030",
        "Total",
    ]


def test_findings_are_grouped_under_their_causing_rule_with_file_and_line(audit_report):
    """A finding one rule causes is headed by that rule and its file:line, then the workloads
    it affects."""
    text = render_text(audit_report)
    assert (
        "NetworkPolicy shop/allow-all spec.ingress[0] (manifests/shop.yaml:47)\n"
        "  [CRITICAL] NF-NP-010 Workload reachable from the internet\n"
    ) in text
    assert (
        "    Affected (2):\n"
        "      Deployment shop/backend (manifests/shop.yaml:30)\n"
        "      Deployment shop/frontend (manifests/shop.yaml:12)\n"
    ) in text


def test_summary_line(audit_report):
    assert render_text(audit_report).splitlines()[-1] == (
        "5 findings: 1 critical, 1 high, 1 medium, 1 low, 1 info (1 accepted by baseline)"
    )


def test_quiet_prints_the_summary_alone(audit_report):
    text = render_text(audit_report, quiet=True)
    assert text.splitlines()[0].startswith("5 findings:")
    assert "==" not in text and "Remediation" not in text
    assert text.splitlines()[-1].split()[0] == "Total"


def test_fixes_only_when_asked(audit_report):
    """The generated fix YAML is printed with show_fixes (``--show-fixes``) only."""
    plain = render_text(audit_report)
    assert "apiVersion: networking.k8s.io/v1" not in plain
    assert "    Fix: generated (--show-fixes prints it, --fix DIR writes it)\n" in plain
    shown = render_text(audit_report, show_fixes=True)
    assert "    Fix:\n      apiVersion: networking.k8s.io/v1\n" in shown


def test_empty_groups_are_left_out(audit_report):
    only_high = dataclasses.replace(audit_report, findings=audit_report.findings[3:4], accepted=())
    text = render_text(only_high)
    assert [line for line in text.splitlines() if line.startswith("== ")] == ["== HIGH (1) =="]
    assert text.endswith(
        "1 finding: 0 critical, 1 high, 0 medium, 0 low, 0 info (0 accepted by baseline)\n"
    )


def test_finding_details(audit_report):
    text = render_text(audit_report)
    assert "Namespace shop (manifests/shop.yaml:1)\n" in text
    assert "\nNamespace ops\n" in text
    assert "\nNetworkPolicy lab/a|b (manifests/legacy policies/lab.yaml:1)\n" in text
    assert "rule=policy=shop/allow-all, path=spec.ingress[0]\n" in text
    assert "shop/web-9, ... and 2 more\n" in text
    assert "    Evidence: pods=(none)\n" in text
    assert "    Remediation: Remove the shadowed rule.\n" in text
    assert "    A rule repeats another.\n    Second line of the message.\n" in text
    assert "\n(cluster-wide)\n" in text  # a finding with no resource
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


def test_grouped_finding_shows_its_count_and_a_sample_of_five(crowded_report):
    """checks.md "One finding per cause": a grouped finding names how many workloads it
    affects and the first five by Kind/namespace/name, not all of them."""
    text = render_text(crowded_report)
    assert "    Affected (12):" in text
    shown = [n for n in CROWD if f"Deployment shop/{n} (" in text.split("Affected (12):")[1]]
    assert shown == list(CROWD[:5])
    assert "      ... and 7 more" in text
