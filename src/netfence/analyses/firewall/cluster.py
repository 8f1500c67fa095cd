"""What a cluster's own objects say about the firewalls on its path: the addresses it leaves
with, and the external egress its policies allow.

Pods leave the cluster with their node's address (SNAT) unless the destination is in a range
reached without it (``--no-snat``), so a perimeter layer sees node addresses; a layer that sees
pod addresses (``FirewallLayer.sees_pod_addresses``) sees the pods' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from netfence.analyses.connectivity_map import ConnectivityMap, Granularity, connectivity_map
from netfence.model.cluster import Cluster
from netfence.model.endpoints import Feature
from netfence.model.firewall import Destinations, RequiredFlow, TrafficDirection
from netfence.sets.ipranges import IPRangeSet

WIDEST_NEED: Final = {4: 8, 6: 32}
"""Per family, the shortest prefix a policy's external range may have and still state a need
(a /8 for IPv4, a /32 for IPv6): ``0.0.0.0/0`` says "anywhere", not that anywhere is needed,
and a firewall is right to narrow it."""


ARC_NAMESPACE: Final = "azure-arc"
"""Where the Arc agents run."""

OPTIONAL_AGENTS: Final = {
    "clusterconnect-agent": Feature.CLUSTER_CONNECT,
    "guard": Feature.AZURE_RBAC,
}
"""The optional Arc agents, by Deployment name, and the feature each is deployed for (the
other agents run on every connected cluster: reference azure-network.md, A)."""


def deployed_features(cluster: Cluster) -> dict[Feature, str]:
    """The features whose optional agent the cluster runs, each with the Deployment that
    shows it (``azure-arc/guard``)."""
    found: dict[Feature, str] = {}
    for workload in cluster.workloads:
        feature = OPTIONAL_AGENTS.get(workload.name)
        if workload.namespace == ARC_NAMESPACE and workload.kind == "Deployment" and feature:
            found.setdefault(feature, f"{workload.namespace}/{workload.name}")
    return found


@dataclass(frozen=True)
class ClusterAddresses:
    """The addresses a cluster's flows carry on the path."""

    nodes: IPRangeSet | None
    """The nodes' addresses (what a perimeter layer sees after SNAT); None when the input
    names no node address."""
    pods: IPRangeSet | None
    """The pods' own addresses; None when the input gives no pod IP."""


def cluster_addresses(cluster: Cluster) -> ClusterAddresses:
    """The node and pod addresses the cluster's objects name."""
    nodes = [a for node in cluster.nodes for a in node.addresses]
    nodes.extend(cluster.host_addresses)
    pods = [ip for pod in cluster.pods for ip in pod.ips]
    return ClusterAddresses(
        IPRangeSet.from_addresses(nodes) if nodes else None,
        IPRangeSet.from_addresses(pods) if pods else None,
    )


def policy_egress(
    cluster: Cluster,
    addresses: ClusterAddresses,
    no_snat: IPRangeSet | None = None,
    cmap: ConnectivityMap | None = None,
) -> list[RequiredFlow]:
    """The external egress the cluster's policies allow, one flow per connection of the
    workload map, limited to ranges that state a need (see ``WIDEST_NEED``) and leaving out
    the nodes' own network (a range holding a node's address).

    Each flow's sources are what the firewall sees: the nodes' addresses, or the pods' own
    for destinations reached without SNAT.
    """
    cmap = cmap if cmap is not None else connectivity_map(cluster, Granularity.WORKLOAD)
    external = {e.name for e in cmap.endpoints if e.kind == "IPRange"}
    out: list[RequiredFlow] = []
    for connection in cmap.connections:
        senders = [s for s in connection.src if s not in external]
        ranges = IPRangeSet.from_cidrs(
            [d for d in connection.dst if d in external and not _local(d, addresses.nodes)]
        )
        if not senders or not ranges or _wide(ranges):
            continue
        reason = f"the cluster's policies let {_names(senders)} send to it"
        # Numbered by connection, so that a generated rule's name says where it comes from.
        entry = f"policy-egress-{len({f.entry_id for f in out}) + 1}"
        for part, sources in _by_snat(ranges, addresses, no_snat):
            out.append(
                RequiredFlow(
                    TrafficDirection.OUTBOUND,
                    Destinations(addresses=part),
                    connection.allowed,
                    reason=reason,
                    entry_id=entry,
                    sources=sources,
                )
            )
    return out


def _local(cidr: str, nodes: IPRangeSet | None) -> bool:
    """Whether a policy's external range holds a node's address: the nodes' own network
    (the API server, the node ports), reached without crossing a perimeter layer."""
    return nodes is not None and bool(IPRangeSet.from_cidrs([cidr]) & nodes)


def _wide(ranges: IPRangeSet) -> bool:
    """Whether a policy's external destinations are wider than a stated need: more
    addresses, in either family, than the widest prefix of ``WIDEST_NEED`` holds."""
    for version, bits in ((4, 32), (6, 128)):
        size = sum(hi - lo + 1 for lo, hi in ranges.family(version))
        if size > 1 << (bits - WIDEST_NEED[version]):
            return True
    return False


def _by_snat(
    ranges: IPRangeSet, addresses: ClusterAddresses, no_snat: IPRangeSet | None
) -> list[tuple[IPRangeSet, IPRangeSet | None]]:
    """The ranges split by the source the firewall sees for them."""
    if no_snat is None or not ranges & no_snat:
        return [(ranges, addresses.nodes)]
    parts = [(ranges & no_snat, addresses.pods)]
    if ranges - no_snat:
        parts.append((ranges - no_snat, addresses.nodes))
    return parts


def _names(names: Sequence[str], shown: int = 3) -> str:
    """``a, b and 2 more``."""
    listed = ", ".join(names[:shown])
    more = len(names) - shown
    return f"{listed} and {more} more" if more > 0 else listed
