"""The evidence of the firewall checks, as typed records (JSON through the audit's
``evidence_json``): names as patterns, addresses as CIDR-with-except terms, ports as text."""

from __future__ import annotations

from dataclasses import dataclass

from netfence.analyses.audit.evidence import Evidence


@dataclass(frozen=True)
class Scope(Evidence):
    """Names, address terms and ports: a part of a flow or of what a rule allows."""

    names: tuple[str, ...]
    """Name patterns (a wildcard for the names under it that no narrower pattern lists)."""
    addresses: tuple[str, ...]
    """Address terms (``IPRangeSet.terms``: a CIDR, or a CIDR except CIDRs)."""
    ports: str
    """Protocols and ports (``PortSet.describe``)."""


@dataclass(frozen=True)
class RequiredBlocked(Evidence):
    """NF101."""

    layer: str
    """The layer that blocks."""
    rules: tuple[str, ...]
    """The rules that block (their paths), ``default`` for the layer's default."""
    reason: str
    """Why the flow is required."""
    entry_id: str | None
    """The catalog entry behind it, if any."""
    blocked: Scope
    """The part of the flow blocked."""


@dataclass(frozen=True)
class Excess(Evidence):
    """NF102."""

    layer: str
    """The layer."""
    rule: str
    """The rule's path."""
    excess: Scope
    """What it allows from the cluster beyond the required flows."""


@dataclass(frozen=True)
class Broad(Evidence):
    """NF103."""

    layer: str
    """The layer."""
    rule: str
    """The rule's path."""
    breadth: tuple[str, ...]
    """What is unbounded: ``every address``, ``every name``, ``every protocol and port``."""
    sources: str
    """The rule's sources (terms, ``; ``-separated)."""


@dataclass(frozen=True)
class InboundOpening(Evidence):
    """NF104."""

    layer: str
    """The layer."""
    rule: str
    """The rule's path."""
    sources: str
    """Where the flows come from (terms)."""
    reaches: Scope
    """The cluster's addresses and ports it opens."""


@dataclass(frozen=True)
class ShadowedRule(Evidence):
    """NF105."""

    layer: str
    """The layer."""
    rule: str
    """The shadowed rule's path."""
    covering: tuple[str, ...]
    """The earlier rules that decide what it matches."""
    different_action: tuple[str, ...]
    """Those of them with another action."""


@dataclass(frozen=True)
class RedundantRule(Evidence):
    """NF106."""

    layer: str
    """The layer."""
    rule: str
    """The redundant rule's path."""


@dataclass(frozen=True)
class NamesInNetworkRule(Evidence):
    """NF107."""

    layer: str
    """The layer."""
    rule: str
    """The network rule's path."""
    names: tuple[str, ...]
    """The FQDNs it names."""
    dns_proxy: bool | None
    """The layer's DNS proxy setting (None: not in the export)."""


@dataclass(frozen=True)
class GatewayInspected(Evidence):
    """NF108."""

    layer: str
    """The layer."""
    rule: str
    """The inspecting rule's path."""
    gateway: str
    """The gateway's host name."""


@dataclass(frozen=True)
class StaleAllowed(Evidence):
    """NF109."""

    layer: str
    """The layer."""
    pattern: str
    """The superseded name pattern."""
    removed: str
    """When it left the endpoint list."""
    source: str
    """The list it was removed from."""
    rules: tuple[str, ...]
    """The rules still allowing it."""


@dataclass(frozen=True)
class RoutedOpen(Evidence):
    """NF110."""

    layer: str
    """The layer."""
    reason: str
    """The required entry."""
    entry_id: str | None
    """The catalog entry, if any."""
    rules: tuple[str, ...]
    """The rules allowing it directly."""
    allowed: Scope
    """What of it is allowed directly."""


@dataclass(frozen=True)
class Undecided(Evidence):
    """NF111."""

    layer: str
    """The layer."""
    rules: tuple[str, ...]
    """The rules netfence cannot evaluate here (empty for a note on the export)."""
    reasons: tuple[str, ...]
    """Why, per rule (or the note's message)."""
    settle: str
    """What input or option would settle it."""
    flow: str | None = None
    """The required flow affected, if the finding is about one."""


@dataclass(frozen=True)
class PolicyEgressBlocked(Evidence):
    """NF112."""

    layer: str
    """The layer that blocks."""
    rules: tuple[str, ...]
    """The rules that block (their paths), ``default`` for the layer's default."""
    reason: str
    """Which workloads the cluster's policies let send it."""
    blocked: Scope
    """The part of the egress blocked."""
