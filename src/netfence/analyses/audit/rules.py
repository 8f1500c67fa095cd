"""Shared helpers for checks that look at individual rules and peers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyRule
from netfence.model.selectors import LabelSelector, Operator
from netfence.sets.ipranges import IPRangeSet


@dataclass(frozen=True)
class RuleRef:
    """One rule of one policy, with its position."""

    policy: NetworkPolicy
    """The policy."""
    direction: Direction
    """Ingress or egress list."""
    index: int
    """0-based index in that list."""
    rule: PolicyRule
    """The rule."""

    @property
    def path(self) -> str:
        """``spec.ingress[0]`` or ``spec.egress[1]``."""
        return f"spec.{self.direction.value.lower()}[{self.index}]"

    @property
    def peers_key(self) -> str:
        """``from`` or ``to``."""
        return "from" if self.direction is Direction.INGRESS else "to"


def iter_rules(policies: tuple[NetworkPolicy, ...]) -> Iterator[RuleRef]:
    """Every rule of every policy, in order, for the directions the policy governs."""
    for policy in policies:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            if direction not in policy.policy_types:
                continue
            for i, rule in enumerate(policy.rules(direction)):
                yield RuleRef(policy, direction, i, rule)


NAMESPACE_LABELS = frozenset({"kubernetes.io/metadata.name"})
"""Labels the API server sets on every namespace, so a new namespace always carries them."""


def matches_future_objects(
    selector: LabelSelector | None, always_set: frozenset[str] = frozenset()
) -> bool:
    """Whether the selector admits objects created later with no particular labels.

    A new object lacks every label except those in ``always_set`` (for namespaces, their
    name label), whose value is unknown in advance. So a requirement admits it when it is
    NotIn or DoesNotExist on an ordinary key, or Exists or NotIn on an always-set key.
    """
    if selector is None:
        return True
    for r in selector.requirements:
        if r.key in always_set:
            if r.operator not in (Operator.EXISTS, Operator.NOT_IN):
                return False
        elif r.operator not in (Operator.NOT_IN, Operator.DOES_NOT_EXIST):
            return False
    return True


def peer_is_any_pod_anywhere(peer: Peer) -> bool:
    """A peer matching every pod of every namespace, present and future."""
    return (
        peer.ip_block is None
        and peer.namespace_selector is not None
        and _matches_every_namespace(peer.namespace_selector)
        and (peer.pod_selector is None or peer.pod_selector.selects_all)
    )


def _matches_every_namespace(selector: LabelSelector) -> bool:
    """The empty selector, or one that only asks for the name label every namespace has."""
    return all(
        r.key in NAMESPACE_LABELS and r.operator is Operator.EXISTS for r in selector.requirements
    )


def rule_addresses(rule: PolicyRule) -> IPRangeSet:
    """The external addresses a rule's peers name (all of them when it has no peers)."""
    if rule.peers is None:
        return IPRangeSet.everything()
    return IPRangeSet.union_of(p.ip_block.addresses for p in rule.peers if p.ip_block is not None)


def rule_allows_every_peer(rule: PolicyRule) -> bool:
    """Whether the rule admits every pod (present and future) and every IPv4 address."""
    if rule.peers is None:
        return True
    any_pod = any(peer_is_any_pod_anywhere(p) for p in rule.peers)
    v4_all = IPRangeSet.from_cidr("0.0.0.0/0").issubset(rule_addresses(rule))
    return any_pod and v4_all


def rule_allows_every_port(rule: PolicyRule) -> bool:
    """Whether the rule allows every TCP and UDP port (numbers, not names)."""
    if rule.ports is None:
        return True
    covered = {"TCP": False, "UDP": False}
    spans: dict[str, list[tuple[int, int]]] = {"TCP": [], "UDP": []}
    for port in rule.ports:
        if port.protocol not in spans or isinstance(port.port, str):
            continue
        if port.port is None:
            covered[port.protocol] = True
        else:
            spans[port.protocol].append((port.port, port.end_port or port.port))
    for proto, ranges in spans.items():
        reach = 0
        for lo, hi in sorted(ranges):
            if lo > reach + 1:
                break
            reach = max(reach, hi)
        covered[proto] = covered[proto] or reach >= 65535
    return all(covered.values())
