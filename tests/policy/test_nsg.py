"""Azure NSGs as firewall layers: every exported shape, Azure's evaluation order and default
rules, service tags, and the bad input Azure itself would refuse."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from netfence.errors import InputError
from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    FirewallLayer,
    FirewallRule,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.model.origin import FileOrigin
from netfence.policy.firewall_registry import read_firewall
from netfence.policy.interface import FirewallContext
from netfence.policy.nsg import (
    AZURE_LOAD_BALANCER,
    DEFAULT_RULES,
    PUBLIC_ADDRESSES,
    NSGLanguage,
    validate_security_rules,
)
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import OTHER, PortSet
from netfence.sources.exports import parse_json_export
from netfence.sources.service_tags import read_service_tags

DATA = Path(__file__).parent / "data" / "nsg"
INBOUND, OUTBOUND = TrafficDirection.INBOUND, TrafficDirection.OUTBOUND
VNET = IPRangeSet.from_cidrs(["10.20.0.0/16"])


def _read(name: str, context: FirewallContext | None = None) -> list[FirewallLayer]:
    return read_firewall(str(DATA / name), context)


def _one(name: str, context: FirewallContext | None = None) -> FirewallLayer:
    layers = _read(name, context)
    assert len(layers) == 1
    return layers[0]


def _verdict(
    layer: FirewallLayer,
    direction: TrafficDirection,
    source: str,
    destination: str,
    protocol: str = "TCP",
    port: int = 443,
) -> tuple[Action, str] | None:
    """First match decides; None ("cannot decide") when a rule before the decisive one may
    match through a named set that was not expanded."""
    for rule in layer.rules_of(direction):
        match = rule.match
        if not match.services.contains(protocol, port):
            continue
        source_in = match.sources.contains(source)
        destination_in = match.destinations.addresses.contains(destination)
        if source_in and destination_in and not rule.undecidable:
            return rule.action, rule.origin.name or ""
        if (source_in or match.source_tags) and (destination_in or match.destinations.tags):
            return None
    return layer.default(direction), "(layer default)"


def _own(layer: FirewallLayer) -> list[FirewallRule]:
    """The layer's own rules, in order, without the default rules."""
    return [rule for rule in layer.rules if rule.priority[0] <= 4096]


def _write(tmp_path: Path, body: Any, name: str = "nsg.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body, indent=2))
    return str(path)


def _tags(tmp_path: Path) -> FirewallContext:
    body = {
        "changeNumber": 7,
        "cloud": "Public",
        "values": [
            {
                "name": "AzureArcInfrastructure",
                "properties": {"addressPrefixes": ["13.64.0.0/24", "2603:1030::/48"]},
            },
            {"name": "Storage.WestEurope", "properties": {"addressPrefixes": ["20.38.108.0/23"]}},
            {"name": "AzureCloud", "properties": {"addressPrefixes": ["13.0.0.0/8"]}},
        ],
    }
    return FirewallContext(
        service_tags=read_service_tags(_write(tmp_path, body, "tags.json")),
        virtual_network=VNET,
    )


def _custom_nsg(*rules: dict[str, Any]) -> dict[str, Any]:
    """An az-CLI-shaped NSG (no default rules listed) with the given flattened rules."""
    return {"name": "nsg-t", "resourceGroup": "rg", "securityRules": list(rules)}


def _rule(name: str = "r", **fields: Any) -> dict[str, Any]:
    rule = {
        "name": name,
        "protocol": "Tcp",
        "sourcePortRange": "*",
        "destinationPortRange": "443",
        "sourceAddressPrefix": "*",
        "destinationAddressPrefix": "*",
        "access": "Allow",
        "priority": 100,
        "direction": "Outbound",
    }
    rule.update(fields)
    return rule


# -- shapes ----------------------------------------------------------------------------------


def test_arm_rest_get_nests_fields_under_properties_with_origins_to_the_rule() -> None:
    """ARM/REST GET of an NSG: rule fields under properties, the subnet it is attached to kept
    in the layer's settings, each rule's origin naming its line and readable path."""
    layer = _one("arm-rest-get.json")
    assert layer.name == "nsg-arc-nodes" and layer.kind is FirewallKind.NSG
    assert layer.settings.extra["subnets"].endswith("/subnets/snet-nodes")
    names = [r.origin.name for r in layer.rules_of(OUTBOUND)]
    assert names == [
        "allow-arc-https",
        "allow-dns",
        "deny-internet",
        "AllowVnetOutBound",
        "AllowInternetOutBound",
        "DenyAllOutBound",
    ]
    dns = layer.rules_of(OUTBOUND)[1]
    assert dns.origin.path == "securityRules[allow-dns]"
    assert dns.match.destinations.addresses == IPRangeSet.from_cidrs(
        ["168.63.129.16/32", "10.20.0.4/32"]
    )
    assert dns.match.services == PortSet.of("UDP", 53)
    text = (DATA / "arm-rest-get.json").read_text().splitlines()
    assert isinstance(dns.origin.origin, FileOrigin)
    assert '"name": "allow-dns"' in text[dns.origin.origin.line]


def test_az_nsg_show_flattened_with_plural_ports_and_nic_attachment() -> None:
    """az network nsg show: client-flattened fields, destinationPortRanges, the NIC it is
    attached to, and Esp as IP protocol 50."""
    layer = _one("az-nsg-show.json")
    assert layer.settings.extra["networkInterfaces"].endswith("/networkInterfaces/node-1-nic")
    api = layer.rules_of(INBOUND)[0]
    assert api.match.services == PortSet.from_ranges({"TCP": [(6443, 6443), (10250, 10250)]})
    assert api.match.source_tags == ("VirtualNetwork",)
    ipsec = next(r for r in layer.rules if r.origin.name == "allow-ipsec")
    assert ipsec.match.services == PortSet.of(OTHER, 50)


def test_az_nsg_list_gives_one_layer_per_nsg() -> None:
    """az network nsg list: a list of two NSGs is two layers, each with its own rules."""
    web, db = _read("az-nsg-list.json")
    assert (web.name, db.name) == ("nsg-web", "nsg-db")
    assert _verdict(db, OUTBOUND, "10.20.1.5", "8.8.8.8") == (Action.DENY, "deny-out")
    assert _verdict(web, INBOUND, "8.8.8.8", "10.20.2.4") == (Action.ALLOW, "allow-https-in")


def test_az_nsg_rule_list_include_default_takes_the_nsg_name_from_the_ids() -> None:
    """az network nsg rule list --include-default: rules without their NSG; the defaults listed
    are read, not added again."""
    layer = _one("az-nsg-rule-list-include-default.json")
    assert layer.name == "nsg-arc-nodes"
    assert len(layer.rules) == 2 + len(DEFAULT_RULES)
    defaults = [r for r in layer.rules if r.priority[0] > 4096]
    assert all(r.origin.path.startswith("defaultSecurityRules[") for r in defaults)
    assert all("not in the export" not in r.origin.path for r in defaults)


def test_effective_rules_use_the_expanded_prefixes_one_layer_per_association() -> None:
    """az network nic list-effective-nsg: expandedSourceAddressPrefix/expandedDestination-
    AddressPrefix replace the tags, protocol All and "0-65535" mean everything, and each
    association (subnet, NIC) is its own layer."""
    subnet, nic = _read("effective-nsg.json")
    assert subnet.name == "nsg-arc-nodes (subnet snet-nodes)"
    assert subnet.settings.extra["association"] == "subnet"
    assert nic.name == "node-1-nsg (networkInterface node-1-nic)"
    assert nic.settings.extra["networkInterfaces"].endswith("node-1-nic")
    arc = subnet.rules_of(OUTBOUND)[0]
    assert arc.origin.path == "securityRules[allow-arc-https]"
    assert arc.match.destinations.tags == ()
    assert arc.match.destinations.addresses == IPRangeSet.from_cidrs(
        ["13.64.0.0/24", "20.38.108.0/23"]
    )
    vnet_in = nic.rules_of(INBOUND)[1]
    assert vnet_in.origin.name == "AllowVnetInBound"
    assert vnet_in.match.services.is_all() and not vnet_in.undecidable
    assert vnet_in.match.sources == IPRangeSet.from_cidrs(["10.20.0.0/16", "168.63.129.16/32"])
    assert not subnet.notes


def test_powershell_pascal_case_keys_and_list_valued_singular_fields(tmp_path: Path) -> None:
    """PowerShell ConvertTo-Json: PascalCase keys matched without regard to case, and
    SourceAddressPrefix/DestinationPortRange written as lists; Icmp is ICMP and ICMPv6."""
    layer = _one("powershell-nsg.json", _tags(tmp_path))
    assert layer.name == "nsg-ps"
    https = layer.rules_of(OUTBOUND)[0]
    assert https.match.destinations.addresses == IPRangeSet.from_cidr("20.38.108.0/23")
    icmp = layer.rules_of(INBOUND)[0]
    assert icmp.match.services == PortSet.of("ICMP") | PortSet.of("ICMPv6")


def test_powershell_cut_at_its_depth_is_one_clear_error(tmp_path: Path) -> None:
    """ConvertTo-Json without -Depth writes type names for deep values: refused, saying how."""
    body = json.loads((DATA / "powershell-nsg.json").read_text())
    body["SecurityRules"][0]["SourceAddressPrefix"] = (
        "System.Collections.Generic.List`1[System.String]"
    )
    with pytest.raises(InputError, match=r"SecurityRules\[0\]\.SourceAddressPrefix: .*-Depth"):
        read_firewall(_write(tmp_path, body))


def test_arm_template_nsg_with_child_rule_resources(tmp_path: Path) -> None:
    """ARM template: an NSG resource with nested rules, and a securityRules child resource
    named nsg/rule joined to it."""
    layer = _one("arm-template.json", _tags(tmp_path))
    assert [r.origin.name for r in layer.rules_of(INBOUND)][0] == "deny-rdp-in"
    out = layer.rules_of(OUTBOUND)[0]
    assert out.match.sources == VNET
    assert out.match.destinations.addresses == IPRangeSet.from_cidr("13.0.0.0/8")


def test_new_nsg_wrapper_of_az_nsg_create(tmp_path: Path) -> None:
    """az network nsg create prints {"NewNSG": {...}}."""
    body = {"NewNSG": json.loads((DATA / "az-nsg-show.json").read_text())}
    assert _one_path(_write(tmp_path, body)).name == "node-1-nsg"


def _one_path(path: str, context: FirewallContext | None = None) -> FirewallLayer:
    layers = read_firewall(path, context)
    assert len(layers) == 1
    return layers[0]


def test_read_firewall_recognizes_nsg_shapes_and_refuses_the_others() -> None:
    """Recognition: every NSG shape is an NSG; an Azure Firewall policy, an nft ruleset and a
    Service Tags file are not."""
    language = NSGLanguage()
    for name in sorted(p.name for p in DATA.glob("*.json")):
        text = (DATA / name).read_text()
        assert language.recognizes(text, parse_json_export(text, name)), name
    others = [
        {
            "name": "fw-policy",
            "type": "Microsoft.Network/firewallPolicies",
            "properties": {"threatIntelMode": "Alert", "ruleCollectionGroups": []},
        },
        {
            "name": "DefaultNetworkRuleCollectionGroup",
            "properties": {
                "priority": 200,
                "ruleCollections": [
                    {
                        "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                        "action": {"type": "Allow"},
                        "priority": 100,
                        "rules": [],
                    }
                ],
            },
        },
        {"nftables": [{"metainfo": {"version": "1.0.9", "json_schema_version": 1}}]},
        {"changeNumber": 1, "cloud": "Public", "values": []},
    ]
    for other in others:
        text = json.dumps(other)
        assert not language.recognizes(text, parse_json_export(text, "other.json")), other
    assert not language.recognizes("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", None)


def test_read_firewall_without_a_format_finds_the_nsg_reader() -> None:
    """The registry row: read_firewall recognizes an NSG export without --firewall-format."""
    assert _one("az-nsg-show.json").kind is FirewallKind.NSG


# -- semantics -------------------------------------------------------------------------------


def test_priority_order_first_match_decides_not_file_order(tmp_path: Path) -> None:
    """NSG evaluation: rules sorted by priority within a direction, lower first, first match
    wins, whatever order the export lists them in."""
    body = _custom_nsg(
        _rule("allow-443", priority=300, destinationAddressPrefix="8.8.8.8"),
        _rule("deny-8888", priority=200, access="Deny", destinationAddressPrefix="8.8.8.8"),
    )
    layer = _one_path(_write(tmp_path, body))
    assert [r.priority for r in layer.rules_of(OUTBOUND)][:2] == [(200,), (300,)]
    assert _verdict(layer, OUTBOUND, "10.20.0.5", "8.8.8.8") == (Action.DENY, "deny-8888")


def test_same_priority_in_the_two_directions_is_allowed(tmp_path: Path) -> None:
    """Azure refuses two rules with the same priority and direction, not across directions."""
    body = _custom_nsg(_rule("out", priority=100), _rule("in", priority=100, direction="Inbound"))
    layer = _one_path(_write(tmp_path, body))
    assert {r.origin.name for r in layer.rules if r.priority == (100,)} == {"in", "out"}


def test_default_rules_appended_as_azure_applies_them_when_the_export_omits_them(
    tmp_path: Path,
) -> None:
    """NSG default rules: AllowVnetInBound 65000, AllowAzureLoadBalancerInBound 65001,
    DenyAllInBound 65500; AllowVnetOutBound 65000, AllowInternetOutBound 65001, DenyAllOutBound
    65500, added below an export's own rules and marked as not in the export."""
    layer = _one_path(_write(tmp_path, _custom_nsg(_rule())))
    added = [r for r in layer.rules if r.origin.name != "r"]
    defaults = [(r.direction, r.priority[0], r.origin.name) for r in added]
    assert defaults == [
        (INBOUND, 65000, "AllowVnetInBound"),
        (INBOUND, 65001, "AllowAzureLoadBalancerInBound"),
        (INBOUND, 65500, "DenyAllInBound"),
        (OUTBOUND, 65000, "AllowVnetOutBound"),
        (OUTBOUND, 65001, "AllowInternetOutBound"),
        (OUTBOUND, 65500, "DenyAllOutBound"),
    ]
    assert all("applied by Azure; not in the export" in r.origin.path for r in added)
    lb = next(r for r in layer.rules if r.origin.name == "AllowAzureLoadBalancerInBound")
    assert lb.match.sources == AZURE_LOAD_BALANCER == IPRangeSet.from_cidr("168.63.129.16/32")


def test_default_rules_not_added_twice_when_the_export_lists_them() -> None:
    """NSG default rules listed in defaultSecurityRules are read from the export, once."""
    layer = _one("arm-rest-get.json")
    names = [r.origin.name for r in layer.rules]
    assert all(names.count(d.name) == 1 for d in DEFAULT_RULES)
    assert not any("not in the export" in r.origin.path for r in layer.rules)


def test_allow_internet_outbound_allows_all_internet_egress_without_a_custom_deny(
    tmp_path: Path,
) -> None:
    """NSG default rules, priority 65001 AllowInternetOutBound: with no custom outbound deny
    below 65001 every Internet destination on every port is allowed; a private address
    outside the virtual network is not Internet and meets DenyAllOutBound."""
    context = FirewallContext(virtual_network=VNET)
    layer = _one_path(_write(tmp_path, _custom_nsg(_rule("in", direction="Inbound"))), context)
    for destination, protocol, port in (
        ("8.8.8.8", "TCP", 22),
        ("13.64.0.9", "UDP", 53),
        ("2606:4700::1111", "TCP", 443),
    ):
        assert _verdict(layer, OUTBOUND, "10.20.0.5", destination, protocol, port) == (
            Action.ALLOW,
            "AllowInternetOutBound",
        )
    assert _verdict(layer, OUTBOUND, "10.20.0.5", "10.20.3.3") == (
        Action.ALLOW,
        "AllowVnetOutBound",
    )
    assert _verdict(layer, OUTBOUND, "10.20.0.5", "192.168.1.1") == (
        Action.DENY,
        "DenyAllOutBound",
    )


def test_a_custom_outbound_deny_below_65001_closes_internet_egress(tmp_path: Path) -> None:
    """AllowInternetOutBound (65001) is reached only when no custom rule decides first: a deny
    to Internet at 4000 stops what an allow at 100 does not let through."""
    context = FirewallContext(virtual_network=VNET)
    body = _custom_nsg(
        _rule("allow-mcr", priority=100, destinationAddressPrefix="20.38.108.0/23"),
        _rule("deny-internet", priority=4000, access="Deny", protocol="*",
              destinationPortRange="*", destinationAddressPrefix="Internet"),
    )  # fmt: skip
    layer = _one_path(_write(tmp_path, body), context)
    assert _verdict(layer, OUTBOUND, "10.20.0.5", "20.38.108.7") == (Action.ALLOW, "allow-mcr")
    assert _verdict(layer, OUTBOUND, "10.20.0.5", "8.8.8.8", "UDP", 53) == (
        Action.DENY,
        "deny-internet",
    )
    assert not layer.notes


def test_internet_tag_is_public_space_outside_the_virtual_network(tmp_path: Path) -> None:
    """Internet service tag: the address space outside the virtual network reachable from the
    public internet (Azure's public ranges included): private, shared, link-local and
    documentation blocks are not in it, nor is a virtual network that uses public space;
    without the virtual network's space a note says the guess may count it as Internet."""
    assert PUBLIC_ADDRESSES.contains("20.38.108.7") and PUBLIC_ADDRESSES.contains("2603:1030::1")
    for private in ("10.1.1.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "169.254.169.254"):
        assert not PUBLIC_ADDRESSES.contains(private)
    public_vnet = IPRangeSet.from_cidr("52.10.0.0/16")
    body = _custom_nsg(_rule(destinationAddressPrefix="Internet"))
    layer = _one_path(_write(tmp_path, body), FirewallContext(virtual_network=public_vnet))
    internet = _own(layer)[0].match.destinations.addresses
    assert not internet.contains("52.10.1.1") and internet.contains("52.11.1.1")
    guessed = _one_path(_write(tmp_path, body))
    assert _own(guessed)[0].match.destinations.addresses == PUBLIC_ADDRESSES
    assert any("Internet tag" in note.message for note in guessed.notes)


def test_virtual_network_tag_from_context_else_cannot_decide(tmp_path: Path) -> None:
    """VirtualNetwork tag: the address space given (--virtual-network) or, without it, a named
    set left unexpanded on the rule (cannot decide)."""
    body = _custom_nsg(_rule(sourceAddressPrefix="VirtualNetwork"))
    known = _one_path(_write(tmp_path, body), FirewallContext(virtual_network=VNET))
    assert _own(known)[0].match.sources == VNET and _own(known)[0].match.source_tags == ()
    unknown = _one_path(_write(tmp_path, body))
    assert _own(unknown)[0].match.source_tags == ("VirtualNetwork",)
    assert not _own(unknown)[0].match.sources
    assert _verdict(unknown, OUTBOUND, "10.20.0.5", "8.8.8.8") is None


def test_service_tags_expand_with_the_file_and_stay_named_without_it(tmp_path: Path) -> None:
    """Service tags: expanded from the Service Tags file (case-insensitively), left as named
    sets without one (cannot decide)."""
    body = _custom_nsg(_rule(destinationAddressPrefix="azurearcinfrastructure"))
    expanded = _one_path(_write(tmp_path, body), _tags(tmp_path))
    assert _own(expanded)[0].match.destinations.addresses == IPRangeSet.from_cidrs(
        ["13.64.0.0/24", "2603:1030::/48"]
    )
    named = _one_path(_write(tmp_path, body))
    assert _own(named)[0].match.destinations.tags == ("azurearcinfrastructure",)
    assert _verdict(named, OUTBOUND, "10.20.0.5", "13.64.0.1") is None


def test_application_security_groups_are_cannot_decide(tmp_path: Path) -> None:
    """Application security groups: their members are not in the NSG, so a rule naming one
    keeps it as a named set (cannot decide)."""
    asg = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/asg-web"
    rule = _rule(destinationApplicationSecurityGroups=[{"id": asg}])
    del rule["destinationAddressPrefix"]
    layer = _one_path(_write(tmp_path, _custom_nsg(rule)))
    assert _own(layer)[0].match.destinations.tags == ("ApplicationSecurityGroup asg-web",)


def test_source_port_ranges_are_an_undecidable_reason(tmp_path: Path) -> None:
    """Source port ranges other than *: the model has no source ports, so the rule keeps a
    reason and flows it may match are cannot decide."""
    body = _custom_nsg(_rule(sourcePortRange="1024-65535", access="Deny"))
    layer = _one_path(_write(tmp_path, body), FirewallContext(virtual_network=VNET))
    assert _own(layer)[0].undecidable == ("source ports 1024-65535",)
    assert _verdict(layer, OUTBOUND, "10.20.0.5", "8.8.8.8") is None


def test_protocol_star_with_ports_is_tcp_and_udp_and_ah_is_protocol_51(tmp_path: Path) -> None:
    """Protocols: * with destination ports matches those TCP and UDP ports; * with every port
    is all traffic; Ah is IP protocol 51."""
    body = _custom_nsg(
        _rule("dns", protocol="*", destinationPortRange="53"),
        _rule("any", protocol="*", destinationPortRange="*", priority=200),
        _rule("ah", protocol="Ah", destinationPortRange="*", priority=300),
    )
    star, every, ah = _own(_one_path(_write(tmp_path, body)))
    assert star.match.services == PortSet.of("TCP", 53) | PortSet.of("UDP", 53)
    assert every.match.services.is_all()
    assert ah.match.services == PortSet.of(OTHER, 51)


# -- bad input -------------------------------------------------------------------------------


def _error(tmp_path: Path, body: Any, context: FirewallContext | None = None) -> str:
    path = _write(tmp_path, body)
    with pytest.raises(InputError) as caught:
        read_firewall(path, context)
    message = str(caught.value)
    assert message.startswith(f"{path}: document 1, line ") and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"priority": 99}, "securityRules[0].priority: priority 99 out of range: a security rule takes 100-4096"),
        ({"priority": 4097}, "securityRules[0].priority: priority 4097 out of range"),
        ({"destinationAddressPrefix": "10.0.0.300/24"}, "securityRules[0].destinationAddressPrefix: invalid address prefix '10.0.0.300/24'"),
        ({"sourceAddressPrefix": "10.0.0.0/33"}, "securityRules[0].sourceAddressPrefix: invalid address prefix"),
        ({"destinationPortRange": "70000"}, "securityRules[0].destinationPortRange: invalid port range '70000'"),
        ({"destinationPortRange": "90-80"}, "securityRules[0].destinationPortRange: invalid port range '90-80'"),
        ({"access": "Permit"}, "securityRules[0].access: unknown access 'Permit' (expected Allow or Deny)"),
        ({"direction": "Both"}, "securityRules[0].direction: unknown direction 'Both'"),
        ({"protocol": "Sctp"}, "securityRules[0].protocol: unknown protocol 'Sctp'"),
        ({"priority": "[parameters('p')]"}, "securityRules[0].priority: an ARM template expression"),
    ],
)  # fmt: skip
def test_bad_rule_fields_are_one_line_naming_file_path_and_field(
    tmp_path: Path, fields: dict[str, Any], expected: str
) -> None:
    """Bad input Azure refuses (priority out of 100-4096, invalid prefix, invalid port range,
    unknown access, direction or protocol): one line naming file, line, JSON path, field."""
    message = _error(tmp_path, _custom_nsg(_rule(**fields)))
    assert expected in message


def test_duplicate_priority_in_one_direction_is_refused(tmp_path: Path) -> None:
    """SecurityRuleConflict: two rules of one direction cannot share a priority."""
    body = _custom_nsg(_rule("a", priority=200), _rule("b", priority=200))
    message = _error(tmp_path, body)
    assert (
        "securityRules[1].priority: rule 'b' has the priority 200 and direction Outbound" in message
    )


def test_unknown_service_tag_with_a_tags_file_names_the_rule_and_field(tmp_path: Path) -> None:
    """An unknown service tag with a Service Tags file given is an error (rule and field);
    without the file it is cannot decide (see above)."""
    body = _custom_nsg(_rule(destinationAddressPrefix="AzureArcInfrastructur"))
    message = _error(tmp_path, body, _tags(tmp_path))
    assert (
        "securityRules[0].destinationAddressPrefix: unknown service tag 'AzureArcInfrastructur'"
        in message
    )


def test_a_rule_without_addresses_or_ports_is_refused(tmp_path: Path) -> None:
    """Required fields: a rule needs a destination (prefix, prefixes or ASGs) and ports."""
    rule = _rule()
    del rule["destinationAddressPrefix"]
    assert "securityRules[0].destinationAddressPrefix: required" in _error(
        tmp_path, _custom_nsg(rule)
    )
    rule = _rule()
    del rule["destinationPortRange"]
    assert "securityRules[0].destinationPortRange: required" in _error(tmp_path, _custom_nsg(rule))


def test_an_export_of_another_shape_read_as_nsg_is_one_line(tmp_path: Path) -> None:
    """Reading with --firewall-format nsg an export that is no NSG: one line, no traceback."""
    path = _write(tmp_path, {"nftables": []})
    with pytest.raises(InputError, match="not an NSG export"):
        read_firewall(path, kind=FirewallKind.NSG)


# -- generated rules -------------------------------------------------------------------------


def test_validate_security_rules_accepts_a_valid_set() -> None:
    """Generated NSG rules, ARM-shaped and flattened: no problems when Azure would accept them."""
    rules: list[dict[str, Any]] = [
        {
            "name": "allow-arc",
            "properties": {
                "protocol": "Tcp",
                "sourcePortRange": "*",
                "destinationPortRange": "443",
                "sourceAddressPrefix": "VirtualNetwork",
                "destinationAddressPrefix": "AzureArcInfrastructure",
                "access": "Allow",
                "priority": 100,
                "direction": "Outbound",
                "description": "Azure Arc agents",
            },
        },
        _rule("deny-internet", priority=4096, access="Deny", destinationAddressPrefix="Internet"),
        _rule("same-priority-inbound", priority=100, direction="Inbound"),
    ]
    assert validate_security_rules(rules) == []


def test_validate_security_rules_lists_every_problem() -> None:
    """Generated NSG rules: priority range and uniqueness per direction, names, fields,
    prefixes, ports, singular and plural together, description length."""
    good = _rule("a")
    rules: list[dict[str, Any]] = [
        good,
        copy.deepcopy(good),
        _rule("c", priority=5000),
        _rule("d", priority=300, destinationAddressPrefix="not a prefix!"),
        _rule("e", priority=400, destinationPortRanges=["80"], description="x" * 141),
        _rule("f", priority=500, protocol="Gre"),
        _rule("bad name.", priority=600),
        _rule("g", priority=700, sourceAddressPrefixes=["10.0.0.5/24", "10.1.0.0/16"]),
    ]
    problems = validate_security_rules(rules)
    assert "rules[1].name: rule name 'a' is used twice" in problems
    assert any(p.startswith("rules[1].priority: rule 'a' has the priority 100") for p in problems)
    assert any(p.startswith("rules[2].priority: priority 5000 out of range") for p in problems)
    assert any(p.startswith("rules[3].destinationAddressPrefix: invalid address") for p in problems)
    assert "rules[4].description: longer than 140 characters" in problems
    assert any(p.startswith("rules[4].destinationPortRanges: give") for p in problems)
    assert any(p.startswith("rules[5].protocol: unknown protocol 'Gre'") for p in problems)
    assert any(p.startswith("rules[6].name: invalid rule name 'bad name.'") for p in problems)
    assert (
        "rules[7].sourceAddressPrefixes[0]: '10.0.0.5/24' has host bits set; write '10.0.0.0/24'"
        in problems
    )
    assert len(problems) == 10


# -- the official models ---------------------------------------------------------------------


def _sdk_models() -> Any:
    try:
        from azure.mgmt.network import models
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("azure-mgmt-network (extra 'azure') is not installed")
    return models


def test_field_names_and_values_match_the_official_azure_models() -> None:
    """The fields and enum values the reader takes are those of azure-mgmt-network's
    SecurityRulePropertiesFormat, EffectiveNetworkSecurityRule and EffectiveNetworkSecurity-
    Group (the official models of the ARM shapes)."""
    models = _sdk_models()

    def rest_names(cls: Any) -> set[str]:
        cls()
        return {f._rest_name for f in cls._attr_to_rest_field.values()}

    read = {
        "protocol", "sourcePortRange", "sourcePortRanges", "destinationPortRange",
        "destinationPortRanges", "sourceAddressPrefix", "sourceAddressPrefixes",
        "destinationAddressPrefix", "destinationAddressPrefixes",
        "sourceApplicationSecurityGroups", "destinationApplicationSecurityGroups",
        "access", "priority", "direction", "description",
    }  # fmt: skip
    assert read <= rest_names(models.SecurityRulePropertiesFormat)
    effective = rest_names(models.EffectiveNetworkSecurityRule)
    assert {"expandedSourceAddressPrefix", "expandedDestinationAddressPrefix", "name"} <= effective
    assert {"association", "effectiveSecurityRules", "networkSecurityGroup"} <= rest_names(
        models.EffectiveNetworkSecurityGroup
    )
    assert {"subnets", "networkInterfaces", "securityRules", "defaultSecurityRules"} <= rest_names(
        models.NetworkSecurityGroupPropertiesFormat
    )
    protocols = {p.value for p in models.SecurityRuleProtocol} | {
        p.value for p in models.EffectiveSecurityRuleProtocol
    }
    assert protocols == {"Tcp", "Udp", "Icmp", "Esp", "Ah", "*", "All"}
    assert {a.value for a in models.SecurityRuleAccess} == {"Allow", "Deny"}
    assert {d.value for d in models.SecurityRuleDirection} == {"Inbound", "Outbound"}


def test_fixtures_deserialize_into_the_official_models() -> None:
    """The hand-written ARM/REST fixture is the shape the official NetworkSecurityGroup model
    reads: its rules come back with the same priorities and directions."""
    models = _sdk_models()
    body = json.loads((DATA / "arm-rest-get.json").read_text())
    nsg = models.NetworkSecurityGroup(body)
    rules = [(r.name, r.priority, r.direction) for r in nsg.properties.security_rules]
    layer = _one("arm-rest-get.json")
    ours = {(r.origin.name, r.priority[0], r.direction.value) for r in layer.rules}
    assert set(rules) <= ours and len(rules) == 4


def test_template_expressions_in_addresses_and_ports_are_cannot_decide(tmp_path: Path) -> None:
    """ARM template expressions are not evaluated: an address written as one stays a named
    set, a port written as one is an undecidable reason over every port."""
    body = _custom_nsg(
        _rule(
            destinationAddressPrefix="[parameters('egress')]",
            destinationPortRange="[variables('port')]",
        )
    )
    rule = _own(_one_path(_write(tmp_path, body)))[0]
    assert rule.match.destinations.tags == ("[parameters('egress')]",)
    assert rule.match.services == PortSet.of("TCP")
    assert rule.undecidable == (
        "securityRules[0].destinationPortRange is an ARM template expression",
    )


def _pascal(value: Any) -> Any:
    """Keys as PowerShell's ConvertTo-Json writes them (PascalCase)."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(item) for item in value]
    return value


def test_powershell_effective_rules_read_like_az_output(tmp_path: Path) -> None:
    """Get-AzEffectiveNetworkSecurityGroup | ConvertTo-Json: the same effective rules with
    PascalCase keys give the same layers."""
    body = json.loads((DATA / "effective-nsg.json").read_text())
    pascal = _one_path(_write(tmp_path, _pascal(body["value"][0])))
    az = _read("effective-nsg.json")[0]
    assert pascal.name == az.name
    assert [(r.priority, r.match) for r in pascal.rules] == [
        (r.priority, r.match) for r in az.rules
    ]


def test_ipv6_prefixes_and_star_covers_both_families(tmp_path: Path) -> None:
    """Address prefixes: IPv6 CIDRs are read as such, and * is every IPv4 and IPv6 address,
    hence every name."""
    body = _custom_nsg(
        _rule("v6", destinationAddressPrefix="2603:1030:20e::/48"),
        _rule("any", priority=200, access="Deny"),
    )
    v6, star = _own(_one_path(_write(tmp_path, body)))
    assert v6.match.destinations.addresses == IPRangeSet.from_cidr("2603:1030:20e::/48")
    assert star.match.destinations == Destinations.anywhere()
    assert v6.match.destinations.names == DomainPatternSet()


def test_effective_rules_tag_map_expands_tags_the_rules_leave_unexpanded(tmp_path: Path) -> None:
    """Effective rules' tagMap (tag -> prefixes) expands a tag whose rule carries no
    expandedSourceAddressPrefix; a bad prefix in it is one located error."""
    body = json.loads((DATA / "effective-nsg.json").read_text())
    group = body["value"][1]
    group["effectiveSecurityRules"][0]["expandedSourceAddressPrefix"] = None
    group["tagMap"] = {"VirtualNetwork": ["10.20.0.0/16", "168.63.129.16/32"]}
    layer = _one_path(_write(tmp_path, group))
    api = _own(layer)[0]
    assert api.match.sources == IPRangeSet.from_cidrs(["10.20.0.0/16", "168.63.129.16/32"])
    assert api.match.source_tags == ()
    group["tagMap"] = {"VirtualNetwork": ["10.20.0.0/40"]}
    assert "tagMap.VirtualNetwork[0]: invalid address prefix" in _error(tmp_path, group)


def test_capabilities_say_what_becomes_cannot_decide() -> None:
    """Declared capabilities: feature names unique, each dropped one says how verdicts may
    differ (source ports, application security groups, template expressions)."""
    capabilities = NSGLanguage().capabilities
    features = [c.feature for c in capabilities]
    assert len(features) == len(set(features))
    dropped = {c.feature for c in capabilities if not c.modeled}
    assert dropped == {"sourcePortRanges", "applicationSecurityGroups", "templateExpressions"}
    assert all("cannot decide" in c.effect for c in capabilities if not c.modeled)
