"""Calico (projectcalico.org/v3) NetworkPolicy and GlobalNetworkPolicy compiled into the rule model.

Calico evaluates tiers by order (a Tier's ``order``, lower first, unordered last; the
``default`` tier at 1,000,000 holds Kubernetes NetworkPolicies at order 1000); within a tier,
policies by order then name, rules in order, the first rule that matches deciding (Allow,
Deny), handing over to the next tier (Pass) or only recording (Log). Traffic of an endpoint a
tier's policies select that no rule decided is denied at the end of the tier, unless the
tier's defaultAction is Pass. Calico places the AdminNetworkPolicy tier at order 1,000 and
the Baseline tier at 10,000,000 (see ``policy/layering.py``).

Rule values are ports for TCP, UDP, SCTP and UDPLite, ``type * 256 + code`` for ICMP and
ICMPv6, and protocol numbers for the other IP protocols (see ``sets/ports.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from netfence.model.calico import (
    CALICO_NAMESPACE_LABEL,
    DEFAULT_TIER,
    DEFAULT_TIER_ORDER,
    CalicoPolicy,
    CalicoPorts,
    CalicoRule,
    CalicoTier,
    EntityRule,
)
from netfence.model.calico_selector import All, Global, Selector
from netfence.model.cluster import Cluster
from netfence.model.layers import Action, RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.policy.interface import Capability, DroppedUse, PolicyLanguage
from netfence.policy.masks import MaskBuilder
from netfence.policy.rules import CompiledPolicy, CompiledRule, Placement
from netfence.policy.space import BoolArray, EndpointSpace, Facts, NamedPort
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import (
    ICMP_PROTOCOLS,
    MAX_PORT,
    MIN_PORT,
    PROTOCOL_NUMBERS,
    PortSet,
    protocol_of_number,
)

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


def _sort_key(order: float | None) -> float:
    return math.inf if order is None else order


def protocol_values(protocol: str | None) -> PortSet:
    """Every value of a rule's ``protocol`` (a name or a number); all traffic when None."""
    if protocol is None:
        return PortSet.all()
    if protocol in PROTOCOL_NUMBERS:
        return PortSet.of(protocol)
    name, value = protocol_of_number(int(protocol))
    return PortSet.of(name) if value is None else PortSet.of(name, value)


def _icmp_values(protocol: str | None, icmp: tuple[int, int | None]) -> PortSet:
    kind, code = icmp
    lo = kind * 256 + (code or 0)
    hi = lo if code is not None else kind * 256 + 255
    families = [protocol] if protocol in ICMP_PROTOCOLS else list(ICMP_PROTOCOLS)
    out = PortSet.none()
    for family in families:
        assert family is not None
        out = out | PortSet.of(family, lo, hi)
    return out


def _port_values(ports: CalicoPorts, protocols: PortSet) -> tuple[PortSet, list[NamedPort]]:
    values = PortSet.none()
    named: list[NamedPort] = []
    for proto in protocols.protocols():
        for lo, hi in ports.spans:
            if hi >= MIN_PORT:
                values = values | PortSet.of(proto, max(lo, MIN_PORT), min(hi, MAX_PORT))
        named.extend((name, proto) for name in ports.names)
    return values, named


def rule_values(rule: CalicoRule) -> tuple[PortSet, list[NamedPort], PortSet, list[NamedPort]]:
    """(values matched, named ports matched, values excluded, named ports excluded)."""
    protocols = protocol_values(rule.protocol)
    if rule.icmp is not None:
        protocols = protocols & _icmp_values(rule.protocol, rule.icmp)
    named: list[NamedPort] = []
    if rule.destination.ports is not None:
        matched, named = _port_values(rule.destination.ports, protocols)
    else:
        matched = protocols
    excluded = PortSet.none()
    named_not: list[NamedPort] = []
    if rule.not_protocol is not None:
        excluded = excluded | protocol_values(rule.not_protocol)
    if rule.not_icmp is not None:
        excluded = excluded | _icmp_values(rule.protocol, rule.not_icmp)
    if rule.destination.not_ports is not None:
        values, named_not = _port_values(rule.destination.not_ports, protocols)
        excluded = excluded | values
    return matched, named, excluded, named_not


class CalicoCompiler:
    """Compiles Calico policies: selectors, EntityRules, ports and protocols into masks."""

    def __init__(self, space: EndpointSpace, masks: MaskBuilder) -> None:
        self.b = masks
        self.c = space
        cluster = space.cluster
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
        return self.b.addresses(addresses)

    def _select(
        self,
        selector: Selector,
        scope: Selector | None,
        policy: CalicoPolicy,
        *,
        unscoped: bool = False,
        endpoints_only: bool = False,
    ) -> BoolArray:
        """Endpoints and network-set addresses a rule selector matches within its scope
        (``unscoped``: everywhere, as Calico matches a notSelector).

        Calico matches a selector by address: the endpoints it selects and every CIDR of the
        network sets it selects, so a pod whose IP a selected set covers matches too (unless
        ``endpoints_only``).
        """
        count = self.b.count
        out = np.zeros(self.b.total, dtype=np.bool_)
        if unscoped:
            in_scope = np.ones(count, dtype=np.bool_)
        elif scope is None:
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
        if endpoints_only:
            return out
        sets = IPRangeSet()
        for network_set in self.c.cluster.network_sets:
            if unscoped:
                visible = True
            elif scope is None:
                visible = network_set.namespace == policy.namespace or policy.namespace is None
            elif isinstance(scope, Global):
                visible = network_set.namespace is None
            else:
                visible = network_set.namespace is not None and bool(
                    self.namespaces_matching(scope)[self.b.ns_index[network_set.namespace]]
                )
            labels = dict(network_set.labels)
            if network_set.namespace is not None:
                labels[CALICO_NAMESPACE_LABEL] = network_set.namespace
            if visible and selector.matches(labels, namespaced=network_set.namespace is not None):
                sets = sets | network_set.addresses
        if sets:
            out |= self.b.addresses(sets)
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
            # The notSelector itself is matched against every endpoint and network set.
            mask &= ~self._select(entity.not_selector, None, policy, unscoped=True)
        if entity.service_account_names is not None or entity.service_account_selector is not None:
            # Service accounts are matched within the rule's namespace scope, like selectors,
            # on the endpoint the selector matches (network sets have no service account).
            scope = self._select(
                entity.selector or All(), entity.namespace_selector, policy, endpoints_only=True
            )[: self.b.count]
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

    def policy(self, index: int, policy: CalicoPolicy) -> CompiledPolicy:
        """Compile one policy."""
        subjects = self.subjects(policy)
        kind = policy_kind(policy)
        out = CompiledPolicy(
            kind,
            policy.namespace,
            policy.name,
            Placement.CALICO,
            _sort_key(policy.order),
            policy.name,
            [],
            [],
            subjects if Direction.INGRESS in policy.types else None,
            subjects if Direction.EGRESS in policy.types else None,
            tier=policy.tier,
            policy_index=index,
        )
        count = self.b.count
        for direction in (Direction.INGRESS, Direction.EGRESS):
            if direction not in policy.types:
                continue
            for r, rule in enumerate(policy.rules(direction)):
                if not modeled_at_layer4(rule):
                    continue
                ingress = direction is Direction.INGRESS
                peer_side = rule.source if ingress else rule.destination
                own_side = rule.destination if ingress else rule.source
                peers = self.entity(peer_side, policy)
                own = self.entity(own_side, policy)[:count]
                if rule.ip_version is not None:
                    # The packet's family is the peer's; the local endpoint takes it as sent.
                    peers = peers & self.family(rule.ip_version)
                static, named, static_not, named_not = self.ports(rule)
                origin = RuleOrigin(
                    kind, policy.namespace, policy.name, direction, r, location=rule.location
                )
                compiled = CompiledRule(
                    origin,
                    rule.action,
                    subjects & own,
                    peers,
                    static,
                    named=named,
                    static_not=static_not if static_not.any() else None,
                    named_not=named_not,
                    policy_index=index,
                )
                (out.ingress if ingress else out.egress).append(compiled)
        return out


def policy_kind(policy: CalicoPolicy) -> str:
    """How rule origins name a Calico policy's kind: ``CalicoNetworkPolicy`` (never to be
    confused with a Kubernetes NetworkPolicy of the same name) or ``GlobalNetworkPolicy``."""
    return "CalicoNetworkPolicy" if policy.kind == "NetworkPolicy" else policy.kind


def modeled_at_layer4(rule: CalicoRule) -> bool:
    """Whether a rule takes part in the map, which asserts what holds for a connection
    whatever its ephemeral source port and whatever requests it carries.

    A rule that matches source ports applies to some source ports only: left out. A rule with
    HTTP match criteria (application layer policy) matches some requests of a connection
    only: an Allow lets the connection through (some requests pass), a Deny or Pass decides
    nothing for the connection as a whole, so they are left out. Both are reported as
    dropped features (NF029) so the difference is never silent.
    """
    if rule.source.ports is not None or rule.source.not_ports is not None:
        return False
    return not rule.http or rule.action is Action.ALLOW


def applies_to_workloads(policy: CalicoPolicy) -> bool:
    """Whether a Calico policy governs pods: preDNAT and doNotTrack policies apply only to
    host endpoints (the nodes' interfaces), never to workload endpoints."""
    return not (policy.pre_dnat or policy.do_not_track)


def builtin_tier_name(names: set[str], candidates: tuple[str, ...]) -> str:
    """The name Calico uses here for a built-in tier: one in use, else the newest."""
    return next((n for n in candidates if n in names), candidates[0])


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


class CalicoLanguage(PolicyLanguage):
    """projectcalico.org/v3 NetworkPolicy and GlobalNetworkPolicy, with Tiers and network sets."""

    name = "calico"
    capabilities = (
        Capability("selector", True, ""),
        Capability("namespaceSelector", True, ""),
        Capability("serviceAccountSelector", True, ""),
        Capability("nets", True, ""),
        Capability("ports", True, ""),
        Capability("protocol", True, ""),
        Capability("icmp", True, ""),
        Capability("ipVersion", True, ""),
        Capability("order", True, ""),
        Capability("action", True, ""),
        Capability(
            "http",
            False,
            "HTTP match criteria (application layer policy) are not evaluated: an Allow rule "
            "with them is taken to let the connection through, a Deny or Pass rule with them "
            "is left out, so the map may show connections whose requests Calico would refuse",
        ),
        Capability(
            "services",
            False,
            "Service matches are not resolved: such an entity matches nothing here, so an Allow "
            "with it may under-state and a Deny with it may over-state what is reachable",
        ),
        Capability(
            "source.ports",
            False,
            "rules matching source ports are left out: the map asserts what holds whatever the "
            "ephemeral source port, so a connection from one given source port may differ",
        ),
        Capability(
            "preDNAT/doNotTrack",
            False,
            "host-endpoint policies govern the nodes' interfaces, which are not modeled "
            "(reported by NF028)",
        ),
    )

    def facts(self, cluster: Cluster) -> Facts:
        """Selectors, nets, named ports and value spans of every Calico policy and set."""
        facts = Facts()
        for policy in cluster.calico_policies:
            facts.calico_selectors[policy.selector] = None
            for rule in policy.ingress + policy.egress:
                for entity in (rule.source, rule.destination):
                    for sel in (entity.selector, entity.not_selector):
                        if sel is not None:
                            facts.calico_selectors[sel] = None
                    facts.addresses.append(IPRangeSet.from_cidrs(entity.nets or ()))
                    facts.addresses.append(IPRangeSet.from_cidrs(entity.not_nets))
                matched, named, excluded, named_not = rule_values(rule)
                for values in (matched, excluded):
                    facts.spans.extend(
                        (proto, lo, hi)
                        for proto in values.protocols()
                        for lo, hi in values.ports(proto)
                    )
                for named_port in named + named_not:
                    facts.named_ports[named_port] = None
        for network_set in cluster.network_sets:
            facts.addresses.append(network_set.addresses)
        return facts

    def compile(self, space: EndpointSpace, masks: MaskBuilder) -> Sequence[CompiledPolicy]:
        """Every Calico policy that governs workload endpoints, placed in its tier."""
        compiler = CalicoCompiler(space, masks)
        return [
            compiler.policy(p, policy)
            for p, policy in enumerate(space.cluster.calico_policies)
            if applies_to_workloads(policy)
        ]

    def dropped_uses(self, cluster: Cluster) -> list[DroppedUse]:
        """Rules using HTTP matches, Service matches or source ports."""
        out: list[DroppedUse] = []
        for policy in cluster.calico_policies:
            if not applies_to_workloads(policy):
                continue
            kind = policy_kind(policy)
            for direction in (Direction.INGRESS, Direction.EGRESS):
                for r, rule in enumerate(policy.rules(direction)):
                    path = f"spec.{direction.value.lower()}[{r}]"
                    uses = []
                    if rule.http:
                        uses.append(("http", f"{path}.http"))
                    for side, entity in (
                        ("source", rule.source),
                        ("destination", rule.destination),
                    ):
                        if entity.services:
                            uses.append(("services", f"{path}.{side}.services"))
                    if rule.source.ports is not None or rule.source.not_ports is not None:
                        uses.append(("source.ports", f"{path}.source"))
                    origin = RuleOrigin(
                        kind, policy.namespace, policy.name, direction, r, location=rule.location
                    )
                    out.extend(
                        DroppedUse(
                            self.capability(feature),
                            kind,
                            policy.namespace,
                            policy.name,
                            where,
                            rule.location,
                            origin,
                            rule.action,
                        )
                        for feature, where in uses
                    )
        return out
