"""How the firewall layers see a separation flow's source, and which layers are on its path."""

from __future__ import annotations

import dataclasses

from netfence.analyses.firewall.path import Translation
from netfence.analyses.separation.layers import Paths, network_end, workload_end
from netfence.model.address_plan import Snat
from netfence.model.cluster import Pod
from netfence.sets.ipranges import IPRangeSet
from tests.analyses.builders import cluster, namespace
from tests.analyses.separation.plans import LNET, POD_CIDR, data, plan
from tests.engine.firewall_builders import DENY, addresses, layer, rule

MANAGEMENT = IPRangeSet.from_cidrs(["192.168.10.0/24"])


def test_pods_leave_with_their_node_address_from_the_plan_pool():
    """Paths / AKS Arc (Calico natOutgoing): with SNAT to the node the layers see the node
    addresses, here the plan's IP pool; a layer before SNAT sees the pod CIDR."""
    template = Pod("web", "api", {})
    end = workload_end(plan(), cluster(namespace("web")), [template], MANAGEMENT)
    assert end.translation is Translation.SNAT
    assert end.addresses == IPRangeSet.from_address_range("172.16.0.10", "172.16.0.50")
    assert end.pod_addresses == IPRangeSet.from_cidrs([POD_CIDR])


def test_a_pods_own_host_ip_is_its_node_and_no_snat_keeps_its_own_address():
    """Paths: the pod's status.hostIP is the node it leaves from; with the plan's snat: none
    the layers see the pod's own address."""
    running = Pod("web", "api-1", {}, ips=("10.244.1.5",), host_ips=("172.16.0.11",))
    empty = cluster(namespace("web"))
    end = workload_end(plan(), empty, [running], MANAGEMENT)
    assert end.addresses == IPRangeSet.from_addresses(["172.16.0.11"])
    direct = workload_end(plan(snat=Snat.NONE), empty, [running], MANAGEMENT)
    assert direct.translation is Translation.NO_SNAT
    assert direct.addresses == IPRangeSet.from_addresses(["10.244.1.5"])


def test_without_any_node_address_any_source_is_assumed():
    """Paths: with no Node, hostIP or plan pool, any source address is assumed (and said)."""
    end = workload_end(None, cluster(namespace("web")), [Pod("web", "api", {})], MANAGEMENT)
    assert end.translation is Translation.UNKNOWN and end.addresses is None


def test_data_network_is_its_own_source():
    """NF224: a data network is traced as the source end, with its own prefixes."""
    end = network_end(data())
    assert end.addresses == IPRangeSet.from_cidrs(["10.50.0.0/24"])


def test_the_clusters_lnet_is_guarded_by_node_layers_only():
    """Paths: the clusters' own lnet is reached without a router, so only layers on the
    nodes judge it; routed destinations cross every layer."""
    perimeter = layer(rule(DENY, to=addresses("*")), name="perimeter")
    node_fw = dataclasses.replace(
        layer(rule(DENY, to=addresses("*")), name="node"), sees_pod_addresses=True
    )
    paths = Paths([perimeter, node_fw], IPRangeSet.from_cidrs([LNET]))
    both = IPRangeSet.from_cidrs([LNET]) | MANAGEMENT
    assert paths.on_path(both) == [
        (IPRangeSet.from_cidrs([LNET]), True),
        (MANAGEMENT, False),
    ]
    assert [x.name for x in paths.layers_to(True)] == ["node"]
    assert [x.name for x in paths.layers_to(False)] == ["perimeter", "node"]
