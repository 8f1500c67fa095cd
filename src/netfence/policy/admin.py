"""AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy compiled into the
rule model (policy.networking.k8s.io).

Policies of a tier are ordered by priority (lower first), rules in written order; the first
rule that matches decides: Allow (ClusterNetworkPolicy ``Accept``) and Deny are final, Pass
hands the connection to the next tier. A tier has no end-of-tier deny: what it leaves
undecided goes on. Subjects and pod peers are pods on the pod network (host-networked pods
are neither).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from netfence.model.adminpolicy import AdminNetworkPolicy, AdminPeer, AdminPeerKind, AdminTier
from netfence.model.cluster import Cluster
from netfence.model.layers import RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.model.selectors import LabelSelector
from netfence.policy.interface import Capability, DroppedUse, PolicyLanguage
from netfence.policy.masks import MaskBuilder
from netfence.policy.rules import CompiledPolicy, CompiledRule, LazyMasks, Placement, PortEntry
from netfence.policy.space import BoolArray, EndpointSpace, Facts, NamedPort
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import KUBERNETES_PROTOCOLS


def node_ips(cluster: Cluster, selector: LabelSelector) -> list[str]:
    """Addresses of the nodes a label selector matches."""
    return [ip for node in cluster.nodes if selector.matches(node.labels) for ip in node.addresses]


def node_addresses(cluster: Cluster, selector: LabelSelector) -> IPRangeSet:
    """The addresses of the nodes a label selector matches, as a set."""
    return IPRangeSet.from_addresses(node_ips(cluster, selector))


class AdminLanguage(PolicyLanguage):
    """The AdminNetworkPolicy API family."""

    name = "admin"
    capabilities = (
        Capability("subject", True, ""),
        Capability("namespaces", True, ""),
        Capability("pods", True, ""),
        Capability("networks", True, ""),
        Capability("nodes", True, ""),
        Capability("ports", True, ""),
        Capability("priority", True, ""),
        Capability(
            "domainNames",
            False,
            "domainNames peers are not resolved (no DNS answers are in the input): they match "
            "nothing here, so an Allow with them may under-state and a Deny with them may "
            "over-state what is reachable",
        ),
    )

    def facts(self, cluster: Cluster) -> Facts:
        """Selectors, networks, node addresses, named ports and port spans of every policy."""
        facts = Facts()
        for admin in cluster.admin_policies:
            if admin.subject.pod_selector is not None:
                facts.pod_selectors[admin.subject.pod_selector] = None
            for rule in admin.ingress + admin.egress:
                for peer in rule.peers:
                    if peer.pod_selector is not None:
                        facts.pod_selectors[peer.pod_selector] = None
                    if peer.kind is AdminPeerKind.NETWORKS:
                        facts.addresses.append(peer.addresses)
                    if peer.node_selector is not None:
                        facts.addresses.append(node_addresses(cluster, peer.node_selector))
                for port in rule.ports or ():
                    if port.named is not None:
                        for proto in KUBERNETES_PROTOCOLS:  # the container port's own protocol
                            facts.named_ports[(port.named, proto)] = None
                    elif port.start is not None and port.protocol is not None:
                        facts.spans.append((port.protocol, port.start, port.end or port.start))
        return facts

    def compile(self, space: EndpointSpace, masks: MaskBuilder) -> Sequence[CompiledPolicy]:
        """Every policy, placed in the Admin or the Baseline tier."""
        compiler = AdminCompiler(space, masks)
        return [compiler.policy(p, policy) for p, policy in enumerate(space.cluster.admin_policies)]

    def dropped_uses(self, cluster: Cluster) -> list[DroppedUse]:
        """Peers naming domainNames."""
        out: list[DroppedUse] = []
        for policy in cluster.admin_policies:
            for direction, rules in (
                (Direction.INGRESS, policy.ingress),
                (Direction.EGRESS, policy.egress),
            ):
                field = "from" if direction is Direction.INGRESS else "to"
                for r, rule in enumerate(rules):
                    out.extend(
                        DroppedUse(
                            self.capability("domainNames"),
                            policy.kind,
                            None,
                            policy.name,
                            f"spec.{direction.value.lower()}[{r}].{field}[{k}].domainNames",
                            peer.location or rule.location,
                            RuleOrigin(
                                policy.kind,
                                None,
                                policy.name,
                                direction,
                                r,
                                peer_index=k,
                                location=peer.location or rule.location,
                                rule_name=rule.name or None,
                            ),
                            rule.action,
                        )
                        for k, peer in enumerate(rule.peers)
                        if peer.kind is AdminPeerKind.DOMAIN_NAMES
                    )
        return out


class AdminCompiler:
    """Compiles the family's subjects, peers and ports into masks."""

    def __init__(self, space: EndpointSpace, masks: MaskBuilder) -> None:
        self.space = space
        self.masks = masks
        pods = space.cluster.pods
        # Host-networked pods are never subjects or pod peers of this API family.
        self.pod_network = np.array(
            [not pods[m[0]].host_network for m in space.members], dtype=np.bool_
        )

    def _pods(self, namespaces: BoolArray, pod_selector: LabelSelector | None) -> BoolArray:
        mask = namespaces[self.space.class_ns] & self.pod_network
        if pod_selector is not None:
            mask = mask & self.space.pod_selector_mask(pod_selector)
        return mask

    def subjects(self, policy: AdminNetworkPolicy) -> BoolArray:
        """Classes the policy applies to."""
        subject = policy.subject
        namespaces = self.masks.namespaces_matching(subject.namespace_selector)
        return self._pods(namespaces, subject.pod_selector)

    def peer(self, peer: AdminPeer) -> BoolArray:
        """Endpoints a peer matches: pods by selectors, networks and node addresses (also
        against pod IPs); a domainNames peer matches nothing (see ``capabilities``)."""
        if peer.kind in (AdminPeerKind.NAMESPACES, AdminPeerKind.PODS):
            assert peer.namespace_selector is not None
            namespaces = self.masks.namespaces_matching(peer.namespace_selector)
            return self.masks.pods(self._pods(namespaces, peer.pod_selector))
        if peer.kind is AdminPeerKind.NETWORKS:
            return self.masks.addresses(peer.addresses)
        if peer.node_selector is not None:
            return self.masks.addresses(node_addresses(self.space.cluster, peer.node_selector))
        return self.masks.none()

    def peer_addresses(self, peer: AdminPeer) -> IPRangeSet | None:
        """The address set of a networks or nodes peer; None for pod peers."""
        if peer.kind is AdminPeerKind.NETWORKS:
            return peer.addresses
        if peer.node_selector is not None:
            return node_addresses(self.space.cluster, peer.node_selector)
        return None

    def _peer_at(self, peers: tuple[AdminPeer, ...], index: int) -> BoolArray:
        return self.peer(peers[index])

    def policy(self, index: int, policy: AdminNetworkPolicy) -> CompiledPolicy:
        """Compile one policy."""
        atoms = self.space.port_atoms
        subjects = self.subjects(policy)
        out = CompiledPolicy(
            policy.kind,
            None,
            policy.name,
            Placement.ADMIN if policy.tier is AdminTier.ADMIN else Placement.BASELINE,
            float(policy.priority),
            policy.name,
            [],
            [],
            subjects if policy.ingress else None,
            subjects if policy.egress else None,
            policy_index=index,
        )
        for direction, rules in (
            (Direction.INGRESS, policy.ingress),
            (Direction.EGRESS, policy.egress),
        ):
            for r, rule in enumerate(rules):
                endpoints = self.masks.none()
                for peer in rule.peers:
                    endpoints = endpoints | self.peer(peer)
                peers = LazyMasks(len(rule.peers), functools.partial(self._peer_at, rule.peers))
                peer_sets = tuple(self.peer_addresses(peer) for peer in rule.peers)
                entries: list[PortEntry] = []
                for port in rule.ports or ():
                    if port.named is not None:
                        named: tuple[NamedPort, ...] = tuple(
                            (port.named, proto) for proto in KUBERNETES_PROTOCOLS
                        )
                        entries.append(PortEntry(atoms.empty, named, port.location))
                    elif port.start is not None and port.protocol is not None:
                        span = self.masks.span(port.protocol, port.start, port.end or port.start)
                        entries.append(PortEntry(span, (), port.location))
                if rule.ports is None:
                    static = atoms.full
                else:
                    static = atoms.empty.copy()
                    for entry in entries:
                        static |= entry.static
                origin = RuleOrigin(
                    policy.kind,
                    None,
                    policy.name,
                    direction,
                    r,
                    location=rule.location,
                    rule_name=rule.name or None,
                )
                compiled = CompiledRule(
                    origin,
                    rule.action,
                    subjects,
                    endpoints,
                    static,
                    named=[n for entry in entries for n in entry.named],
                    peers=peers,
                    peer_sets=peer_sets,
                    peer_locations=tuple(peer.location for peer in rule.peers),
                    port_entries=tuple(entries),
                    policy_index=index,
                )
                out.rules(direction).append(compiled)
        return out
