"""nftables generation: the ruleset loads into a real nft, and holds exactly the required flows.

Rulesets are loaded with ``nft -f`` into a scratch network namespace and read back with
``nft -j list ruleset``, so what is asserted is what the kernel holds, not the text alone.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from netfence.analyses.firewall.generate import GenerateOptions, generate
from netfence.model.firewall import FirewallKind
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from netfence.sources.resolver import DNSResolver
from tests.analyses.firewall.generate.conftest import require_root_tool
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
from tests.support.dns import Zone, dns_zone_server

__all__ = ["dns_zone_server"]

NFT = FirewallKind.NFTABLES


def load(netns: str, text: str) -> dict:
    """Load ``text`` with ``nft -f`` in ``netns`` (twice: a reload must replace, not fail)
    and return the ruleset as nft reports it."""
    nft = require_root_tool("nft")
    for _ in range(2):
        subprocess.run(
            ["ip", "netns", "exec", netns, nft, "-f", "-"], input=text, text=True, check=True
        )
    listed = subprocess.run(
        ["ip", "netns", "exec", netns, nft, "-j", "list", "ruleset"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(listed.stdout)


def objects(ruleset: dict, kind: str) -> list[dict]:
    return [item[kind] for item in ruleset["nftables"] if kind in item]


def elements(set_object: dict) -> IPRangeSet:
    out = []
    for element in set_object.get("elem", []):
        if isinstance(element, dict):
            prefix = element["prefix"]
            out.append(f"{prefix['addr']}/{prefix['len']}")
        else:
            out.append(element)
    return IPRangeSet.from_cidrs(out)


def test_catalog_ruleset_loads_with_one_set_per_group(netns, answers):
    """Flows with the same ports share a set: management and config (TCP 443) are one group,
    NTP (UDP 123) and the range (TCP 8084) others; the wildcard is not expressible."""
    result = generate(CATALOG, NFT, GenerateOptions(resolver=answers))
    ruleset = load(netns, result.text)
    sets = {s["name"]: elements(s) for s in objects(ruleset, "set")}
    assert sets == {
        "req1_v4": IPRangeSet.from_addresses(["20.37.158.1", "40.71.10.216"]),
        "req1_v6": IPRangeSet.from_addresses(["2603:1030:b00::1"]),
        "req2_v4": IPRangeSet.from_addresses(["51.145.123.29"]),
        "req3_v4": IPRangeSet.from_cidr("203.0.113.0/24"),
    }
    (chain,) = objects(ruleset, "chain")
    assert (chain["hook"], chain["policy"]) == ("forward", "drop")
    comments = [r.get("comment") for r in objects(ruleset, "rule")]
    assert comments == [
        None,  # ct state established,related accept
        "netfence: arc-management, arc-config-dp",
        "netfence: arc-management, arc-config-dp",
        "netfence: ntp",
        "netfence: policy-egress",
    ]
    assert [item.flow for item in result.not_expressible] == [HIS]


def test_wildcard_name_is_not_expressible_and_said_in_the_file(answers):
    """A wildcard cannot be resolved: listed as not expressible, in the result and atop the
    file, never dropped in silence."""
    result = generate([HIS], NFT, GenerateOptions(resolver=answers))
    (missing,) = result.not_expressible
    assert missing.what == "*.his.arc.azure.com TCP 443"
    assert "wildcard" in missing.reason
    assert "#   arc-his: *.his.arc.azure.com TCP 443: " in result.text
    assert "daddr" not in result.text
    assert not result.exact


def test_names_without_a_resolver_are_not_expressible():
    """nftables matches addresses only: without a resolver, a name is not expressible."""
    result = generate([MANAGEMENT, RANGE], NFT, GenerateOptions())
    assert [m.flow for m in result.not_expressible] == [MANAGEMENT]
    assert "give a resolver" in result.not_expressible[0].reason
    assert "203.0.113.0/24" in result.text


def test_names_resolved_by_a_real_dns_server(netns, dns_zone_server):
    """Names resolved through dnsmasq: A and AAAA, through a CNAME; an NXDOMAIN name resolves
    to nothing, which is not expressible and says NXDOMAIN."""
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
    sets = {s["name"]: elements(s) for s in objects(load(netns, result.text), "set")}
    assert sets == {
        "req1_v4": IPRangeSet.from_addresses(["10.20.0.5"]),
        "req1_v6": IPRangeSet.from_addresses(["fd00:20::5"]),
        "req2_v4": IPRangeSet.from_addresses(["10.20.0.6"]),
    }
    (missing,) = result.not_expressible
    assert missing.flow == CONFIG and "NXDOMAIN" in missing.reason
    assert "management.azure.com via edge.azure.com -> 10.20.0.5/32; fd00:20::5/128" in result.text


def test_sources_limit_rules_flow_sources_first(netns, answers):
    """Sources: a flow's own sources win over --source, which applies to the others; with
    neither, any source (no saddr match)."""
    own = flow(
        "own-sources", to_addresses("198.51.100.7/32"), sources=IPRangeSet.from_cidr("10.9.0.0/24")
    )
    options = GenerateOptions(resolver=answers, sources=IPRangeSet.from_cidr("10.0.0.0/16"))
    result = generate([own, RANGE], NFT, options)
    lines = [r.text for r in result.rules]
    assert lines[0].startswith("ip saddr { 10.9.0.0/24 } ip daddr @req1_v4 tcp dport 443")
    assert lines[1].startswith("ip saddr { 10.0.0.0/16 } ip daddr @req2_v4 tcp dport 8084")
    load(netns, result.text)
    anywhere = generate([RANGE], NFT, GenerateOptions())
    assert anywhere.rules[0].text.startswith("ip daddr @req1_v4 tcp dport 8084 accept")


def test_ipv6_destinations_need_ipv6_sources(answers):
    """With IPv4 sources only, IPv6 destinations get no rule (no such flow can exist), and the
    notes say so."""
    options = GenerateOptions(resolver=answers, sources=IPRangeSet.from_cidr("10.0.0.0/16"))
    result = generate([MANAGEMENT], NFT, options)
    assert "req1_v6" not in result.text
    assert any("no rule for IPv6 destinations 2603:1030:b00::1/128" in n for n in result.notes)


def test_protocols_ports_and_icmp_types(netns):
    """Port ranges, several protocols, whole ICMP types and other IP protocols are written;
    ICMP values that are only some codes of a type are not expressible."""
    services = (
        PortSet.from_ranges(
            {"TCP": [(443, 443), (8000, 8080)], "UDP": [(53, 53)], "SCTP": [(9000, 9000)]}
        )
        | PortSet.from_ranges({"ICMP": [(8 * 256, 8 * 256 + 255)], "OTHER": [(47, 47)]})
        | PortSet.from_ranges({"ICMPv6": [(128 * 256, 128 * 256)]})
    )
    mixed = flow("mixed", to_addresses("192.0.2.0/24", "2001:db8::/64"), services)
    result = generate([mixed], NFT, GenerateOptions())
    texts = [r.text.split(" accept")[0] for r in result.rules]
    assert texts == [
        "ip daddr @req1_v4 tcp dport { 443, 8000-8080 }",
        "ip daddr @req1_v4 udp dport 53",
        "ip daddr @req1_v4 sctp dport 9000",
        "ip daddr @req1_v4 icmp type 8",
        "ip daddr @req1_v4 meta l4proto 47",
        "ip6 daddr @req1_v6 tcp dport { 443, 8000-8080 }",
        "ip6 daddr @req1_v6 udp dport 53",
        "ip6 daddr @req1_v6 sctp dport 9000",
        "ip6 daddr @req1_v6 meta l4proto 47",
    ]
    (missing,) = result.not_expressible
    assert missing.what.startswith("ICMPv6") and "some codes" in missing.reason
    load(netns, result.text)


def test_comments_stay_within_the_limit_and_name_every_entry(netns):
    """Many entries on the same port: rules are split so that each comment (at most 128
    characters in nftables) names every entry behind it."""
    flows = [
        flow(f"catalog-entry-with-a-long-identifier-{i:02d}", to_addresses(f"192.0.2.{i}/32"))
        for i in range(12)
    ]
    result = generate(flows, NFT, GenerateOptions())
    assert len(result.rules) > 1
    named = [
        label
        for rule in result.rules
        for label in rule.comment.removeprefix("netfence: ").split(", ")
    ]
    assert named == [f.entry_id for f in flows]
    assert all(len(rule.comment) <= 128 for rule in result.rules)
    load(netns, result.text)


def test_every_rule_names_the_flows_behind_it(answers):
    result = generate(CATALOG, NFT, GenerateOptions(resolver=answers))
    assert [r.flows for r in result.rules[:1]] == [(MANAGEMENT, CONFIG)]
    assert result.outputs[0].loader == "nft -f"


@pytest.mark.parametrize("flows", [[], [HIS]])
def test_nothing_expressible_still_loads_a_closed_chain(netns, flows, answers):
    """With no rule to write, the table still drops by default: nothing is let through."""
    result = generate(flows, NFT, GenerateOptions(resolver=answers))
    assert result.rules == ()
    (chain,) = objects(load(netns, result.text), "chain")
    assert chain["policy"] == "drop"
