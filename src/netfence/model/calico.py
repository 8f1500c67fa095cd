"""Calico (projectcalico.org/v3) policy resources as plain data, defaults applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.model.origin import FileOrigin, Origin
from netfence.sets.ipranges import IPRangeSet

if TYPE_CHECKING:
    from netfence.model.calico_selector import Selector

DEFAULT_TIER = "default"
"""The tier of policies that name none, and of Kubernetes NetworkPolicies under Calico."""
DEFAULT_TIER_ORDER = 1_000_000.0
"""The default tier's fixed order."""
KUBERNETES_POLICY_ORDER = 1000.0
"""The order Calico gives Kubernetes NetworkPolicies (``knp.default.<name>``)."""


@dataclass(frozen=True)
class CalicoPorts:
    """A ``ports`` or ``notPorts`` list: numbers, ranges ``"lo:hi"`` and named ports."""

    spans: tuple[tuple[int, int], ...]
    """Inclusive numeric ranges."""
    names: tuple[str, ...]
    """Named ports, resolved on the destination endpoint."""


@dataclass(frozen=True)
class EntityRule:
    """The source or destination of a Calico rule; all its criteria are AND-ed."""

    nets: tuple[str, ...] | None = None
    """CIDRs the address must be in (None: no constraint)."""
    not_nets: tuple[str, ...] = ()
    """CIDRs the address must not be in."""
    selector: Selector | None = None
    """Endpoints and network sets the peer must be (None: no constraint)."""
    not_selector: Selector | None = None
    """Endpoints and network sets the peer must not be."""
    namespace_selector: Selector | None = None
    """Namespaces the selector is evaluated in (None: the policy's own scope)."""
    ports: CalicoPorts | None = None
    """Destination ports (None: all)."""
    not_ports: CalicoPorts | None = None
    """Destination ports excluded."""
    service_account_names: tuple[str, ...] | None = None
    """Service accounts the endpoint must run as."""
    service_account_selector: Selector | None = None
    """Selector over the service account's labels."""
    services: bool = False
    """Whether the rule names Kubernetes Services (not modeled: matches nothing)."""

    @property
    def constrains_peer(self) -> bool:
        """Whether any endpoint criterion is set (ports aside)."""
        return (
            any(
                v is not None
                for v in (
                    self.nets,
                    self.selector,
                    self.not_selector,
                    self.namespace_selector,
                    self.service_account_names,
                    self.service_account_selector,
                )
            )
            or bool(self.not_nets)
            or self.services
        )


@dataclass(frozen=True)
class CalicoRule:
    """One rule: an action and what it matches."""

    action: Action
    """Allow, Deny, Pass or Log."""
    protocol: str | None
    """TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number (1-255) as text; None: any."""
    not_protocol: str | None
    """A protocol the packet must not use."""
    source: EntityRule
    """What the source must be."""
    destination: EntityRule
    """What the destination must be (and its ports)."""
    ip_version: int | None = None
    """4 or 6 to limit the rule to one family."""
    icmp: tuple[int, int | None] | None = None
    """ICMP (or ICMPv6) type and optional code the packet must have."""
    not_icmp: tuple[int, int | None] | None = None
    """ICMP type and optional code the packet must not have."""
    http: bool = False
    """Whether application-layer (HTTP) match criteria are set (not modeled)."""
    location: FileOrigin | None = None
    """Where the rule was written in a file; None from other sources (the policy's origin
    stands for it there)."""


@dataclass(frozen=True)
class CalicoPolicy:
    """A Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy (cluster-wide)."""

    kind: str
    """``NetworkPolicy`` or ``GlobalNetworkPolicy``."""
    namespace: str | None
    """The namespace, for a NetworkPolicy; None for a GlobalNetworkPolicy."""
    name: str
    """The policy's name."""
    tier: str
    """The tier it belongs to."""
    order: float | None
    """Lower first; None sorts after every ordered policy."""
    selector: Selector
    """Endpoints the policy applies to."""
    types: frozenset[Direction]
    """Directions the policy governs (defaulted from its rule lists)."""
    ingress: tuple[CalicoRule, ...]
    """Ingress rules, in order."""
    egress: tuple[CalicoRule, ...]
    """Egress rules, in order."""
    namespace_selector: Selector | None = None
    """GlobalNetworkPolicy only: namespaces whose endpoints it applies to."""
    service_account_selector: Selector | None = None
    """Endpoints must run as a service account matching this."""
    do_not_track: bool = False
    """Untracked policy for host endpoints."""
    pre_dnat: bool = False
    """Pre-DNAT policy for host endpoints."""
    apply_on_forward: bool = False
    """Applies to traffic forwarded through host endpoints."""
    location: Origin | None = None
    """Where it was read: a file or an API object."""

    @property
    def key(self) -> str:
        """``namespace/name`` or ``name`` (global)."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def source(self) -> str:
        """How explanations name it: ``CalicoNetworkPolicy/ns/name`` (never to be confused
        with a Kubernetes NetworkPolicy of the same name) or ``GlobalNetworkPolicy/name``."""
        kind = "CalicoNetworkPolicy" if self.kind == "NetworkPolicy" else self.kind
        return f"{kind}/{self.key}"

    def rules(self, direction: Direction) -> tuple[CalicoRule, ...]:
        """The rules of one direction."""
        return self.ingress if direction is Direction.INGRESS else self.egress


CALICO_NAMESPACE_LABEL = "projectcalico.org/namespace"
"""Label Calico puts on every workload endpoint (and namespaced network set): its namespace."""
CALICO_ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
"""Label Calico puts on every workload endpoint: ``k8s``."""
CALICO_SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
"""Label Calico puts on every workload endpoint: its service account."""


def endpoint_labels(
    labels: Mapping[str, str], namespace: str, service_account: str
) -> dict[str, str]:
    """The labels Calico's selectors see on a pod's workload endpoint: the pod's own, plus
    its namespace, orchestrator and service account."""
    out = dict(labels)
    out[CALICO_NAMESPACE_LABEL] = namespace
    out[CALICO_ORCHESTRATOR_LABEL] = "k8s"
    out[CALICO_SERVICE_ACCOUNT_LABEL] = service_account
    return out


@dataclass(frozen=True)
class CalicoTier:
    """A Tier: an order among tiers and what happens to traffic its policies leave undecided."""

    name: str
    """The tier's name."""
    order: float | None
    """Lower first; None last."""
    default_action: Action = Action.DENY
    """Deny (the default) or Pass."""
    location: Origin | None = None
    """Where it was read: a file or an API object."""


@dataclass(frozen=True)
class CalicoNetworkSet:
    """A NetworkSet (namespaced) or GlobalNetworkSet: labelled CIDRs rules can select."""

    namespace: str | None
    """The namespace; None for a GlobalNetworkSet."""
    name: str
    """Its name."""
    labels: Mapping[str, str]
    """Labels that rule selectors match."""
    nets: tuple[str, ...]
    """Normalized CIDRs."""
    addresses: IPRangeSet
    """Their union."""
    location: Origin | None = None
    """Where it was read: a file or an API object."""
