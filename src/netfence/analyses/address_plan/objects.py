"""NF212: what a cluster's own objects reveal about its addresses, against the plan.

Node addresses (Node ``status.addresses``, pods' ``hostIPs``, host-network pods' IPs) belong
in an lnet IP pool; pod IPs of the other pods in the cluster's pod CIDRs; Service cluster IPs
in its service CIDR; LoadBalancer IPs in a load-balancer pool. The manifests describe one
cluster: it is matched to the plan's cluster whose ranges hold most of their addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from netfence.analyses.address_plan.catalog import OUTSIDE_PLAN
from netfence.analyses.address_plan.ranges import cluster_ref, plan_ref, range_texts
from netfence.model.address_plan import AddressPlan, ClusterPlan
from netfence.model.cluster import Cluster
from netfence.model.findings import Finding, ResourceRef, Severity
from netfence.sets.ipranges import IPRangeSet

SAMPLES: Final = 5
"""Objects named per finding; the rest are counted."""


@dataclass(frozen=True)
class Observed:
    """One address an object of the cluster holds."""

    ref: ResourceRef
    """The object."""
    address: str
    """The address."""


@dataclass(frozen=True)
class _Kinds:
    nodes: tuple[Observed, ...]
    pods: tuple[Observed, ...]
    cluster_ips: tuple[Observed, ...]
    load_balancer_ips: tuple[Observed, ...]


def _observed(cluster: Cluster) -> _Kinds:
    nodes = [
        Observed(ResourceRef("Node", None, n.name, n.location), a)
        for n in cluster.nodes
        for a in n.addresses
    ]
    pods: list[Observed] = []
    for pod in cluster.pods:
        if pod.is_template:
            continue
        ref = ResourceRef("Pod", pod.namespace, pod.name, pod.location)
        nodes.extend(Observed(ref, a) for a in pod.host_ips)
        (nodes if pod.host_network else pods).extend(Observed(ref, a) for a in pod.ips)
    services = [
        (ResourceRef("Service", s.namespace, s.name, s.location), s) for s in cluster.services
    ]
    return _Kinds(
        tuple(nodes),
        tuple(pods),
        tuple(Observed(r, a) for r, s in services for a in s.cluster_ips),
        tuple(Observed(r, a) for r, s in services for a in s.load_balancer_ips),
    )


def _node_pools(plan: AddressPlan) -> IPRangeSet:
    return IPRangeSet.union_of(n.pool_addresses() for n in plan.logical_networks)


def _held(observed: tuple[Observed, ...], addresses: IPRangeSet) -> int:
    return sum(1 for o in observed if addresses.contains(o.address))


def _score(plan: AddressPlan, plan_cluster: ClusterPlan, kinds: _Kinds) -> int:
    lnet = plan.logical_network(plan_cluster.logical_network or "")
    score = _held(kinds.pods, IPRangeSet.from_cidrs(plan_cluster.pod_cidrs))
    score += _held(kinds.cluster_ips, IPRangeSet.from_cidrs(plan_cluster.service_cidrs))
    if lnet is not None:
        score += _held(kinds.nodes, lnet.pool_addresses())
    if plan_cluster.control_plane_ip is not None:
        score += _held(kinds.nodes, IPRangeSet.from_addresses([plan_cluster.control_plane_ip]))
    return score


def match_cluster(plan: AddressPlan, cluster: Cluster) -> tuple[ClusterPlan | None, list[str]]:
    """The plan's cluster the manifests are (the one whose ranges hold most of their
    addresses; the first of a tie), and the other clusters that fit as well."""
    if not plan.clusters:
        return None, []
    kinds = _observed(cluster)
    scores = [(_score(plan, c, kinds), c) for c in plan.clusters]
    best = max(score for score, _ in scores)
    tied = [c for score, c in scores if score == best]
    return tied[0], [c.name for c in tied[1:]]


def outside_plan_findings(plan: AddressPlan, cluster: Cluster) -> Iterator[Finding]:
    """One NF212 finding per kind of object whose addresses fall outside the plan."""
    kinds = _observed(cluster)
    matched, also = match_cluster(plan, cluster)
    context = {"matched_cluster": matched.name if matched is not None else None}
    if also:
        context["also_matching"] = ", ".join(also)
    anchor = cluster_ref(matched) if matched is not None else plan_ref(plan)
    checks = [
        (
            "node addresses",
            kinds.nodes,
            _node_pools(plan),
            "every lnet IP pool",
            bool(plan.logical_networks),
        ),
        (
            "LoadBalancer IPs",
            kinds.load_balancer_ips,
            IPRangeSet.union_of(p.addresses() for p in plan.load_balancer_pools),
            "every load-balancer pool",
            bool(plan.load_balancer_pools),
        ),
    ]
    pod_cidrs = matched.pod_cidrs if matched is not None else ()
    service_cidrs = matched.service_cidrs if matched is not None else ()
    owner = f"cluster {matched.name}" if matched is not None else "any cluster (the plan has none)"
    checks += [
        (
            "pod IPs",
            kinds.pods,
            IPRangeSet.from_cidrs(pod_cidrs),
            f"the pod CIDR of {owner}",
            bool(pod_cidrs),
        ),
        (
            "Service cluster IPs",
            kinds.cluster_ips,
            IPRangeSet.from_cidrs(service_cidrs),
            f"the service CIDR of {owner}",
            bool(service_cidrs),
        ),
    ]
    for what, observed, allowed, where, planned in checks:
        if not observed:
            continue
        if not planned:
            yield _undecided(what, observed, where, anchor, context)
            continue
        outside = [o for o in observed if not allowed.contains(o.address)]
        if outside:
            yield _outside(what, outside, allowed, where, anchor, context)


def _samples(observed: list[Observed]) -> tuple[str, list[dict[str, str]]]:
    shown = [{"object": o.ref.key, "address": o.address} for o in observed[:SAMPLES]]
    text = ", ".join(f"{s['object']} {s['address']}" for s in shown)
    if len(observed) > SAMPLES:
        text += f" and {len(observed) - SAMPLES} more"
    return text, shown


def _outside(
    what: str,
    outside: list[Observed],
    allowed: IPRangeSet,
    where: str,
    anchor: ResourceRef,
    context: dict[str, str | None],
) -> Finding:
    text, shown = _samples(outside)
    objects = list(dict.fromkeys(o.ref.key for o in outside))
    refs = list({o.ref.key: o.ref for o in outside}.values())[:SAMPLES]
    return Finding(
        OUTSIDE_PLAN,
        f"{len(outside)} {what} of {len(objects)} object(s) lie outside {where}: {text}"
        f"{_matched_text(context)}",
        (anchor, *refs),
        evidence={
            **context,
            "kind": what,
            "count": len(outside),
            "objects": len(objects),
            "samples": shown,
            "planned": range_texts(allowed),
        },
        detail_key=what,
    )


def _undecided(
    what: str,
    observed: tuple[Observed, ...],
    where: str,
    anchor: ResourceRef,
    context: dict[str, str | None],
) -> Finding:
    """The objects hold addresses the plan gives nothing to check against: said, not skipped."""
    return Finding(
        OUTSIDE_PLAN,
        f"cannot decide whether {len(observed)} {what} fit the plan: it plans nothing to"
        f" hold them ({where})"
        f"{_matched_text(context)}",
        (anchor,),
        evidence={**context, "kind": what, "count": len(observed), "undecided": True},
        severity=Severity.INFO,
        detail_key=f"{what} undecided",
    )


def _matched_text(context: dict[str, str | None]) -> str:
    name = context.get("matched_cluster")
    if name is None:
        return ""
    also = context.get("also_matching")
    return f" (the manifests matched plan cluster {name}" + (
        f"; {also} fit as well)" if also else ")"
    )
