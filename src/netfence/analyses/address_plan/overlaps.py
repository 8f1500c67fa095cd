"""NF201: ranges of the plan that must be distinct and share addresses.

Every routable range is compared with every other, and each cluster's pod and service CIDRs
with every routable range and with each other. Pod and service CIDRs of different clusters
are never compared: they are overlays, not routed, and AKS Arc's fixed service CIDR is the
same in every cluster by design.
"""

from __future__ import annotations

from collections.abc import Iterator

from netfence.analyses.address_plan.catalog import OVERLAP
from netfence.analyses.address_plan.ranges import (
    EXPECTED_CONTAINMENT,
    LEFT_TO_OTHER_CHECKS,
    PlannedRange,
    Role,
    overlay_ranges,
    range_texts,
    routable_ranges,
)
from netfence.model.address_plan import AddressPlan
from netfence.model.findings import Finding


def overlap_findings(plan: AddressPlan) -> Iterator[Finding]:
    """One NF201 finding per pair of ranges that must be distinct and overlap."""
    routable = list(routable_ranges(plan))
    for i, first in enumerate(routable):
        for second in routable[i + 1 :]:
            yield from _pair(first, second)
    for cluster in plan.clusters:
        overlays = list(overlay_ranges(cluster))
        for overlay in overlays:
            for other in routable:
                yield from _pair(overlay, other)
        if len(overlays) == 2:
            yield from _pair(overlays[0], overlays[1])


def _expected(inner: PlannedRange, outer: PlannedRange) -> bool:
    return (inner.role, outer.role) in EXPECTED_CONTAINMENT and inner.addresses.issubset(
        outer.addresses
    )


def _pair(first: PlannedRange, second: PlannedRange) -> Iterator[Finding]:
    shared = first.addresses & second.addresses
    if not shared or first.ref.key == second.ref.key and first.field == second.field:
        return
    if frozenset({first.role, second.role}) in LEFT_TO_OTHER_CHECKS:
        return
    if _expected(first, second) or _expected(second, first):
        return
    rule = _rule(first, second)
    overlap = range_texts(shared)
    yield Finding(
        OVERLAP,
        f"{first.label} ({', '.join(range_texts(first.addresses))}) and {second.label}"
        f" ({', '.join(range_texts(second.addresses))}) share {', '.join(overlap)}: {rule}",
        (first.ref, second.ref),
        evidence={
            "first": first.evidence(),
            "second": second.evidence(),
            "overlap": overlap,
            "rule": rule,
        },
        detail_key=f"{first.ref.key} {first.field}|{second.ref.key} {second.field}",
    )


def _rule(first: PlannedRange, second: PlannedRange) -> str:
    roles = {first.role, second.role}
    for inner, outer in ((first, second), (second, first)):
        if (inner.role, outer.role) in EXPECTED_CONTAINMENT:
            return (
                f"a {inner.role.value} belongs wholly inside the {outer.role.value}; this one"
                " straddles its edge"
            )
    if roles & {Role.POD, Role.SERVICE}:
        return (
            "a cluster's pod and service CIDRs must overlap neither each other nor any"
            " routable network: addresses in both are never routed to the network (AKS-IP)"
        )
    if Role.MANAGEMENT in roles:
        return "the management network is kept apart from every other network (AKS-NET)"
    return "the plan's routable ranges must be distinct (AKS-IP)"
