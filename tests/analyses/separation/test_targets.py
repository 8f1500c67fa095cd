"""The destinations the separation checks ask about, from the plan and the cluster."""

from __future__ import annotations

from netfence.analyses.separation.targets import (
    addresses_text,
    control_plane_targets,
    management_target,
    node_addresses,
)
from netfence.sets.ipranges import IPRangeSet
from tests.analyses.builders import cluster, namespace
from tests.analyses.separation.plans import CONTROL_PLANE_IP, lnet, management, plan


def test_control_plane_targets_join_the_plan_and_the_api_server_addresses():
    """NSA/CISA control-plane hardening: the API server on 6443 at the plan's control-plane
    IP and at each endpoint; the default/kubernetes clusterIP on its own port only, and
    marked as never crossing a firewall layer (Service translation on the node)."""
    targets = control_plane_targets(plan(), [("10.96.0.1", 443), (CONTROL_PLANE_IP, 8443)])
    by_what = {t.what: t for t in targets}
    control_plane = by_what["control-plane IP of cluster c1"]
    assert control_plane.ports.describe() == "TCP 6443,8443"
    clusterip = by_what["the default/kubernetes clusterIP"]
    assert clusterip.ports.describe() == "TCP 443" and clusterip.in_cluster


def test_node_addresses_from_nodes_host_ips_endpoints_and_the_plan_pools():
    """NSA/CISA worker node segmentation: nodes are where the Node objects, the pods'
    hostIPs, the API server endpoints (control-plane nodes) and the plan's pools say."""
    found = node_addresses(plan(), cluster(namespace("web")), [("10.240.0.4", 6443)])
    assert found == IPRangeSet.from_address_range("172.16.0.10", "172.16.0.50") | (
        IPRangeSet.from_addresses(["10.240.0.4"])
    )


def test_management_target_leaves_the_clusters_own_addresses_to_the_other_checks():
    """AKS-NET: an lnet inside the management prefix; its node pool and control-plane IP
    are NF221's and NF223's, while the infrastructure block and cluster IP stay NF222's."""
    shared = plan(
        logical_networks=(lnet(prefix="192.168.10.0/24", pool=("192.168.10.20", "192.168.10.40")),),
        management=management(),
    )
    target = management_target(shared, cluster(namespace("web")), [])
    assert target is not None
    assert target.addresses.contains("192.168.10.22")  # the infrastructure block stays
    assert not target.addresses.contains("192.168.10.30")  # a node's address leaves
    assert target.addresses.contains("192.168.10.5")  # the Azure Local cluster IP
    assert management_target(plan(management=None), cluster(namespace("web")), []) is None


def test_addresses_text_writes_ranges_as_a_plan_does():
    """Messages: single addresses, whole prefixes and start-end ranges."""
    found = IPRangeSet.from_address_range("172.16.0.10", "172.16.0.50") | IPRangeSet.from_cidrs(
        ["10.0.0.0/24", "10.9.9.9/32"]
    )
    assert addresses_text(found) == "10.0.0.0/24, 10.9.9.9, 172.16.0.10-172.16.0.50"
