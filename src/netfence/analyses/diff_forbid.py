"""Flows a diff must not open: ``--forbid SRC->DST[:PORT[/PROTO]]``.

The pattern language is :mod:`netfence.analyses.flow_patterns`. An address-block end
matches an external end whose addresses overlap it; a port limits the rule to flows opened
on that port, and without one any opened port matches. An opened flow matches when some
source and some destination of it match both ends.
"""

from __future__ import annotations

from typing import TypeAlias

from netfence.analyses.diff import ClusterDiff, FlowChange
from netfence.analyses.flow_patterns import FlowEnd, FlowPattern, parse_flow_pattern
from netfence.sets.ipranges import IPRangeSet

ForbidRule: TypeAlias = FlowPattern
"""A flow that must not be opened."""


def breaks(rule: ForbidRule, change: FlowChange) -> bool:
    """Whether what ``change`` opens includes a flow ``rule`` forbids."""
    if not change.added:
        return False
    if rule.port is not None and not change.added.contains(*rule.port):
        return False
    return _end_matches(rule.src, change.src, change.src_addresses) and _end_matches(
        rule.dst, change.dst, change.dst_addresses
    )


def _end_matches(end: FlowEnd, names: tuple[str, ...], addresses: IPRangeSet) -> bool:
    if end.addresses is not None:
        return bool(end.addresses & addresses)
    return any(end.matches_name(n) for n in names)


def parse_forbid(text: str) -> ForbidRule:
    """Parse ``SRC->DST[:PORT[/PROTO]]``; QueryError naming what is wrong."""
    return parse_flow_pattern(text, "--forbid")


def forbidden(diff: ClusterDiff, rules: list[ForbidRule]) -> tuple[tuple[str, ...], ...]:
    """For each change of ``diff`` (in order), the rules (as written) its opened part breaks."""
    return tuple(tuple(r.text for r in rules if breaks(r, c)) for c in diff.changes)
