"""Render an AuditReport as text for people: a summary table, then findings by severity,
grouped by cause.

The summary line and a table of counts (check x severity) open the report. Then, per severity,
findings are grouped under what causes them: the rule (``Kind ns/name spec.ingress[0]
(file:line)``), or the resource a finding without one cause is about. Each finding shows its
check, message, other resources, the workloads a grouped finding affects, the evidence in
brief (long lists are cut after ``MAX_ITEMS`` items) and the remediation; a generated fix only
when asked (``show_fixes``). The summary line ends the report too.
Colour, when asked for, marks the severity labels only, so the text reads the same without it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, assert_never

from netfence.analyses.audit.fixes import request_of
from netfence.analyses.audit.grouping import affected_sample
from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.model.findings import Finding, ResourceRef, Severity
from netfence.model.origin import APIObjectOrigin, ExportOrigin, FileOrigin, Origin
from netfence.report.findings_json import SEVERITIES, json_default, ordered, ordered_accepted
from netfence.report.printable import printable

MAX_ITEMS: Final = 10
"""Evidence lists and mappings show at most this many items, then ``... and N more``."""

MAX_CHARS: Final = 120
"""A single evidence item longer than this is cut, ending in ``...``; evidence this short in
all is shown on one line."""

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


def format_resource(ref: ResourceRef, path: str = "") -> str:
    """``Kind ns/name [path] (origin)``; the namespace, path and origin only where known.

    The origin reads ``file:line`` for a manifest, ``file: $.path`` for an export, and
    ``API server, resourceVersion N`` for an object read from a cluster.
    """
    name = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    text = f"{ref.kind} {name}" + (f" {path}" if path else "")
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


def _heading(finding: Finding) -> tuple[str, str]:
    """(key, text) of what a finding is grouped under: its cause, else its primary resource."""
    cause = finding.cause
    if cause is not None:
        text = format_resource(cause.resource, cause.path)
        return cause.key, text
    if finding.primary is not None:
        return finding.primary.key, format_resource(finding.primary)
    return "", "(cluster-wide)"


def _resource_lines(finding: Finding, heading: str) -> list[str]:
    """The resources besides the group's heading, and the workloads a grouped finding affects
    (at most ``MAX_AFFECTED``, then a count; one alone on the label's line)."""
    lines: list[str] = []
    cause_key = finding.cause.resource.key if finding.cause is not None else None
    others = [r for r in finding.resources if format_resource(r) != heading and r.key != cause_key]
    if others:
        lines.append("    Resources:")
        lines.extend(f"      {format_resource(r)}" for r in others)
    affected = finding.affected
    if len(affected) == 1:
        lines.append(f"    Affected: {format_resource(affected[0])}")
    elif affected:
        lines.append(f"    Affected ({len(affected)}):")
        sample = affected_sample(affected)
        lines.extend(f"      {format_resource(r)}" for r in sample)
        if len(affected) > len(sample):
            lines.append(f"      ... and {len(affected) - len(sample)} more")
    return lines


def _evidence_block(evidence: Mapping[str, Any]) -> list[str]:
    """``Evidence: k=v; ...`` on one line when it fits in ``MAX_CHARS``, else a line per item."""
    if not evidence:
        return []
    brief = "; ".join(f"{key}={format_value(value)}" for key, value in evidence.items())
    if len(brief) <= MAX_CHARS:
        return [f"    Evidence: {brief}"]
    return ["    Evidence:", *(f"      {line}" for line in evidence_lines(evidence))]


def _finding(finding: Finding, color: bool, show_fixes: bool, heading: str) -> list[str]:
    check = finding.check
    severity = finding.effective_severity
    lines = [f"  [{_label(severity, color)}] {check.check_id} {check.title}"]
    lines.extend(f"    {line}".rstrip() for line in finding.message.splitlines() or [""])
    lines.extend(_resource_lines(finding, heading))
    if severity is not Severity.INFO:  # info is for the record: its evidence is in -o json
        lines.extend(_evidence_block(finding.evidence))
    lines.append(f"    Remediation: {check.remediation}")
    if finding.fix and show_fixes:
        lines.append("    Fix:")
        lines.extend(f"      {line}".rstrip() for line in finding.fix.rstrip("\n").splitlines())
    elif finding.fix:
        lines.append("    Fix: generated (--show-fixes prints it, --fix DIR writes it)")
    elif request_of(finding) is not None:
        lines.append("    Fix: can be generated and proven (--show-fixes, or --fix DIR)")
    return lines


def summary_line(report: AuditReport) -> str:
    """``N findings: C critical, H high, M medium, L low, I info (A accepted by baseline)``."""
    counts = report.counts()
    per_severity = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITIES)
    return (
        f"{_plural(len(report.findings), 'finding')}: {per_severity} "
        f"({len(report.accepted)} accepted by baseline)"
    )


def summary_table(report: AuditReport) -> list[str]:
    """Standing findings counted by check (rows) and severity (columns), with totals."""
    counts: dict[str, dict[Severity, int]] = {}
    titles: dict[str, str] = {}
    for finding in report.findings:
        check = finding.check
        titles[check.check_id] = check.title
        per_severity = counts.setdefault(check.check_id, dict.fromkeys(SEVERITIES, 0))
        per_severity[finding.effective_severity] += 1
    width = max([len(t) for t in titles.values()] + [len("Title")])
    id_width = max([len(k) for k in titles] + [len("Total")])
    columns = [s.value.capitalize() for s in SEVERITIES]

    def row(name: str, title: str, values: list[int]) -> str:
        cells = "  ".join(f"{v:>{len(c)}}" for v, c in zip(values, columns, strict=True))
        return f"  {name:<{id_width}}  {title:<{width}}  {cells}".rstrip()

    lines = [f"  {'Check':<{id_width}}  {'Title':<{width}}  {'  '.join(columns)}"]
    order = sorted(counts, key=lambda k: (-_worst(counts[k]), k))
    lines.extend(row(k, titles[k], [counts[k][s] for s in SEVERITIES]) for k in order)
    totals = report.counts()
    lines.append(row("Total", "", [totals[s] for s in SEVERITIES]))
    return lines


def _worst(row: dict[Severity, int]) -> int:
    return max((s.rank for s, n in row.items() if n), default=-1)


def _by_cause(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """(heading, findings) per cause (or primary resource), in the order they first appear."""
    groups: dict[str, tuple[str, list[Finding]]] = {}
    for finding in findings:
        key, text = _heading(finding)
        groups.setdefault(key, (text, []))[1].append(finding)
    return list(groups.values())


def render_text(
    report: AuditReport, color: bool = False, *, show_fixes: bool = False, quiet: bool = False
) -> str:
    """The findings for people: a summary table, then by severity (most severe first) the
    findings grouped by their cause, each group headed by the causing rule's ``file:line``.
    Info findings are shown without their evidence block (the message states the facts;
    ``-o json`` carries the evidence of every finding), to keep the report to what to change.

    ANSI colours on severity labels if ``color``; generated fixes only if ``show_fixes``;
    the summary alone if ``quiet``.
    """
    lines: list[str] = []
    if report.findings:
        lines.extend([summary_line(report), "", *summary_table(report), ""])
        if quiet:
            return "\n".join(lines[:-1]) + "\n"
        lines.extend(_standing(report, color, show_fixes))
    if report.accepted and not quiet:
        lines.extend(_accepted(report, color))
    if report.findings:
        lines.append(summary_line(report))
    else:
        accepted = f", {len(report.accepted)} accepted by baseline" if report.accepted else ""
        lines.append(f"No findings ({_plural(len(report.checks), 'check')} ran{accepted}).")
    return "\n".join(lines) + "\n"


def _standing(report: AuditReport, color: bool, show_fixes: bool) -> list[str]:
    """The standing findings by severity, each severity's grouped by cause."""
    lines: list[str] = []
    by_severity: dict[Severity, list[Finding]] = {s: [] for s in SEVERITIES}
    for finding in ordered(report.findings):
        by_severity[finding.effective_severity].append(finding)
    for severity, findings in by_severity.items():
        if not findings:
            continue
        lines.append(f"== {_label(severity, color)} ({len(findings)}) ==")
        for heading, members in _by_cause(findings):
            lines.append("")
            lines.append(heading)
            for finding in members:
                lines.extend(_finding(finding, color, show_fixes, heading))
        lines.append("")
    return lines


def _accepted(report: AuditReport, color: bool) -> list[str]:
    """The findings a baseline accepted, one line each with the entry that accepted it."""
    lines = [f"== ACCEPTED BY BASELINE ({len(report.accepted)}) ==", ""]
    for finding, entry in ordered_accepted(report.accepted):
        severity = finding.effective_severity
        where = format_resource(finding.primary) if finding.primary else "(no resource)"
        lines.append(f"[{_label(severity, color)}] {finding.check.check_id} {where}")
        lines.append(f"  accepted: {format_acceptance(entry)}")
    lines.append("")
    return lines
