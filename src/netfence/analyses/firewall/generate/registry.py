"""The generators by target language: one row per language, each declaring what it can say."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from netfence.analyses.firewall.generate.azure_firewall import AzureFirewallGenerator
from netfence.analyses.firewall.generate.interface import (
    GeneratedRuleSet,
    GenerateOptions,
    Generator,
)
from netfence.analyses.firewall.generate.iptables import IptablesGenerator
from netfence.analyses.firewall.generate.nftables import NftablesGenerator
from netfence.analyses.firewall.generate.nsg import NsgGenerator
from netfence.model.firewall import FirewallKind, RequiredFlow

GENERATORS: Final[Mapping[FirewallKind, type[Generator]]] = {
    FirewallKind.AZURE_FIREWALL: AzureFirewallGenerator,
    FirewallKind.NSG: NsgGenerator,
    FirewallKind.NFTABLES: NftablesGenerator,
    FirewallKind.IPTABLES: IptablesGenerator,
}
"""Each target language's generator; adding a language adds one module and one row."""


def generator_for(kind: FirewallKind) -> Generator:
    """The generator for ``kind``."""
    return GENERATORS[kind]()


def generate(
    flows: Sequence[RequiredFlow], kind: FirewallKind, options: GenerateOptions | None = None
) -> GeneratedRuleSet:
    """The minimal ``kind`` rule set allowing exactly ``flows`` (see each generator)."""
    return generator_for(kind).generate(flows, options or GenerateOptions())
