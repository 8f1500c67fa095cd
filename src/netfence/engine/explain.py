"""Explain one flow: each direction's verdict and the policies, rules, peers and ports behind it.

This walks the policies for one source and one destination directly, without the bulk
matrices, so it names every policy that selects an endpoint and every rule that matched.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netfence.engine.explain_layers import (
    Endpoint,
    Step,
    k8s_entry_ports,
    k8s_peer_matches,
    plan,
    walk,
)
from netfence.errors import Location, QueryError
from netfence.model.cluster import Cluster, Pod
from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyPort
from netfence.sets.ports import PortSet

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class FlowEndpoint:
    """One end of a flow: a pod (standing for its workload) or an external address."""

    name: str
    """As the user named it: ``ns/name`` or an address."""
    pod: Pod | None
    """The pod, for an in-cluster endpoint."""
    address: Address | None
    """The address, for an external endpoint."""
    pod_count: int = 1
    """How many pods the name stands for (replicas of a workload)."""


@dataclass(frozen=True)
class RuleMatch:
    """A rule entry that allowed part of the flow."""

    policy: str
    """``namespace/name`` of the policy."""
    direction: Direction
    """Which rule list the rule is in."""
    rule_index: int
    """0-based index in ``spec.ingress`` or ``spec.egress``."""
    peer_index: int | None
    """0-based index of the first matching peer; None when the rule has no peers (all)."""
    port_index: int | None
    """0-based index of the port entry; None when the rule has no ports (all)."""
    allowed: PortSet
    """What this entry allows towards the destination."""
    location: Location | None
    """Where the rule (or its port entry) is written."""

    @property
    def path(self) -> str:
        """The rule's field path, e.g. ``spec.ingress[0].from[1], ports[0]``."""
        key, peers = (
            ("ingress", "from") if self.direction is Direction.INGRESS else ("egress", "to")
        )
        text = f"spec.{key}[{self.rule_index}]"
        text += f".{peers}[{self.peer_index}]" if self.peer_index is not None else f" (any {peers})"
        text += f", ports[{self.port_index}]" if self.port_index is not None else ", any port"
        return text


@dataclass(frozen=True)
class DirectionVerdict:
    """The verdict of one direction: egress from the source, or ingress to the destination."""

    direction: Direction
    """Egress (judged at the source) or Ingress (judged at the destination)."""
    endpoint: str
    """The endpoint whose policies decide."""
    selecting: tuple[str, ...]
    """Policies that select the endpoint for this direction."""
    matches: tuple[RuleMatch, ...]
    """Rule entries that allow part of the flow."""
    allowed: PortSet
    """What this direction allows for the flow."""
    reason: str
    """Why, in a sentence."""
    steps: tuple[Step, ...] = ()
    """The walk through the policy layers (set when layers beyond NetworkPolicy exist)."""


@dataclass(frozen=True)
class FlowExplanation:
    """Both directions and the combined verdict of one flow."""

    src: FlowEndpoint
    """The source."""
    dst: FlowEndpoint
    """The destination."""
    port: tuple[str, int] | None
    """(protocol, number) asked about; None for every port."""
    egress: DirectionVerdict
    """Egress from the source."""
    ingress: DirectionVerdict
    """Ingress to the destination."""
    allowed: PortSet
    """What both directions allow."""

    @property
    def verdict(self) -> bool:
        """Whether anything (or the asked port) is allowed."""
        if self.port is None:
            return bool(self.allowed)
        return self.allowed.contains(*self.port)


def resolve_endpoint(cluster: Cluster, name: str) -> FlowEndpoint:
    """Find a workload, a pod or an address by the name a user gave."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        for pod in cluster.pods:
            if str(address) in pod.ips:
                return FlowEndpoint(pod.key, pod, None)
        return FlowEndpoint(str(address), None, address)
    by_workload = [p for p in cluster.pods if p.workload is not None and p.workload.key == name]
    if by_workload:
        return FlowEndpoint(name, by_workload[0], None, len(by_workload))
    for pod in cluster.pods:
        if pod.key == name:
            return FlowEndpoint(name, pod, None)
    raise QueryError(f"no workload, pod or IP address called {name!r} (use namespace/name)")


def parse_port(text: str, dst: FlowEndpoint) -> tuple[str, int]:
    """``80``, ``80/TCP``, ``53/udp`` or ``http/TCP`` (named, resolved on the destination)."""
    value, _, proto = text.partition("/")
    protocol = (proto or "TCP").upper()
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise QueryError(f"unknown protocol {proto!r} in --port (expected TCP, UDP or SCTP)")
    if value.isdigit():
        number = int(value)
        if not 1 <= number <= 65535:
            raise QueryError(f"port {number} is outside 1-65535")
        return protocol, number
    if dst.pod is None:
        raise QueryError(f"named port {value!r} needs an in-cluster destination")
    number_or_none = dst.pod.named_port(value, protocol)
    if number_or_none is None:
        raise QueryError(f"{dst.name} declares no {protocol} port named {value!r}")
    return protocol, number_or_none


def _peer_matches(cluster: Cluster, policy: NetworkPolicy, peer: Peer, other: FlowEndpoint) -> bool:
    return k8s_peer_matches(cluster, policy, peer, Endpoint(other.pod, other.address))


def _entry_ports(entry: PolicyPort, target: FlowEndpoint) -> PortSet:
    return k8s_entry_ports(entry, Endpoint(target.pod, target.address))


def _judge(
    cluster: Cluster,
    direction: Direction,
    subject: FlowEndpoint,
    other: FlowEndpoint,
    target: FlowEndpoint,
    port: tuple[str, int] | None,
) -> DirectionVerdict:
    if subject.pod is None:
        return DirectionVerdict(
            direction,
            subject.name,
            (),
            (),
            PortSet.all(),
            "an external endpoint: no NetworkPolicy governs its side",
        )
    pod = subject.pod
    selecting = [
        p
        for p in cluster.policies
        if direction in p.policy_types
        and p.namespace == pod.namespace
        and p.pod_selector.matches(pod.labels)
    ]
    if not selecting:
        return DirectionVerdict(
            direction,
            subject.name,
            (),
            (),
            PortSet.all(),
            f"no policy selects {subject.name} for {direction.value}: it is not isolated",
        )
    matches: list[RuleMatch] = []
    allowed = PortSet.none()
    for policy in selecting:
        for r, rule in enumerate(policy.rules(direction)):
            peer_index: int | None = None
            if rule.peers is not None:
                found = [
                    j for j, p in enumerate(rule.peers) if _peer_matches(cluster, policy, p, other)
                ]
                if not found:
                    continue
                peer_index = found[0]
            entries: list[tuple[int | None, PortSet, Location | None]]
            if rule.ports is None:
                entries = [(None, PortSet.all(), rule.location)]
            else:
                entries = [
                    (k, _entry_ports(e, target), e.location) for k, e in enumerate(rule.ports)
                ]
            for k, ports, location in entries:
                if port is not None:
                    ports = ports & PortSet.of(port[0], port[1])
                if ports:
                    allowed = allowed | ports
                    matches.append(
                        RuleMatch(policy.key, direction, r, peer_index, k, ports, location)
                    )
    names = tuple(p.key for p in selecting)
    if matches:
        reason = f"allowed by {len(matches)} rule entr{'y' if len(matches) == 1 else 'ies'}"
    else:
        reason = "no rule of the selecting policies matches: denied"
    return DirectionVerdict(direction, subject.name, names, tuple(matches), allowed, reason)


def explain_flow(
    cluster: Cluster, src_name: str, dst_name: str, port: str | None = None
) -> FlowExplanation:
    """Explain the flow from ``src_name`` to ``dst_name`` (optionally on one port)."""
    src = resolve_endpoint(cluster, src_name)
    dst = resolve_endpoint(cluster, dst_name)
    if src.pod is None and dst.pod is None:
        raise QueryError("at least one endpoint must be in the cluster")
    asked = parse_port(port, dst) if port is not None else None
    if cluster.calico_policies or cluster.admin_policies:
        egress = _layered(cluster, Direction.EGRESS, src, dst, asked)
        ingress = _layered(cluster, Direction.INGRESS, dst, src, asked)
    else:
        egress = _judge(cluster, Direction.EGRESS, src, dst, dst, asked)
        ingress = _judge(cluster, Direction.INGRESS, dst, src, dst, asked)
    return FlowExplanation(src, dst, asked, egress, ingress, egress.allowed & ingress.allowed)


def _layered(
    cluster: Cluster,
    direction: Direction,
    subject: FlowEndpoint,
    other: FlowEndpoint,
    asked: tuple[str, int] | None,
) -> DirectionVerdict:
    """One direction through every layer (Admin, Calico tiers or NetworkPolicy, Baseline)."""
    target = other if direction is Direction.EGRESS else subject
    ports = PortSet.all() if asked is None else PortSet.of(asked[0], asked[1])
    allowed, steps, selecting = walk(
        plan(cluster),
        direction,
        Endpoint(subject.pod, subject.address),
        Endpoint(other.pod, other.address),
        Endpoint(target.pod, target.address),
        ports,
    )
    if subject.pod is None:
        reason = "an external endpoint: no policy governs its side"
    elif not selecting:
        reason = f"no policy selects {subject.name} for {direction.value}: it is not isolated"
    elif allowed:
        reason = f"decided by {len(steps)} step(s) through the policy layers"
    else:
        reason = "denied by the policy layers"
    return DirectionVerdict(
        direction, subject.name, tuple(selecting), (), allowed, reason, tuple(steps)
    )
