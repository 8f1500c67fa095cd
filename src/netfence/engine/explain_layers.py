"""Walk one flow through every policy layer, rule by rule, without the bulk matrices.

The same order as the engine (see ``engine/tiers.py``), evaluated with scalar matchers on
the model objects: for one direction, the ports still undecided go through the tiers; each
rule decides (Allow, Deny), defers (Pass) or only records (Log) the ports it matches; a tier
with an end-of-tier deny denies what it leaves undecided for an endpoint it selects; what no
tier decides is allowed. Each decision is a Step, so explanations show the whole walk.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from netfence.engine.calico_ports import rule_values
from netfence.engine.classes import calico_labels, node_ips
from netfence.engine.tiers import (
    ADMIN_TIER_NAMES,
    BASELINE_TIER_NAMES,
    CALICO_NAMESPACE_NAME_LABEL,
    applies_to_workloads,
    builtin_tier_name,
    tier_settings,
)
from netfence.errors import Location
from netfence.model.adminpolicy import (
    AdminNetworkPolicy,
    AdminPeer,
    AdminPeerKind,
    AdminRule,
    AdminTier,
)
from netfence.model.calico import (
    DEFAULT_TIER,
    KUBERNETES_POLICY_ORDER,
    CalicoPolicy,
    CalicoRule,
    EntityRule,
)
from netfence.model.calico_selector import All, Global, Selector
from netfence.model.cluster import Cluster, Namespace, Pod
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyPort, PolicyRule
from netfence.model.selectors import LabelSelector
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import KUBERNETES_PROTOCOLS, PortSet

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Endpoint:
    """One end of a flow as the walk sees it."""

    pod: Pod | None
    """The pod, for an in-cluster endpoint."""
    address: Address | None
    """The address, for an external endpoint."""


@dataclass(frozen=True)
class Step:
    """One decision of the walk."""

    tier: str
    """The tier's name."""
    policy: str
    """``Kind/key`` of the policy, or empty for a tier's end or the default."""
    rule: str
    """The rule's path (``spec.ingress[1]``) or what decided (``end of tier``)."""
    action: Action
    """What happened to ``ports``."""
    ports: PortSet
    """The ports this step decided or passed."""
    location: Location | None = None
    """Where the rule is written."""

    def __str__(self) -> str:
        where = f"{self.policy} {self.rule}" if self.policy else self.rule
        return f"[{self.tier}] {where} {self.action.value} ({self.ports.describe()})"


@dataclass
class _Rule:
    source: str
    path: str
    action: Action
    peer: Callable[[Endpoint], bool]
    own: Callable[[Endpoint], bool]
    ports: Callable[[Endpoint], PortSet]
    location: Location | None


@dataclass
class _Policy:
    source: str
    order: float
    name: str
    selects: Callable[[Endpoint], bool]
    directions: frozenset[Direction]
    rules: dict[Direction, list[_Rule]] = field(default_factory=dict)


@dataclass
class _Tier:
    name: str
    order: float
    end_deny: bool
    policies: list[_Policy]


def _in(addresses: IPRangeSet, endpoint: Endpoint) -> bool:
    if endpoint.address is not None:
        return addresses.contains(endpoint.address)
    assert endpoint.pod is not None
    return any(addresses.contains(ip) for ip in endpoint.pod.ips)


def _namespace(cluster: Cluster, name: str) -> Namespace:
    return cluster.namespaces.get(name) or Namespace(name, {})


# Kubernetes NetworkPolicy -------------------------------------------------------------------


def k8s_peer_matches(cluster: Cluster, policy: NetworkPolicy, peer: Peer, other: Endpoint) -> bool:
    """Whether a NetworkPolicyPeer matches an endpoint (ipBlock also against pod IPs)."""
    if peer.ip_block is not None:
        return _in(peer.ip_block.addresses, other)
    if other.pod is None:
        return False
    pod = other.pod
    if peer.namespace_selector is None:
        if pod.namespace != policy.namespace:
            return False
    elif not peer.namespace_selector.matches(_namespace(cluster, pod.namespace).labels):
        return False
    return peer.pod_selector is None or peer.pod_selector.matches(pod.labels)


def k8s_entry_ports(entry: PolicyPort, target: Endpoint) -> PortSet:
    """A NetworkPolicyPort's ports towards ``target`` (named ports resolved on it)."""
    if entry.port is None:
        return PortSet.of(entry.protocol)
    if isinstance(entry.port, str):
        number = target.pod.named_port(entry.port, entry.protocol) if target.pod else None
        return PortSet.of(entry.protocol, number) if number is not None else PortSet.none()
    return PortSet.of(entry.protocol, entry.port, entry.end_port or entry.port)


def _k8s_policy(cluster: Cluster, policy: NetworkPolicy) -> _Policy:
    def selects(e: Endpoint) -> bool:
        return (
            e.pod is not None
            and e.pod.namespace == policy.namespace
            and policy.pod_selector.matches(e.pod.labels)
        )

    out = _Policy(
        f"NetworkPolicy/{policy.key}",
        KUBERNETES_POLICY_ORDER,
        f"knp.default.{policy.name}",
        selects,
        policy.policy_types,
    )
    for direction in (Direction.INGRESS, Direction.EGRESS):
        rules = []
        for r, rule in enumerate(policy.rules(direction)):

            def peer(e: Endpoint, rule: PolicyRule = rule) -> bool:
                peers = rule.peers
                return peers is None or any(k8s_peer_matches(cluster, policy, p, e) for p in peers)

            def ports(t: Endpoint, rule: PolicyRule = rule) -> PortSet:
                entries = rule.ports
                if entries is None:
                    return PortSet.all()
                out_ports = PortSet.none()
                for entry in entries:
                    out_ports = out_ports | k8s_entry_ports(entry, t)
                return out_ports

            rules.append(
                _Rule(
                    out.source,
                    f"spec.{direction.value.lower()}[{r}]",
                    Action.ALLOW,
                    peer,
                    lambda _e: True,
                    ports,
                    rule.location,
                )
            )
        out.rules[direction] = rules
    return out


# Calico -----------------------------------------------------------------------------------


def _calico_namespace_labels(cluster: Cluster, name: str) -> dict[str, str]:
    return {**_namespace(cluster, name).labels, CALICO_NAMESPACE_NAME_LABEL: name}


def _calico_selected(
    cluster: Cluster,
    selector: Selector,
    scope: Selector | None,
    policy: CalicoPolicy,
    e: Endpoint,
    *,
    unscoped: bool = False,
    endpoints_only: bool = False,
) -> bool:
    """Whether a rule selector matches ``e`` within its scope (``unscoped``: everywhere): as
    an endpoint it selects, or by an address in a network set it selects (unless
    ``endpoints_only``)."""
    if e.pod is not None:
        pod = e.pod
        if unscoped:
            in_scope = True
        elif scope is None:
            in_scope = policy.namespace is None or pod.namespace == policy.namespace
        elif isinstance(scope, Global):
            in_scope = False
        else:
            labels = {
                **_namespace(cluster, pod.namespace).labels,
                CALICO_NAMESPACE_NAME_LABEL: pod.namespace,
            }
            in_scope = scope.matches(labels)
        # A host-networked pod has no workload endpoint: selectors do not match it as one.
        if not pod.host_network and in_scope and selector.matches(calico_labels(pod)):
            return True
        if endpoints_only:
            return False
    for network_set in cluster.network_sets:
        if unscoped:
            visible = True
        elif scope is None:
            visible = network_set.namespace == policy.namespace or policy.namespace is None
        elif isinstance(scope, Global):
            visible = network_set.namespace is None
        elif network_set.namespace is None:
            visible = False
        else:
            visible = scope.matches(_calico_namespace_labels(cluster, network_set.namespace))
        labels = dict(network_set.labels)
        if network_set.namespace is not None:
            labels["projectcalico.org/namespace"] = network_set.namespace
        if (
            visible
            and selector.matches(labels, namespaced=network_set.namespace is not None)
            and _in(network_set.addresses, e)
        ):
            return True
    return False


def _service_account_ok(
    cluster: Cluster, entity: EntityRule, e: Endpoint, policy: CalicoPolicy | None = None
) -> bool:
    if entity.service_account_names is None and entity.service_account_selector is None:
        return True
    if e.pod is None:
        return False
    if policy is not None and not _calico_selected(
        cluster, entity.selector or All(), entity.namespace_selector, policy, e, endpoints_only=True
    ):
        return False  # matched within the rule's namespace scope, on the selected endpoint
    sa = e.pod.service_account
    if entity.service_account_names is not None and sa not in entity.service_account_names:
        return False
    if entity.service_account_selector is not None:
        labels = {
            **cluster.service_accounts.get((e.pod.namespace, sa), {}),
            CALICO_NAMESPACE_NAME_LABEL: sa,
        }
        return entity.service_account_selector.matches(labels)
    return True


def _entity(cluster: Cluster, entity: EntityRule, policy: CalicoPolicy, e: Endpoint) -> bool:
    if entity.services:
        return False
    if entity.nets is not None and not _in(IPRangeSet.from_cidrs(entity.nets), e):
        return False
    if entity.not_nets and (
        _in(IPRangeSet.from_cidrs(entity.not_nets), e) or (e.pod is not None and not e.pod.ips)
    ):
        return False  # an address criterion holds only for a known address
    scoped = entity.selector is not None or entity.namespace_selector is not None
    if scoped:
        selector = entity.selector or All()
        if not _calico_selected(cluster, selector, entity.namespace_selector, policy, e):
            return False
    if entity.not_selector is not None:
        if (
            not scoped
            and policy.namespace is not None
            and not _calico_selected(cluster, All(), None, policy, e)
        ):
            return False  # a namespaced notSelector is scoped to the policy's namespace
        if _calico_selected(cluster, entity.not_selector, None, policy, e, unscoped=True):
            return False  # what a notSelector negates is matched everywhere
    return _service_account_ok(cluster, entity, e, policy)


def _family(e: Endpoint, version: int) -> bool:
    """Whether the endpoint has an address of the family (pods with none known: yes)."""
    if e.address is not None:
        return e.address.version == version
    assert e.pod is not None
    return not e.pod.ips or any(ipaddress.ip_address(ip).version == version for ip in e.pod.ips)


def _calico_ports(rule: CalicoRule, target: Endpoint) -> PortSet:
    matched, named, excluded, named_not = rule_values(rule)

    def resolve(ports: list[tuple[str, str]]) -> PortSet:
        out = PortSet.none()
        for name, proto in ports:
            number = target.pod.named_port(name, proto) if target.pod else None
            if number is not None:
                out = out | PortSet.of(proto, number)
        return out

    return (matched | resolve(named)) - (excluded | resolve(named_not))


def _calico_policy(cluster: Cluster, policy: CalicoPolicy) -> _Policy:
    def selects(e: Endpoint) -> bool:
        if e.pod is None or e.pod.host_network:
            return False
        pod = e.pod
        if policy.namespace is not None and pod.namespace != policy.namespace:
            return False
        if policy.namespace_selector is not None:
            labels = {
                **_namespace(cluster, pod.namespace).labels,
                CALICO_NAMESPACE_NAME_LABEL: pod.namespace,
            }
            if not policy.namespace_selector.matches(labels):
                return False
        if policy.service_account_selector is not None:
            entity = EntityRule(service_account_selector=policy.service_account_selector)
            if not _service_account_ok(cluster, entity, e):
                return False
        return policy.selector.matches(calico_labels(pod))

    out = _Policy(
        policy.source,
        math.inf if policy.order is None else policy.order,
        policy.name,
        selects,
        policy.types,
    )
    for direction in (Direction.INGRESS, Direction.EGRESS):
        ingress = direction is Direction.INGRESS
        rules = []
        for r, rule in enumerate(policy.rules(direction)):
            if rule.source.ports is not None or rule.source.not_ports is not None:
                continue  # source ports are not part of the map (see docs/semantics.md)
            peer_side = rule.source if ingress else rule.destination
            own_side = rule.destination if ingress else rule.source

            def peer(
                e: Endpoint, side: EntityRule = peer_side, version: int | None = rule.ip_version
            ) -> bool:
                return (version is None or _family(e, version)) and _entity(
                    cluster, side, policy, e
                )

            def own(e: Endpoint, side: EntityRule = own_side) -> bool:
                # The packet's family is the peer's; the local endpoint takes it as sent.
                return _entity(cluster, side, policy, e)

            def ports(t: Endpoint, rule: CalicoRule = rule) -> PortSet:
                return _calico_ports(rule, t)

            rules.append(
                _Rule(
                    out.source,
                    f"spec.{direction.value.lower()}[{r}]",
                    rule.action,
                    peer,
                    own,
                    ports,
                    rule.location,
                )
            )
        out.rules[direction] = rules
    return out


# AdminNetworkPolicy family ----------------------------------------------------------------


def _admin_pod(
    cluster: Cluster,
    ns_selector: LabelSelector | None,
    pod_selector: LabelSelector | None,
    e: Endpoint,
) -> bool:
    if e.pod is None or e.pod.host_network or ns_selector is None:
        return False
    if not ns_selector.matches(_namespace(cluster, e.pod.namespace).labels):
        return False
    return pod_selector is None or pod_selector.matches(e.pod.labels)


def _admin_peer(cluster: Cluster, peer: AdminPeer, e: Endpoint) -> bool:
    if peer.kind in (AdminPeerKind.NAMESPACES, AdminPeerKind.PODS):
        return _admin_pod(cluster, peer.namespace_selector, peer.pod_selector, e)
    if peer.kind is AdminPeerKind.NETWORKS:
        return _in(peer.addresses, e)
    if peer.node_selector is not None:
        ips = node_ips(cluster, peer.node_selector)
        return _in(IPRangeSet.from_cidrs(f"{ip}/{128 if ':' in ip else 32}" for ip in ips), e)
    return False  # domainNames: DNS answers are not in the input


def _admin_policy(cluster: Cluster, policy: AdminNetworkPolicy) -> _Policy:
    subject = policy.subject

    def selects(e: Endpoint) -> bool:
        return _admin_pod(cluster, subject.namespace_selector, subject.pod_selector, e)

    directions = frozenset(
        d
        for d, rules in ((Direction.INGRESS, policy.ingress), (Direction.EGRESS, policy.egress))
        if rules
    )
    out = _Policy(
        f"{policy.kind}/{policy.name}", float(policy.priority), policy.name, selects, directions
    )
    for direction, rules in (
        (Direction.INGRESS, policy.ingress),
        (Direction.EGRESS, policy.egress),
    ):
        compiled = []
        for r, rule in enumerate(rules):

            def peer(e: Endpoint, rule: AdminRule = rule) -> bool:
                return any(_admin_peer(cluster, p, e) for p in rule.peers)

            def ports(t: Endpoint, rule: AdminRule = rule) -> PortSet:
                entries = rule.ports
                if entries is None:
                    return PortSet.all()
                out_ports = PortSet.none()
                for entry in entries:
                    if entry.named is not None:
                        if t.pod is not None:
                            for cp in t.pod.ports:
                                if cp.name == entry.named and cp.protocol in KUBERNETES_PROTOCOLS:
                                    out_ports = out_ports | PortSet.of(cp.protocol, cp.number)
                    elif entry.start is not None and entry.protocol is not None:
                        out_ports = out_ports | PortSet.of(
                            entry.protocol, entry.start, entry.end or entry.start
                        )
                return out_ports

            path = f"spec.{direction.value.lower()}[{r}]"
            compiled.append(
                _Rule(
                    out.source,
                    f"{path} ({rule.name})" if rule.name else path,  # ANP rules carry names
                    rule.action,
                    peer,
                    lambda _e: True,
                    ports,
                    rule.location,
                )
            )
        out.rules[direction] = compiled
    return out


# The plan and the walk --------------------------------------------------------------------


def plan(cluster: Cluster) -> list[_Tier]:
    """Every tier with its policies, in evaluation order (as ``engine/tiers.py`` orders them)."""
    admin = [_admin_policy(cluster, p) for p in cluster.admin_policies if p.tier is AdminTier.ADMIN]
    baseline = [
        _admin_policy(cluster, p) for p in cluster.admin_policies if p.tier is AdminTier.BASELINE
    ]
    kubernetes = [_k8s_policy(cluster, p) for p in cluster.policies]
    tiers: list[_Tier] = []
    if cluster.calico_policies:
        defined = {t.name: t for t in cluster.calico_tiers}
        names = set(defined) | {p.tier for p in cluster.calico_policies}
        members: dict[str, list[_Policy]] = {DEFAULT_TIER: kubernetes}
        if admin:
            members[builtin_tier_name(names, ADMIN_TIER_NAMES)] = admin
        if baseline:
            members[builtin_tier_name(names, BASELINE_TIER_NAMES)] = baseline
        for policy in cluster.calico_policies:
            if applies_to_workloads(policy):
                members.setdefault(policy.tier, []).append(_calico_policy(cluster, policy))
        for name, policies in members.items():
            order, end_deny = tier_settings(name, defined.get(name))
            tiers.append(_Tier(name, order, end_deny, policies))
    else:
        if admin:
            tiers.append(_Tier("Admin", 0.0, False, admin))
        tiers.append(_Tier("NetworkPolicy", 1.0, True, kubernetes))
        if baseline:
            tiers.append(_Tier("Baseline", 2.0, False, baseline))
    tiers.sort(key=lambda t: (t.order, t.name))
    for placed in tiers:
        placed.policies.sort(key=lambda p: (p.order, p.name))
    return tiers


def walk(
    tiers: list[_Tier],
    direction: Direction,
    subject: Endpoint,
    other: Endpoint,
    target: Endpoint,
    asked: PortSet,
) -> tuple[PortSet, list[Step], list[str]]:
    """(allowed ports, the steps, the policies that select the subject) for one direction."""
    remaining = asked
    allowed = PortSet.none()
    steps: list[Step] = []
    selecting: list[str] = []
    if subject.pod is None:
        return asked, steps, selecting
    for tier in tiers:
        policies = [p for p in tier.policies if direction in p.directions and p.selects(subject)]
        if not policies:
            continue
        selecting.extend(p.source for p in policies)
        passed = PortSet.none()
        for policy in policies:
            for rule in policy.rules.get(direction, []):
                if not rule.own(subject) or not rule.peer(other):
                    continue
                ports = rule.ports(target) & (remaining - passed)
                if not ports:
                    continue
                steps.append(
                    Step(tier.name, rule.source, rule.path, rule.action, ports, rule.location)
                )
                if rule.action is Action.ALLOW:
                    allowed, remaining = allowed | ports, remaining - ports
                elif rule.action is Action.DENY:
                    remaining = remaining - ports
                elif rule.action is Action.PASS:
                    passed = passed | ports
        if tier.end_deny:
            denied = remaining - passed
            if denied:
                steps.append(Step(tier.name, "", "end of tier", Action.DENY, denied))
            remaining = remaining & passed
    if remaining:
        steps.append(Step("default", "", "no policy decided", Action.ALLOW, remaining))
        allowed = allowed | remaining
    return allowed, steps, selecting
