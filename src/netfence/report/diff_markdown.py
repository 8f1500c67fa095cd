"""Render a cluster diff as GitHub-flavoured Markdown, sized for a pull-request comment.

A summary table first; then the opened flows (forbidden ones first), then the closed ones,
one table row each with the deciding rule on each side; then the endpoints and policies that
changed. GitHub refuses a comment longer than 65,536 characters: rows stop before
``MAX_CHARS`` and the comment says how many were left out (``-o json`` has them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from netfence.analyses.diff import ChangeExplanation, ClusterDiff, FlowChange
from netfence.report.diff_text import decision_text, endpoints_text, origin_text
from netfence.report.findings_markdown import md_cell

MAX_CHARS: Final = 60_000
"""The comment stays under this many characters (GitHub's limit is 65,536)."""
_RESERVE: Final = 600
"""Room kept for the closing lines (what was left out)."""
_HEADER: Final = "| | From | To | Ports | Before | After |\n|---|---|---|---|---|---|"


def _side(explanation: ChangeExplanation, before: bool) -> str:
    side = explanation.before if before else explanation.after
    verdict = "allowed" if side.allowed else "denied"
    decided = "<br>".join(md_cell(decision_text(d)) for d in side.decisions)
    return f"**{verdict}**<br>{decided}"


def _row(change: FlowChange, forbidden: tuple[str, ...], opened: bool) -> str:
    explanation = change.opened_by if opened else change.closed_by
    assert explanation is not None
    ports = change.added if opened else change.removed
    mark = ("⛔ forbidden" if forbidden else "➕") if opened else "➖"
    flow = f"e.g. {explanation.src} -> {explanation.dst} {explanation.protocol} {explanation.port}"
    return (
        f"| {mark} | {md_cell(endpoints_text(change.src, change.src_addresses))} "
        f"| {md_cell(endpoints_text(change.dst, change.dst_addresses))} "
        f"| {md_cell(ports.describe())}<br><sub>{md_cell(flow)}</sub> "
        f"| {_side(explanation, True)} | {_side(explanation, False)} |"
    )


def render_diff_markdown(diff: ClusterDiff, violations: Sequence[tuple[str, ...]] = ()) -> str:
    """The diff as a pull-request comment."""
    marks = list(violations) or [()] * len(diff.changes)
    forbidden = sum(1 for m in marks if m)
    out = [
        "## netfence diff",
        "",
        "| Opened | Closed | Forbidden | Endpoints added | Endpoints removed | Policies changed |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {len(diff.opened)} | {len(diff.closed)} | {forbidden} | {len(diff.added_endpoints)}"
        f" | {len(diff.removed_endpoints)} | {len(diff.policies)} |",
        "",
    ]
    if diff.empty:
        out.append("No change: both sides allow exactly the same flows.")
        return "\n".join(out) + "\n"
    opened = [(c, m) for c, m in zip(diff.changes, marks, strict=True) if c.added]
    opened.sort(key=lambda cm: not cm[1])  # forbidden first, otherwise in order
    rows = [_row(c, m, True) for c, m in opened]
    rows += [_row(c, (), False) for c in diff.changes if c.removed]
    size = sum(len(line) + 1 for line in out)
    shown = 0
    if rows:
        out.append(f"Granularity: {diff.granularity.value}s.")
        out.append("")
        out.append(_HEADER)
        size += len(_HEADER) + 40
        for row in rows:
            if size + len(row) + 1 > MAX_CHARS - _RESERVE - _context_size(diff):
                break
            out.append(row)
            size += len(row) + 1
            shown += 1
    if shown < len(rows):
        out.extend(
            ["", f"{len(rows) - shown} more changed flows left out to fit a comment "
             "(`netfence diff -o json` lists them all)."]
        )  # fmt: skip
    out.extend(_context(diff))
    return "\n".join(out) + "\n"


def _context_lines(diff: ClusterDiff) -> list[str]:
    lines: list[str] = []
    if diff.added_endpoints or diff.removed_endpoints:
        lines.extend(["", "<details><summary>Endpoints added and removed</summary>", ""])
        lines.extend(f"- ➕ `{md_cell(e.name)}` ({e.kind})" for e in diff.added_endpoints)
        lines.extend(f"- ➖ `{md_cell(e.name)}` ({e.kind})" for e in diff.removed_endpoints)
        lines.extend(["", "</details>"])
    if diff.policies or diff.namespaces:
        lines.extend(["", "<details><summary>Policies and namespaces changed</summary>", ""])
        for p in diff.policies:
            where = p.after if p.after is not None else p.before
            lines.append(f"- {p.change.value} `{md_cell(p.key)}`{md_cell(origin_text(where))}")
        lines.extend(f"- relabelled namespace `{md_cell(n.name)}`" for n in diff.namespaces)
        lines.extend(["", "</details>"])
    return lines


_CONTEXT_LIMIT: Final = 20_000
"""At most this many characters of context (endpoints, policies); the rest is counted."""


def _context(diff: ClusterDiff) -> list[str]:
    lines = _context_lines(diff)
    total = 0
    for i, line in enumerate(lines):
        total += len(line) + 1
        if total > _CONTEXT_LIMIT:
            return [*lines[:i], f"- and {len(lines) - i} more", "", "</details>"]
    return lines


def _context_size(diff: ClusterDiff) -> int:
    return sum(len(line) + 1 for line in _context(diff))
