"""Markdown output: a counts table and a findings table whose cells cannot break the table."""

from __future__ import annotations

import re

from netfence.report.findings_markdown import md_cell, render_markdown
from tests.report.conftest import CROWD

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _table(lines, header):
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_counts_table(audit_report):
    lines = render_markdown(audit_report).splitlines()
    assert lines[0] == "### netfence: 5 findings"
    rows = _table(lines, "| Severity | Count |")
    assert rows == [
        "| critical | 1 |",
        "| high | 1 |",
        "| medium | 1 |",
        "| low | 1 |",
        "| info | 1 |",
        "| accepted by baseline | 1 |",
    ]


def test_findings_table_has_four_cells_per_row(audit_report):
    lines = render_markdown(audit_report).splitlines()
    rows = _table(lines, "| Severity | Check | Resource | Message |")
    assert len(rows) == 5
    for row in rows:
        assert len(UNESCAPED_PIPE.findall(row)) == 5, row  # 4 cells
    assert [row.split(" | ")[0] for row in rows] == [
        "| critical",
        "| high",
        "| medium",
        "| low",
        "| info",
    ]
    low = rows[3]
    assert "NetworkPolicy lab/a\\|b (manifests/legacy policies/lab.yaml:1)" in low
    assert 'selects &lt;no pods&gt; &amp; "nothing" matches app=x\\|y.' in low
    assert "A rule repeats another.<br>Second line of the message." in rows[4]
    assert (
        "NetworkPolicy shop/allow-all spec.ingress[0] (manifests/shop.yaml:47)<br>affects 2:<br>"
        "Deployment shop/backend (manifests/shop.yaml:30)<br>Deployment shop/frontend" in rows[0]
    )


def test_accepted_section(audit_report):
    text = render_markdown(audit_report)
    assert "<summary>1 finding accepted by baseline</summary>" in text
    rows = _table(text.splitlines(), "| Severity | Check | Resource | Reason | Expires |")
    assert rows == [
        "| low | NF-NP-020 Policy selects no pods | NetworkPolicy ops/legacy (manifests/ops.yaml:3) "
        "| Kept for the ops migration &lt;ticket OPS-12&gt; &amp; rollback | 2026-06-30 |"
    ]


def test_md_cell():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("C:\\x|y") == "C:\\\\x\\|y"
    assert md_cell("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert md_cell(" one\n two \n") == "one<br>two"


def test_no_findings(clean_report):
    assert (
        render_markdown(clean_report) == "### netfence: 0 findings\n\nNo findings (3 checks ran).\n"
    )


def test_grouped_finding_row_shows_its_count_and_a_sample_of_five(crowded_report):
    """checks.md "One finding per cause": the row names the rule, the count and five workloads."""
    (row,) = [line for line in render_markdown(crowded_report).splitlines() if "NF008" in line]
    assert "affects 12:" in row and "and 7 more" in row
    assert [n for n in CROWD if f"Deployment shop/{n} (" in row] == list(CROWD[:5])
