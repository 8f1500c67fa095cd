"""Azure Firewall Policy and classic Azure Firewall rules compiled into firewall layers."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest

from netfence.errors import InputError
from netfence.model.firewall import (
    FirewallKind,
    FirewallLayer,
    FirewallRule,
    RuleStage,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.policy import azure_sdk
from netfence.policy.azure_firewall import (
    _POLICY_RULE_FIELDS,
    INFRASTRUCTURE_NOTE,
    UNMODELLED_FIELDS,
    AzureFirewallLanguage,
    validate_rule_collection_group,
)
from netfence.policy.firewall_registry import read_firewall
from netfence.policy.interface import FirewallContext
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from netfence.sources.exports import read_json_export
from netfence.sources.service_tags import read_service_tags

DATA = Path(__file__).parent / "data" / "azure_firewall"
OUT = TrafficDirection.OUTBOUND
IN = TrafficDirection.INBOUND


def _read(name: str, *related: str, context: FirewallContext | None = None) -> FirewallLayer:
    exports = tuple(read_json_export(str(DATA / r)) for r in related)
    if context is None:
        context = FirewallContext(related=exports)
    layers = read_firewall(str(DATA / name), context)
    assert len(layers) == 1
    return layers[0]


def _names(layer: FirewallLayer, direction: TrafficDirection) -> list[str]:
    return [r.origin.name or "" for r in layer.rules_of(direction)]


def _rule(layer: FirewallLayer, name: str, direction: TrafficDirection = OUT) -> FirewallRule:
    return next(r for r in layer.rules_of(direction) if r.origin.name == name)


def _rest_layer() -> FirewallLayer:
    return _read("rest-rule-collection-groups.json", "rest-policy.json")


# -- processing order --------------------------------------------------------------------


def test_rule_processing_dnat_before_network_before_application_regardless_of_priority():
    """Azure Firewall rule processing: all DNAT rules, then all network rules, then all
    application rules, whatever their groups' priorities (the application group, first in the
    file, is judged last)."""
    layer = _rest_layer()
    stages = [r.stage for r in layer.rules_of(IN)]
    assert stages == sorted(
        stages, key=[RuleStage.DNAT, RuleStage.NETWORK, RuleStage.APPLICATION].index
    )
    assert stages[0] is RuleStage.DNAT
    assert _names(layer, OUT) == [
        "ssh",
        "dns",
        "ntp",
        "arc-service-tags",
        "ping",
        "arc-endpoints",
        "aks-tag",
        "contoso-any",
        "docs-path",
    ]


def test_rule_processing_network_rules_precede_application_rules_in_a_lower_priority_group():
    """Azure Firewall rule processing: a network rule in a group of priority 200 is judged
    before an application rule in a group of priority 100 (az CLI list output)."""
    layer = _read("az-rule-collection-groups.json")
    assert _names(layer, OUT) == ["bad-net", "https-anywhere", "deny-contoso"]
    assert layer.name == "arc-az-policy"


def test_rule_processing_collections_by_priority_within_a_group():
    """Azure Firewall rule processing: inside a group, collections go by priority, lower
    number first (deny-bad 250 before allow-web 300, though written after it)."""
    layer = _read("az-rule-collection-groups.json")
    first, second = layer.rules_of(OUT)[:2]
    assert (first.origin.name, first.action, first.priority) == ("bad-net", Action.DENY, (200, 250))
    assert (second.origin.name, second.action, second.priority) == (
        "https-anywhere",
        Action.ALLOW,
        (200, 300),
    )


def test_parent_policy_groups_before_child_groups():
    """Azure Firewall rule processing: a parent policy's (basePolicy) rule collection groups
    come before the child's, whatever their priorities, within each rule kind; the parent
    comes from a related export."""
    layer = _read("child-policy.json", "parent-policy.json")
    assert layer.name == "arc-child-policy"
    assert _names(layer, OUT) == ["no-telnet", "all-tcp", "windows-update"]
    parent_rule = layer.rules_of(OUT)[0]
    assert parent_rule.origin.path.startswith("basePolicy org-base-policy: ruleCollectionGroups")
    assert parent_rule.origin.origin is not None
    assert parent_rule.origin.origin.file.endswith("parent-policy.json")
    assert layer.settings.extra["basePolicy"] == "org-base-policy"
    # the child's own threatIntelMode wins; DNS proxy comes from the parent that sets it
    assert layer.settings.threat_intel_mode == "Deny"
    assert layer.settings.dns_proxy is True


def test_missing_parent_policy_is_an_error_naming_basepolicy():
    """basePolicy unresolved: the parent's rules precede every child rule, so nothing could
    be decided; one line naming the file, line and basePolicy.id."""
    with pytest.raises(InputError) as caught:
        _read("child-policy.json")
    text = str(caught.value)
    assert re.search(
        r"child-policy\.json: document 1, line \d+: \[0\]\.properties\.basePolicy\.id:", text
    )
    assert "parent policy 'org-base-policy' is in no export given" in text


def test_unmatched_traffic_infrastructure_collection_then_default_deny():
    """Azure Firewall rule processing: unmatched traffic meets the infrastructure rule
    collection, then the default deny: both defaults are Deny and a note says the platform
    names may be allowed."""
    layer = _rest_layer()
    assert layer.default(OUT) is Action.DENY and layer.default(IN) is Action.DENY
    assert layer.notes[0].message == INFRASTRUCTURE_NOTE


# -- directions --------------------------------------------------------------------------


def test_network_and_application_rules_judge_both_directions_in_the_same_order():
    """Direction: Azure Firewall rules have no direction; network and application rules
    appear once per direction, same order; DNAT rules only inbound."""
    layer = _rest_layer()
    inbound = [r for r in layer.rules_of(IN) if r.stage is not RuleStage.DNAT]
    outbound = layer.rules_of(OUT)
    assert [(r.origin.path, r.match) for r in inbound] == [
        (r.origin.path, r.match) for r in outbound
    ]
    assert all(r.stage is not RuleStage.DNAT for r in outbound)


def test_dnat_is_an_inbound_allow_of_the_translated_destination():
    """DNAT rules: kept as an inbound allow to translatedAddress:translatedPort, the cluster
    side they expose; the description says what is published where."""
    rule = _rule(_rest_layer(), "https-to-ingress", IN)
    assert rule.stage is RuleStage.DNAT and rule.action is Action.ALLOW
    assert rule.match.destinations.addresses == IPRangeSet.from_cidrs(["10.20.0.50/32"])
    assert rule.match.services.contains("TCP", 8443)
    assert not rule.match.services.contains("TCP", 443)
    assert rule.match.sources == IPRangeSet.everything()
    assert rule.description is not None
    assert rule.description.startswith("DNAT 203.0.113.10/32 TCP 443 to 10.20.0.50/32 TCP 8443")


# -- network rules -----------------------------------------------------------------------


def test_network_rule_protocols_ports_and_address_forms():
    """Network rules: ipProtocols with destinationPorts (single, range, *), ICMP without
    ports, source ranges first-last."""
    layer = _rest_layer()
    dns = _rule(layer, "dns")
    assert dns.match.services.contains("UDP", 53) and dns.match.services.contains("TCP", 53)
    assert not dns.match.services.contains("TCP", 54)
    ntp = _rule(layer, "ntp")
    assert ntp.match.sources.contains("10.20.0.10") and ntp.match.sources.contains("10.20.0.20")
    assert not ntp.match.sources.contains("10.20.0.21")
    ping = _rule(layer, "ping")
    assert ping.match.services.protocols() == ("ICMP",)
    web = _rule(_read("az-rule-collection-groups.json"), "https-anywhere")
    assert web.match.services.contains("TCP", 8500) and not web.match.services.contains("UDP", 443)


def test_network_rule_any_is_tcp_udp_and_icmp():
    """Network rules: ipProtocols Any stands for TCP and UDP on the ports, and ICMP."""
    bad = _rule(_read("az-rule-collection-groups.json"), "bad-net")
    assert bad.match.services.protocols() == ("TCP", "UDP", "ICMP")
    assert bad.match.services.contains("UDP", 65535)


def test_network_rule_fqdns_with_dns_proxy_are_decided():
    """FQDN filtering in network rules: with dnsSettings.enableProxy the names are matched
    as the firewall resolves them; the layer records the DNS proxy."""
    layer = _rest_layer()
    assert layer.settings.dns_proxy is True
    ntp = _rule(layer, "ntp")
    assert "time.windows.com" in ntp.match.destinations.names
    assert ntp.undecidable == ()


def test_network_rule_fqdns_without_dns_proxy_cannot_be_decided():
    """FQDN filtering in network rules needs the DNS proxy: with enableProxy false the rule
    is undecidable for its names."""
    layer = _read("arm-template.json")
    assert layer.settings.dns_proxy is False
    rule = _rule(layer, "ntp-by-name")
    assert any("DNS proxy" in reason for reason in rule.undecidable)


def test_service_tags_are_tags_without_a_service_tag_file():
    """Service tags in network rule destinations: without --service-tags they stay named,
    by their own names (so a required flow's documented tag can be compared)."""
    rule = _rule(_rest_layer(), "arc-service-tags")
    assert rule.match.destinations.tags == ("AzureArcInfrastructure", "AzureResourceManager")
    assert not rule.match.destinations.addresses


def test_service_tags_expand_with_a_service_tag_file(tmp_path):
    """Service tags in network rule destinations: with a service-tag file they are its
    addresses (matched without regard to case)."""
    tags = tmp_path / "ServiceTags_Public.json"
    tags.write_text(
        json.dumps(
            {
                "values": [
                    {
                        "name": "AzureArcInfrastructure",
                        "properties": {"addressPrefixes": ["13.64.0.0/24"]},
                    },
                    {
                        "name": "AzureResourceManager",
                        "properties": {"addressPrefixes": ["20.1.0.0/16"]},
                    },
                ]
            }
        )
    )
    policy = read_json_export(str(DATA / "rest-policy.json"))
    context = FirewallContext(service_tags=read_service_tags(str(tags)), related=(policy,))
    rule = _rule(_read("rest-rule-collection-groups.json", context=context), "arc-service-tags")
    assert rule.match.destinations.tags == ()
    assert rule.match.destinations.addresses == IPRangeSet.from_cidrs(
        ["13.64.0.0/24", "20.1.0.0/16"]
    )


# -- application rules -------------------------------------------------------------------


def test_application_rule_target_fqdns_and_protocol_ports():
    """Application rules: protocols Https/Http with ports are TCP ports (Https without a port
    is 443); names are the targetFqdns, a leading '*.' any subdomain at any depth."""
    layer = _rest_layer()
    arc = _rule(layer, "arc-endpoints")
    names = arc.match.destinations.names
    assert "eus.his.arc.azure.com" in names and "a.b.his.arc.azure.com" in names
    assert "his.arc.azure.com" not in names
    assert "mcr.microsoft.com" in names
    assert arc.match.services == PortSet.of("TCP", 443)
    contoso = _rule(layer, "contoso-any")
    assert contoso.match.services.contains("TCP", 443) and contoso.match.services.contains(
        "TCP", 8080
    )


def test_application_rule_star_without_dot_matches_anything_to_its_left():
    """FQDN wildcards: a leading '*' matches anything to its left, so '*contoso.com' holds
    contoso.com and every name under it (decided) and names like mycontoso.com, which no
    pattern set expresses (a tag: cannot decide)."""
    rule = _rule(_rest_layer(), "contoso-any")
    names = rule.match.destinations.names
    assert "contoso.com" in names and "www.contoso.com" in names
    assert "mycontoso.com" not in names
    assert rule.match.destinations.tags == ("fqdnPattern:*contoso.com",)


def test_fqdn_tags_and_web_categories_are_opaque_tags():
    """FQDN tags and web categories: named sets netfence does not expand, kept as tags with
    a prefix that keeps them apart from service tags of the same name."""
    rule = _rule(_rest_layer(), "aks-tag")
    assert rule.match.destinations.tags == ("fqdnTag:AzureKubernetesService",)
    assert not rule.match.destinations.names


def test_target_urls_give_names_with_the_path_undecidable():
    """Target URLs: the host is the name; the path part needs TLS inspection and is not
    modelled, so the rule is undecidable for the host and records terminateTLS."""
    rule = _rule(_rest_layer(), "docs-path")
    assert list(rule.match.destinations.names) == ["www.example.org"]
    assert rule.inspects_tls is True
    assert len(rule.undecidable) == 1 and "/docs/*" in rule.undecidable[0]


# -- shapes ------------------------------------------------------------------------------


def test_arm_template_export_evaluates_expressions_and_ip_groups():
    """ARM template export: names from [parameters()]/[concat()], values from [variables()],
    nested and top-level ruleCollectionGroups, IP Groups by [resourceId()] from the same
    file's ipGroups resource; other resources are left alone."""
    layer = _read("arm-template.json")
    assert layer.name == "arc-tpl-policy"
    assert _names(layer, OUT) == ["ntp-by-name", "registry"]
    registry = _rule(layer, "registry")
    assert set(registry.match.destinations.names) == {
        "mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
    }
    assert registry.match.sources == IPRangeSet.from_cidrs(
        ["10.40.0.4/32", "10.40.0.5/32", "10.40.1.0/28"]
    )
    assert registry.match.source_tags == ()


def test_ip_groups_from_related_exports_and_unresolved_ones_are_tags(tmp_path):
    """IP Groups: resolved from a related export of Microsoft.Network/ipGroups; one in no
    export is a named set (a tag: cannot decide), as a service tag without its file."""
    body = {
        "value": [
            {
                "id": "/x/firewallPolicies/p/ruleCollectionGroups/g",
                "name": "g",
                "properties": {
                    "priority": 100,
                    "ruleCollections": [
                        _filter(
                            "Allow",
                            [
                                _network_rule(
                                    sourceAddresses=[],
                                    sourceIpGroups=[
                                        "/x/providers/Microsoft.Network/ipGroups/nodes"
                                    ],
                                    destinationIpGroups=[
                                        "/x/providers/Microsoft.Network/ipGroups/unknown"
                                    ],
                                )
                            ],
                        )
                    ],
                },
            }
        ]
    }
    main = tmp_path / "groups.json"
    main.write_text(json.dumps(body, indent=1))
    groups = tmp_path / "ip-groups.json"
    groups.write_text(
        json.dumps(
            [
                {
                    "name": "nodes",
                    "type": "Microsoft.Network/ipGroups",
                    "properties": {"ipAddresses": ["10.9.0.0/24"]},
                }
            ]
        )
    )
    context = FirewallContext(related=(read_json_export(str(groups)),))
    (layer,) = read_firewall(str(main), context)
    rule = layer.rules_of(OUT)[0]
    assert rule.match.sources == IPRangeSet.from_cidrs(["10.9.0.0/24"])
    assert rule.match.destinations.tags == ("ipGroup:unknown",)


def test_classic_firewall_rules_use_protocols_and_collection_priorities():
    """Classic rules on azureFirewalls: network rules use 'protocols' (not ipProtocols), NAT
    action Dnat, DNS proxy from additionalProperties; order DNAT, network (by collection
    priority), application."""
    layer = _read("classic-firewall.json")
    assert layer.name == "arc-classic-fw" and layer.kind is FirewallKind.AZURE_FIREWALL
    assert _names(layer, IN) == ["kube-api-in", "dns", "kube-api", "smb", "arc-agents"]
    assert layer.settings.dns_proxy is True
    smb = _rule(layer, "smb")
    assert smb.action is Action.DENY and smb.priority == (110,)
    assert smb.origin.path == "networkRuleCollections[deny-all-smb].rules[smb]"
    dnat = _rule(layer, "kube-api-in", IN)
    assert dnat.match.destinations.addresses == IPRangeSet.from_cidrs(["10.50.0.10/32"])


def test_rule_origins_reach_down_to_the_rule_with_its_line():
    """Origins down to the rule: the group, collection and rule names in the path, the file
    and the line of the rule object."""
    rule = _rule(_rest_layer(), "ssh")
    assert rule.origin.path == (
        "ruleCollectionGroups[DefaultNetworkRuleCollectionGroup].ruleCollections[deny-ssh-out]"
        ".rules[ssh]"
    )
    assert rule.origin.layer == "arc-edge-policy"
    assert rule.origin.origin is not None
    lines = (DATA / "rest-rule-collection-groups.json").read_text().splitlines()
    name_line = lines.index('                "name": "ssh",') + 1
    assert lines[rule.origin.origin.line - 1].strip() == "{"
    assert 0 < name_line - rule.origin.origin.line <= 2


def test_policy_settings_threat_intel_and_its_note():
    """threatIntelMode: recorded; in Deny mode a note says listed peers are denied first."""
    layer = _rest_layer()
    assert layer.settings.threat_intel_mode == "Deny"
    assert any("threatIntelMode Deny" in n.message for n in layer.notes)


# -- recognition -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "rest-rule-collection-groups.json",
        "az-rule-collection-groups.json",
        "arm-template.json",
        "classic-firewall.json",
        "child-policy.json",
    ],
)
def test_read_firewall_recognizes_every_azure_firewall_shape(name):
    """Recognition: every export shape is read as Azure Firewall without --firewall-format."""
    root = read_json_export(str(DATA / name))
    assert AzureFirewallLanguage().recognizes("", root)


def test_recognition_refuses_other_formats(tmp_path):
    """Recognition: an NSG export, an nftables JSON ruleset, an IP Group alone and an
    iptables-save text are not Azure Firewall exports."""
    nsg = {
        "name": "nsg-arc",
        "type": "Microsoft.Network/networkSecurityGroups",
        "properties": {"securityRules": [{"name": "r", "properties": {"priority": 100}}]},
    }
    nft = {"nftables": [{"metainfo": {"json_schema_version": 1}}]}
    ip_group = {
        "name": "g",
        "type": "Microsoft.Network/ipGroups",
        "properties": {"ipAddresses": []},
    }
    language = AzureFirewallLanguage()
    for body in (nsg, nft, ip_group, [nsg]):
        path = tmp_path / "x.json"
        path.write_text(json.dumps(body))
        assert not language.recognizes("", read_json_export(str(path)))
    assert not language.recognizes("*filter\n-A FORWARD -j DROP\nCOMMIT\n", None)
    path = tmp_path / "ip-group.json"
    path.write_text(json.dumps(ip_group))
    with pytest.raises(InputError, match="not a firewall export netfence recognizes"):
        read_firewall(str(path))


# -- bad input ---------------------------------------------------------------------------


def _network_rule(**fields: object) -> dict[str, object]:
    rule: dict[str, object] = {
        "ruleType": "NetworkRule",
        "name": "r",
        "ipProtocols": ["TCP"],
        "sourceAddresses": ["10.0.0.0/24"],
        "destinationAddresses": ["192.0.2.0/24"],
        "destinationPorts": ["443"],
    }
    rule.update(fields)
    return rule


def _filter(action: str, rules: list[dict[str, object]]) -> dict[str, object]:
    return {
        "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
        "name": "c",
        "priority": 100,
        "action": {"type": action},
        "rules": rules,
    }


def _group(*rules: dict[str, object], priority: object = 200) -> dict[str, object]:
    return {
        "name": "g",
        "properties": {"priority": priority, "ruleCollections": [_filter("Allow", list(rules))]},
    }


def _error(tmp_path: Path, body: object) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(body, indent=1))
    with pytest.raises(InputError) as caught:
        read_firewall(str(path), kind=FirewallKind.AZURE_FIREWALL)
    text = str(caught.value)
    assert "\n" not in text
    return text


RULE = "properties.ruleCollections[0].rules[0]"


@pytest.mark.parametrize(
    ("rule_fields", "field", "message"),
    [
        (
            {"destinationAddresses": ["10.0.0.300"]},
            ".destinationAddresses[0]",
            "'10.0.0.300' is not an address",
        ),
        (
            {"destinationAddresses": ["10.0.0.9-10.0.0.1"]},
            ".destinationAddresses[0]",
            "not an address range",
        ),
        (
            {"sourceAddresses": ["AzureCloud"]},
            ".sourceAddresses[0]",
            "'AzureCloud' is not an address, prefix, range or *",
        ),
        (
            {"destinationPorts": ["70000"]},
            ".destinationPorts[0]",
            "not a port range within 1-65535",
        ),
        ({"destinationPorts": ["http"]}, ".destinationPorts[0]", "is not a port"),
        ({"ipProtocols": ["GRE"]}, ".ipProtocols[0]", "unknown value 'GRE'"),
        (
            {"destinationFqdns": ["*.contoso.com"], "destinationAddresses": []},
            ".destinationFqdns[0]",
            "network rules take exact names",
        ),
        ({"sourceAddresses": []}, "", "a rule needs sourceAddresses or sourceIpGroups"),
        ({"destinationAddresses": []}, "", "a network rule needs destinationAddresses"),
        ({"ruleType": "FancyRule"}, ".ruleType", "unknown kind 'FancyRule'"),
    ],
)
def test_bad_network_rules_get_one_line_with_file_line_and_path(
    tmp_path, rule_fields, field, message
):
    """Bad input: invalid addresses, ranges, ports, protocols, wildcard FQDNs in network
    rules, missing sources or destinations and unknown rule shapes are one line naming the
    file, the line and the JSON path."""
    text = _error(tmp_path, _group(_network_rule(**rule_fields)))
    assert re.match(rf"\S+policy\.json: document 1, line \d+: {re.escape(RULE + field)}: ", text), (
        text
    )
    assert message in text


def test_bad_input_without_the_sdk_still_gets_its_one_line(tmp_path, monkeypatch):
    """Bad input without azure-mgmt-network installed: netfence's own reading refuses the
    same shapes (an unknown protocol, an unknown rule type)."""
    monkeypatch.setattr(azure_sdk, "_models", lambda: None)
    text = _error(tmp_path, _group(_network_rule(ipProtocols=["GRE"])))
    assert f"{RULE}.ipProtocols[0]: unknown protocol 'GRE'" in text
    text = _error(tmp_path, _group(_network_rule(ruleType="FancyRule")))
    assert f"{RULE}.ruleType: rule type 'FancyRule' does not belong" in text


def test_unknown_service_tag_with_a_service_tag_file_is_an_error(tmp_path):
    """Bad input: a service tag the service-tag file does not hold is one line."""
    tags = tmp_path / "tags.json"
    tags.write_text(
        json.dumps(
            {"values": [{"name": "AzureCloud", "properties": {"addressPrefixes": ["1.0.0.0/8"]}}]}
        )
    )
    path = tmp_path / "policy.json"
    path.write_text(
        json.dumps(_group(_network_rule(destinationAddresses=["AzureFrontDoor.Backend"])), indent=1)
    )
    context = FirewallContext(service_tags=read_service_tags(str(tags)))
    with pytest.raises(InputError) as caught:
        read_firewall(str(path), context)
    assert f"{RULE}.destinationAddresses[0]: unknown service tag 'AzureFrontDoor.Backend'" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            _group(_network_rule(), priority=99),
            "properties.priority",
            "priority 99 is outside 100-65000",
        ),
        (_group(_network_rule(), priority="high"), "properties.priority", "expected an integer"),
        (
            {
                "name": "g",
                "properties": {
                    "priority": 100,
                    "ruleCollections": [
                        {**_filter("Allow", [_network_rule()]), "action": {"type": "Log"}}
                    ],
                },
            },
            "properties.ruleCollections[0].action.type",
            "unknown value 'Log'",
        ),
        (
            {
                "name": "g",
                "properties": {
                    "priority": 100,
                    "ruleCollections": [
                        {**_filter("Allow", [_network_rule()]), "ruleCollectionType": "Odd"}
                    ],
                },
            },
            "properties.ruleCollections[0].ruleCollectionType",
            "unknown kind 'Odd'",
        ),
    ],
)
def test_bad_groups_and_collections_get_one_line(tmp_path, body, field, message):
    """Bad input: a priority out of range or of the wrong type, an unknown action and an
    unknown collection type are one line with the path."""
    text = _error(tmp_path, body)
    assert f": {field}: " in text and message in text, text


def test_bad_application_rules_get_one_line(tmp_path):
    """Bad input: an application protocol Azure does not know, a port above 64000, an
    invalid target FQDN."""

    def app(**fields: object) -> dict[str, object]:
        rule: dict[str, object] = {
            "ruleType": "ApplicationRule",
            "name": "a",
            "sourceAddresses": ["10.0.0.0/24"],
            "protocols": [{"protocolType": "Https", "port": 443}],
            "targetFqdns": ["mcr.microsoft.com"],
        }
        rule.update(fields)
        return rule

    text = _error(tmp_path, _group(app(protocols=[{"protocolType": "Ftp", "port": 21}])))
    assert f"{RULE}.protocols[0].protocolType: unknown value 'Ftp'" in text
    text = _error(tmp_path, _group(app(protocols=[{"protocolType": "Https", "port": 64001}])))
    assert f"{RULE}.protocols[0].port: port 64001 is outside 1-64000" in text
    text = _error(tmp_path, _group(app(targetFqdns=["bad_name-.example.com"])))
    assert f"{RULE}.targetFqdns[0]: " in text and "label" in text


def test_unknown_and_unmodelled_rule_fields_make_the_rule_undecidable(tmp_path):
    """Cannot decide: a field netfence does not know and one it cannot model
    (sourceGeoLocations) are undecidable reasons on the rule, never silently dropped."""
    path = tmp_path / "policy.json"
    rule = _network_rule(sourceGeoLocations=["CN"], fancyMatch={"x": 1})
    path.write_text(json.dumps(_group(rule), indent=1))
    reasons = read_firewall(str(path))[0].rules_of(OUT)[0].undecidable
    assert any(r.startswith("sourceGeoLocations:") for r in reasons)
    assert any(r.startswith("fancyMatch:") for r in reasons)


def test_unsupported_template_expression_is_an_error(tmp_path):
    """Bad input: an ARM template expression netfence does not evaluate is one line, never
    guessed."""
    template = json.loads((DATA / "arm-template.json").read_text())
    template["resources"][3]["properties"]["ruleCollections"][0]["rules"][0]["targetFqdns"] = [
        "[reference('x').fqdn]"
    ]
    text = _error(tmp_path, template)
    assert "resources[3].properties.ruleCollections[0].rules[0].targetFqdns[0]:" in text
    assert "function reference()" in text


def test_policy_referencing_a_missing_rule_collection_group_is_an_error(tmp_path):
    """Bad input: a policy listing a rule collection group that no export holds is one line
    (its rules would otherwise be silently missing)."""
    policy = json.loads((DATA / "rest-policy.json").read_text())
    text = _error(tmp_path, policy)
    assert (
        "properties.ruleCollectionGroups[0]: rule collection group 'DefaultDnatRuleCollectionGroup'"
        in text
    )


# -- the SDK and validate_rule_collection_group ------------------------------------------


VALID_GROUP = {
    "name": "ArcApps",
    "properties": {
        "priority": 300,
        "ruleCollections": [
            {
                "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                "name": "arc",
                "priority": 100,
                "action": {"type": "Allow"},
                "rules": [
                    {
                        "ruleType": "ApplicationRule",
                        "name": "mcr",
                        "sourceAddresses": ["10.0.0.0/24"],
                        "protocols": [{"protocolType": "Https", "port": 443}],
                        "targetFqdns": ["mcr.microsoft.com", "*.data.mcr.microsoft.com"],
                    },
                    _network_rule(),
                ],
            }
        ],
    },
}


def test_validate_rule_collection_group_accepts_a_valid_body():
    """validate_rule_collection_group: a valid ARM/REST body has no problems."""
    assert validate_rule_collection_group(VALID_GROUP) == []


def test_validate_rule_collection_group_reports_what_azure_refuses():
    """validate_rule_collection_group: a port given as a string, an unknown field and a
    priority out of range are reported by path."""
    body = copy.deepcopy(VALID_GROUP)
    rule = body["properties"]["ruleCollections"][0]["rules"][0]  # type: ignore[index]
    rule["protocols"][0]["port"] = "443"
    rule["colour"] = "red"
    problems = validate_rule_collection_group(body)
    assert any(
        p.startswith("properties.ruleCollections[0].rules[0].protocols[0].port:") for p in problems
    )
    if azure_sdk.sdk_available():
        assert any("colour: unknown field" in p for p in problems)
    body = copy.deepcopy(VALID_GROUP)
    body["properties"]["priority"] = 70000  # type: ignore[index]
    assert validate_rule_collection_group(body) == [
        "properties.priority: priority 70000 is outside 100-65000"
    ]
    assert validate_rule_collection_group({"name": "g", "priority": 100}) != []


def test_validate_rule_collection_group_without_the_sdk(monkeypatch):
    """validate_rule_collection_group without azure-mgmt-network: netfence's own reading
    still finds a bad address."""
    monkeypatch.setattr(azure_sdk, "_models", lambda: None)
    assert validate_rule_collection_group(VALID_GROUP) == []
    body = copy.deepcopy(VALID_GROUP)
    body["properties"]["ruleCollections"][0]["rules"][1]["destinationAddresses"] = ["300.1.1.1"]  # type: ignore[index]
    (problem,) = validate_rule_collection_group(body)
    assert problem.startswith("properties.ruleCollections[0].rules[1].destinationAddresses[0]:")


def test_rule_field_lists_agree_with_the_azure_sdk():
    """The fields netfence reads of each policy rule kind, with those it turns into
    undecidable reasons, are exactly the Azure SDK's (azure-mgmt-network) for that kind."""
    if not azure_sdk.sdk_available() and os.environ.get("CI") != "true":
        pytest.skip("azure-mgmt-network is not installed (the azure extra)")
    assert azure_sdk.sdk_available(), "CI installs the azure extra"
    for kind, known in _POLICY_RULE_FIELDS.items():
        sdk = azure_sdk.model_fields(kind)
        assert known <= sdk, kind
        assert sdk - known <= set(UNMODELLED_FIELDS), (kind, sdk - known)


def test_capabilities_are_named_once_and_say_how_dropped_features_change_verdicts():
    """The language declares what it models; every feature it does not model says how
    verdicts may differ where it is used."""
    features = [c.feature for c in AzureFirewallLanguage.capabilities]
    assert len(features) == len(set(features))
    assert all(c.modeled or c.effect for c in AzureFirewallLanguage.capabilities)
    assert {"targetUrls", "fqdnTags", "webCategories", "geoLocations"} <= {
        c.feature for c in AzureFirewallLanguage.capabilities if not c.modeled
    }


def test_template_literal_brackets_and_undefined_parameters(tmp_path):
    """ARM template expressions: '[[' starts a literal string, not an expression; a
    parameter without a value is one line naming the field, never guessed."""
    template = json.loads((DATA / "arm-template.json").read_text())
    rule = template["resources"][3]["properties"]["ruleCollections"][0]["rules"][0]
    rule["description"] = "[[not an expression]"
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template, indent=1))
    (layer,) = read_firewall(str(path))
    assert _rule(layer, "registry").description == "[not an expression]"
    rule["targetFqdns"] = ["[parameters('registryName')]"]
    text = _error(tmp_path, template)
    assert "rules[0].targetFqdns[0]:" in text
    assert "parameters('registryName') is not defined or has no value" in text
