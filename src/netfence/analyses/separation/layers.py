"""The firewall layers between a source and a destination outside the cluster: how the
layers see the source (SNAT to the nodes, the pods' own addresses, a data network), each
layer's verdict with its deciding rules, and the words and evidence that name them."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

# The module, not its names: analyses.firewall.check imports the audit package, which imports
# this one, so its names exist only once it has finished loading (they are used at call time).
from netfence.analyses.firewall import check as firewall_check
from netfence.analyses.firewall.path import (
    OUT,
    ClusterEnd,
    FirewallPath,
    LayerPassage,
    Translation,
    all_node_addresses,
    trace,
)
from netfence.analyses.separation import evidence as ev
from netfence.analyses.separation.targets import addresses_text, ports_text
from netfence.engine.firewall import Verdict
from netfence.model.address_plan import AddressPlan, NamedNetwork, Snat
from netfence.model.cluster import Cluster, Pod
from netfence.model.findings import ResourceRef
from netfence.model.firewall import FirewallLayer
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet


def _families(addresses: IPRangeSet) -> set[int]:
    return {v for v in (4, 6) if addresses.family(v)}


def _of_families(addresses: IPRangeSet | None, families: set[int]) -> IPRangeSet | None:
    if addresses is None:
        return None
    kept = IPRangeSet.union_of(
        addresses & IPRangeSet.whole_family(v) for v in families if addresses.family(v)
    )
    return kept or None


def _pod_addresses(plan: AddressPlan | None, pods: Sequence[Pod]) -> IPRangeSet | None:
    own = [ip for pod in pods for ip in pod.ips]
    if own:
        return IPRangeSet.from_addresses(str(ipaddress.ip_address(ip)) for ip in own)
    if plan is not None and plan.clusters:
        return IPRangeSet.from_cidrs([c for cluster in plan.clusters for c in cluster.pod_cidrs])
    return None


def _node_addresses(plan: AddressPlan | None, cluster: Cluster, pods: Sequence[Pod]) -> IPRangeSet:
    hosts = [ip for pod in pods for ip in pod.host_ips]
    if hosts:
        return IPRangeSet.from_addresses(str(ipaddress.ip_address(ip)) for ip in hosts)
    found = IPRangeSet.from_addresses(
        str(ipaddress.ip_address(a)) for a in all_node_addresses(cluster)
    )
    return found | plan.node_addresses() if plan is not None else found


def workload_end(
    plan: AddressPlan | None, cluster: Cluster, pods: Sequence[Pod], destination: IPRangeSet
) -> ClusterEnd:
    """How the layers see pods bound for ``destination``: their nodes' addresses under SNAT
    (the plan's default; a perimeter layer sees those), else their own addresses; a layer
    before SNAT sees the pods' own (their IPs, else the plan's pod CIDRs)."""
    families = _families(destination)
    own = _of_families(_pod_addresses(plan, pods), families)
    if plan is not None and plan.snat is Snat.NONE:
        if own is None:
            text = "any address (no SNAT, as the plan says, and the pods' addresses are unknown)"
            return ClusterEnd(Translation.UNKNOWN, None, None, text)
        text = f"the pods' own addresses {addresses_text(own)} (no SNAT, as the plan says)"
        return ClusterEnd(Translation.NO_SNAT, own, own, text)
    nodes = _of_families(_node_addresses(plan, cluster, pods), families)
    if nodes is None:
        text = (
            "any address (SNAT to the pod's node, and no node address is known: no Node, "
            "hostIP or plan IP pool)"
        )
        return ClusterEnd(Translation.UNKNOWN, None, own, text)
    text = f"the node addresses {addresses_text(nodes)} (SNAT: pods leave the cluster with their node's address)"
    return ClusterEnd(Translation.SNAT, nodes, own, text)


def lnet_prefixes(plan: AddressPlan | None) -> IPRangeSet:
    """The prefixes of the lnets the plan's clusters are placed on."""
    if plan is None:
        return IPRangeSet()
    used = {c.logical_network for c in plan.clusters}
    return IPRangeSet.union_of(n.addresses() for n in plan.logical_networks if n.name in used)


def network_end(network: NamedNetwork) -> ClusterEnd:
    """A plan network as the source end of a flow: its own prefixes, before and after any
    translation (a layer judges them as the sources of outbound rules)."""
    addresses = network.addresses()
    text = f"data network {network.name}'s own addresses {', '.join(network.cidrs)}"
    return ClusterEnd(Translation.GIVEN, addresses, addresses, text)


@dataclass
class Paths:
    """Traces through one sequence of layers, each computed once (workloads share ends)."""

    layers: Sequence[FirewallLayer]
    """The layers, in the order an outbound flow crosses them."""
    local: IPRangeSet = field(default_factory=IPRangeSet)
    """The clusters' own lnet prefixes: reached from the nodes without a router, so only the
    layers on the nodes themselves (``sees_pod_addresses``) are on the path there."""
    _traced: dict[tuple[ClusterEnd, IPRangeSet, PortSet, bool], FirewallPath] = field(
        default_factory=dict
    )

    def on_path(self, destination: IPRangeSet) -> list[tuple[IPRangeSet, bool]]:
        """``destination`` split into the part on the clusters' lnets (True: node layers
        only) and the routed rest (False: every layer)."""
        parts = [(destination & self.local, True), (destination - self.local, False)]
        return [(addresses, local) for addresses, local in parts if addresses]

    def layers_to(self, local: bool) -> tuple[FirewallLayer, ...]:
        """The layers on the path to the lnets (``local``) or to routed destinations."""
        return tuple(x for x in self.layers if x.sees_pod_addresses or not local)

    def trace(
        self, end: ClusterEnd, destination: IPRangeSet, asked: PortSet, local: bool = False
    ) -> FirewallPath:
        """The outbound path from ``end`` to ``destination`` on ``asked``, through the layers
        on it (see :meth:`layers_to`)."""
        key = (end, destination, asked, local)
        if key not in self._traced:
            self._traced[key] = trace(self.layers_to(local), OUT, end, destination, asked)
        return self._traced[key]


def _letting(passage: LayerPassage, ports: PortSet) -> tuple[str, ...]:
    """The rules of a layer that let ``ports`` through (``default`` for its default)."""
    order = {id(rule): i for i, rule in enumerate(passage.layer.rules)}
    letting = sorted(
        (p for p in passage.parts if p.verdict is Verdict.ALLOW and p.ports & ports),
        key=lambda p: order.get(id(p.rule), len(order)),
    )
    names = [firewall_check.rule_name(p.rule) if p.rule is not None else "default" for p in letting]
    return tuple(dict.fromkeys(names))


def _reasons(passage: LayerPassage) -> tuple[str, ...]:
    found = [r for p in passage.parts if p.verdict is Verdict.UNDECIDED for r in p.reasons]
    return tuple(dict.fromkeys(found))


def path_evidence(path: FirewallPath) -> ev.PathEvidence:
    """The path as evidence: each layer with the rules that let the flow's ports through."""
    through = path.allowed | path.undecided
    steps = tuple(
        ev.LayerStep(
            passage.layer.name,
            _letting(passage, through),
            (passage.ports(Verdict.ALLOW) & path.asked).describe(),
            passage.ports(Verdict.DENY).describe() if passage.ports(Verdict.DENY) else "",
            passage.ports(Verdict.UNDECIDED).describe() if passage.ports(Verdict.UNDECIDED) else "",
            _reasons(passage),
        )
        for passage in path.layers
    )
    return ev.PathEvidence(
        path.cluster_end.text,
        steps,
        path.allowed.describe() if path.allowed else "",
        path.undecided.describe() if path.undecided else "",
    )


def path_text(path: FirewallPath) -> str:
    """``through fw (fw: rules[2]), then perimeter (default); the layers see ...`` for the
    ports that pass, and what cannot be decided, and why."""
    through = path.allowed | path.undecided
    parts = []
    for passage in path.layers:
        rules = _letting(passage, through)
        parts.append(f"{passage.layer.name} ({', '.join(rules) or 'nothing'})")
    text = f"through {', then '.join(parts)}; the layers see {path.cluster_end.text}"
    if path.undecided:
        reasons = [r for p in path.layers for r in _reasons(p)]
        why = f": {'; '.join(dict.fromkeys(reasons))}" if reasons else ""
        text += f"; cannot decide {ports_text(path.undecided)}{why}"
    return text


def allowing_resources(path: FirewallPath) -> list[ResourceRef]:
    """The rules of every layer on the path that let some of its passing ports through."""
    through = path.allowed | path.undecided
    found = []
    for passage in path.layers:
        for part in passage.parts:
            if part.verdict is Verdict.ALLOW and part.rule is not None and part.ports & through:
                index = next(i for i, r in enumerate(passage.layer.rules) if r is part.rule)
                found.append(firewall_check.rule_resource(passage.layer, index))
    return found
