"""``firewall generate``: the minimal rule set that allows exactly the required flows.

One generator per language (Azure Firewall rule collection group, NSG security rules,
nftables, iptables), chosen from :data:`GENERATORS` by :func:`generate`; each returns a
:class:`GeneratedRuleSet` with the text to deploy, the flows behind every rule, and what it
could not express, with the reason.
"""

from __future__ import annotations

from netfence.analyses.firewall.generate.interface import (
    Capabilities,
    GeneratedOutput,
    GeneratedRule,
    GeneratedRuleSet,
    GenerateOptions,
    Generator,
    NotExpressible,
)
from netfence.analyses.firewall.generate.registry import GENERATORS, generate, generator_for

__all__ = [
    "GENERATORS",
    "Capabilities",
    "GenerateOptions",
    "GeneratedOutput",
    "GeneratedRule",
    "GeneratedRuleSet",
    "Generator",
    "NotExpressible",
    "generate",
    "generator_for",
]
