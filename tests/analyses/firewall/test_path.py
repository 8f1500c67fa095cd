"""The path of a flow between the cluster and an external address through firewall layers
(issue 10, deliverable 4 "Paths"): the cluster's end as the layers see it (SNAT to the node,
``--no-snat``, ``--source``, unknown), each layer's verdict and deciding rule, and the layer
that decides the path."""

from __future__ import annotations

import dataclasses

from netfence.analyses.firewall.path import (
    IN,
    OUT,
    PathOptions,
    Translation,
    cluster_end,
    trace,
)
from netfence.engine.firewall import Verdict
from tests.engine.firewall_builders import ALLOW, DENY, addresses, layer, rule, tcp

NODE = "10.224.0.4"
POD = "10.244.1.5"
PARTNER = addresses("203.0.113.10/32")


def test_paths_pods_leave_with_their_nodes_address_by_default():
    """Paths: pods leave the cluster with their node's address by default (SNAT), so the
    layers judge the node's address, and the path says so."""
    end = cluster_end("203.0.113.10", [POD], [NODE], PathOptions())
    assert end.translation is Translation.SNAT
    assert end.addresses == addresses(f"{NODE}/32")
    assert end.text.startswith(f"SNAT to node {NODE}")


def test_paths_no_snat_ranges_are_reached_with_the_pods_own_address():
    """Paths: ``--no-snat CIDR`` ranges are reached without SNAT, so the layers see the pod's
    own address; a destination outside them still sees the node's."""
    options = PathOptions(no_snat=addresses("198.51.100.0/24"))
    direct = cluster_end("198.51.100.9", [POD], [NODE], options)
    assert direct.translation is Translation.NO_SNAT
    assert direct.addresses == addresses(f"{POD}/32")
    assert "--no-snat" in direct.text and POD in direct.text
    assert cluster_end("203.0.113.10", [POD], [NODE], options).translation is Translation.SNAT


def test_paths_without_a_node_address_any_source_is_assumed():
    """Paths: with no node address in the input (and no --source), the cluster's end is not
    known: any source is assumed, and said."""
    end = cluster_end("203.0.113.10", [POD], [], PathOptions())
    assert end.translation is Translation.UNKNOWN and end.addresses is None
    assert "any address is assumed" in end.text


def test_paths_source_option_replaces_the_node_addresses():
    """Paths: ``--source CIDR`` gives the addresses the cluster leaves with, instead of the
    nodes' (a NAT gateway, an egress IP)."""
    given = addresses("20.50.0.0/30")
    end = cluster_end("203.0.113.10", [POD], [NODE], PathOptions(sources=given))
    assert end.translation is Translation.GIVEN and end.addresses == given
    assert "--source" in end.text


def test_paths_the_pods_own_node_is_named_from_its_host_ip():
    """Paths: with the pod's status.hostIP, the flow leaves with that node's address, and
    the path says where it comes from; without it, any node's address."""
    own = cluster_end("203.0.113.10", [POD], [NODE], PathOptions(), own_node=True)
    assert "status.hostIP" in own.text
    many = cluster_end("203.0.113.10", [POD], [NODE, "10.224.0.5"], PathOptions())
    assert many.addresses == addresses(f"{NODE}/32", "10.224.0.5/32")
    assert "does not say which node" in many.text


def test_paths_node_addresses_of_the_external_ends_family_only():
    """Paths: an IPv6 destination is reached from the node's IPv6 address, not its IPv4 one
    (SNAT keeps the family)."""
    end = cluster_end("2001:db8::1", [POD], [NODE, "fd00::4"], PathOptions())
    assert end.addresses == addresses("fd00::4/128")


def test_paths_the_first_layer_that_denies_decides_and_is_named():
    """Paths: an outbound flow crosses the layers in the order given; each layer's deciding
    rule is kept, and the first layer that denies decides the path."""
    nsg = layer(rule(ALLOW, to=addresses("203.0.113.0/24"), services=tcp(443)), name="nsg")
    perimeter = layer(rule(ALLOW, to=PARTNER, services=tcp(443)), name="perimeter")
    end = cluster_end("203.0.113.20", [POD], [NODE], PathOptions())
    path = trace([nsg, perimeter], OUT, end, addresses("203.0.113.20/32"), tcp(443))
    assert [p.layer.name for p in path.layers] == ["nsg", "perimeter"]
    assert path.layers[0].parts[0].rule is nsg.rules[0]
    assert path.layers[1].parts[0].verdict is Verdict.DENY
    assert path.layers[1].parts[0].rule is None  # the layer's default decided
    assert path.verdict is Verdict.DENY and path.deciding == 1
    allowed = trace([nsg, perimeter], OUT, end, PARTNER, tcp(443))
    assert allowed.verdict is Verdict.ALLOW and allowed.deciding is None
    assert allowed.allowed == tcp(443)


def test_paths_inbound_flows_cross_the_layers_in_reverse():
    """Paths: inbound flows the reverse: the last layer given (the perimeter) is crossed
    first, and the destination the layers see is the node's address."""
    nsg = layer(rule(DENY, direction=IN, to=addresses("*")), name="nsg")
    perimeter = layer(rule(DENY, direction=IN, to=addresses("*")), name="perimeter")
    end = cluster_end("198.51.100.7", [POD], [NODE], PathOptions(), IN)
    path = trace([nsg, perimeter], IN, end, addresses("198.51.100.7/32"), tcp(8080))
    assert [p.layer.name for p in path.layers] == ["perimeter", "nsg"]
    assert path.layers[0].destinations == addresses(f"{NODE}/32")
    assert path.blocked[0][0] == 0 and path.deciding == 0
    assert "through node" in end.text


def test_paths_a_layer_that_sees_pod_addresses_judges_the_pods_own():
    """Paths: a layer before SNAT (``sees_pod_addresses``) judges the pod's own address,
    while a perimeter layer judges the node's."""
    node_fw = dataclasses.replace(
        layer(rule(ALLOW, sources=addresses("10.244.0.0/16"), to=addresses("*")), name="node"),
        sees_pod_addresses=True,
    )
    perimeter = layer(rule(ALLOW, sources=addresses(f"{NODE}/32"), to=addresses("*")), name="p")
    end = cluster_end("203.0.113.10", [POD], [NODE], PathOptions())
    path = trace([node_fw, perimeter], OUT, end, PARTNER, tcp(443))
    assert path.layers[0].sources == addresses(f"{POD}/32")
    assert path.layers[1].sources == addresses(f"{NODE}/32")
    assert path.verdict is Verdict.ALLOW


def test_paths_any_source_assumed_splits_into_cannot_decide():
    """Paths: when any source is assumed and a layer allows some sources and denies others,
    the flow cannot be decided (never a silent allow or deny)."""
    fw = layer(rule(ALLOW, sources=addresses("10.224.0.0/16"), to=addresses("*")), name="fw")
    end = cluster_end("203.0.113.10", [POD], [], PathOptions())
    path = trace([fw], OUT, end, PARTNER, tcp(443))
    assert path.verdict is Verdict.UNDECIDED and path.deciding == 0
    assert path.layers[0].parts[0].mixed
    uniform = layer(rule(DENY, to=addresses("*")), name="deny-all")
    assert trace([uniform], OUT, end, PARTNER, tcp(443)).verdict is Verdict.DENY


def test_paths_a_rule_netfence_cannot_model_leaves_the_layer_undecided():
    """Paths: a rule matching on what the model cannot express (an interface) before the
    decider, with the other action, makes the layer "cannot decide", with the reason."""
    fw = layer(
        rule(DENY, to=addresses("*"), undecidable=("interface eth1",)),
        rule(ALLOW, to=addresses("*")),
        name="fw",
    )
    end = cluster_end("203.0.113.10", [POD], [NODE], PathOptions())
    path = trace([fw], OUT, end, PARTNER, tcp(443))
    assert path.verdict is Verdict.UNDECIDED
    (part,) = path.layers[0].parts
    assert part.rule is fw.rules[1]
    assert any("interface eth1" in reason for reason in part.reasons)


def test_paths_ports_blocked_by_different_layers_are_named_per_layer():
    """Paths: over several ports, each port is blocked by the first layer that denies it;
    the rest passes."""
    first = layer(rule(ALLOW, to=addresses("*"), services=tcp(443, 8443)), name="first")
    second = layer(rule(ALLOW, to=addresses("*"), services=tcp(443)), name="second")
    end = cluster_end("203.0.113.10", [POD], [NODE], PathOptions())
    path = trace([first, second], OUT, end, PARTNER, tcp(80, 443, 8443))
    assert path.allowed == tcp(443)
    assert path.blocked == ((0, tcp(80)), (1, tcp(8443)))
    assert path.verdict is Verdict.ALLOW
