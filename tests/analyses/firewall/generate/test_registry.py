"""The generator registry: one generator per firewall language, each declaring what it can say."""

from __future__ import annotations

from netfence.analyses.firewall.generate import GENERATORS, GenerateOptions, generate, generator_for
from netfence.model.firewall import FirewallKind
from tests.analyses.firewall.generate.flows import CATALOG


def test_every_firewall_language_has_a_generator():
    assert set(GENERATORS) == set(FirewallKind)
    for kind in FirewallKind:
        assert generator_for(kind).format is kind


def test_capabilities_are_declared_as_the_languages_allow():
    """Names and wildcards only in Azure Firewall; service tags in Azure Firewall and NSG;
    IPv6 everywhere but Azure Firewall."""
    caps = {kind: cls.capabilities for kind, cls in GENERATORS.items()}
    assert [k for k, c in caps.items() if c.names] == [FirewallKind.AZURE_FIREWALL]
    assert [k for k, c in caps.items() if c.wildcard_names] == [FirewallKind.AZURE_FIREWALL]
    assert {k for k, c in caps.items() if c.service_tags} == {
        FirewallKind.AZURE_FIREWALL,
        FirewallKind.NSG,
    }
    assert [k for k, c in caps.items() if not c.ipv6] == [FirewallKind.AZURE_FIREWALL]


def test_every_generator_accounts_for_every_flow(answers):
    """Each required flow is behind some rule or listed as not expressible: none vanishes."""
    for kind in FirewallKind:
        result = generate(CATALOG, kind, GenerateOptions(resolver=answers))
        covered = {f for rule in result.rules for f in rule.flows}
        covered |= {m.flow for m in result.not_expressible}
        assert covered == set(CATALOG), kind
