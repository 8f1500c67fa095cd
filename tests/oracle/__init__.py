"""A reference evaluator: what each policy family allows, one flow and one rule at a time.

Written from the API documents (Kubernetes NetworkPolicy, Calico's policy, tier and network-set
references, the network-policy-api AdminNetworkPolicy / ClusterNetworkPolicy reference) and
docs/semantics.md, with nothing taken from the engine: the property tests compare the engine's
map with it, so a mistake shared by the engine's helpers cannot hide.

The walk, for one direction of one flow (egress at the source, ingress at the destination):
the tiers in order; within a tier the policies that select the endpoint for the direction, by
order then name; their rules in order. A matching rule decides the ports still undecided:
Allow and Deny are final, Pass sends them to the next tier, Log does nothing. At the end of a
tier whose default action is Deny, what is left undecided for an endpoint the tier selects is
denied. What no tier decides is allowed, and an external endpoint's own side always allows.

Tiers (docs/semantics.md "Policy layers beyond NetworkPolicy"): AdminNetworkPolicy (order
1,000, passes what it leaves), Kubernetes NetworkPolicy (Calico's ``default`` tier at
1,000,000: order 1000 in it, named ``knp.default.<name>``, Deny at its end), the Baseline tier
(10,000,000, passes). With Calico policies present, Calico's tiers join them: a Tier's order and
defaultAction (Deny unless it says Pass; no order: last), the built-in tiers named
``kube-admin`` / ``adminnetworkpolicy`` and ``kube-baseline`` / ``baselineadminnetworkpolicy``
holding the Admin and Baseline policies, ordered with the Calico policies of those tiers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from netfence.model.adminpolicy import AdminNetworkPolicy, AdminTier
from netfence.model.calico import CalicoPolicy, CalicoTier
from netfence.model.cluster import Cluster, Pod
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction, NetworkPolicy
from netfence.sets.ports import PortSet

from . import admin, calico, kubernetes
from .endpoints import Address, End, end_of

ADMIN_NAMES = ("kube-admin", "adminnetworkpolicy")
"""Calico's names for the tier of the Admin policies (newer first)."""
BASELINE_NAMES = ("kube-baseline", "baselineadminnetworkpolicy")
"""Calico's names for the tier of the Baseline policies (newer first)."""
ADMIN_ORDER = 1_000.0
DEFAULT_ORDER = 1_000_000.0
BASELINE_ORDER = 10_000_000.0
KUBERNETES_ORDER = 1000.0

Endpoint = Pod | Address | str
"""A pod, or an address outside the cluster (an ``ipaddress`` object or its text)."""


@dataclass
class Rule:
    """One rule: what it does, whom it matches, which ports."""

    action: Action
    matches: Callable[[End, End], bool]
    """(subject, other) -> whether the rule matches the flow."""
    ports: Callable[[End], PortSet]
    """target (the destination) -> the ports the rule covers."""


@dataclass
class Member:
    """A policy as a tier holds it."""

    order: float
    name: str
    selects: Callable[[Direction, End], bool]
    rules: Callable[[Direction], list[Rule]]


@dataclass
class Tier:
    name: str
    order: float
    deny_at_end: bool
    members: list[Member]


def _kubernetes(cluster: Cluster, policy: NetworkPolicy) -> Member:
    def rules(direction: Direction) -> list[Rule]:
        return [
            Rule(
                Action.ALLOW,
                lambda _s, o, r=r: kubernetes.rule_matches(cluster, policy, r, o),
                lambda t, r=r: kubernetes.rule_ports(r, t),
            )
            for r in policy.rules(direction)
        ]

    return Member(
        KUBERNETES_ORDER,
        f"knp.default.{policy.name}",
        lambda d, s: kubernetes.selects(policy, d, s),
        rules,
    )


def _admin(cluster: Cluster, policy: AdminNetworkPolicy) -> Member:
    def rules(direction: Direction) -> list[Rule]:
        written = policy.ingress if direction is Direction.INGRESS else policy.egress
        return [
            Rule(
                r.action,
                lambda _s, o, r=r: admin.rule_matches(cluster, r, o),
                lambda t, r=r: admin.rule_ports(r, t),
            )
            for r in written
        ]

    def selects(direction: Direction, subject: End) -> bool:
        written = policy.ingress if direction is Direction.INGRESS else policy.egress
        return bool(written) and admin.selects(policy, subject, cluster)

    return Member(float(policy.priority), policy.name, selects, rules)


def _calico(cluster: Cluster, policy: CalicoPolicy) -> Member:
    def rules(direction: Direction) -> list[Rule]:
        return [
            Rule(
                r.action,
                lambda s, o, r=r: calico.rule_matches(cluster, policy, r, direction, s, o),
                lambda t, r=r: calico.rule_values(r, t),
            )
            for r in policy.rules(direction)
            if not calico.governs_source_ports(r)  # left out of the map (docs/semantics.md)
            and not calico.http_decides_nothing(r)
        ]

    return Member(
        math.inf if policy.order is None else policy.order,
        policy.name,
        lambda d, s: calico.selects(cluster, policy, d, s),
        rules,
    )


def _settings(name: str, defined: CalicoTier | None) -> tuple[float, bool]:
    """(order, deny at the end) of a Calico tier."""
    builtin = {
        **dict.fromkeys(ADMIN_NAMES, ADMIN_ORDER),
        **dict.fromkeys(BASELINE_NAMES, BASELINE_ORDER),
    }
    if name == "default":
        deny = defined is None or defined.default_action is Action.DENY
        return DEFAULT_ORDER, deny
    if defined is not None:
        order = math.inf if defined.order is None else defined.order
        return order, defined.default_action is Action.DENY
    if name in builtin:
        return builtin[name], False
    return math.inf, True


def tiers(cluster: Cluster) -> list[Tier]:
    """Every tier, in evaluation order, its members in order."""
    admin_members = [
        _admin(cluster, p) for p in cluster.admin_policies if p.tier is AdminTier.ADMIN
    ]
    baseline_members = [
        _admin(cluster, p) for p in cluster.admin_policies if p.tier is AdminTier.BASELINE
    ]
    kubernetes_members = [_kubernetes(cluster, p) for p in cluster.policies]
    if not cluster.calico_policies:
        out = [
            Tier("Admin", ADMIN_ORDER, False, admin_members),
            Tier("NetworkPolicy", DEFAULT_ORDER, True, kubernetes_members),
            Tier("Baseline", BASELINE_ORDER, False, baseline_members),
        ]
    else:
        defined = {t.name: t for t in cluster.calico_tiers}
        in_use = set(defined) | {p.tier for p in cluster.calico_policies}
        admin_name = next((n for n in ADMIN_NAMES if n in in_use), ADMIN_NAMES[0])
        baseline_name = next((n for n in BASELINE_NAMES if n in in_use), BASELINE_NAMES[0])
        members: dict[str, list[Member]] = {
            "default": kubernetes_members,
            admin_name: admin_members,
            baseline_name: baseline_members,
        }
        for policy in cluster.calico_policies:
            if policy.pre_dnat or policy.do_not_track:
                continue  # these govern host endpoints only
            members.setdefault(policy.tier, []).append(_calico(cluster, policy))
        out = []
        for name, held in members.items():
            order, deny = _settings(name, defined.get(name))
            out.append(Tier(name, order, deny, held))
    out.sort(key=lambda t: (t.order, t.name))
    for tier in out:
        tier.members.sort(key=lambda m: (m.order, m.name))
    return out


def _walk(
    cluster: Cluster, direction: Direction, subject: End, other: End, asked: PortSet
) -> PortSet:
    if subject.pod is None:
        return asked  # an external endpoint: no policy governs its side
    target = other if direction is Direction.EGRESS else subject
    allowed = PortSet.none()
    undecided = asked
    for tier in tiers(cluster):
        selecting = [m for m in tier.members if m.selects(direction, subject)]
        if not selecting:
            continue  # a tier that selects no policy for the endpoint is skipped
        passed = PortSet.none()
        for member in selecting:
            for rule in member.rules(direction):
                if not rule.matches(subject, other):
                    continue
                ports = rule.ports(target) & (undecided - passed)
                if rule.action is Action.ALLOW:
                    allowed = allowed | ports
                    undecided = undecided - ports
                elif rule.action is Action.DENY:
                    undecided = undecided - ports
                elif rule.action is Action.PASS:
                    passed = passed | ports
        if tier.deny_at_end:
            undecided = undecided & passed
    return allowed | undecided


def direction_allowed(
    cluster: Cluster,
    direction: Direction,
    subject: Endpoint,
    other: Endpoint,
    ports: PortSet | None = None,
) -> PortSet:
    """What ``direction`` of ``subject``'s policies allows with ``other``: egress from it to
    ``other``, or ingress to it from ``other`` (of ``ports``, every port by default)."""
    asked = PortSet.all() if ports is None else ports
    return _walk(cluster, direction, end_of(subject), end_of(other), asked)


def flow_allowed(cluster: Cluster, src: Endpoint, dst: Endpoint) -> PortSet:
    """What may go from ``src`` to ``dst``: what the source's egress and the destination's
    ingress both allow."""
    return direction_allowed(cluster, Direction.EGRESS, src, dst) & direction_allowed(
        cluster, Direction.INGRESS, dst, src
    )


__all__ = ["Endpoint", "direction_allowed", "flow_allowed", "tiers"]
