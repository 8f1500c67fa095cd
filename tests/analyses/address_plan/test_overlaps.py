"""NF201: ranges that must be distinct overlap (AKS-IP, AKS-NET), and the containments the
plan means (docs/address-plan.md's table) are not reported."""

from __future__ import annotations

from tests.analyses.address_plan.plans import edited, findings, worked_example


def pairs(data) -> set[tuple[str, str]]:
    return {(f.resources[0].key, f.resources[1].key) for f in findings(data, "NF201")}


def test_lnet_overlapping_management_nf201():
    """AKS-NET: the management network is kept apart from the AKS lnet."""
    data = worked_example()
    data["management"]["cidrs"] = ["172.16.0.128/25"]
    data["management"]["infrastructure_block"] = {"start": "172.16.0.130", "end": "172.16.0.140"}
    data["management"]["cluster_ip"] = "172.16.0.129"
    (found,) = [f for f in findings(data, "NF201") if f.resources[1].kind == "ManagementNetwork"]
    assert found.evidence["overlap"] == ["172.16.0.128/25"]
    assert "AKS-NET" in found.evidence["rule"]


def test_two_lnets_overlapping_nf201():
    data = worked_example()
    data["logical_networks"].append({"name": "vms", "prefix": "172.16.0.0/23"})
    assert ("LogicalNetwork/aks", "LogicalNetwork/vms") in pairs(data)


def test_same_network_as_data_network_and_vpn_space_nf201():
    """A data network that is also a VPN address space is a real overlap."""
    data = edited(
        data_networks=[{"name": "storage", "cidrs": ["10.50.0.0/24"]}],
        vpn_address_spaces=[{"name": "hub", "cidrs": ["10.50.0.0/24"]}],
    )
    assert pairs(data) == {("DataNetwork/storage", "VpnAddressSpace/hub")}


def test_private_endpoint_subnet_inside_vpn_space_is_expected():
    """ARC-PL: the VNet holding the private endpoint is reached over the VPN: its subnet lies
    inside the VPN address space by design."""
    data = edited(
        vpn_address_spaces=[{"name": "hub", "cidrs": ["10.200.0.0/16"]}],
        private_endpoint_subnets=[{"name": "pe", "cidrs": ["10.200.5.0/24"]}],
    )
    assert findings(data, "NF201") == []


def test_private_endpoint_subnet_straddling_vpn_space_nf201():
    data = edited(
        vpn_address_spaces=[{"name": "hub", "cidrs": ["10.200.0.0/24"]}],
        private_endpoint_subnets=[{"name": "pe", "cidrs": ["10.200.0.0/23"]}],
    )
    (found,) = findings(data, "NF201")
    assert "straddles" in found.evidence["rule"]


def test_lb_pool_and_control_plane_ip_inside_lnet_are_expected():
    """AKS-IP: the load-balancer pool and the control-plane IP live in the lnet's subnet."""
    data = worked_example()
    data["clusters"][0]["control_plane_ip"] = "172.16.0.5"
    assert findings(data, "NF201") == []


def test_lnet_inside_data_network_is_expected():
    data = edited(data_networks=[{"name": "workloads", "cidrs": ["172.16.0.0/23"]}])
    assert findings(data, "NF201") == []


def test_on_premises_overlapping_lnet_nf201():
    data = edited(on_premises=[{"name": "office", "cidrs": ["172.16.0.64/26"]}])
    assert pairs(data) == {("LogicalNetwork/aks", "OnPremisesNetwork/office")}


def test_pod_cidr_overlapping_routable_network_nf201():
    """AKS-IP: the pod CIDR (Calico VXLAN overlay) must not overlap routable networks."""
    data = worked_example()
    data["clusters"][0]["pod_cidr"] = "172.16.0.0/16"
    found = [f for f in findings(data, "NF201") if f.evidence["first"]["field"] == "pod_cidr"]
    kinds = {f.resources[1].kind for f in found}
    assert kinds == {"LogicalNetwork", "ManagementNetwork", "LoadBalancerPool"}


def test_service_cidr_overlapping_vpn_space_nf201():
    """AKS-IP: the fixed 10.96.0.0/12 covers 10.96.0.0-10.111.255.255: a VNet there clashes."""
    data = edited(vpn_address_spaces=[{"name": "hub", "cidrs": ["10.100.0.0/16"]}])
    found = findings(data, "NF201")
    assert {f.resources[0].key for f in found} == {"ClusterPlan/big", "ClusterPlan/small"}
    assert all(f.evidence["overlap"] == ["10.100.0.0/16"] for f in found)


def test_pod_and_service_cidr_of_one_cluster_overlap_nf201():
    data = worked_example()
    data["clusters"][0]["pod_cidr"] = "10.96.0.0/16"
    (found,) = findings(data, "NF201")
    assert found.evidence["first"]["field"] == "pod_cidr"
    assert found.evidence["second"]["field"] == "service_cidr"


def test_equal_overlay_ranges_of_different_clusters_are_not_reported():
    """Pod and service CIDRs of different clusters may be equal: overlays, never routed; the
    fixed 10.96.0.0/12 is shared by every AKS Arc cluster by design."""
    data = worked_example()
    for cluster in data["clusters"]:
        cluster.update(pod_cidr="10.244.0.0/16", service_cidr="10.96.0.0/12")
    assert findings(data, "NF201") == []


def test_overlap_finding_names_both_ranges_and_the_rule():
    data = edited(on_premises=[{"name": "office", "cidrs": ["172.16.0.0/28"]}])
    (found,) = findings(data, "NF201")
    assert "LogicalNetwork/aks" in found.message and "OnPremisesNetwork/office" in found.message
    assert "172.16.0.0/28" in found.message and "AKS-IP" in found.message
    assert found.evidence["first"]["ranges"] == ["172.16.0.0/24"]
