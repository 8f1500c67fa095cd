"""Azure Firewall generation: a rule collection group the official SDK model takes field by
field, application rules for names on HTTP/HTTPS, network rules for the rest."""

from __future__ import annotations

import json
import os

import pytest

from netfence.analyses.firewall.generate import GenerateOptions, generate
from netfence.analyses.firewall.generate.azure_sdk import sdk_problems
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
    to_names,
)

try:
    from azure.mgmt.network import models
except ImportError:  # the SDK is in the test extra; CI must have it
    if os.environ.get("CI"):
        raise
    pytest.skip("azure-mgmt-network is not installed", allow_module_level=True)

AZFW = FirewallKind.AZURE_FIREWALL


def body(result) -> dict:
    return json.loads(result.text)


def collections(result) -> dict[str, dict]:
    return {c["name"]: c for c in body(result)["properties"]["ruleCollections"]}


def test_catalog_group_deserializes_into_the_sdk_model():
    """The body is a FirewallPolicyRuleCollectionGroup for the SDK: the application rule and
    network rules come out as their own model classes with the values written."""
    result = generate(CATALOG, AZFW, GenerateOptions(sources=IPRangeSet.from_cidr("10.0.0.0/16")))
    assert sdk_problems(body(result), "FirewallPolicyRuleCollectionGroup") == []
    group = models.FirewallPolicyRuleCollectionGroup(body(result))
    network, application = group.properties.rule_collections
    assert isinstance(network, models.FirewallPolicyFilterRuleCollection)
    assert [type(r) for r in network.rules] == [models.NetworkRule, models.NetworkRule]
    (app_rule,) = application.rules
    assert isinstance(app_rule, models.ApplicationRule)
    assert app_rule.target_fqdns == [
        "management.azure.com",
        "*.his.arc.azure.com",
        "eastus.dp.kubernetesconfiguration.azure.com",
    ]
    assert [(p.protocol_type, p.port) for p in app_rule.protocols] == [("Https", 443)]
    assert app_rule.source_addresses == ["10.0.0.0/16"]
    assert any("checked against the azure-mgmt-network" in note for note in result.notes)


def test_priority_layout_network_collection_before_application():
    """Azure Firewall rule processing: network rule collections before application rule
    collections; the group at 1000 by default, network 100, application 200."""
    result = generate(CATALOG, AZFW, GenerateOptions())
    assert body(result)["properties"]["priority"] == 1000
    assert {n: (c["priority"], c["action"]["type"]) for n, c in collections(result).items()} == {
        "netfence-network": (100, "Allow"),
        "netfence-application": (200, "Allow"),
    }
    assert (
        body(generate(CATALOG, AZFW, GenerateOptions(priority=400)))["properties"]["priority"]
        == 400
    )


def test_names_on_https_merge_into_one_application_rule_naming_each_entry():
    """Same sources and ports: one rule, its description naming every catalog entry."""
    (rule,) = collections(generate([MANAGEMENT, HIS, CONFIG], AZFW, GenerateOptions()))[
        "netfence-application"
    ]["rules"]
    assert rule["description"] == "netfence: arc-management, arc-his, arc-config-dp"
    assert rule["name"] == "arc-management-and-2-more"
    assert rule["sourceAddresses"] == ["*"]


def test_names_on_other_ports_are_network_rules_needing_dns_proxy():
    """A name on UDP 123 is a network rule with destinationFqdns, and the notes say DNS proxy
    must be on for the firewall to resolve it."""
    result = generate([NTP], AZFW, GenerateOptions())
    (rule,) = collections(result)["netfence-network"]["rules"]
    assert rule["destinationFqdns"] == ["time.windows.com"]
    assert (rule["ipProtocols"], rule["destinationPorts"]) == (["UDP"], ["123"])
    assert any("dnsSettings.enableProxy" in note for note in result.notes)


def test_http_and_https_ports_split_from_other_ports():
    """TCP 80, 443 and 8084 to one name: Http:80 and Https:443 in an application rule, 8084 in
    a network rule."""
    web = flow(
        "web",
        to_names("k8connecthelm.azureedge.net"),
        PortSet.from_ranges({"TCP": [(80, 80), (443, 443), (8084, 8084)]}),
    )
    found = collections(generate([web], AZFW, GenerateOptions()))
    (app_rule,) = found["netfence-application"]["rules"]
    assert app_rule["protocols"] == [
        {"protocolType": "Http", "port": 80},
        {"protocolType": "Https", "port": 443},
    ]
    (net_rule,) = found["netfence-network"]["rules"]
    assert net_rule["destinationPorts"] == ["8084"]


def test_wildcard_on_a_non_web_port_is_not_expressible():
    """Network rules take exact FQDNs only: a wildcard on UDP is listed, not widened."""
    wild = flow("wild-udp", to_names("*.servicebus.windows.net"), PortSet.of("UDP", 5671))
    result = generate([wild], AZFW, GenerateOptions())
    (missing,) = result.not_expressible
    assert missing.what == "*.servicebus.windows.net UDP 5671"
    assert "exact FQDNs" in missing.reason
    assert collections(result) == {}


def test_addresses_and_service_tags_are_network_rules_ipv6_is_not_expressible():
    tagged = flow("tagged", Destinations(tags=("AzureArcInfrastructure",)))
    mixed = flow("mixed", to_addresses("203.0.113.0/24", "2001:db8::/64"), PortSet.of("TCP", 8084))
    result = generate([tagged, mixed], AZFW, GenerateOptions())
    rules = collections(result)["netfence-network"]["rules"]
    assert [r["destinationAddresses"] for r in rules] == [
        ["AzureArcInfrastructure"],
        ["203.0.113.0/24"],
    ]
    (missing,) = result.not_expressible
    assert missing.what == "2001:db8::/64" and "IPv4 only" in missing.reason


def test_protocols_beyond_tcp_udp_icmp_and_inbound_flows_are_not_expressible():
    sctp = flow(
        "sctp", to_addresses("192.0.2.1/32"), PortSet.of("SCTP", 9000) | PortSet.of("TCP", 22)
    )
    inbound = flow("in", to_addresses("10.0.0.5/32"), direction=TrafficDirection.INBOUND)
    everything = flow("all", to_addresses("192.0.2.2/32"), PortSet.all())
    result = generate([sctp, inbound, everything], AZFW, GenerateOptions())
    assert [(m.flow.entry_id, m.what) for m in result.not_expressible] == [
        ("sctp", "SCTP 9000"),
        ("in", "inbound"),
    ]
    rules = collections(result)["netfence-network"]["rules"]
    assert [(r["ipProtocols"], r["destinationPorts"]) for r in rules] == [
        (["TCP"], ["22"]),
        (["Any"], ["*"]),
    ]


def test_the_sdk_check_finds_what_does_not_fit():
    """The check is not a formality: unknown fields, wrong types, unknown enumeration values,
    read-only fields and unknown rule kinds are each reported with their path."""
    good = body(generate([RANGE, MANAGEMENT], AZFW, GenerateOptions()))
    bad = json.loads(json.dumps(good))
    network_rule = bad["properties"]["ruleCollections"][0]["rules"][0]
    network_rule["destinationPort"] = ["8084"]
    network_rule["ipProtocols"] = ["SCTP"]
    app_rule = bad["properties"]["ruleCollections"][1]["rules"][0]
    app_rule["protocols"][0]["port"] = "443"
    bad["properties"]["provisioningState"] = "Succeeded"
    bad["properties"]["ruleCollections"].append({"ruleCollectionType": "Firewall", "name": "x"})
    problems = sdk_problems(bad, "FirewallPolicyRuleCollectionGroup")
    text = "\n".join(problems)
    assert (
        "$.properties.ruleCollections[0].rules[0].destinationPort: not a field of NetworkRule"
        in text
    )
    assert "$.properties.ruleCollections[0].rules[0].ipProtocols[0]: 'SCTP' is not one of" in text
    assert (
        "$.properties.ruleCollections[1].rules[0].protocols[0].port: str where int is expected"
        in text
    )
    assert "$.properties.provisioningState: read-only" in text
    assert "$.properties.ruleCollections[2]: no FirewallPolicyRuleCollection kind matches" in text
