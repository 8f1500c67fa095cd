"""The generator seam: what a rule-set generator takes, declares, and returns.

A generator turns the flows a cluster requires (:class:`RequiredFlow`) into one firewall
language's rule set that allows exactly them. Each declares its :class:`Capabilities` (can it
match names, wildcards, service tags, IPv6; how long a comment may be), and returns a
:class:`GeneratedRuleSet`: the text to deploy, every rule with the required flows behind it,
and each part of a flow it could not express exactly, with the reason. Nothing is dropped in
silence and nothing is widened to make it fit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from netfence.model.firewall import FirewallKind, RequiredFlow
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.resolver import Resolver


@dataclass(frozen=True)
class Capabilities:
    """What a target language can say in one rule, declared per generator."""

    names: bool
    """Whether rules may name destinations (FQDNs) rather than addresses."""
    wildcard_names: bool
    """Whether those names may be ``*.`` wildcards."""
    service_tags: bool
    """Whether rules may name Azure service tags as destinations."""
    ipv6: bool
    """Whether rules may match IPv6 addresses."""
    comment_limit: int | None
    """The longest comment or description one rule may carry (None: no limit)."""


@dataclass(frozen=True)
class GenerateOptions:
    """What a generator needs besides the flows."""

    resolver: Resolver | None = None
    """Maps names to addresses for languages that match addresses only; without one, names
    there are not expressible."""
    sources: IPRangeSet | None = None
    """The cluster's node or egress addresses (``--source``): the sources of flows whose own
    ``sources`` is None. None for any source."""
    service_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Catalog entry id -> the Azure service tags that cover its names (NSG)."""
    catalog_service_tags: bool = False
    """NSG: where ``service_tags`` names none for an entry, use the tags the catalog
    documents for it (``RequiredFlow.service_tags``) rather than its resolved addresses."""
    name: str = "netfence-required"
    """The rule set's name: the rule collection group, the nftables table's comment."""
    priority: int | None = None
    """Azure Firewall: the rule collection group's priority; NSG: the first rule's priority.
    None for the generator's documented default."""


@dataclass(frozen=True)
class GeneratedRule:
    """One rule of the output and the required flows it serves."""

    name: str
    """The rule's name (or, where the language names none, its place: ``forward rule 3``)."""
    text: str
    """The rule as written in the output (a line, or its JSON)."""
    flows: tuple[RequiredFlow, ...]
    """The required flows it lets through (wholly or in part)."""
    comment: str
    """The comment or description it carries, naming the catalog entries behind it."""


@dataclass(frozen=True)
class NotExpressible:
    """Part of a required flow the language cannot allow exactly: no rule allows it."""

    flow: RequiredFlow
    """The flow."""
    what: str
    """The part: ``*.his.arc.azure.com TCP 443``, ``fd00::1``, ``SCTP 9000``."""
    reason: str
    """Why, and what would make it expressible."""

    def describe(self) -> str:
        """``entry: what: reason``."""
        return f"{flow_label(self.flow)}: {self.what}: {self.reason}"


@dataclass(frozen=True)
class GeneratedOutput:
    """One deployable text: a file's worth, with the command that loads it."""

    name: str
    """A file name for it (``rules.nft``, ``rules.v4``, ``rule-collection-group.json``)."""
    loader: str
    """What deploys it (``nft -f``, ``iptables-restore``, ``az rest --method put``)."""
    text: str
    """The text."""


@dataclass(frozen=True)
class GeneratedRuleSet:
    """What a generator produced."""

    format: FirewallKind
    """The target language."""
    outputs: tuple[GeneratedOutput, ...]
    """The deployable texts: one, or one per address family where the language splits them
    (iptables and ip6tables)."""
    rules: tuple[GeneratedRule, ...]
    """Every rule written, in output order."""
    not_expressible: tuple[NotExpressible, ...] = ()
    """What no rule allows, and why."""
    notes: tuple[str, ...] = ()
    """What a deployer must know (DNS proxy for FQDN network rules; names resolved when)."""

    @property
    def text(self) -> str:
        """The first output's text (the only one for most languages)."""
        return self.outputs[0].text

    @property
    def exact(self) -> bool:
        """Whether every required flow is allowed in full."""
        return not self.not_expressible


class Generator(ABC):
    """Generates one language's minimal rule set for a list of required flows."""

    format: ClassVar[FirewallKind]
    """The language it writes."""
    capabilities: ClassVar[Capabilities]
    """What the language can express."""

    @abstractmethod
    def generate(self, flows: Sequence[RequiredFlow], options: GenerateOptions) -> GeneratedRuleSet:
        """The rule set allowing exactly ``flows``, or saying what it cannot."""


def flow_label(flow: RequiredFlow) -> str:
    """What names a flow in comments: its catalog entry, else its reason."""
    return flow.entry_id or flow.reason
