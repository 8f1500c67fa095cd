"""Render an AuditReport as GitHub-flavoured Markdown, for a pull-request comment.

A table of counts, then one table row per standing finding (``Severity | Check | Resource |
Message``; a finding one rule causes on several workloads names the rule, how many workloads it affects and the first few), then the findings a baseline accepted in a collapsed section. Cell text is escaped so
that pipes, newlines and angle brackets in messages cannot break the table or turn into HTML.
"""

from __future__ import annotations

from netfence.analyses.audit.grouping import affected_sample
from netfence.analyses.audit.report import AuditReport
from netfence.model.findings import Finding
from netfence.report.findings_json import SEVERITIES, ordered, ordered_accepted
from netfence.report.findings_text import format_resource


def md_cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell: ``|`` and HTML escaped, newlines as ``<br>``."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(line.strip() for line in text.strip().splitlines())


def _check(finding: Finding) -> str:
    return f"{md_cell(finding.check.check_id)} {md_cell(finding.check.title)}"


def _resources(finding: Finding) -> str:
    """The resources; for a grouped finding, the causing rule and the workloads it affects."""
    cause = finding.cause
    if cause is not None and finding.affected:
        cells = [md_cell(format_resource(cause.resource, cause.path))]
        cells.append(f"affects {len(finding.affected)}:")
        sample = affected_sample(finding.affected)
        cells.extend(md_cell(format_resource(r)) for r in sample)
        if len(finding.affected) > len(sample):
            cells.append(f"and {len(finding.affected) - len(sample)} more")
        return "<br>".join(cells)
    return "<br>".join(md_cell(format_resource(r)) for r in finding.resources) or "(none)"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def render_markdown(report: AuditReport) -> str:
    """The Markdown summary: counts, findings table, accepted findings; ends in a newline."""
    counts = report.counts()
    lines = [f"### netfence: {_plural(len(report.findings), 'finding')}", ""]
    if not report.findings and not report.accepted:
        lines.append(f"No findings ({_plural(len(report.checks), 'check')} ran).")
        return "\n".join(lines) + "\n"
    lines.extend(["| Severity | Count |", "|---|---:|"])
    lines.extend(f"| {s.value} | {counts[s]} |" for s in SEVERITIES)
    lines.append(f"| accepted by baseline | {len(report.accepted)} |")
    lines.append("")
    if report.findings:
        lines.extend(["| Severity | Check | Resource | Message |", "|---|---|---|---|"])
        lines.extend(
            f"| {f.effective_severity.value} | {_check(f)} | {_resources(f)} | {md_cell(f.message)} |"
            for f in ordered(report.findings)
        )
    else:
        lines.append(f"No standing findings ({_plural(len(report.checks), 'check')} ran).")
    if report.accepted:
        lines.extend(
            [
                "",
                "<details>",
                f"<summary>{_plural(len(report.accepted), 'finding')} accepted by baseline</summary>",
                "",
                "| Severity | Check | Resource | Reason | Expires |",
                "|---|---|---|---|---|",
            ]
        )
        for finding, entry in ordered_accepted(report.accepted):
            expires = entry.expires.isoformat() if entry.expires is not None else "never"
            lines.append(
                f"| {finding.effective_severity.value} | {_check(finding)} | "
                f"{_resources(finding)} | {md_cell(entry.reason)} | {expires} |"
            )
        lines.extend(["", "</details>"])
    return "\n".join(lines) + "\n"
