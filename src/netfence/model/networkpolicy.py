"""Kubernetes NetworkPolicy (networking.k8s.io/v1) as plain data, defaults applied."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netfence.model.origin import FileOrigin, Origin
from netfence.model.selectors import LabelSelector
from netfence.sets.ipranges import IPRangeSet


class Direction(enum.StrEnum):
    """A policy type: which traffic of the selected pods a policy governs."""

    INGRESS = "Ingress"
    EGRESS = "Egress"


@dataclass(frozen=True)
class IPBlock:
    """An ipBlock peer: ``cidr`` less every ``except`` range, both normalized."""

    cidr: str
    """The normalized CIDR (host bits cleared)."""
    excepts: tuple[str, ...]
    """Normalized CIDRs carved out of ``cidr``."""
    addresses: IPRangeSet
    """The addresses the block matches: cidr minus excepts."""


@dataclass(frozen=True)
class Peer:
    """A NetworkPolicyPeer.

    Either ``ip_block`` alone, or a pod selector and/or a namespace selector. Without a
    namespace selector the pod selector is local to the policy's namespace; with both, the
    peer is their conjunction (NetworkPolicyPeer, Kubernetes API reference).
    """

    pod_selector: LabelSelector | None
    """Pods matched; None means every pod of the selected namespaces."""
    namespace_selector: LabelSelector | None
    """Namespaces matched; None means the policy's own namespace."""
    ip_block: IPBlock | None
    """Addresses matched, when the peer is an ipBlock."""
    location: FileOrigin | None = None
    """Where the peer was written in a file; None from other sources (the policy's origin
    stands for it there)."""


@dataclass(frozen=True)
class PolicyPort:
    """A NetworkPolicyPort: protocol (TCP by default), a port number or name, an endPort."""

    protocol: str
    """TCP, UDP or SCTP."""
    port: int | str | None
    """A number, a named container port, or None for every port of the protocol."""
    end_port: int | None = None
    """Inclusive end of a numeric range starting at ``port``."""
    location: FileOrigin | None = None
    """Where the entry was written in a file; None from other sources (the policy's origin
    stands for it there)."""

    def __str__(self) -> str:
        if self.port is None:
            return f"{self.protocol} all"
        if self.end_port is not None:
            return f"{self.protocol} {self.port}-{self.end_port}"
        return f"{self.protocol} {self.port}"


@dataclass(frozen=True)
class PolicyRule:
    """An ingress or egress rule: traffic to or from any of ``peers`` on any of ``ports``."""

    peers: tuple[Peer, ...] | None
    """The peers (``from`` or ``to``); None when the field is empty or missing: every peer."""
    ports: tuple[PolicyPort, ...] | None
    """The ports; None when the field is empty or missing: every port."""
    location: FileOrigin | None = None
    """Where the rule was written in a file; None from other sources (the policy's origin
    stands for it there)."""


@dataclass(frozen=True)
class NetworkPolicy:
    """A NetworkPolicy with the API server's defaults applied."""

    namespace: str
    """The policy's namespace."""
    name: str
    """The policy's name."""
    pod_selector: LabelSelector
    """Pods of ``namespace`` the policy applies to."""
    policy_types: frozenset[Direction]
    """Directions in which selected pods are isolated (defaulted as the API server does)."""
    ingress: tuple[PolicyRule, ...]
    """Ingress rules (an empty tuple with Ingress in policy_types denies all ingress)."""
    egress: tuple[PolicyRule, ...]
    """Egress rules."""
    location: Origin | None = None
    """Where the policy was read: a file or an API object."""

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: Direction) -> tuple[PolicyRule, ...]:
        """The rules of one direction."""
        return self.ingress if direction is Direction.INGRESS else self.egress
