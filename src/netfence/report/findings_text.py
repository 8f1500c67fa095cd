"""Render an AuditReport as text for people: findings grouped by severity, then a summary line.

Each finding shows its check, message, resources (``Kind ns/name (file:line)``, or the export path
or API object each was read from), the evidence in brief (long lists are cut after ``MAX_ITEMS``
items), the remediation and the generated fix, if any.
Colour, when asked for, marks the severity labels only, so the text reads the same without it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, assert_never

from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.model.findings import Finding, ResourceRef, Severity
from netfence.model.origin import APIObjectOrigin, ExportOrigin, FileOrigin, Origin
from netfence.report.findings_json import SEVERITIES, json_default, ordered, ordered_accepted
from netfence.report.printable import printable

MAX_ITEMS: Final = 10
"""Evidence lists and mappings show at most this many items, then ``... and N more``."""

MAX_CHARS: Final = 120
"""A single evidence item longer than this is cut, ending in ``...``."""

_COLORS: Final = {
    Severity.CRITICAL: "\x1b[1;31m",  # bold red
    Severity.HIGH: "\x1b[31m",  # red
    Severity.MEDIUM: "\x1b[33m",  # yellow
    Severity.LOW: "\x1b[36m",  # cyan
    Severity.INFO: "\x1b[34m",  # blue
}
_RESET: Final = "\x1b[0m"


def format_origin(origin: Origin, subject: str = "") -> str:
    """Where something was read, briefly: ``file:line``, ``file: $.path`` or ``API server``.

    An API object's kind, namespace and name are left out when they are those of ``subject``
    (a ``Kind/namespace/name`` key), which the reader has just seen.
    """
    if isinstance(origin, FileOrigin):
        return f"{printable(origin.file)}:{origin.line}"
    if isinstance(origin, ExportOrigin):
        return printable(str(origin))
    if isinstance(origin, APIObjectOrigin):
        text = "API server"
        if origin.key != subject:
            name = f"{origin.namespace}/{origin.name}" if origin.namespace else origin.name
            text += f": {origin.kind} {name}"
        if origin.resource_version is not None:
            text += f", resourceVersion {origin.resource_version}"
        return text
    assert_never(origin)


def format_resource(ref: ResourceRef) -> str:
    """``Kind ns/name (origin)``; the namespace and origin only where known.

    The origin reads ``file:line`` for a manifest, ``file: $.path`` for an export, and
    ``API server, resourceVersion N`` for an object read from a cluster.
    """
    name = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    text = f"{ref.kind} {name}"
    if ref.origin is not None:
        text += f" ({format_origin(ref.origin, ref.key)})"
    return text


def _cut(text: str, limit: int = MAX_CHARS) -> str:
    text = printable(" ".join(text.split()))  # one line: newlines and blanks become one space
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _item(value: Any) -> str:
    if isinstance(value, str):
        return _cut(value)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return _cut(json.dumps(value, default=json_default, ensure_ascii=False))


def _more(shown: list[str], total: int) -> str:
    if total > len(shown):
        shown = [*shown, f"... and {total - len(shown)} more"]
    return ", ".join(shown)


def format_value(value: Any) -> str:
    """An evidence value on one line: lists joined, mappings as ``key=value``, long ones cut.

    An empty list or mapping is ``(none)``.
    """
    if isinstance(value, Mapping):
        items = list(value.items())
        return _more([f"{k}={_item(v)}" for k, v in items[:MAX_ITEMS]], len(items)) or "(none)"
    if isinstance(value, list | tuple | set | frozenset):
        values = list(value) if isinstance(value, list | tuple) else json_default(value)
        return _more([_item(v) for v in values[:MAX_ITEMS]], len(values)) or "(none)"
    return _item(value)


def evidence_lines(evidence: Mapping[str, Any]) -> list[str]:
    """One ``key: value`` line per evidence item, in the order the check gave them."""
    return [f"{key}: {format_value(value)}" for key, value in evidence.items()]


def format_acceptance(entry: Acceptance) -> str:
    """``reason (until DATE; FILE:LINE)``, the parts in parentheses only where known."""
    notes = []
    if entry.expires is not None:
        notes.append(f"until {entry.expires.isoformat()}")
    if entry.file:
        file = printable(entry.file)
        notes.append(f"{file}:{entry.line}" if entry.line is not None else file)
    reason = printable(entry.reason)  # the baseline's text: it must not add lines
    return f"{reason} ({'; '.join(notes)})" if notes else reason


def _label(severity: Severity, color: bool) -> str:
    text = severity.value.upper()
    return f"{_COLORS[severity]}{text}{_RESET}" if color else text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _finding(finding: Finding, color: bool) -> list[str]:
    check = finding.check
    severity = finding.effective_severity
    lines = [f"[{_label(severity, color)}] {check.check_id} {check.title}"]
    lines.extend(f"  {line}".rstrip() for line in finding.message.splitlines() or [""])
    if finding.resources:
        lines.append("  Resources:")
        lines.extend(f"    {format_resource(r)}" for r in finding.resources)
    if finding.evidence:
        lines.append("  Evidence:")
        lines.extend(f"    {line}" for line in evidence_lines(finding.evidence))
    lines.append(f"  Remediation: {check.remediation}")
    if finding.fix:
        lines.append("  Fix:")
        lines.extend(f"    {line}".rstrip() for line in finding.fix.rstrip("\n").splitlines())
    return lines


def summary_line(report: AuditReport) -> str:
    """``N findings: C critical, H high, M medium, L low, I info (A accepted by baseline)``."""
    counts = report.counts()
    per_severity = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITIES)
    return (
        f"{_plural(len(report.findings), 'finding')}: {per_severity} "
        f"({len(report.accepted)} accepted by baseline)"
    )


def render_text(report: AuditReport, color: bool = False) -> str:
    """The findings for people, most severe first; ANSI colours on severity labels if ``color``."""
    lines: list[str] = []
    by_severity: dict[Severity, list[Finding]] = {s: [] for s in SEVERITIES}
    for finding in ordered(report.findings):
        by_severity[finding.effective_severity].append(finding)
    for severity, findings in by_severity.items():
        if not findings:
            continue
        lines.append(f"== {_label(severity, color)} ({len(findings)}) ==")
        for finding in findings:
            lines.append("")
            lines.extend(_finding(finding, color))
        lines.append("")
    if report.accepted:
        lines.append(f"== ACCEPTED BY BASELINE ({len(report.accepted)}) ==")
        lines.append("")
        for finding, entry in ordered_accepted(report.accepted):
            severity = finding.effective_severity
            where = format_resource(finding.primary) if finding.primary else "(no resource)"
            lines.append(f"[{_label(severity, color)}] {finding.check.check_id} {where}")
            lines.append(f"  accepted: {format_acceptance(entry)}")
        lines.append("")
    if report.findings:
        lines.append(summary_line(report))
    else:
        accepted = f", {len(report.accepted)} accepted by baseline" if report.accepted else ""
        lines.append(f"No findings ({_plural(len(report.checks), 'check')} ran{accepted}).")
    return "\n".join(lines) + "\n"
