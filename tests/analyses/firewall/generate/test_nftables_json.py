"""nftables generation, JSON form: rules.json loads with ``nft -j -f`` and reads as rules.nft.

Both outputs are loaded into scratch network namespaces and listed with ``nft -j list
ruleset``; netfence's reader must find the same layer in both listings and in rules.json
itself, so the JSON form can prove a generated ruleset before it is printed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from netfence.analyses.firewall.generate import GenerateOptions, generate
from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, FirewallLayer
from netfence.policy.firewall_registry import read_firewall
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from netfence.sources.resolver import DNSResolver
from tests.analyses.firewall.generate.conftest import require_root_tool
from tests.analyses.firewall.generate.flows import (
    CATALOG,
    CONFIG,
    MANAGEMENT,
    NTP,
    RANGE,
    flow,
    to_addresses,
)
from tests.support.dns import Zone, dns_zone_server

__all__ = ["dns_zone_server"]

NFT = FirewallKind.NFTABLES


def listed(netns: str, text: str, *options: str) -> str:
    """Load ``text`` with ``nft [options] -f`` in ``netns`` twice (a reload must replace the
    table) and return ``nft -j list ruleset``."""
    nft = require_root_tool("nft")
    for _ in range(2):
        subprocess.run(
            ["ip", "netns", "exec", netns, nft, *options, "-f", "-"],
            input=text,
            text=True,
            check=True,
        )
    return subprocess.run(
        ["ip", "netns", "exec", netns, nft, "-j", "list", "ruleset"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def layers(tmp_path: Path, name: str, text: str) -> list[tuple[object, ...]]:
    """What the reader makes of ``text``: each layer's name, defaults and rules, without
    where in the file each came from."""
    path = tmp_path / name
    path.write_text(text)
    return [_shape(layer) for layer in read_firewall(str(path))]


def _shape(layer: FirewallLayer) -> tuple[object, ...]:
    rules = tuple(
        (r.direction, r.action, r.match, r.undecidable, r.description, r.stage, r.priority)
        for r in layer.rules
    )
    return (layer.name, layer.default_outbound, layer.default_inbound, rules)


@pytest.fixture
def second_netns(netns):
    """Another scratch namespace, so the two forms are loaded apart."""
    name = f"{netns}-json"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "delete", name], check=False)


def assert_same_layers(result, tmp_path, netns, second_netns):
    """rules.json listed after ``nft -j -f``, rules.nft listed after ``nft -f``, and
    rules.json read directly: one and the same layer, with at least the replies rule."""
    text_output, json_output = result.outputs
    assert (json_output.name, json_output.loader) == ("rules.json", "nft -j -f")
    from_text = layers(tmp_path, "text.json", listed(netns, text_output.text))
    from_json = layers(tmp_path, "json.json", listed(second_netns, json_output.text, "-j"))
    direct = layers(tmp_path, "rules.json", json_output.text)
    assert from_json == from_text
    assert direct == from_text
    return direct


def test_catalog_json_loads_and_reads_as_the_text(tmp_path, netns, second_netns, answers):
    """Generated nftables JSON (libnftables-json commands): IPv4 and IPv6 sets, TCP and UDP,
    names resolved; the same layer from either form, with the comments on the rules."""
    result = generate(CATALOG, NFT, GenerateOptions(resolver=answers))
    (layer,) = assert_same_layers(result, tmp_path, netns, second_netns)
    descriptions = {rule[4] for rule in layer[3]}
    assert {"netfence: arc-management, arc-config-dp", "netfence: ntp"} <= descriptions
    assert result.text == result.outputs[0].text
    assert result.text.startswith("#!/usr/sbin/nft -f")


def test_json_ports_ranges_icmp_and_sources(tmp_path, netns, second_netns):
    """Port ranges, UDP, SCTP, whole ICMP types, other IP protocols and source sets, IPv4 and
    IPv6, written in JSON as the text writes them."""
    services = PortSet.from_ranges(
        {"TCP": [(443, 443), (8000, 8080)], "UDP": [(53, 53)], "SCTP": [(9000, 9000)]}
    ) | PortSet.from_ranges({"ICMP": [(8 * 256, 8 * 256 + 255)], "OTHER": [(47, 47)]})
    mixed = flow(
        "mixed", to_addresses("192.0.2.0/24", "198.51.100.9/32", "2001:db8::/64"), services
    )
    sources = IPRangeSet.from_cidrs(["10.0.0.0/16", "10.9.0.7/32", "fd00::/64"])
    result = generate([mixed, RANGE], NFT, GenerateOptions(sources=sources))
    (layer,) = assert_same_layers(result, tmp_path, netns, second_netns)
    assert len(layer[3]) > len(result.rules)  # replies rule and rules for both directions


def test_json_names_resolved_by_a_real_dns_server(tmp_path, netns, second_netns, dns_zone_server):
    """Names resolved through dnsmasq (A and AAAA through a CNAME) land in the JSON sets."""
    server = dns_zone_server(
        Zone(
            records={
                "edge.azure.com": ["10.20.0.5", "fd00:20::5"],
                "time.windows.com": ["10.20.0.6"],
            },
            cnames={"management.azure.com": "edge.azure.com"},
            local_domains=["azure.com", "windows.com"],
        )
    )
    resolver = DNSResolver(server.address, timeout=2)
    result = generate([MANAGEMENT, CONFIG, NTP], NFT, GenerateOptions(resolver=resolver))
    assert_same_layers(result, tmp_path, netns, second_netns)
    commands = json.loads(result.outputs[1].text)["nftables"]
    sets = {
        c["add"]["set"]["name"]: c["add"]["set"]["elem"]
        for c in commands
        if "set" in c.get("add", {})
    }
    assert sets == {"req1_v4": ["10.20.0.5"], "req1_v6": ["fd00:20::5"], "req2_v4": ["10.20.0.6"]}


def test_empty_json_ruleset_is_a_closed_chain(tmp_path, netns, second_netns):
    """Nothing to allow: the JSON still defines the forward chain with policy drop."""
    result = generate([], NFT, GenerateOptions())
    (layer,) = assert_same_layers(result, tmp_path, netns, second_netns)
    assert commands_of(result)[:2] == [
        {"add": {"table": {"family": "inet", "name": "netfence"}}},
        {"delete": {"table": {"family": "inet", "name": "netfence"}}},
    ]


def commands_of(result) -> list[dict]:
    return json.loads(result.outputs[1].text)["nftables"]


def _read(tmp_path: Path, commands: list[dict]) -> list[FirewallLayer]:
    path = tmp_path / "commands.json"
    path.write_text(json.dumps({"nftables": commands}))
    return read_firewall(str(path))


TABLE = {"family": "inet", "name": "t"}


def test_reader_delete_table_drops_what_was_added_before(tmp_path):
    """nft -j -f commands: ``delete table`` removes the table and its chains; a later add
    defines it anew."""
    chain = {"family": "inet", "table": "t", "name": "c", "type": "filter", "hook": "forward"}
    chain |= {"prio": 0, "policy": "accept"}
    commands = [{"add": {"table": TABLE}}, {"add": {"chain": chain}}, {"delete": {"table": TABLE}}]
    commands += [{"add": {"table": TABLE}}, {"add": {"chain": chain | {"policy": "drop"}}}]
    (layer,) = _read(tmp_path, commands)
    assert layer.default_outbound.value == "Deny"


@pytest.mark.parametrize(
    ("commands", "message"),
    [
        (
            [{"add": {"table": TABLE}}, {"delete": {"chain": {**TABLE, "table": "t"}}}],
            "only delete table",
        ),
        ([{"delete": {"table": TABLE}}], "not declared before"),
        ([{"flush": {"ruleset": None}}], "nft command 'flush' is not read"),
        ([{"add": {"table": TABLE, "chain": {}}}], "one key"),
    ],
)
def test_reader_refuses_command_shapes_it_cannot_follow(tmp_path, commands, message):
    """nft -j -f commands the reader cannot follow are one-line input errors, never skipped."""
    with pytest.raises(InputError, match=message) as raised:
        _read(tmp_path, commands)
    assert "\n" not in str(raised.value)
