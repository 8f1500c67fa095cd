"""NSG generation: Allow rules from priority 100, service tags where the catalog names them,
addresses through the resolver otherwise, and a final DenyAllOutbound at 4096."""

from __future__ import annotations

import json
import os

import pytest

from netfence.analyses.firewall.generate import GenerateOptions, generate
from netfence.analyses.firewall.generate.azure_sdk import sdk_problems
from netfence.errors import InputError
from netfence.model.firewall import Destinations, FirewallKind, TrafficDirection
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from tests.analyses.firewall.generate.flows import (
    CATALOG,
    CONFIG,
    HIS,
    MANAGEMENT,
    NTP,
    RANGE,
    flow,
    to_addresses,
)

try:
    from azure.mgmt.network import models
except ImportError:  # the SDK is in the test extra; CI must have it
    if os.environ.get("CI"):
        raise
    pytest.skip("azure-mgmt-network is not installed", allow_module_level=True)

NSG = FirewallKind.NSG
TAGS = {"arc-management": ("AzureResourceManager",), "arc-his": ("AzureArcInfrastructure",)}


def rules(result) -> list[dict]:
    return json.loads(result.text)["securityRules"]


def by_name(result) -> dict[str, dict]:
    return {r["name"]: r["properties"] for r in rules(result)}


def test_catalog_rules_use_tags_then_resolved_addresses(answers):
    """Service tags where the catalog says which tag covers an entry; the other names
    through the resolver; priorities from 100 in steps of 10."""
    options = GenerateOptions(resolver=answers, service_tags=TAGS)
    result = generate(CATALOG, NSG, options)
    found = [
        (
            r["properties"]["priority"],
            r["properties"]["protocol"],
            r["properties"]["destinationAddressPrefix"],
        )
        for r in rules(result)
        if r["properties"]["access"] == "Allow"
    ]
    assert found == [
        (100, "Tcp", "AzureResourceManager"),
        (110, "Tcp", "AzureArcInfrastructure"),
        (120, "Tcp", "40.71.10.216/32"),
        (130, "Udp", "51.145.123.29/32"),
        (140, "Tcp", "203.0.113.0/24"),
    ]
    assert result.exact


def test_final_deny_overrides_allow_internet_outbound():
    """NSG default rules, priority 65001 AllowInternetOutBound: a custom DenyAllOutbound at
    4096 comes before it, and its description says why."""
    last = rules(generate([RANGE], NSG, GenerateOptions()))[-1]
    assert last["name"] == "DenyAllOutbound"
    props = last["properties"]
    assert (props["access"], props["priority"], props["direction"]) == ("Deny", 4096, "Outbound")
    assert (props["destinationAddressPrefix"], props["protocol"]) == ("*", "*")
    assert "AllowInternetOutBound (65001)" in props["description"]
    assert len(props["description"]) <= 140


def test_inbound_flows_get_their_own_final_deny():
    inbound = flow("ingress", to_addresses("10.0.0.5/32"), direction=TrafficDirection.INBOUND)
    names = list(by_name(generate([inbound, RANGE], NSG, GenerateOptions())))
    assert names[-2:] == ["DenyAllOutbound", "DenyAllInbound"]


def test_a_name_neither_tagged_nor_resolvable_is_not_expressible(answers):
    """The wildcard has no tag in this mapping and cannot be resolved: listed, not dropped."""
    result = generate([MANAGEMENT, HIS], NSG, GenerateOptions(resolver=answers))
    (missing,) = result.not_expressible
    assert missing.flow == HIS and "wildcard" in missing.reason
    allowed = [p for p in by_name(result).values() if p["access"] == "Allow"]
    assert [p.get("destinationAddressPrefix") for p in allowed] == [
        "20.37.158.1/32",
        "2603:1030:b00::1/128",
    ]


def test_same_ports_merge_and_descriptions_name_entries(answers):
    """Flows with the same direction, sources and ports share a rule per address family,
    its description naming the entries."""
    result = generate([MANAGEMENT, CONFIG], NSG, GenerateOptions(resolver=answers))
    first = rules(result)[0]["properties"]
    assert first["destinationAddressPrefixes"] == ["20.37.158.1/32", "40.71.10.216/32"]
    assert first["description"] == "netfence: arc-management, arc-config-dp"


def test_descriptions_stay_within_140_characters_naming_every_entry():
    flows = [
        flow(f"catalog-entry-number-{i:02d}", to_addresses(f"192.0.2.{i}/32")) for i in range(20)
    ]
    allowed = [
        r
        for r in rules(generate(flows, NSG, GenerateOptions()))
        if r["properties"]["access"] == "Allow"
    ]
    assert len(allowed) > 1
    assert all(len(r["properties"]["description"]) <= 140 for r in allowed)
    named = [
        n
        for r in allowed
        for n in r["properties"]["description"].removeprefix("netfence: ").split(", ")
    ]
    assert named == [f.entry_id for f in flows]


def test_sources_and_protocols():
    """--source limits rules; TCP and UDP are separate rules; all of ICMP is Icmp; SCTP is not
    expressible."""
    services = (
        PortSet.of("TCP", 443) | PortSet.of("UDP", 53) | PortSet.of("ICMP") | PortSet.of("SCTP", 9)
    )
    result = generate(
        [flow("mixed", to_addresses("192.0.2.1/32"), services)],
        NSG,
        GenerateOptions(sources=IPRangeSet.from_cidrs(["10.0.0.0/16", "10.2.0.0/16"])),
    )
    allowed = [r["properties"] for r in rules(result)][:-1]
    assert [(p["protocol"], p["destinationPortRange"]) for p in allowed] == [
        ("Tcp", "443"),
        ("Udp", "53"),
        ("Icmp", "*"),
    ]
    assert all(p["sourceAddressPrefixes"] == ["10.0.0.0/16", "10.2.0.0/16"] for p in allowed)
    assert [m.what for m in result.not_expressible] == ["SCTP 9"]


def test_flow_service_tags_are_used_directly():
    tagged = flow("storage", Destinations(tags=("Storage.EastUS",)))
    (first, _deny) = rules(generate([tagged], NSG, GenerateOptions()))
    assert first["properties"]["destinationAddressPrefix"] == "Storage.EastUS"


def test_every_rule_fits_the_sdk_security_rule_model(answers):
    result = generate(CATALOG + [NTP], NSG, GenerateOptions(resolver=answers, service_tags=TAGS))
    for rule in rules(result):
        assert sdk_problems(rule, "SecurityRule") == []
        model = models.SecurityRule(rule)
        assert model.properties.priority == rule["properties"]["priority"]
    assert any("checked against the azure-mgmt-network" in n for n in result.notes)


def test_priority_out_of_range_is_an_input_error():
    with pytest.raises(InputError, match="100-4095"):
        generate([RANGE], NSG, GenerateOptions(priority=4096))
