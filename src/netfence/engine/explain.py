"""Explain one flow: each direction's verdict and every step of the walk behind it.

The flow is walked through the same compiled tiers the map is computed from (the one
evaluator, ``engine/evaluator.py``), so an explanation can never disagree with the map; each
step names the layer, tier, policy and rule (with the peer and port entry that matched) and
its action.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from netfence.engine.classes import EndpointClasses, build_classes
from netfence.engine.evaluator import FlowStep, FlowWalk, StepKind, walk_flow
from netfence.engine.missing_facts import (
    address_dependencies,
    pod_address_space,
    pods_without_addresses,
)
from netfence.errors import QueryError
from netfence.model.cluster import Cluster, Pod
from netfence.model.layers import Action, RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies, compile_layers
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet
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
    pod_index: int | None = None
    """Index of ``pod`` in ``cluster.pods``."""


@dataclass(frozen=True)
class ExplainStep:
    """One decision of the walk: which layer, tier and rule decided which ports, and how."""

    kind: StepKind
    """What decided: a rule, a tier's end, or the default."""
    layer: str
    """The enforcement layer (``policy``: the pod's network policies)."""
    tier: str
    """The tier's name; empty for the default."""
    origin: RuleOrigin | None
    """The rule, with the peer and port entry that matched where known; None for a tier's
    end-of-tier deny and for the default."""
    action: Action
    """What happened to ``ports``: Allow, Deny, Pass, or Log (recorded only)."""
    ports: PortSet
    """The ports this step decided."""
    what: str
    """The rule (``Kind/ns/name spec.ingress[0]``), or ``end of tier`` / ``no policy decided``."""

    def __str__(self) -> str:
        where = f"[{self.tier}] " if self.tier else ""
        return f"{where}{self.what} {self.action.value} ({self.ports.describe()})"


@dataclass(frozen=True)
class DirectionVerdict:
    """The verdict of one direction: egress from the source, or ingress to the destination."""

    direction: Direction
    """Egress (judged at the source) or Ingress (judged at the destination)."""
    endpoint: str
    """The endpoint whose policies decide."""
    selecting: tuple[str, ...]
    """Policies (``Kind/ns/name``) that select the endpoint for this direction, in walk order."""
    allowed: PortSet
    """What this direction allows for the flow."""
    reason: str
    """Why, in a sentence."""
    steps: tuple[ExplainStep, ...] = ()
    """The walk, step by step."""

    @property
    def matches(self) -> tuple[ExplainStep, ...]:
        """The rule steps that allowed part of the flow."""
        return tuple(s for s in self.steps if s.origin is not None and s.action is Action.ALLOW)


@dataclass(frozen=True)
class MissingFact:
    """A fact the input lacks that the explained verdict depends on."""

    fact: str
    """``pod addresses``."""
    direction: Direction
    """The direction whose verdict depends on it."""
    detail: str
    """What depends on it, in a sentence."""
    rule: RuleOrigin | None = None
    """The rule whose verdict may differ, when one does."""

    def __str__(self) -> str:
        return f"{self.direction.value}: {self.detail}"


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
    missing_facts: tuple[MissingFact, ...] = ()
    """Facts the input lacks (pod addresses) that the verdict depends on."""

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
        for i, pod in enumerate(cluster.pods):
            if str(address) in pod.ips:
                return FlowEndpoint(pod.key, pod, None, pod_index=i)
        return FlowEndpoint(str(address), None, address)
    by_workload = [
        i for i, p in enumerate(cluster.pods) if p.workload is not None and p.workload.key == name
    ]
    if by_workload:
        first = by_workload[0]
        return FlowEndpoint(name, cluster.pods[first], None, len(by_workload), first)
    for i, pod in enumerate(cluster.pods):
        if pod.key == name:
            return FlowEndpoint(name, pod, None, pod_index=i)
    raise QueryError(f"no workload, pod or IP address called {name!r} (use namespace/name)")


def parse_port(text: str, dst: FlowEndpoint) -> tuple[str, int]:
    """``80``, ``80/TCP``, ``53/udp`` or ``http/TCP`` (named, resolved on the destination)."""
    value, _, proto = text.partition("/")
    protocol = (proto or "TCP").upper() if proto.isascii() else proto
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise QueryError(f"unknown protocol {proto!r} in --port (expected TCP, UDP or SCTP)")
    if re.fullmatch(r"[0-9]+", value):  # ASCII digits only: "²" or "٨٠" are no port number
        number = int(value) if len(value) <= 5 else 0
        if not 1 <= number <= 65535:
            raise QueryError(
                f"port {value[:12]}{'...' if len(value) > 12 else ''} is outside 1-65535"
            )
        return protocol, number
    if dst.pod is None:
        raise QueryError(f"named port {value!r} needs an in-cluster destination")
    number_or_none = dst.pod.named_port(value, protocol)
    if number_or_none is None:
        raise QueryError(f"{dst.name} declares no {protocol} port named {value!r}")
    return protocol, number_or_none


def explain_flow(
    cluster: Cluster, src_name: str, dst_name: str, port: str | None = None
) -> FlowExplanation:
    """Explain the flow from ``src_name`` to ``dst_name`` (optionally on one port)."""
    src = resolve_endpoint(cluster, src_name)
    dst = resolve_endpoint(cluster, dst_name)
    if src.pod is None and dst.pod is None:
        raise QueryError("at least one endpoint must be in the cluster")
    asked = parse_port(port, dst) if port is not None else None
    classes = build_classes(cluster)
    return explain_endpoints(classes, compile_layers(classes), src, dst, asked)


def explain_endpoints(
    classes: EndpointClasses,
    compiled: CompiledPolicies,
    src: FlowEndpoint,
    dst: FlowEndpoint,
    asked: tuple[str, int] | None = None,
) -> FlowExplanation:
    """Explain a flow between resolved endpoints over classes already built and compiled
    (``classes.cluster`` is the cluster the endpoints' pod indices refer to), so that many
    flows, or the two sides of a diff, share one compilation."""
    space = _Space(classes, compiled, asked)
    egress = space.direction(Direction.EGRESS, src, dst)
    ingress = space.direction(Direction.INGRESS, dst, src)
    missing = (
        *space.missing_facts(Direction.EGRESS, src, dst),
        *space.missing_facts(Direction.INGRESS, dst, src),
    )
    return FlowExplanation(
        src, dst, asked, egress, ingress, egress.allowed & ingress.allowed, tuple(missing)
    )


class _Space:
    """Endpoint indices and port masks of one explanation."""

    def __init__(
        self, classes: EndpointClasses, compiled: CompiledPolicies, asked: tuple[str, int] | None
    ) -> None:
        self.classes = classes
        self.compiled = compiled
        self.class_of_pod = classes.class_of_pod
        atoms = classes.port_atoms
        if asked is None:
            self.asked = PortSet.all()
            self.mask: Mask = atoms.full
        else:
            self.asked = PortSet.of(asked[0], asked[1])
            self.mask = atoms.mask_of_atoms([atoms.atom_of(asked[0], asked[1])])

    def index(self, endpoint: FlowEndpoint) -> int:
        """The endpoint's index: its class, or its address atom past the classes."""
        if endpoint.pod_index is not None:
            return int(self.class_of_pod[endpoint.pod_index])
        assert endpoint.address is not None
        return self.classes.count + self.classes.ip_atoms.atom_of(str(endpoint.address))

    def ports(self, mask: Mask) -> PortSet:
        """The ports of a mask, within what was asked."""
        return self.classes.port_atoms.to_portset(mask) & self.asked

    def direction(
        self, direction: Direction, subject: FlowEndpoint, other: FlowEndpoint
    ) -> DirectionVerdict:
        """One direction: egress at the source, or ingress at the destination."""
        target = other if direction is Direction.EGRESS else subject
        walked = walk_flow(
            self.compiled,
            direction,
            self.index(subject) if subject.pod is not None else None,
            self.index(other),
            self.index(target),
            self.mask,
            _addresses_of(other),
        )
        steps = tuple(self._step(s) for s in walked.steps)
        steps = tuple(s for s in steps if s.ports)
        allowed = self.ports(walked.allowed)
        selecting = tuple(dict.fromkeys(p.policy for p in walked.selecting))
        return DirectionVerdict(
            direction,
            subject.name,
            selecting,
            allowed,
            _reason(direction, subject, walked, steps, allowed),
            steps,
        )

    def missing_facts(
        self, direction: Direction, subject: FlowEndpoint, other: FlowEndpoint
    ) -> Iterator[MissingFact]:
        """What the direction's verdict depends on that the input lacks: the other end's pod
        address, where a rule of the subject's matches addresses that may hold it; or, for an
        address in the pod address space that no pod of the input has, whose pod it is."""
        if subject.pod is None:
            return
        cluster = self.classes.cluster
        space = pod_address_space(cluster)
        if other.address is not None:
            if space.ranges.contains(other.address) and pods_without_addresses(cluster):
                yield MissingFact(
                    "pod addresses",
                    direction,
                    f"{other.name} is in {space.source} and no pod of the input has it, while "
                    "some pods have no address: if it is a pod's, that pod's own policies and "
                    "the rules selecting it judge the flow as well",
                )
            return
        assert other.pod is not None
        if other.pod.ips or other.pod.host_network:
            return
        peers = np.zeros(self.classes.count, dtype=np.bool_)
        peers[self.index(other)] = True
        for found in address_dependencies(
            self.classes, self.compiled, space, direction, self.index(subject), peers, self.mask
        ):
            origin = found.rule.origin
            yield MissingFact(
                "pod addresses",
                direction,
                f"{other.name} has no address in the input; {origin.policy} {origin.rule_path} "
                f"matches {found.overlap.describe()} ({space.source}), which may hold it in "
                "the cluster",
                origin,
            )

    def _step(self, step: FlowStep) -> ExplainStep:
        return ExplainStep(
            step.kind,
            step.layer,
            step.tier,
            step.origin,
            step.action,
            self.ports(step.ports),
            step.what,
        )


def _addresses_of(endpoint: FlowEndpoint) -> IPRangeSet:
    """The endpoint's concrete addresses: the address, or the pod's IPs."""
    if endpoint.address is not None:
        return IPRangeSet.from_addresses([str(endpoint.address)])
    assert endpoint.pod is not None
    return IPRangeSet.from_addresses(endpoint.pod.ips)


def _reason(
    direction: Direction,
    subject: FlowEndpoint,
    walked: FlowWalk,
    steps: tuple[ExplainStep, ...],
    allowed: PortSet,
) -> str:
    if subject.pod is None:
        return "an external endpoint: no policy governs its side"
    if not walked.selecting:
        return f"no policy selects {subject.name} for {direction.value}: it is not isolated"
    by_rules = [s for s in steps if s.origin is not None and s.action is Action.ALLOW]
    if by_rules:
        count = len(by_rules)
        return f"allowed by {count} rule entr{'y' if count == 1 else 'ies'}"
    if allowed:
        return "no policy decided: allowed by default"
    if not any(s.origin is not None for s in steps):
        return "no rule of the selecting policies matches: denied"
    return "denied by the policy layers"
