"""The address plan checks NF202-NF211 against AKS Arc's planning rules (AKS-NET, AKS-IP,
AKS-LNET, ARC-NET)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from netfence.analyses.address_plan import CHECKS, check_address_plan
from netfence.model.address_plan import Platform
from netfence.model.findings import Severity
from netfence.sources.address_plan import address_plan_template, parse_address_plan
from tests.analyses.address_plan.plans import edited, findings, worked_example


def test_worked_example_has_no_finding():
    """AKS-IP worked example: 16 pool addresses and 3 load-balancer addresses suffice."""
    assert findings(worked_example()) == []


def test_catalog_ids_are_unique_and_in_order():
    ids = [c.check_id for c in CHECKS]
    assert ids == sorted(set(ids)) and ids[0] == "NF201" and ids[-1] == "NF212"


def test_templates_have_no_finding_above_low():
    for platform in Platform:
        plan = parse_address_plan(address_plan_template(platform), "template.yaml")
        high = [f for f in check_address_plan(plan) if f.effective_severity.rank > 1]
        assert high == [], platform


# --- NF202 ----------------------------------------------------------------------------------


def test_pool_outside_prefix_nf202():
    """AKS-LNET: the IP pool lies inside the lnet's prefix."""
    data = worked_example()
    data["logical_networks"][0]["ip_pools"] = [{"start": "172.16.0.250", "end": "172.16.1.10"}]
    (found,) = [f for f in findings(data, "NF202") if f.detail_key == "ip_pools[0]"]
    assert found.evidence["outside"] == ["172.16.1.0-172.16.1.10"]
    assert found.primary is not None and found.primary.kind == "LogicalNetwork"
    assert found.primary.line is not None


def test_gateway_outside_prefix_and_inside_pool_nf202():
    """AKS-LNET: the gateway is inside the prefix; a gateway inside the IP pool can be handed
    to a node VM."""
    data = worked_example()
    data["logical_networks"][0]["gateway"] = "172.16.1.1"
    assert [f.detail_key for f in findings(data, "NF202")] == ["gateway"]
    data["logical_networks"][0]["gateway"] = "172.16.0.12"
    assert [f.detail_key for f in findings(data, "NF202")] == ["gateway in pool"]


def test_control_plane_ip_and_lb_pool_outside_prefix_nf202():
    """AKS-IP: an explicit control-plane IP lies inside its lnet's prefix; a load-balancer pool
    naming the lnet lies in its subnet."""
    data = worked_example()
    data["clusters"][0]["control_plane_ip"] = "172.16.5.5"
    data["load_balancer_pools"][0]["ranges"] = ["172.16.1.0/30"]
    keys = {f.detail_key for f in findings(data, "NF202")}
    assert keys == {"control_plane_ip", "ranges"}


# --- NF203 ----------------------------------------------------------------------------------


def test_control_plane_ip_conflicts_nf203():
    """AKS-IP: the control-plane IP must not overlap the node pool, another cluster's
    control-plane IP, the gateway, a load-balancer pool or the infrastructure block."""
    cases = {
        "172.16.0.11": "pool aks",
        "172.16.0.1": "gw aks",
        "172.16.0.201": "lb apps",
    }
    for address, key in cases.items():
        data = worked_example()
        data["clusters"][0]["control_plane_ip"] = address
        assert key in {f.detail_key for f in findings(data, "NF203")}, address
    data = worked_example()
    data["clusters"][0]["control_plane_ip"] = "172.16.0.5"
    data["clusters"][1]["control_plane_ip"] = "172.16.0.5"
    (found,) = findings(data, "NF203")
    assert found.detail_key == "cluster small" and found.resources[1].name == "small"


def test_control_plane_ip_in_infrastructure_block_nf203():
    """AKS-IP: nor the Azure Local infrastructure IPs."""
    data = worked_example()
    data["clusters"][0]["control_plane_ip"] = "172.16.10.101"
    keys = {f.detail_key for f in findings(data, "NF203")}
    assert "infrastructure block" in keys


def test_free_control_plane_ip_is_no_conflict():
    data = worked_example()
    data["clusters"][0]["control_plane_ip"] = "172.16.0.5"
    assert findings(data, "NF203") == [] and findings(data, "NF202") == []


# --- NF204 ----------------------------------------------------------------------------------


def test_lb_pool_in_ip_pool_nf204():
    """AKS-IP: the load-balancer pool is in the lnet's subnet but outside the IP pool."""
    data = worked_example()
    data["load_balancer_pools"][0]["ranges"] = [{"start": "172.16.0.24", "end": "172.16.0.30"}]
    (found,) = findings(data, "NF204")
    assert found.evidence["overlap"] == ["172.16.0.24/31"]


# --- NF205 ----------------------------------------------------------------------------------


def test_worked_example_15_addresses_fail_16_pass_nf205():
    """AKS-IP worked example: (3 + 5) + (1 + 3) nodes + 2 upgrade + 2 control-plane = 16."""
    data = worked_example()
    data["logical_networks"][0]["ip_pools"] = [{"start": "172.16.0.10", "end": "172.16.0.24"}]
    (found,) = findings(data, "NF205")
    assert found.evidence["needed"] == 16 and found.evidence["usable"] == 15
    assert found.evidence["needed_by_cluster"] == {"big": 10, "small": 6}
    data["logical_networks"][0]["ip_pools"] = [{"start": "172.16.0.10", "end": "172.16.0.25"}]
    assert findings(data, "NF205") == []


def test_explicit_control_plane_ip_needs_no_pool_address_nf205():
    """AKS-IP: the control-plane IP comes from the pool only when it is picked automatically."""
    data = worked_example()
    data["logical_networks"][0]["ip_pools"] = [{"start": "172.16.0.10", "end": "172.16.0.24"}]
    data["clusters"][0]["control_plane_ip"] = "172.16.0.5"
    assert findings(data, "NF205") == []


def test_addresses_given_to_others_do_not_count_nf205():
    """A gateway inside the pool is not an address a node can take."""
    data = worked_example()
    data["logical_networks"][0]["gateway"] = "172.16.0.10"
    (found,) = findings(data, "NF205")
    assert found.evidence["usable"] == 15 and found.evidence["taken_by_other_uses"] == [
        "172.16.0.10"
    ]


# --- NF206 ----------------------------------------------------------------------------------


def test_lb_pool_too_small_nf206():
    """AKS-IP: about one load-balancer address per LoadBalancer Service."""
    data = worked_example()
    data["clusters"][1]["load_balancer_services"] = 4
    (found,) = findings(data, "NF206")
    assert (found.evidence["addresses"], found.evidence["services"]) == (3, 4)


def test_lb_services_without_pool_nf206():
    data = worked_example()
    data["clusters"][0]["load_balancer_services"] = 2
    (found,) = findings(data, "NF206")
    assert found.effective_severity is Severity.LOW and found.detail_key == "no pool"


# --- NF207 ----------------------------------------------------------------------------------


def test_infrastructure_block_of_five_nf207():
    """AKS-NET: at least 6 contiguous static addresses on the management network."""
    data = worked_example()
    data["management"]["infrastructure_block"]["end"] = "172.16.10.104"
    (found,) = findings(data, "NF207")
    assert found.detail_key == "size" and found.evidence["size"] == 5


def test_infrastructure_block_outside_management_and_in_pools_nf207():
    data = worked_example()
    data["management"]["infrastructure_block"] = {"start": "172.16.0.20", "end": "172.16.0.30"}
    keys = {f.detail_key for f in findings(data, "NF207")}
    assert keys == {"outside", "LogicalNetwork/aks"}


def test_missing_infrastructure_block_is_low_nf207():
    data = worked_example()
    del data["management"]["infrastructure_block"]
    (found,) = findings(data, "NF207")
    assert found.effective_severity is Severity.LOW


# --- NF208, NF209 ---------------------------------------------------------------------------


def test_service_cidr_fixed_on_aks_arc_nf208():
    """AKS-IP: the service CIDR is fixed at 10.96.0.0/12 and cannot be customised."""
    data = worked_example()
    data["clusters"][0]["service_cidr"] = "10.0.0.0/16"
    (found,) = findings(data, "NF208")
    assert found.evidence["planned"] == ["10.0.0.0/16"]
    data["platform"] = "arc-kubernetes"
    assert findings(data, "NF208") == []


def test_pod_cidr_sized_for_max_pods_nf209():
    """AKS-IP: size the pod CIDR for max-pods-per-node x nodes: 8 nodes x 32 = 256."""
    data = worked_example()
    data["clusters"][0].update(max_pods_per_node=32, pod_cidr="10.244.0.0/24")
    assert findings(data, "NF209") == []
    data["clusters"][0]["max_pods_per_node"] = 33
    (found,) = findings(data, "NF209")
    assert (found.evidence["addresses"], found.evidence["needed"]) == (256, 264)


# --- NF210 ----------------------------------------------------------------------------------

PROXY = {
    "http_proxy": "http://proxy.example:3128",
    "no_proxy": ["10.96.0.0/12", "kubernetes.default.svc", ".svc.cluster.local", ".svc"],
}


def test_complete_skip_range_passes_nf210():
    """ARC-NET --proxy-skip-range: the service CIDR plus kubernetes.default.svc,
    .svc.cluster.local and .svc."""
    assert findings(edited(proxy=PROXY), "NF210") == []


def test_skip_range_lacking_service_cidr_nf210():
    proxy = {**PROXY, "no_proxy": ["10.96.0.0/16", *PROXY["no_proxy"][1:]]}
    found = findings(edited(proxy=proxy), "NF210")
    assert {f.detail_key for f in found} == {"big", "small"}
    assert found[0].evidence["missing"] == ["10.97.0.0-10.111.255.255"]


def test_skip_range_lacking_names_nf210():
    proxy = {**PROXY, "no_proxy": ["10.96.0.0/12", ".svc"]}
    (found,) = findings(edited(proxy=proxy), "NF210")
    assert found.evidence["missing"] == ["kubernetes.default.svc", ".svc.cluster.local"]


def test_pod_cidr_is_not_required_in_the_skip_range_nf210():
    """ARC-NET names the service CIDR only: the pod CIDR is not required, whatever the SNAT."""
    assert findings(edited(proxy=PROXY, snat="none"), "NF210") == []


# --- NF211 ----------------------------------------------------------------------------------


def test_lnet_without_dns_or_gateway_nf211():
    """AKS-LNET: DNS servers and a gateway are required for AKS Arc."""
    data = worked_example()
    del data["logical_networks"][0]["dns_servers"]
    del data["logical_networks"][0]["gateway"]
    (found,) = findings(data, "NF211")
    assert found.evidence["missing"] == ["a gateway", "DNS servers"]
    data["platform"] = "arc-kubernetes"
    assert findings(data, "NF211") == []


def test_lnet_shared_with_arc_vms_is_low_nf211():
    """AKS-LNET: sharing the lnet with Arc VMs is allowed but weaker for isolation."""
    data = worked_example()
    data["logical_networks"][0]["shared_with_arc_vms"] = True
    (found,) = findings(data, "NF211")
    assert found.effective_severity is Severity.LOW


def test_findings_are_json_ready_and_distinct():
    data = worked_example()
    data["clusters"][0]["control_plane_ip"] = "172.16.0.11"
    data["logical_networks"][0]["gateway"] = "172.16.0.12"
    found = findings(data)
    assert len({f.fingerprint for f in found}) == len(found)
    json.dumps([f.evidence for f in found])
    ranks = [f.effective_severity.rank for f in found]
    assert ranks == sorted(ranks, reverse=True)


DOCS = Path(__file__).resolve().parents[3] / "docs" / "address-plan.md"


def test_docs_example_has_no_finding():
    """docs/address-plan.md's example (AKS-IP's worked example) checks clean, as it says."""
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"## Example\n.*?```yaml\n(.*?)```", text, re.S)
    assert example is not None
    assert check_address_plan(parse_address_plan(example.group(1), "example.yaml")) == []


def test_docs_table_lists_every_check_with_its_severity():
    text = DOCS.read_text(encoding="utf-8")
    for check in CHECKS:
        assert f"| {check.check_id} | {check.severity.value} |" in text, check.check_id
