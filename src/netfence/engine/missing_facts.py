"""Facts the input lacks that verdicts depend on: pod addresses.

Manifests from git carry no pod IPs (``status.podIP`` is filled by the cluster), so a pod
given by its template is matched by selectors only. In the running cluster, an address peer
(an ipBlock, Calico ``nets``, AdminNetworkPolicy ``networks``) whose range holds the pod's
address may match it as well: whether it does is up to the network plugin (ipBlock, API
reference: "may or may not" apply to cluster-internal traffic), and which pods it would
match depends on the addresses they receive. Such rules are listed, so that a verdict that
leans on them is not taken as the cluster's.

Pod addresses are taken from the nodes' pod CIDRs (``spec.podCIDRs``) when the input has
them, otherwise from the private ranges, where pod networks live.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import EndpointClasses
from netfence.model.cluster import Cluster
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies
from netfence.policy.rules import CompiledRule
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet

PRIVATE_RANGES: Final = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
)
"""Where pod networks live when no pod CIDR is known (RFC 1918, RFC 6598 shared space, RFC
4193 unique local IPv6)."""


@dataclass(frozen=True)
class PodAddressSpace:
    """The addresses pods may have, and where that was learnt."""

    ranges: IPRangeSet
    """The ranges."""
    source: str
    """``the nodes' pod CIDRs`` or ``the private ranges; no pod CIDR in the input``."""


@dataclass(frozen=True)
class PodAddressDependency:
    """A rule with an address peer that may hold pod addresses the input does not give."""

    rule: CompiledRule
    """The rule."""
    overlap: IPRangeSet
    """The part of its addresses inside the pod address space."""


def pod_address_space(cluster: Cluster) -> PodAddressSpace:
    """The nodes' pod CIDRs when the input gives some, otherwise the private ranges."""
    cidrs = [cidr for node in cluster.nodes for cidr in node.pod_cidrs]
    if cidrs:
        return PodAddressSpace(IPRangeSet.from_cidrs(cidrs), "the nodes' pod CIDRs")
    return PodAddressSpace(
        IPRangeSet.from_cidrs(PRIVATE_RANGES), "the private ranges; no pod CIDR in the input"
    )


def pods_without_addresses(cluster: Cluster) -> list[int]:
    """Indices of the pod-network pods with no address in the input (templates, pods from
    git); host-network pods take their node's address and are left out."""
    return [i for i, p in enumerate(cluster.pods) if not p.ips and not p.host_network]


def unaddressed_classes(classes: EndpointClasses) -> npt.NDArray[np.bool_]:
    """The classes holding a pod-network pod with no address in the input."""
    pods = classes.cluster.pods
    return np.array(
        [
            any(not pods[m].ips and not pods[m].host_network for m in members)
            for members in classes.members
        ],
        dtype=np.bool_,
    )


def address_dependencies(
    classes: EndpointClasses,
    compiled: CompiledPolicies,
    space: PodAddressSpace,
    direction: Direction | None = None,
    subject: int | npt.NDArray[np.bool_] | None = None,
    peers: npt.NDArray[np.bool_] | None = None,
    ports: Mask | None = None,
) -> Iterator[PodAddressDependency]:
    """Rules (of ``direction``, applying to class ``subject`` or to some class of the mask
    ``subject``, when given) whose address peers reach into the pod address space, in walk
    order.

    A rule that already matches, by its selectors, every class in ``peers`` (by default the
    classes of unaddressed pods) is left out: their addresses could add nothing to it; so
    is one whose ports hold none of ``ports`` (a port mask), when given and the rule names no
    port (a named port resolves on the pod it would match).
    """
    overlapping = classes.ip_atoms.atoms_overlapping(space.ranges)
    count = classes.count
    wanted = unaddressed_classes(classes) if peers is None else peers
    for tier in compiled.tiers:
        for rule in tier.ingress + tier.egress:
            if direction is not None and rule.direction is not direction:
                continue
            applies = (rule.subjects[subject] if subject is not None else rule.subjects).any()
            if not applies:
                continue
            if not (wanted & ~rule.endpoints[:count]).any():
                continue
            if ports is not None and not rule.named and not (rule.static & ports).any():
                continue
            atoms = np.flatnonzero(rule.endpoints[count:] & overlapping)
            if atoms.size:
                found = classes.ip_atoms.range_set(atoms.tolist()) & space.ranges
                if found:
                    yield PodAddressDependency(rule, found)
