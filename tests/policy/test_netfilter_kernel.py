"""The nftables and iptables readers against a real kernel: load a ruleset into a firewall
namespace, read it back as the tools export it, parse it, and check that for every probe flow
the parsed layers' verdict is what real packets get.

The verdict walker here is deliberately the test's own (first match per layer, the layer's
default otherwise, forward layers in series), sharing nothing with netfence but the model.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from netfence.model.firewall import FirewallKind, FirewallLayer, TrafficDirection
from netfence.model.layers import Action
from netfence.policy.firewall_registry import read_firewall
from tests.support.netns import (
    CLUSTER_ADDRESS,
    CLUSTER_ADDRESS6,
    Flow,
    Topology,
    require_root_tools,
    topology,
)

DATA = Path(__file__).parent / "data" / "netfilter"
HOSTS = ((10, 66, 70), (5, 7, 20))
TCP_PORTS = (80, 8080, 8443, 9000, 9200)
UDP_PORTS = (53, 5000, 5001)
FLOWS = [
    *(
        Flow("TCP", f"{net}.{host}", port)
        for (net, hosts), port in itertools.product(
            zip(("198.51.100", "203.0.113"), HOSTS, strict=True), TCP_PORTS
        )
        for host in hosts
    ),
    *(
        Flow("UDP", f"{net}.{host}", port)
        for (net, hosts), port in itertools.product(
            zip(("198.51.100", "203.0.113"), HOSTS, strict=True), UDP_PORTS
        )
        for host in hosts
    ),
]


INBOUND_SOURCE = "198.51.100.10"
"""Where flows coming in are sent from (outside namespace 0's first address)."""
INBOUND_FLOWS = [
    *(Flow("TCP", CLUSTER_ADDRESS, port) for port in TCP_PORTS),
    *(Flow("UDP", CLUSTER_ADDRESS, port) for port in UDP_PORTS),
]


FLOWS += [
    Flow(protocol, f"{net}::{host}", port)
    for net, host in (("2001:db8:100", 10), ("2001:db8:113", 5))
    for protocol, ports in (("TCP", TCP_PORTS), ("UDP", UDP_PORTS))
    for port in ports
]
"""IPv6 too: an ``ip`` table does not see it, an ``inet`` one does."""


def layer_allows(
    layer: FirewallLayer,
    flow: Flow,
    direction: TrafficDirection = TrafficDirection.OUTBOUND,
    source: str = CLUSTER_ADDRESS,
) -> bool:
    """First match among the layer's rules of ``direction``, else its default; a matching
    rule the model cannot decide would make the comparison meaningless, so it fails."""
    for rule in layer.rules_of(direction):
        match = rule.match
        if (
            match.sources.contains(_family_source(source, flow))
            and match.destinations.addresses.contains(flow.address)
            and match.services.contains(flow.protocol, flow.port)
        ):
            assert not rule.undecidable, (flow, rule.origin, rule.undecidable)
            return rule.action is Action.ALLOW
    return layer.default(direction) is Action.ALLOW


def _family_source(source: str, flow: Flow) -> str:
    """The cluster's (or outside's) address of the flow's IP version."""
    if ":" not in flow.address:
        return source
    return CLUSTER_ADDRESS6 if source == CLUSTER_ADDRESS else "2001:db8:100::10"


def allowed_by_model(
    layers: list[FirewallLayer],
    flows: list[Flow] = FLOWS,
    direction: TrafficDirection = TrafficDirection.OUTBOUND,
    source: str = CLUSTER_ADDRESS,
) -> set[Flow]:
    """Flows every forward layer allows, in series."""
    forward = [layer for layer in layers if layer.settings.extra.get("hook") == "forward"]
    assert forward, "no forward layer"
    return {
        flow
        for flow in flows
        if all(layer_allows(layer, flow, direction, source) for layer in forward)
    }


@pytest.fixture
def net():
    require_root_tools()
    with topology(HOSTS) as built:
        for index in (0, 1):
            built.serve(index, TCP_PORTS, UDP_PORTS)
        built.serve_cluster(TCP_PORTS, UDP_PORTS)
        yield built


def _check(net: Topology, layers: list[FirewallLayer]) -> None:
    real = net.probe(FLOWS)
    model = allowed_by_model(layers)
    # Both sides must be non-trivial, or the comparison proves little.
    assert real and set(FLOWS) - real
    assert sorted(model) == sorted(real), {
        "model only": sorted(map(str, model - real)),
        "kernel only": sorted(map(str, real - model)),
    }
    # A forward chain judges flows coming in too, with the same rules.
    real_in = net.probe(INBOUND_FLOWS, namespace=net.outside(0))
    model_in = allowed_by_model(layers, INBOUND_FLOWS, TrafficDirection.INBOUND, INBOUND_SOURCE)
    assert real_in and set(INBOUND_FLOWS) - real_in
    assert sorted(model_in) == sorted(real_in), {
        "model only": sorted(map(str, model_in - real_in)),
        "kernel only": sorted(map(str, real_in - model_in)),
    }


def test_nftables_ruleset_read_back_from_the_kernel_decides_as_packets_do(net, tmp_path):
    """nftables base chains in series, named set, jump with conditional return, goto, drop
    policy, ct state established,related, deny before allow, verdict map: the parsed layers
    agree with the kernel on every probe flow, outbound and (the same rules) inbound."""
    require_root_tools("nft")
    net.exec(net.firewall, "nft", "-f", str(DATA / "kernel.nft"))
    exported = tmp_path / "ruleset.json"
    exported.write_text(net.exec(net.firewall, "nft", "-j", "list", "ruleset"))
    layers = read_firewall(str(exported))
    assert {layer.kind for layer in layers} == {FirewallKind.NFTABLES}
    assert [layer.name for layer in layers if layer.settings.extra["hook"] == "forward"] == [
        "inet edge forward (forward hook)",
        "ip audit forward (forward hook)",
    ]
    _check(net, layers)


def test_iptables_ruleset_read_back_from_the_kernel_decides_as_packets_do(net, tmp_path):
    """iptables FORWARD with a drop policy, conntrack, deny before allow, multiport, iprange,
    a jump with a conditional RETURN and a goto: iptables-save read back and parsed agrees
    with the kernel on every probe flow, outbound and inbound."""
    require_root_tools("iptables-restore", "iptables-save")
    net.exec(net.firewall, "iptables-restore", stdin=(DATA / "kernel.rules").read_text())
    exported = tmp_path / "iptables.rules"
    exported.write_text(net.exec(net.firewall, "iptables-save"))
    layers = read_firewall(str(exported))
    assert [layer.name for layer in layers] == [
        "iptables filter INPUT",
        "iptables filter FORWARD",
        "iptables filter OUTPUT",
    ]
    _check(net, layers)


def test_harness_sees_everything_through_an_empty_firewall(net, tmp_path):
    """No ruleset at all: every probe flow gets through, and the empty nftables export reads
    as one forward layer that accepts everything (with a note saying why)."""
    require_root_tools("nft")
    exported = tmp_path / "empty.json"
    exported.write_text(net.exec(net.firewall, "nft", "-j", "list", "ruleset"))
    layers = read_firewall(str(exported))
    assert net.probe(FLOWS) == set(FLOWS)
    assert allowed_by_model(layers) == set(FLOWS)
    assert layers[0].notes
