"""iptables generation: iptables-restore (and ip6tables-restore) input that a real iptables
loads, with FORWARD dropping by default and a commented rule per group and protocol."""

from __future__ import annotations

import subprocess

from netfence.analyses.firewall.generate import GenerateOptions, generate
from netfence.model.firewall import FirewallKind
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from tests.analyses.firewall.generate.conftest import require_root_tool
from tests.analyses.firewall.generate.flows import CATALOG, HIS, RANGE, flow, to_addresses

IPT = FirewallKind.IPTABLES


def restore(netns: str, text: str, version: int = 4) -> list[str]:
    """Load ``text`` with iptables-restore (ip6tables-restore for 6) in ``netns`` and return
    the FORWARD lines ``iptables-save`` reports."""
    restore_tool = require_root_tool("iptables-restore" if version == 4 else "ip6tables-restore")
    save_tool = require_root_tool("iptables-save" if version == 4 else "ip6tables-save")
    subprocess.run(["ip", "netns", "exec", netns, restore_tool], input=text, text=True, check=True)
    saved = subprocess.run(
        ["ip", "netns", "exec", netns, save_tool, "-t", "filter"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in saved.splitlines() if "FORWARD" in line]


def test_catalog_rules_load_and_expand_per_address(netns, answers):
    """The v4 output loads; a comma-separated destination list becomes one kernel rule per
    address, each with the group's comment; FORWARD drops by default."""
    result = generate(CATALOG, IPT, GenerateOptions(resolver=answers))
    saved = restore(netns, result.outputs[0].text)
    assert saved[0] == ":FORWARD DROP [0:0]"
    assert saved[1] == "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    assert saved[2:] == [
        '-A FORWARD -d 20.37.158.1/32 -p tcp -m tcp --dport 443 -m comment --comment "netfence: arc-management, arc-config-dp" -j ACCEPT',
        '-A FORWARD -d 40.71.10.216/32 -p tcp -m tcp --dport 443 -m comment --comment "netfence: arc-management, arc-config-dp" -j ACCEPT',
        '-A FORWARD -d 51.145.123.29/32 -p udp -m udp --dport 123 -m comment --comment "netfence: ntp" -j ACCEPT',
        '-A FORWARD -d 203.0.113.0/24 -p tcp -m tcp --dport 8084 -m comment --comment "netfence: policy-egress" -j ACCEPT',
    ]
    assert [m.flow for m in result.not_expressible] == [HIS]
    assert "# NOT EXPRESSIBLE" in result.outputs[0].text


def test_ipv6_destinations_go_to_a_second_output_for_ip6tables(netns, answers):
    """iptables keeps families apart: IPv6 destinations are in rules.v6, for
    ip6tables-restore, and only there."""
    result = generate(CATALOG, IPT, GenerateOptions(resolver=answers))
    assert [(o.name, o.loader) for o in result.outputs] == [
        ("rules.v4", "iptables-restore"),
        ("rules.v6", "ip6tables-restore"),
    ]
    saved = restore(netns, result.outputs[1].text, version=6)
    assert saved[2:] == [
        '-A FORWARD -d 2603:1030:b00::1/128 -p tcp -m tcp --dport 443 -m comment --comment "netfence: arc-management, arc-config-dp" -j ACCEPT',
    ]
    v4_rules = [line for line in result.outputs[0].text.splitlines() if line.startswith("-A")]
    assert not any("2603" in line for line in v4_rules)


def test_ipv4_only_needs_one_output():
    result = generate([RANGE], IPT, GenerateOptions())
    assert [o.name for o in result.outputs] == ["rules.v4"]


def test_sources_and_many_ports_use_multiport_in_slots_of_fifteen(netns):
    """More ports than one multiport match holds (15 slots, a range taking two) are split
    across lines; sources limit every line."""
    ports = PortSet.from_ranges({"TCP": [(p, p) for p in range(1000, 1040, 2)] + [(2000, 2010)]})
    many = flow(
        "many-ports",
        to_addresses("192.0.2.10/32"),
        ports,
        sources=IPRangeSet.from_cidr("10.1.0.0/16"),
    )
    result = generate([many], IPT, GenerateOptions())
    saved = restore(netns, result.text)[2:]
    assert len(saved) == 2
    assert all(
        line.startswith("-A FORWARD -s 10.1.0.0/16 -d 192.0.2.10/32 -p tcp -m multiport")
        for line in saved
    )
    listed = ",".join(line.split("--dports ")[1].split(" ")[0] for line in saved)
    assert listed.split(",") == [str(p) for p in range(1000, 1040, 2)] + ["2000:2010"]


def test_icmp_types_and_other_protocols(netns):
    services = PortSet.from_ranges(
        {"ICMP": [(0, 255), (8 * 256, 8 * 256 + 255)], "OTHER": [(50, 50)]}
    )
    result = generate(
        [flow("icmp", to_addresses("192.0.2.1/32"), services)], IPT, GenerateOptions()
    )
    saved = restore(netns, result.text)[2:]
    assert [line.split(" -m comment")[0] for line in saved] == [
        "-A FORWARD -d 192.0.2.1/32 -p icmp -m icmp --icmp-type 0",
        "-A FORWARD -d 192.0.2.1/32 -p icmp -m icmp --icmp-type 8",
        "-A FORWARD -d 192.0.2.1/32 -p esp",
    ]
