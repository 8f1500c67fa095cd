"""The AdminNetworkPolicy family as plain data, defaults applied.

One model covers three source kinds of ``policy.networking.k8s.io``:

- ``AdminNetworkPolicy`` (v1alpha1): the Admin tier, evaluated before NetworkPolicy;
- ``BaselineAdminNetworkPolicy`` (v1alpha1): the Baseline tier, a singleton named ``default``,
  evaluated after NetworkPolicy;
- ``ClusterNetworkPolicy`` (v1alpha2): either tier, chosen by ``spec.tier``.

Every rule carries an :class:`~netfence.model.layers.Action`; the v1alpha2 ``Accept`` action is
stored as ``Action.ALLOW``. All three kinds are cluster-scoped, so a policy is keyed by kind and
name alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from netfence.model.layers import Action
from netfence.model.origin import FileOrigin, Origin
from netfence.model.selectors import LabelSelector
from netfence.sets.ipranges import IPRangeSet


class AdminTier(enum.StrEnum):
    """Where a policy's rules are evaluated relative to Kubernetes NetworkPolicy."""

    ADMIN = "Admin"
    """Before NetworkPolicy: an Allow or Deny here is final, a Pass defers to NetworkPolicy."""
    BASELINE = "Baseline"
    """After NetworkPolicy: only traffic no NetworkPolicy decided reaches it."""


class AdminPeerKind(enum.StrEnum):
    """The form of an ingress or egress peer (the one field set in the peer)."""

    NAMESPACES = "namespaces"
    """Every pod of the namespaces a selector matches."""
    PODS = "pods"
    """The pods a pod selector matches in the namespaces a namespace selector matches."""
    NETWORKS = "networks"
    """Addresses in a list of CIDRs, in-cluster ones included (egress only)."""
    NODES = "nodes"
    """The addresses of the nodes a node selector matches (egress only)."""
    DOMAIN_NAMES = "domainNames"
    """Destinations named by DNS names, exact or ``*.``-prefixed (egress only)."""


@dataclass(frozen=True)
class AdminSubject:
    """The pods a policy applies to (host-networked pods are never subjects).

    The ``namespaces`` form selects every pod of the matching namespaces (``pod_selector`` is
    None); the ``pods`` form selects the pods ``pod_selector`` matches in those namespaces.
    """

    namespace_selector: LabelSelector
    """Namespaces whose pods are subjects (the empty selector matches every namespace)."""
    pod_selector: LabelSelector | None = None
    """Pods selected inside those namespaces; None for the ``namespaces`` form (all pods)."""
    location: FileOrigin | None = None
    """Where the subject was written in a file; None from other sources (the policy's origin
    stands for it there)."""


@dataclass(frozen=True)
class AdminPeer:
    """One entry of a rule's ``from`` or ``to`` list; ``kind`` says which fields are set.

    - ``namespaces``: ``namespace_selector`` (all pods of those namespaces);
    - ``pods``: ``namespace_selector`` and ``pod_selector``;
    - ``networks``: ``networks`` and ``addresses``;
    - ``nodes``: ``node_selector``;
    - ``domainNames``: ``domains``.
    """

    kind: AdminPeerKind
    """The peer's form."""
    namespace_selector: LabelSelector | None = None
    """Namespaces matched (``namespaces`` and ``pods`` forms)."""
    pod_selector: LabelSelector | None = None
    """Pods matched inside those namespaces (``pods`` form)."""
    networks: tuple[str, ...] = ()
    """Normalized CIDRs (host bits cleared), in written order (``networks`` form)."""
    addresses: IPRangeSet = field(default_factory=IPRangeSet)
    """The union of ``networks`` (empty for other forms)."""
    node_selector: LabelSelector | None = None
    """Nodes whose addresses are matched (``nodes`` form)."""
    domains: tuple[str, ...] = ()
    """Domain names, lower-cased without a trailing dot; ``*.`` marks subdomains only."""
    location: FileOrigin | None = None
    """Where the peer was written in a file; None from other sources (the policy's origin
    stands for it there)."""


@dataclass(frozen=True)
class AdminPort:
    """A destination port match: a number, an inclusive range, or a named container port."""

    protocol: str | None
    """TCP, UDP or SCTP; None for a named port, which takes the named container port's own."""
    start: int | None = None
    """First port of the range (a single port is a range of one); None for a named port."""
    end: int | None = None
    """Last port of the range, inclusive (equal to ``start`` for a single port)."""
    named: str | None = None
    """The container port name, for a named port."""
    location: FileOrigin | None = None
    """Where the entry was written in a file; None from other sources (the policy's origin
    stands for it there)."""

    def __str__(self) -> str:
        if self.named is not None:
            return f"named port {self.named}"
        if self.start == self.end:
            return f"{self.protocol} {self.start}"
        return f"{self.protocol} {self.start}-{self.end}"


@dataclass(frozen=True)
class AdminRule:
    """An ordered rule: ``action`` applies to traffic with any of ``peers`` on any of ``ports``."""

    name: str
    """The rule's ``name`` (at most 100 characters); empty when not given."""
    action: Action
    """ALLOW (ANP/BANP ``Allow``, CNP ``Accept``), DENY, or PASS (skip to the next tier)."""
    peers: tuple[AdminPeer, ...]
    """The ``from`` (ingress) or ``to`` (egress) peers; never empty."""
    ports: tuple[AdminPort, ...] | None = None
    """The ports matched; None when the rule does not restrict ports (all ports)."""
    location: FileOrigin | None = None
    """Where the rule was written in a file; None from other sources (the policy's origin
    stands for it there)."""


@dataclass(frozen=True)
class AdminNetworkPolicy:
    """An AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy."""

    kind: str
    """The source kind: AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy."""
    name: str
    """The policy's name (a BaselineAdminNetworkPolicy is always ``default``)."""
    tier: AdminTier
    """ANP: Admin; BANP: Baseline; CNP: its ``spec.tier``."""
    priority: int
    """0-1000, lower is evaluated first within the tier; 0 for the singleton BANP."""
    subject: AdminSubject
    """The pods the policy applies to."""
    ingress: tuple[AdminRule, ...] = ()
    """Ingress rules in precedence (written) order; none: ingress is not affected."""
    egress: tuple[AdminRule, ...] = ()
    """Egress rules in precedence (written) order; none: egress is not affected."""
    location: Origin | None = None
    """Where the policy was read: a file or an API object."""

    @property
    def key(self) -> str:
        """``kind/name`` (the kinds are cluster-scoped)."""
        return f"{self.kind}/{self.name}"
