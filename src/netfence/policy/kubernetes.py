"""Kubernetes NetworkPolicy (networking.k8s.io/v1) compiled into the rule model.

A policy selects pods of its namespace; a pod some policy selects for a direction is
isolated for it: it is allowed what the union of the selecting policies' rules allows, and
denied the rest (NetworkPolicy API reference, "isolated and non-isolated pods"). So every
rule allows, and the policies form one tier with an end-of-tier deny.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from netfence.model.calico import KUBERNETES_POLICY_ORDER
from netfence.model.cluster import Cluster
from netfence.model.layers import Action, RuleOrigin
from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyRule
from netfence.policy.interface import Capability, PolicyLanguage
from netfence.policy.masks import MaskBuilder
from netfence.policy.rules import CompiledPolicy, CompiledRule, LazyMasks, Placement, PortEntry
from netfence.policy.space import BoolArray, EndpointSpace, Facts
from netfence.sets.ipranges import IPRangeSet


def rule_blocks(rule: PolicyRule) -> IPRangeSet:
    """The union of a rule's ipBlock peers (empty when it has none)."""
    return IPRangeSet.union_of(p.ip_block.addresses for p in rule.peers or () if p.ip_block)


KIND = "NetworkPolicy"
"""The kind a Kubernetes NetworkPolicy's rules are named by."""


class KubernetesLanguage(PolicyLanguage):
    """networking.k8s.io/v1 NetworkPolicy."""

    name = "kubernetes"
    capabilities = (
        Capability("podSelector", True, ""),
        Capability("namespaceSelector", True, ""),
        Capability("ipBlock", True, ""),
        Capability("ports", True, ""),
        Capability("endPort", True, ""),
        Capability("policyTypes", True, ""),
    )

    def facts(self, cluster: Cluster) -> Facts:
        """Pod selectors, ipBlocks, named ports and port spans of every NetworkPolicy."""
        facts = Facts()
        for policy in cluster.policies:
            facts.pod_selectors[policy.pod_selector] = None
            for rule in policy.ingress + policy.egress:
                blocks = rule_blocks(rule)
                if blocks:  # the compiler matches a rule's ipBlocks together
                    facts.addresses.append(blocks)
                for peer in rule.peers or ():
                    if peer.pod_selector is not None:
                        facts.pod_selectors[peer.pod_selector] = None
                for port in rule.ports or ():
                    if isinstance(port.port, str):
                        facts.named_ports[(port.port, port.protocol)] = None
                    elif port.port is not None:
                        facts.spans.append((port.protocol, port.port, port.end_port or port.port))
        return facts

    def compile(self, space: EndpointSpace, masks: MaskBuilder) -> Sequence[CompiledPolicy]:
        """Every NetworkPolicy, placed in the NetworkPolicy tier."""
        compiler = KubernetesCompiler(space, masks)
        return [compiler.policy(p, policy) for p, policy in enumerate(space.cluster.policies)]


class KubernetesCompiler:
    """Compiles NetworkPolicies: selections, peers and port entries into masks."""

    def __init__(self, space: EndpointSpace, masks: MaskBuilder) -> None:
        self.space = space
        self.masks = masks
        self._peer_cache: dict[tuple[object, ...], BoolArray] = {}

    def selected(self, policy: NetworkPolicy) -> BoolArray:
        """Classes a policy applies to: its namespace, its podSelector."""
        return self.masks.in_namespace(policy.namespace) & self.space.pod_selector_mask(
            policy.pod_selector
        )

    def peer(self, peer: Peer, namespace: str) -> BoolArray:
        """Endpoints a NetworkPolicyPeer matches: an ipBlock (also against pod IPs, as CNIs
        enforce it), or pods by pod and namespace selectors (the policy's own namespace when
        no namespaceSelector is given)."""
        scope = namespace if peer.namespace_selector is None and peer.ip_block is None else ""
        key = (peer.pod_selector, peer.namespace_selector, peer.ip_block, scope)
        found = self._peer_cache.get(key)
        if found is not None:
            return found
        if peer.ip_block is not None:
            found = self.masks.addresses(peer.ip_block.addresses)
        else:
            if peer.namespace_selector is None:
                ns_ok = self.masks.in_namespace(namespace)
            else:
                ns_ok = self.masks.namespaces_matching(peer.namespace_selector)[self.space.class_ns]
            if peer.pod_selector is not None:
                ns_ok = ns_ok & self.space.pod_selector_mask(peer.pod_selector)
            found = self.masks.pods(ns_ok)
        self._peer_cache[key] = found
        return found

    def endpoints(self, rule: PolicyRule, namespace: str) -> BoolArray:
        """The endpoints a rule's peers match: their union, or every endpoint without peers.
        The rule's ipBlocks are matched together, as one address set (a rule may list
        thousands; one mask each would cost blocks x endpoints)."""
        if rule.peers is None:
            return self.masks.everything()
        endpoints = self.masks.none()
        for peer in rule.peers:
            if peer.ip_block is None:
                endpoints = endpoints | self.peer(peer, namespace)
        blocks = rule_blocks(rule)
        if blocks:
            endpoints = endpoints | self.masks.addresses(blocks)
        return endpoints

    def rule(
        self, rule: PolicyRule, namespace: str, origin: RuleOrigin, subjects: BoolArray
    ) -> CompiledRule:
        """One rule: the union of its peers, the union of its port entries."""
        atoms = self.space.port_atoms
        endpoints = self.endpoints(rule, namespace)
        listed = rule.peers or ()
        blocks = rule_blocks(rule)

        @functools.cache
        def blocks_mask() -> BoolArray:
            return self.masks.addresses(blocks)

        def peer_mask(i: int) -> BoolArray:
            if listed[i].ip_block is not None:
                return blocks_mask()  # atoms do not split a rule's ipBlocks: one mask for all
            return self.peer(listed[i], namespace)

        peers = LazyMasks(len(listed), peer_mask)
        compiled = CompiledRule(
            origin,
            Action.ALLOW,
            subjects,
            endpoints,
            atoms.full,
            peers=peers,
            peer_sets=tuple(p.ip_block.addresses if p.ip_block else None for p in listed),
            peer_locations=tuple(peer.location for peer in rule.peers or ()),
        )
        if rule.ports is None:
            return compiled
        entries: list[PortEntry] = []
        for port in rule.ports:
            if isinstance(port.port, str):
                entries.append(PortEntry(atoms.empty, ((port.port, port.protocol),), port.location))
            elif port.port is None:
                entries.append(
                    PortEntry(self.masks.span(port.protocol, 1, 65535), (), port.location)
                )
            else:
                end = port.end_port or port.port
                span = self.masks.span(port.protocol, port.port, end)
                entries.append(PortEntry(span, (), port.location))
        compiled.static = atoms.empty.copy()
        for entry in entries:
            compiled.static |= entry.static
            compiled.named.extend(entry.named)
        compiled.port_entries = tuple(entries)
        return compiled

    def policy(self, index: int, policy: NetworkPolicy) -> CompiledPolicy:
        """One policy: its selection and, where it selects a class, its rules."""
        selected = self.selected(policy)
        out = CompiledPolicy(
            KIND,
            policy.namespace,
            policy.name,
            Placement.KUBERNETES,
            KUBERNETES_POLICY_ORDER,
            # Calico orders policies of equal order by name; it names Kubernetes ones so.
            f"knp.default.{policy.name}",
            [],
            [],
            selected if Direction.INGRESS in policy.policy_types else None,
            selected if Direction.EGRESS in policy.policy_types else None,
            policy_index=index,
        )
        if not selected.any():
            return out
        for direction in policy.policy_types:
            for r, rule in enumerate(policy.rules(direction)):
                origin = RuleOrigin(
                    KIND, policy.namespace, policy.name, direction, r, location=rule.location
                )
                compiled = self.rule(rule, policy.namespace, origin, selected)
                compiled.policy_index = index
                out.rules(direction).append(compiled)
        return out
