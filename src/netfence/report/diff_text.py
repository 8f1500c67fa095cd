"""Render a cluster diff as text for people: a summary line, the opened flows, then the closed
ones, each with the rules that decide a representative flow on both sides; then the endpoints,
policies and namespaces that changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netfence.analyses.diff import (
    ChangeExplanation,
    ClusterDiff,
    Decision,
    FlowChange,
    SideExplanation,
)
from netfence.model.origin import Origin
from netfence.report.printable import printable
from netfence.sets.ipranges import IPRangeSet


def endpoints_text(names: tuple[str, ...], addresses: IPRangeSet) -> str:
    """In-cluster names, then external addresses as ipBlock-shaped terms."""
    parts = [printable(n) for n in names] + [str(t) for t in addresses.terms()]
    return ", ".join(parts)


def decision_text(decision: Decision) -> str:
    """``ingress: NetworkPolicy/shop/db spec.ingress[0] Allow``, or why nothing decided."""
    where = decision.direction.value.lower()
    if decision.action is None:
        return f"{where}: {printable(decision.what)}"
    what = printable(decision.what)
    if decision.origin is None and decision.selecting:
        what += f" (selected by {', '.join(printable(p) for p in decision.selecting)})"
    return f"{where}: {what} {decision.action.value}"


def side_text(side: SideExplanation) -> str:
    """``allowed (egress: ...; ingress: ...)``."""
    verdict = "allowed" if side.allowed else "denied"
    return f"{verdict} ({'; '.join(decision_text(d) for d in side.decisions)})"


def explanation_lines(explanation: ChangeExplanation, indent: str) -> list[str]:
    """The representative flow and its verdict on each side."""
    flow = (
        f"{printable(explanation.src)} -> {printable(explanation.dst)} "
        f"{explanation.protocol} {explanation.port}"
    )
    return [
        f"{indent}e.g. {flow}",
        f"{indent}  before: {side_text(explanation.before)}",
        f"{indent}  after:  {side_text(explanation.after)}",
    ]


def origin_text(origin: Origin | None) -> str:
    """Where an object was read, or empty."""
    return f" ({printable(str(origin))})" if origin is not None else ""


def _count(count: int, one: str, many: str) -> str:
    """``1 policy``, ``2 policies``."""
    return f"{count} {one if count == 1 else many}"


def summary_text(diff: ClusterDiff, violations: Sequence[tuple[str, ...]]) -> str:
    """One line: how many opened, closed, forbidden, and what else changed."""
    forbidden = sum(1 for v in violations if v)
    parts = [
        f"{len(diff.opened)} opened",
        f"{len(diff.closed)} closed",
        f"{_count(len(diff.added_endpoints), 'endpoint', 'endpoints')} added",
        f"{len(diff.removed_endpoints)} removed",
        f"{_count(len(diff.policies), 'policy', 'policies')} changed",
    ]
    if forbidden:
        parts.insert(0, f"{forbidden} FORBIDDEN")
    return ", ".join(parts)


def _change_lines(change: FlowChange, forbidden: tuple[str, ...], opened: bool) -> list[str]:
    ports = change.added if opened else change.removed
    mark = "+" if opened else "-"
    line = (
        f"  {mark} {endpoints_text(change.src, change.src_addresses)} => "
        f"{endpoints_text(change.dst, change.dst_addresses)} : {ports.describe()}"
    )
    if opened and forbidden:
        line += f"  FORBIDDEN by {', '.join(printable(f) for f in forbidden)}"
    explanation = change.opened_by if opened else change.closed_by
    assert explanation is not None
    return [line, *explanation_lines(explanation, "      ")]


def render_diff_text(diff: ClusterDiff, violations: Sequence[tuple[str, ...]] = ()) -> str:
    """The diff as text; ``violations`` holds, per change, the --forbid rules it breaks."""
    marks = list(violations) or [()] * len(diff.changes)
    lines = [f"netfence diff ({diff.granularity.value}s): {summary_text(diff, marks)}"]
    if diff.empty:
        lines.append("no change: both sides allow exactly the same flows")
        return "\n".join(lines) + "\n"
    for title, opened in (("Opened", True), ("Closed", False)):
        chosen = [
            (c, v)
            for c, v in zip(diff.changes, marks, strict=True)
            if (c.added if opened else c.removed)
        ]
        if chosen:
            lines.extend(["", f"{title} ({len(chosen)}):"])
            for change, forbidden in chosen:
                lines.extend(_change_lines(change, forbidden, opened))
    for title, endpoints in (
        ("Endpoints only in AFTER", diff.added_endpoints),
        ("Endpoints only in BEFORE", diff.removed_endpoints),
    ):
        if endpoints:
            lines.extend(["", f"{title} ({len(endpoints)}):"])
            lines.extend(f"  {printable(e.name)} ({e.kind})" for e in endpoints)
    if diff.policies:
        lines.extend(["", f"Policies changed ({len(diff.policies)}):"])
        for p in diff.policies:
            where = p.after if p.after is not None else p.before
            lines.append(f"  {p.change.value} {printable(p.key)}{origin_text(where)}")
    if diff.namespaces:
        lines.extend(["", f"Namespaces relabelled ({len(diff.namespaces)}):"])
        lines.extend(
            f"  {printable(ns.name)}: {printable(_labels(ns.before))} -> "
            f"{printable(_labels(ns.after))}"
            for ns in diff.namespaces
        )
    return "\n".join(lines) + "\n"


def _labels(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(none)"
