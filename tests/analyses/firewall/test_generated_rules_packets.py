"""Generated firewall rules proved with real packets (issue 10, deliverable 7).

The required flows name hosts by exact names that a real dnsmasq on loopback answers (A and
AAAA records into outside namespace 0), by addresses, and by an address range in outside
namespace 1. The nftables and iptables rule sets ``generate`` writes for them, with the
cluster namespace's addresses as sources and a ``DNSResolver`` on the dnsmasq port, are loaded
into the firewall namespace of a real topology, and:

- real connections from the cluster namespace show that every required flow passes and every
  other served flow (other ports of the same hosts, other hosts) is blocked;
- the rules read back from the kernel (``nft -j list ruleset``, ``iptables-save`` and
  ``ip6tables-save``) and checked against the same flows and resolver give no shortfall
  (NF101), no surplus (NF102) and nothing undecided (NF111);
- a rule added in the kernel for a flow nobody requires is reported as surplus, naming that
  rule, and the probe shows it open; a required rule deleted from the kernel is reported as a
  shortfall of its flow, and the probe shows the flow blocked;
- a second DNS server answering a name with another address makes the check report the
  shortfall of that name's flow against the same kernel rules.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netfence.analyses.firewall.check import check_firewalls
from netfence.analyses.firewall.generate import GenerateOptions, generate
from netfence.model.findings import Finding
from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    FirewallLayer,
    RequiredFlow,
    TrafficDirection,
)
from netfence.policy.firewall_registry import read_firewall
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet
from netfence.sources.resolver import DNSResolver
from tests.support.dns import DnsServer, Zone, running_dnsmasq
from tests.support.netns import (
    CLUSTER_ADDRESS,
    CLUSTER_ADDRESS6,
    Flow,
    Topology,
    require_root_tools,
    topology,
)

NFT = FirewallKind.NFTABLES
IPT = FirewallKind.IPTABLES
OUT = TrafficDirection.OUTBOUND

HOSTS = ((10, 11, 12), (10, 20))
"""Host numbers of outside namespaces 0 and 1 (each an IPv4 and an IPv6 address)."""
TCP_PORTS = (443, 8443)
UDP_PORTS = (123, 5000)
"""Every host serves all of these: most of them are not required."""

API, TIME = "api.netfence.test", "time.netfence.test"
ZONE = Zone(
    records={
        API: ["198.51.100.10", "2001:db8:100::10"],
        TIME: ["198.51.100.11", "2001:db8:100::11"],
    },
    local_domains=["netfence.test"],
)
"""What the first DNS server answers."""
MOVED_API = "203.0.113.10"
"""Where the second DNS server says the API name now is (a host no rule allows)."""

SOURCES = IPRangeSet.from_addresses([CLUSTER_ADDRESS, CLUSTER_ADDRESS6])
"""The cluster namespace's addresses: the generator's ``--source`` and the check's."""


def _flow(entry: str, destinations: Destinations, services: PortSet) -> RequiredFlow:
    return RequiredFlow(OUT, destinations, services, f"{entry} purpose", entry)


REQUIRED = [
    _flow("api", Destinations(names=DomainPatternSet([API])), PortSet.of("TCP", 443)),
    _flow("time", Destinations(names=DomainPatternSet([TIME])), PortSet.of("UDP", 123)),
    _flow(
        "direct",
        Destinations(addresses=IPRangeSet.from_addresses(["198.51.100.12", "2001:db8:100::12"])),
        PortSet.of("TCP", 443),
    ),
    _flow(
        "range",
        Destinations(addresses=IPRangeSet.from_cidr("203.0.113.16/28")),
        PortSet.of("TCP", 8443),
    ),
]
"""Names on TCP 443 and UDP 123, addresses of both families on TCP 443, a range on TCP 8443."""

REQUIRED_PROBES = {
    Flow("TCP", "198.51.100.10", 443),
    Flow("TCP", "2001:db8:100::10", 443),
    Flow("UDP", "198.51.100.11", 123),
    Flow("UDP", "2001:db8:100::11", 123),
    Flow("TCP", "198.51.100.12", 443),
    Flow("TCP", "2001:db8:100::12", 443),
    Flow("TCP", "203.0.113.20", 8443),
}
"""The probes the required flows stand for, written out by hand (not derived from netfence)."""


def _addresses(network: str, network6: str, hosts: tuple[int, ...]) -> list[str]:
    return [*(f"{network}.{n}" for n in hosts), *(f"{network6}::{n}" for n in hosts)]


PROBES = [
    Flow(protocol, address, port)
    for address in [
        *_addresses("198.51.100", "2001:db8:100", HOSTS[0]),
        *_addresses("203.0.113", "2001:db8:113", HOSTS[1]),
    ]
    for protocol, ports in (("TCP", TCP_PORTS), ("UDP", UDP_PORTS))
    for port in ports
]
"""Every served flow: each host, each port, both families."""

WIDENED = Flow("TCP", "198.51.100.10", 8443)
"""The flow the widening rule lets through: a required host, a port nobody requires."""


@dataclass
class Bench:
    """The topology, the DNS server, and a resolver asking it."""

    net: Topology
    dns: DnsServer
    resolver: DNSResolver
    tmp: Path

    def generate_and_load(self, kind: FirewallKind) -> None:
        """Flush every ruleset of the firewall namespace, then load the generated outputs."""
        result = generate(REQUIRED, kind, GenerateOptions(resolver=self.resolver, sources=SOURCES))
        assert result.exact, [m.describe() for m in result.not_expressible]
        if kind is IPT:
            assert [o.name for o in result.outputs] == ["rules.v4", "rules.v6"]
        self.reset()
        # nftables' rules.nft and rules.json are one ruleset in two forms: load the text.
        outputs = result.outputs if kind is IPT else result.outputs[:1]
        for output in outputs:
            loader = output.loader.split()
            if loader == ["nft", "-f"]:
                loader = ["nft", "-f", "-"]
            self.net.exec(self.net.firewall, *loader, stdin=output.text)

    def reset(self) -> None:
        """Leave the firewall namespace with no rules: iptables' emptied first (with the
        legacy backend they are not nft tables), then every nft table flushed."""
        for command in ("iptables", "ip6tables"):
            self.net.exec(self.net.firewall, command, "-F", "FORWARD")
            self.net.exec(self.net.firewall, command, "-P", "FORWARD", "ACCEPT")
        self.net.exec(self.net.firewall, "nft", "flush", "ruleset")

    def passing(self) -> set[Flow]:
        """The served flows that get through the firewall namespace now."""
        return self.net.probe(PROBES)

    def read_back(self, kind: FirewallKind) -> list[FirewallLayer]:
        """The kernel's ruleset as the tools export it, read by netfence: the layers on the
        forwarding path (the generated rules are forward rules; INPUT and OUTPUT judge
        packets to and from the firewall itself)."""
        if kind is NFT:
            exported = self.tmp / "ruleset.json"
            exported.write_text(self.net.exec(self.net.firewall, "nft", "-j", "list", "ruleset"))
        else:
            exported = self.tmp / "ruleset.rules"
            exported.write_text(
                self.net.exec(self.net.firewall, "iptables-save")
                + self.net.exec(self.net.firewall, "ip6tables-save")
            )
        layers = read_firewall(str(exported))
        forward = [layer for layer in layers if layer.settings.extra.get("hook") == "forward"]
        assert forward, [layer.name for layer in layers]
        return forward

    def check(self, kind: FirewallKind, resolver: DNSResolver | None = None) -> list[Finding]:
        """``check_firewalls`` on what the kernel holds, for the required flows."""
        return check_firewalls(
            self.read_back(kind),
            REQUIRED,
            cluster_sources=SOURCES,
            resolver=resolver or self.resolver,
        )


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    """One topology and one dnsmasq for the module; each test loads its own rules."""
    require_root_tools("nft", "iptables-restore", "ip6tables-restore", "dnsmasq")
    with running_dnsmasq(ZONE) as dns, topology(HOSTS) as net:
        for index in (0, 1):
            net.serve(index, TCP_PORTS, UDP_PORTS)
        resolver = DNSResolver(dns.address, timeout=2)
        yield Bench(net, dns, resolver, tmp_path_factory.mktemp("packets"))


def _ids(findings: list[Finding], *ids: str) -> list[Finding]:
    return [f for f in findings if f.check.check_id in ids]


def _report(findings: list[Finding]) -> list[str]:
    return [f"{f.check.check_id} {f.message}" for f in findings]


def _assert_exact(bench: Bench, kind: FirewallKind) -> None:
    passing = bench.passing()
    assert passing == REQUIRED_PROBES, {
        "blocked but required": sorted(map(str, REQUIRED_PROBES - passing)),
        "passing but not required": sorted(map(str, passing - REQUIRED_PROBES)),
    }
    findings = bench.check(kind)
    assert _ids(findings, "NF101", "NF102", "NF111") == [], _report(findings)


@pytest.mark.parametrize("kind", [NFT, IPT], ids=["nftables", "iptables"])
def test_generated_ruleset_exactly_the_required_flows_pass_and_check_clean(bench, kind):
    """Generated nftables / iptables (+ ip6tables) ruleset (deliverable 7): exactly the
    required flows pass real packets, names resolved by a real DNS server, both families;
    read back from the kernel, the check finds no shortfall, no surplus, nothing undecided."""
    bench.generate_and_load(kind)
    _assert_exact(bench, kind)
    expected = {
        NFT: ["inet netfence forward (forward hook)"],
        IPT: ["iptables filter FORWARD", "ip6tables filter FORWARD"],
    }
    assert [layer.name for layer in bench.read_back(kind)] == expected[kind]


def _widen(bench: Bench, kind: FirewallKind) -> str:
    """Add, in the kernel, a rule accepting ``WIDENED``; its comment identifies it."""
    comment = "netfence-test widening"
    fw = bench.net.firewall
    if kind is NFT:
        bench.net.exec(
            fw,
            *("nft", "insert", "rule", "inet", "netfence", "forward"),
            *("ip", "saddr", CLUSTER_ADDRESS, "ip", "daddr", WIDENED.address),
            *("tcp", "dport", str(WIDENED.port), "accept", "comment", f'"{comment}"'),
        )
    else:
        bench.net.exec(
            fw,
            *("iptables", "-A", "FORWARD", "-s", CLUSTER_ADDRESS, "-d", WIDENED.address),
            *("-p", "tcp", "--dport", str(WIDENED.port)),
            *("-m", "comment", "--comment", comment, "-j", "ACCEPT"),
        )
    return comment


def _rule_paths(layers: list[FirewallLayer], comment: str) -> set[str]:
    """The paths of the rules read back whose comment contains ``comment``."""
    return {
        rule.origin.path
        for layer in layers
        for rule in layer.rules
        if rule.description and comment in rule.description
    }


@pytest.mark.parametrize("kind", [NFT, IPT], ids=["nftables", "iptables"])
def test_widening_rule_in_the_kernel_is_surplus_naming_it_and_passes(bench, kind):
    """NF102 surplus (excess = permitted - required) on a kernel ruleset: a rule accepting a
    required host on a port nobody requires is reported, naming that rule, and real packets
    on that port now pass; nothing else changes."""
    bench.generate_and_load(kind)
    comment = _widen(bench, kind)
    assert bench.passing() == REQUIRED_PROBES | {WIDENED}
    layers = bench.read_back(kind)
    (path,) = _rule_paths(layers, comment)
    findings = bench.check(kind)
    surplus = _ids(findings, "NF102")
    assert [f.resources[0].name for f in surplus] == [path], _report(findings)
    assert f"{WIDENED.address}/32 on TCP {WIDENED.port}" in surplus[0].message
    assert _ids(findings, "NF101", "NF111") == [], _report(findings)


def _narrow(bench: Bench, kind: FirewallKind) -> None:
    """Delete, in the kernel, the IPv4 rule allowing the time name (UDP 123)."""
    fw = bench.net.firewall
    if kind is NFT:
        listed = bench.net.exec(fw, "nft", "-a", "list", "chain", "inet", "netfence", "forward")
        (line,) = [
            line for line in listed.splitlines() if "ip daddr" in line and "udp dport 123" in line
        ]
        handle = line.rsplit("# handle ", 1)[1].strip()
        bench.net.exec(fw, "nft", "delete", "rule", "inet", "netfence", "forward", "handle", handle)
    else:
        rules = bench.net.exec(fw, "iptables", "-S", "FORWARD").splitlines()
        (line,) = [line for line in rules if "--dport 123" in line]
        bench.net.exec(fw, "iptables", *shlex.split(line.replace("-A FORWARD", "-D FORWARD", 1)))


@pytest.mark.parametrize("kind", [NFT, IPT], ids=["nftables", "iptables"])
def test_narrowed_kernel_ruleset_is_a_shortfall_of_the_flow_and_blocks_it(bench, kind):
    """NF101 shortfall (missing = required - permitted) on a kernel ruleset: with the IPv4
    rule for the time name deleted, the check reports that flow blocked (by the default),
    and real packets to its IPv4 address are blocked while its IPv6 address still passes."""
    bench.generate_and_load(kind)
    _narrow(bench, kind)
    blocked = Flow("UDP", "198.51.100.11", 123)
    assert bench.passing() == REQUIRED_PROBES - {blocked}
    findings = bench.check(kind)
    shortfall = _ids(findings, "NF101")
    assert [f.evidence["entry_id"] for f in shortfall] == ["time"], _report(findings)
    assert shortfall[0].evidence["rules"] == ["default"]
    assert _ids(findings, "NF102", "NF111") == [], _report(findings)


@pytest.mark.parametrize("kind", [NFT, IPT], ids=["nftables", "iptables"])
def test_name_answering_another_address_is_a_shortfall_of_that_name(bench, kind):
    """Names are matched through what they resolve to: when a second DNS server answers the
    API name with an address no rule allows, the same kernel rules are reported as blocking
    that name's flow (NF101 naming it), and real packets to the new address are blocked;
    every other required flow still checks clean."""
    bench.generate_and_load(kind)
    moved = Zone(records={**ZONE.records, API: [MOVED_API]}, local_domains=ZONE.local_domains)
    with running_dnsmasq(moved) as second:
        findings = bench.check(kind, DNSResolver(second.address, timeout=2))
    shortfall = _ids(findings, "NF101")
    assert [f.evidence["entry_id"] for f in shortfall] == ["api"], _report(findings)
    assert not bench.net.probe([Flow("TCP", MOVED_API, 443)])
    assert not [f for f in _ids(findings, "NF111") if "time" in f.message], _report(findings)


def test_probes_hold_the_required_flows_and_many_others_of_both_families():
    """The harness's premise: the probes hold every required flow and many more that are
    not required (other ports of required hosts, other hosts), IPv4 and IPv6, in both
    outside namespaces; otherwise "exactly the required flows pass" would prove little."""
    assert REQUIRED_PROBES < set(PROBES)
    others = set(PROBES) - REQUIRED_PROBES
    assert len(others) > 3 * len(REQUIRED_PROBES)
    assert {":" in flow.address for flow in others} == {True, False}
    assert {flow.address.split(".")[0] for flow in others if ":" not in flow.address} == {
        "198",
        "203",
    }
    assert WIDENED in others and Flow("TCP", MOVED_API, 443) in others
