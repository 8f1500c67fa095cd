"""Infrastructure enforcement points: firewall layers, their rules, and the flows they judge.

Every firewall language (Azure Firewall Policy, Azure NSG, nftables, iptables) is compiled by
its own module in ``netfence.policy`` into one :class:`FirewallLayer`: ordered rules, each
matching on source addresses, destination addresses *or names*, and protocol/port, with an
action, and the layer's own default for what no rule matches (deny, for every firewall
netfence reads, unless the export says otherwise).

What a rule matches on that this model cannot express exactly (a source port, an interface,
a connection mark, an unexpanded service tag) is kept as an *undecidable* reason on the rule:
the evaluator then says "cannot decide" for the flows that depend on it, never a silent allow
or deny.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from netfence.model.layers import Action
from netfence.model.origin import Origin
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet


class TrafficDirection(enum.StrEnum):
    """Which way a flow crosses a layer, as seen from the cluster."""

    OUTBOUND = "Outbound"
    """From the cluster (its pods or nodes) to a destination outside it."""
    INBOUND = "Inbound"
    """From outside to the cluster."""


class FirewallKind(enum.StrEnum):
    """The firewall languages netfence reads, by their command-line names."""

    AZURE_FIREWALL = "azure-firewall"
    NSG = "nsg"
    NFTABLES = "nftables"
    IPTABLES = "iptables"


class RuleStage(enum.StrEnum):
    """The kind of rule where a language processes kinds in stages (Azure Firewall: DNAT,
    then network, then application rules); ``FILTER`` for every other language."""

    DNAT = "dnat"
    NETWORK = "network"
    APPLICATION = "application"
    FILTER = "filter"


@dataclass(frozen=True)
class Destinations:
    """What a rule's destination matches: addresses, names, and named sets left unexpanded.

    A flow matches when its address is in ``addresses`` or its name is in ``names``. A name
    is matched by an address rule only through what it resolves to; netfence never guesses.
    """

    addresses: IPRangeSet = field(default_factory=IPRangeSet)
    """Destination addresses (IPv4 and IPv6)."""
    names: DomainPatternSet = field(default_factory=DomainPatternSet)
    """Destination names (exact names and ``*.`` wildcards): Azure Firewall application rules,
    FQDNs in network rules, FQDN tags once expanded."""
    tags: tuple[str, ...] = ()
    """Named sets the rule uses that were not expanded (service tags without a service-tag
    file, FQDN tags): whether a flow is in them cannot be decided."""

    @classmethod
    def anywhere(cls) -> Destinations:
        """Every address, hence every name."""
        return cls(IPRangeSet.everything(), DomainPatternSet(["*"]))

    def __bool__(self) -> bool:
        return bool(self.addresses) or bool(self.names) or bool(self.tags)


@dataclass(frozen=True)
class FirewallMatch:
    """What a rule matches: sources, destinations, and protocol with destination port."""

    sources: IPRangeSet
    """Source addresses, as the layer sees them (after SNAT where the path applies one)."""
    destinations: Destinations
    """Destination addresses and names."""
    services: PortSet
    """Protocols and destination ports (``PortSet.all()`` for any)."""
    source_tags: tuple[str, ...] = ()
    """Named source sets left unexpanded (as ``Destinations.tags``)."""


@dataclass(frozen=True)
class FirewallRuleOrigin:
    """Where a firewall rule comes from: its layer, its place in the language's structure,
    and the export it was read from."""

    layer: str
    """The layer's name (the firewall policy, NSG, or ruleset name)."""
    kind: FirewallKind
    """The language."""
    path: str
    """The rule's place, in the language's own words: ``ruleCollectionGroups[Arc]
    .ruleCollections[allow-arc].rules[mcr]``, ``securityRules[deny-internet]``, ``table inet
    filter chain forward rule 3``, ``-A FORWARD rule 2``."""
    name: str | None = None
    """The rule's own name, where the language gives one."""
    origin: Origin | None = None
    """The export and the path inside it (with the line, where the file has lines)."""

    def __str__(self) -> str:
        return f"{self.kind.value} {self.layer}: {self.path}"


@dataclass(frozen=True)
class FirewallRule:
    """One rule of a firewall layer, in evaluation order."""

    direction: TrafficDirection
    """The direction of the flows it judges."""
    action: Action
    """``Allow`` or ``Deny`` (``Pass`` never appears: firewall rules are terminating)."""
    match: FirewallMatch
    """What it matches."""
    origin: FirewallRuleOrigin
    """Where it comes from."""
    stage: RuleStage = RuleStage.FILTER
    """Its kind, where the language processes kinds in stages."""
    priority: tuple[int, ...] = ()
    """The ordering key the language sorts by (group, collection, rule priorities), kept for
    explanations; ``FirewallLayer.rules`` is already in this order."""
    undecidable: tuple[str, ...] = ()
    """What it matches on that the model cannot express (``source port``, ``interface
    eth1``, ``ct mark``): flows it may match are reported as "cannot decide"."""
    inspects_tls: bool = False
    """Whether matching traffic is decrypted and inspected (Azure Firewall ``terminateTLS``)."""
    description: str | None = None
    """The rule's description or comment."""
    builtin: bool = False
    """Whether the platform applies the rule whatever the export says (an NSG's default
    rules): it cannot be removed, only overridden by an earlier rule."""


@dataclass(frozen=True)
class LayerSettings:
    """Settings of a layer that change what its rules mean."""

    dns_proxy: bool | None = None
    """Whether the firewall resolves names for its clients (Azure Firewall DNS proxy), which
    network rules with FQDNs need; None when the language has no such setting."""
    threat_intel_mode: str | None = None
    """Azure Firewall ``threatIntelMode`` (``Alert``, ``Deny``, ``Off``), where given."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Other settings worth showing, by their export names."""


@dataclass(frozen=True)
class LayerNote:
    """Something about the export the model could not take exactly, found while reading it:
    it becomes a "cannot decide" finding, never a silent allow or deny."""

    message: str
    """What was not modelled and how verdicts may differ."""
    origin: Origin | None = None
    """Where it is in the export."""


@dataclass(frozen=True)
class FirewallLayer:
    """One enforcement point outside the pods: its rules in order and its defaults."""

    name: str
    """The layer's name (from the export, or the file's name)."""
    kind: FirewallKind
    """The language it was read from."""
    rules: tuple[FirewallRule, ...]
    """Every rule, both directions, in evaluation order (first match decides)."""
    default_outbound: Action = Action.DENY
    """What it does with an outbound flow no rule matches."""
    default_inbound: Action = Action.DENY
    """What it does with an inbound flow no rule matches."""
    origin: Origin | None = None
    """The export it was read from."""
    settings: LayerSettings = field(default_factory=LayerSettings)
    """Settings that change what rules mean."""
    notes: tuple[LayerNote, ...] = ()
    """What the model could not take exactly."""
    sees_pod_addresses: bool = False
    """Whether flows reach it with their pods' own addresses (a node firewall before SNAT)
    rather than with their node's address (a perimeter firewall, by default)."""

    def default(self, direction: TrafficDirection) -> Action:
        """The default action for ``direction``."""
        return (
            self.default_outbound
            if direction is TrafficDirection.OUTBOUND
            else self.default_inbound
        )

    def rules_of(self, direction: TrafficDirection) -> tuple[FirewallRule, ...]:
        """The rules judging ``direction``, in order."""
        return tuple(r for r in self.rules if r.direction is direction)


@dataclass(frozen=True)
class RequiredFlow:
    """A flow something needs a firewall to let through, and why."""

    direction: TrafficDirection
    """Which way it goes."""
    destinations: Destinations
    """Where to (names for catalog entries, addresses for policy egress)."""
    services: PortSet
    """Protocols and ports."""
    reason: str
    """Why it is required, for messages: the catalog entry's id and purpose, or the policy
    rule that allows the egress."""
    entry_id: str | None = None
    """The catalog entry behind it, where it comes from the catalog."""
    sources: IPRangeSet | None = None
    """Where it comes from (node or pod addresses); None for "the cluster", whatever its
    addresses are."""
    routed_by_gateway: bool = False
    """Whether Azure Arc gateway carries it when a gateway is in use."""
    service_tags: tuple[str, ...] = ()
    """Service tags documented to cover the destination (``MicrosoftContainerRegistry`` for
    ``mcr.microsoft.com``): a rule allowing one of them allows the flow, whether or not the
    tag's ranges are known."""
