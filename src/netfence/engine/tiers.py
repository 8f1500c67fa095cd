"""Arrange every policy language into ordered tiers of compiled rules.

Order of evaluation, for each direction:

- AdminNetworkPolicy and ClusterNetworkPolicy tier Admin (by priority, rules in order). Allow
  and Deny are final; Pass and no match move on (no end-of-tier deny).
- Without Calico: Kubernetes NetworkPolicy (union tier with isolation).
  With Calico: Calico's tiers by order (a Tier's ``order``, lower first, unordered last; the
  ``default`` tier at 1,000,000 holds Kubernetes NetworkPolicies at order 1000); within a
  tier, policies by order then name, rules in order; undecided traffic of the endpoints a
  tier's policies select is denied at the end of the tier unless its defaultAction is Pass.
  As Calico places them, the Admin tier sits at order 1,000 and Baseline at 10,000,000.
- BaselineAdminNetworkPolicy and ClusterNetworkPolicy tier Baseline (by priority).
- Then default allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from netfence.engine.calico_ports import rule_values
from netfence.engine.classes import node_ips
from netfence.engine.compiler import BoolArray, CompiledRule, CompiledTier, PolicyCompiler
from netfence.model.adminpolicy import AdminNetworkPolicy, AdminPeer, AdminPeerKind, AdminTier
from netfence.model.calico import (
    DEFAULT_TIER,
    DEFAULT_TIER_ORDER,
    KUBERNETES_POLICY_ORDER,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
)
from netfence.model.calico_selector import All, Global, Selector
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.model.selectors import LabelSelector
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import KUBERNETES_PROTOCOLS

ADMIN_TIER_ORDER = 1_000.0
"""Where Calico places the Admin tier among its tiers (``kube-admin``)."""
BASELINE_TIER_ORDER = 10_000_000.0
"""Where Calico places the Baseline tier among its tiers (``kube-baseline``)."""
ADMIN_TIER_NAMES = ("kube-admin", "adminnetworkpolicy")
"""Calico's names for the tier that holds the Admin tier (3.32+, then 3.30/3.31)."""
BASELINE_TIER_NAMES = ("kube-baseline", "baselineadminnetworkpolicy")
"""Calico's names for the tier that holds the Baseline tier."""
BUILTIN_TIERS = {
    **dict.fromkeys(ADMIN_TIER_NAMES, ADMIN_TIER_ORDER),
    **dict.fromkeys(BASELINE_TIER_NAMES, BASELINE_TIER_ORDER),
}
"""Calico's built-in tiers besides ``default``: their order; their default action is Pass."""
CALICO_NAMESPACE_NAME_LABEL = "projectcalico.org/name"
"""Label Calico gives a namespace (and a service account): its name."""


@dataclass
class PolicyRules:
    """One policy's compiled rules and selections, ready to be placed in a tier."""

    source: str
    """``Kind/key`` of the policy."""
    order: float
    """Order within its tier (lower first)."""
    name: str
    """Tie-break within equal orders."""
    ingress: list[CompiledRule]
    """Ingress rules in order."""
    egress: list[CompiledRule]
    """Egress rules in order."""
    selected_in: BoolArray | None
    """Classes it selects for ingress (None when it does not govern ingress)."""
    selected_out: BoolArray | None
    """Classes it selects for egress."""


def _sort_key(order: float | None) -> float:
    return math.inf if order is None else order


def make_tier(name: str, end_deny: bool, members: list[PolicyRules], count: int) -> CompiledTier:
    """A tier holding ``members`` in (order, name) order."""
    members = sorted(members, key=lambda m: (m.order, m.name))
    tier = CompiledTier(name, end_deny)
    tier.selected_in = np.zeros(count, dtype=np.bool_)
    tier.selected_out = np.zeros(count, dtype=np.bool_)
    for m in members:
        tier.ingress.extend(m.ingress)
        tier.egress.extend(m.egress)
        if m.selected_in is not None:
            tier.selected_in |= m.selected_in
        if m.selected_out is not None:
            tier.selected_out |= m.selected_out
    return tier


class CalicoCompiler:
    """Compiles Calico policies: selectors, EntityRules, ports and protocols into masks."""

    def __init__(self, base: PolicyCompiler) -> None:
        self.b = base
        self.c = base.c
        cluster = self.c.cluster
        self.ns_labels = [
            {**cluster.namespaces[n].labels, CALICO_NAMESPACE_NAME_LABEL: n}
            for n in self.c.namespaces
        ]
        self._ns_cache: dict[Selector, BoolArray] = {}
        # Host-networked pods have no workload endpoint: Calico policy neither selects them
        # nor matches them by selector (their traffic is the node's).
        self.workload = np.array(
            [not cluster.pods[m[0]].host_network for m in self.c.members], dtype=np.bool_
        )
        self.has_address = np.array(
            [bool(cluster.pods[m[0]].ips) for m in self.c.members], dtype=np.bool_
        )
        self.class_sa = [
            (cluster.pods[m[0]].namespace, cluster.pods[m[0]].service_account)
            for m in self.c.members
        ]

    def namespaces_matching(self, selector: Selector) -> BoolArray:
        """Which namespaces a Calico namespaceSelector matches."""
        found = self._ns_cache.get(selector)
        if found is None:
            found = np.array([selector.matches(lbl) for lbl in self.ns_labels], dtype=np.bool_)
            self._ns_cache[selector] = found
        return found

    def subjects(self, policy: CalicoPolicy) -> BoolArray:
        """Classes the policy applies to."""
        mask = self.c.calico_selector_mask(policy.selector) & self.workload
        if policy.namespace is not None:
            mask = mask & (self.c.class_ns == self.b.ns_index[policy.namespace])
        elif policy.namespace_selector is not None:
            mask = mask & self.namespaces_matching(policy.namespace_selector)[self.c.class_ns]
        if policy.service_account_selector is not None:
            mask = mask & self._service_accounts(None, policy.service_account_selector)
        return mask

    def _service_accounts(
        self, names: tuple[str, ...] | None, selector: Selector | None
    ) -> BoolArray:
        accounts = self.c.cluster.service_accounts
        out = []
        for ns, sa in self.class_sa:
            ok = names is None or sa in names
            if ok and selector is not None:
                labels = {**accounts.get((ns, sa), {}), CALICO_NAMESPACE_NAME_LABEL: sa}
                ok = selector.matches(labels)
            out.append(ok)
        return np.array(out, dtype=np.bool_)

    def _addresses(self, addresses: IPRangeSet) -> BoolArray:
        return self.b.ip_endpoints.mask(addresses)

    def _select(
        self, selector: Selector, scope: Selector | None, policy: CalicoPolicy
    ) -> BoolArray:
        """Endpoints and network-set addresses a rule selector matches within its scope."""
        count = self.b.count
        out = np.zeros(self.b.total, dtype=np.bool_)
        if scope is None:
            in_scope = (
                self.c.class_ns == self.b.ns_index[policy.namespace]
                if policy.namespace is not None
                else np.ones(count, dtype=np.bool_)
            )
        elif isinstance(scope, Global):
            in_scope = np.zeros(count, dtype=np.bool_)
        else:
            in_scope = self.namespaces_matching(scope)[self.c.class_ns]
        out[:count] = self.c.calico_selector_mask(selector) & in_scope & self.workload
        sets: list[IPRangeSet] = []
        for network_set in self.c.cluster.network_sets:
            if scope is None:
                visible = network_set.namespace == policy.namespace or policy.namespace is None
            elif isinstance(scope, Global):
                visible = network_set.namespace is None
            else:
                visible = network_set.namespace is not None and bool(
                    self.namespaces_matching(scope)[self.b.ns_index[network_set.namespace]]
                )
            labels = dict(network_set.labels)
            if network_set.namespace is not None:
                labels["projectcalico.org/namespace"] = network_set.namespace
            if visible and selector.matches(labels, namespaced=network_set.namespace is not None):
                sets.append(network_set.addresses)
        if sets:
            out[count:] |= self.c.ip_atoms.atoms_in(IPRangeSet.union_of(sets))
        return out

    def entity(self, entity: EntityRule, policy: CalicoPolicy) -> BoolArray:
        """Endpoints (classes, then address atoms) an EntityRule matches; criteria AND-ed."""
        mask = np.ones(self.b.total, dtype=np.bool_)
        if entity.services:
            return np.zeros(self.b.total, dtype=np.bool_)  # Service matches are not modeled
        if entity.nets is not None:
            mask &= self._addresses(IPRangeSet.from_cidrs(entity.nets))
        if entity.not_nets:
            # An address criterion holds only for a known address: a pod whose IP the input
            # does not give matches neither nets nor notNets (as it matches no ipBlock).
            mask &= ~self._addresses(IPRangeSet.from_cidrs(entity.not_nets))
            mask[: self.b.count] &= self.has_address
        scoped = entity.selector is not None or entity.namespace_selector is not None
        if scoped:
            mask &= self._select(entity.selector or All(), entity.namespace_selector, policy)
        if entity.not_selector is not None:
            if not scoped and policy.namespace is not None:
                # In a namespaced policy, Calico scopes a notSelector to the policy's namespace.
                mask &= self._select(All(), None, policy)
            mask &= ~self._select(entity.not_selector, entity.namespace_selector, policy)
        if entity.service_account_names is not None or entity.service_account_selector is not None:
            # Service accounts are matched within the rule's namespace scope, like selectors.
            scope = self._select(All(), entity.namespace_selector, policy)[: self.b.count]
            mask[self.b.count :] = False
            mask[: self.b.count] &= scope & self._service_accounts(
                entity.service_account_names, entity.service_account_selector
            )
        return mask

    def family(self, version: int) -> BoolArray:
        """Endpoints of one IP family: atoms of it, and pods with an address of it (or none
        known, whose family the manifests do not tell)."""
        out = np.zeros(self.b.total, dtype=np.bool_)
        out[self.b.count :] = self.c.ip_atoms.families == version
        pods = self.c.cluster.pods
        out[: self.b.count] = [
            not pods[m[0]].ips
            or any(":" in ip if version == 6 else ":" not in ip for ip in pods[m[0]].ips)
            for m in self.c.members
        ]
        return out

    def ports(
        self, rule: CalicoRule
    ) -> tuple[Mask, list[tuple[str, str]], Mask, list[tuple[str, str]]]:
        """(values, named ports, values excluded, named ports excluded) as masks."""
        atoms = self.c.port_atoms
        matched, named, excluded, named_not = rule_values(rule)
        return atoms.mask_of_portset(matched), named, atoms.mask_of_portset(excluded), named_not

    def policy(self, policy: CalicoPolicy) -> PolicyRules:
        """Compile one policy."""
        subjects = self.subjects(policy)
        out = PolicyRules(
            policy.source,
            _sort_key(policy.order),
            policy.name,
            [],
            [],
            subjects if Direction.INGRESS in policy.types else None,
            subjects if Direction.EGRESS in policy.types else None,
        )
        count = self.b.count
        for direction in (Direction.INGRESS, Direction.EGRESS):
            if direction not in policy.types:
                continue
            for r, rule in enumerate(policy.rules(direction)):
                ports = self.ports(rule)
                if (
                    ports is None
                    or rule.source.ports is not None
                    or rule.source.not_ports is not None
                ):
                    # Other protocols are outside the map; source ports are not part of it
                    # (it asserts what holds whatever the ephemeral source port).
                    continue
                ingress = direction is Direction.INGRESS
                peer_side = rule.source if ingress else rule.destination
                own_side = rule.destination if ingress else rule.source
                peers = self.entity(peer_side, policy)
                own = self.entity(own_side, policy)[:count]
                if rule.ip_version is not None:
                    # The packet's family is the peer's; the local endpoint takes it as sent.
                    peers = peers & self.family(rule.ip_version)
                static, named, static_not, named_not = ports
                compiled = CompiledRule(
                    endpoints=peers,
                    static=static,
                    named=named,
                    direction=direction,
                    rule_index=r,
                    action=rule.action,
                    subjects=subjects & own,
                    static_not=static_not if static_not.any() else None,
                    named_not=named_not,
                    source=out.source,
                    location=rule.location,
                )
                (out.ingress if ingress else out.egress).append(compiled)
        return out


class AdminCompiler:
    """Compiles AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy."""

    def __init__(self, base: PolicyCompiler) -> None:
        self.b = base
        self.c = base.c
        pods = self.c.cluster.pods
        # Host-networked pods are never subjects or pod peers of this API family.
        self.pod_network = np.array(
            [not pods[m[0]].host_network for m in self.c.members], dtype=np.bool_
        )

    def _pods(self, namespaces: BoolArray, pod_selector: LabelSelector | None) -> BoolArray:
        mask = namespaces[self.c.class_ns] & self.pod_network
        if pod_selector is not None:
            mask = mask & self.c.pod_selector_mask(pod_selector)
        return mask

    def subjects(self, policy: AdminNetworkPolicy) -> BoolArray:
        """Classes the policy applies to."""
        subject = policy.subject
        namespaces = self.b.namespaces_matching(subject.namespace_selector)
        return self._pods(namespaces, subject.pod_selector)

    def peer(self, peer: AdminPeer) -> BoolArray:
        """Endpoints a peer matches."""
        out = np.zeros(self.b.total, dtype=np.bool_)
        count = self.b.count
        if peer.kind in (AdminPeerKind.NAMESPACES, AdminPeerKind.PODS):
            assert peer.namespace_selector is not None
            namespaces = self.b.namespaces_matching(peer.namespace_selector)
            out[:count] = self._pods(namespaces, peer.pod_selector)
        elif peer.kind is AdminPeerKind.NETWORKS or peer.node_selector is not None:
            addresses = peer.addresses
            if peer.node_selector is not None:
                addresses = IPRangeSet.from_cidrs(
                    f"{ip}/{128 if ':' in ip else 32}"
                    for ip in node_ips(self.c.cluster, peer.node_selector)
                )
            out = self.b.ip_endpoints.mask(addresses)
        # domainNames: DNS answers are not in the input; such peers match nothing here
        # (documented in docs/semantics.md). nodes: the addresses of the Node objects given.
        return out

    def policy(self, policy: AdminNetworkPolicy) -> PolicyRules:
        """Compile one policy."""
        atoms = self.c.port_atoms
        subjects = self.subjects(policy)
        out = PolicyRules(
            f"{policy.kind}/{policy.name}",
            float(policy.priority),
            policy.name,
            [],
            [],
            subjects if policy.ingress else None,
            subjects if policy.egress else None,
        )
        for direction, rules in (
            (Direction.INGRESS, policy.ingress),
            (Direction.EGRESS, policy.egress),
        ):
            for r, rule in enumerate(rules):
                peers = np.zeros(self.b.total, dtype=np.bool_)
                for peer in rule.peers:
                    peers |= self.peer(peer)
                named: list[tuple[str, str]] = []
                if rule.ports is None:
                    static = atoms.full
                else:
                    static = atoms.empty.copy()
                    for port in rule.ports:
                        if port.named is not None:
                            named.extend((port.named, proto) for proto in KUBERNETES_PROTOCOLS)
                        elif port.start is not None and port.protocol is not None:
                            static |= atoms.mask_of_span(
                                port.protocol, port.start, port.end or port.start
                            )
                compiled = CompiledRule(
                    endpoints=peers,
                    static=static,
                    named=named,
                    direction=direction,
                    rule_index=r,
                    action=rule.action,
                    subjects=subjects,
                    source=out.source,
                    location=rule.location,
                )
                (out.ingress if direction is Direction.INGRESS else out.egress).append(compiled)
        return out


def admin_tiers(base: PolicyCompiler) -> tuple[list[PolicyRules], list[PolicyRules]]:
    """The Admin and Baseline tiers' compiled policies."""
    compiler = AdminCompiler(base)
    admin: list[PolicyRules] = []
    baseline: list[PolicyRules] = []
    for policy in base.c.cluster.admin_policies:
        (admin if policy.tier is AdminTier.ADMIN else baseline).append(compiler.policy(policy))
    return admin, baseline


def applies_to_workloads(policy: CalicoPolicy) -> bool:
    """Whether a Calico policy governs pods: preDNAT and doNotTrack policies apply only to
    host endpoints (the nodes' interfaces), never to workload endpoints."""
    return not (policy.pre_dnat or policy.do_not_track)


def builtin_tier_name(names: set[str], candidates: tuple[str, ...]) -> str:
    """The name Calico uses here for a built-in tier: one in use, else the newest."""
    return next((n for n in candidates if n in names), candidates[0])


def calico_tiers(
    base: PolicyCompiler,
    kubernetes: list[PolicyRules],
    admin: list[PolicyRules],
    baseline: list[PolicyRules],
) -> list[tuple[float, str, CompiledTier]]:
    """Calico's tiers as (order, name, tier): Kubernetes NetworkPolicies in the default tier,
    the Admin and Baseline policies in Calico's built-in tiers for them, where Calico policies
    of those tiers are ordered together with them (priority as order)."""
    cluster = base.c.cluster
    compiler = CalicoCompiler(base)
    defined = {t.name: t for t in cluster.calico_tiers}
    names = set(defined) | {p.tier for p in cluster.calico_policies}
    members: dict[str, list[PolicyRules]] = {DEFAULT_TIER: list(kubernetes)}
    if admin:
        members[builtin_tier_name(names, ADMIN_TIER_NAMES)] = list(admin)
    if baseline:
        members[builtin_tier_name(names, BASELINE_TIER_NAMES)] = list(baseline)
    for policy in cluster.calico_policies:
        if applies_to_workloads(policy):
            members.setdefault(policy.tier, []).append(compiler.policy(policy))
    out = []
    for name, policies in members.items():
        order, end_deny = tier_settings(name, defined.get(name))
        out.append((order, name, make_tier(name, end_deny, policies, base.count)))
    return out


def tier_settings(name: str, tier: CalicoTier | None) -> tuple[float, bool]:
    """(order, end-of-tier deny) of a Calico tier: the default tier's fixed order, the
    built-in admin and baseline tiers' (which pass by default), or the Tier object's (Deny
    by default; a tier no object defines comes last and denies)."""
    if name == DEFAULT_TIER:
        order: float | None = DEFAULT_TIER_ORDER
    elif tier is not None:
        order = tier.order
    else:
        order = BUILTIN_TIERS.get(name)
    end_deny = tier.default_action is Action.DENY if tier is not None else name not in BUILTIN_TIERS
    return _sort_key(order), end_deny


__all__ = ["KUBERNETES_POLICY_ORDER", "PolicyRules", "admin_tiers", "calico_tiers", "make_tier"]
