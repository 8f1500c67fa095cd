"""The workload checks (NF221, NF222, NF223): which workloads reach the control plane, the
management network and the nodes' ports, named by the pod-policy rule and the firewall
layers and rules that let them through (issue 11, part 2)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from netfence.analyses.separation import CHECKS, check_separation
from netfence.analyses.separation.check import MANAGING_ADVICE, NO_ROUTED_LAYER
from netfence.model.address_plan import AddressPlan, Snat
from netfence.model.findings import Finding, Severity
from netfence.model.firewall import FirewallLayer
from tests.analyses.builders import (
    UDP,
    api_server_objects,
    cluster,
    deployment,
    ip_block,
    namespace,
    policy,
    port,
)
from tests.analyses.separation.plans import CONTROL_PLANE_IP, POD_CIDR, plan
from tests.engine.firewall_builders import ALLOW, DENY, addresses, layer, rule, tcp


def run(
    the_plan: AddressPlan | None,
    objects: Sequence[Any],
    check_id: str,
    layers: Sequence[FirewallLayer] = (),
    api_servers: Sequence[tuple[str, int]] = (),
) -> list[Finding]:
    """The findings of one check."""
    found = check_separation(the_plan, cluster(*objects), layers, api_servers)
    return [f for f in found if f.check.check_id == check_id]


def web(*extra: Any) -> list[Any]:
    """Namespace web with Deployment api, plus ``extra`` objects."""
    return [namespace("web"), deployment("web", "api"), *extra]


def egress_to(cidr: str, *ports: Any, name: str = "egress") -> Any:
    """A policy isolating web for egress, allowing ``cidr`` on ``ports``."""
    rule_: dict[str, Any] = {"to": [ip_block(cidr)]}
    if ports:
        rule_["ports"] = list(ports)
    return policy("web", name, egress=[rule_], types=["Egress"])


def test_catalog_ids_start_at_nf221_and_map_to_the_controls():
    """The separation catalog: NF221 onwards, each mapped to NSA/CISA control-plane
    hardening or NIST SP 800-190 4.3.3 (4.3.4, host placement, is no network check)."""
    assert [c.check_id for c in CHECKS] == ["NF221", "NF222", "NF223", "NF224", "NF225"]
    for info in CHECKS:
        assert any(
            "Control plane hardening" in c or c == "NIST SP 800-190 4.3.3" for c in info.controls
        )
        assert all("4.3.4" not in c for c in info.controls)


def test_nf221_plan_control_plane_ip_reached_when_no_egress_policy_isolates_the_workload():
    """NSA/CISA control-plane hardening (N7: only expected traffic reaches 6443); AKS-NET:
    the control-plane IP is the KubeVIP API-server address. A workload no egress policy
    selects reaches it; the message says so and the namespace is the cause (a default deny
    there stops it)."""
    (found,) = run(plan(), web(), "NF221")
    assert found.effective_severity is Severity.MEDIUM
    assert f"{CONTROL_PLANE_IP} on TCP 6443" in found.message
    assert "no egress policy isolates it" in found.message
    assert found.cause is not None and found.cause.resource.key == "Namespace/web"
    (reached,) = found.evidence["reached"]
    assert reached["target"] == "control-plane IP of cluster c1"
    assert reached["ports"] == "TCP 6443"
    assert found.evidence["isolated"] is False


def test_nf221_names_the_rule_that_opens_6443_not_the_one_that_opens_dns():
    """Provenance over the asked port only: of a policy allowing UDP 53 everywhere and TCP
    6443 to the control-plane IP, the 6443 rule is named and is the cause."""
    dns_and_api = policy(
        "web",
        "egress",
        egress=[
            {"to": [ip_block("0.0.0.0/0")], "ports": [port(53, UDP)]},
            {"to": [ip_block(f"{CONTROL_PLANE_IP}/32")], "ports": [port(6443)]},
        ],
        types=["Egress"],
    )
    (found,) = run(plan(), web(dns_and_api), "NF221")
    assert found.evidence["allowed_by"] == ["NetworkPolicy/web/egress spec.egress[1]"]
    assert "allowed by NetworkPolicy/web/egress spec.egress[1]" in found.message
    assert found.cause is not None and found.cause.path == "spec.egress[1]"
    assert found.evidence["isolated"] is True


def test_nf221_default_deny_egress_keeps_the_control_plane_apart():
    """Kubernetes NetworkPolicy: an egress-isolated pod reaches only what a rule allows; a
    default deny egress leaves no finding."""
    deny = policy("web", "deny", types=["Egress"])
    assert run(plan(), web(deny), "NF221") == []
    other_port = egress_to(f"{CONTROL_PLANE_IP}/32", port(443))
    assert run(plan(), web(other_port), "NF221") == []


def test_nf221_workloads_that_manage_the_cluster_are_info_with_their_own_advice():
    """NSA/CISA control-plane hardening N9 / C.5: operators and controllers (kube-system,
    calico-system, azure-arc, ...) need the API server: reported at info, with advice to
    keep it to 6443 and accept it."""
    objects = [namespace("azure-arc"), deployment("azure-arc", "config-agent")]
    (found,) = run(plan(), objects, "NF221")
    assert found.effective_severity is Severity.INFO
    assert found.check.remediation == MANAGING_ADVICE
    assert found.evidence["manages_cluster"] is True


def test_nf221_a_managing_workload_its_own_rule_allows_the_control_plane_is_intended():
    """SEC-NET "fully separate management and data traffic if workloads don't need the API
    server" and NSA/CISA N7: an operator whose egress policy allows the API server by an
    explicit rule is the traffic the control plane is kept for; no finding. Reached only by
    its namespace's default (no isolation), it stays reported at info."""
    allow_api = policy(
        "azure-arc",
        "egress",
        egress=[{"to": [ip_block(f"{CONTROL_PLANE_IP}/32")], "ports": [port(6443)]}],
        types=["Egress"],
    )
    objects = [namespace("azure-arc"), deployment("azure-arc", "config-agent")]
    assert run(plan(), [*objects, allow_api], "NF221") == []
    (found,) = run(plan(), objects, "NF221")
    assert found.effective_severity is Severity.INFO
    (other,) = run(plan(), web(egress_to(f"{CONTROL_PLANE_IP}/32", port(6443))), "NF221")
    assert other.effective_severity is Severity.MEDIUM  # a data workload: still reported


def test_nf221_without_a_plan_the_default_kubernetes_endpoints_and_given_api_servers():
    """NF221 extends NF011: the default/kubernetes clusterIP on its port, the endpoints on
    6443, and the addresses given with --api-server, without a plan."""
    objects = web(*api_server_objects("10.96.0.1", "10.240.0.4"))
    (found,) = run(None, objects, "NF221", api_servers=[("10.240.0.9", 6443)])
    targets = {r["addresses"]: r["ports"] for r in found.evidence["reached"]}
    assert targets == {
        "10.96.0.1/32": "TCP 443",
        "10.240.0.4/32": "TCP 6443",
        "10.240.0.9/32": "TCP 6443",
    }


def test_nf221_names_each_firewall_layer_and_the_rule_that_lets_it_through():
    """Paths: a destination outside the cluster crosses the layers given; the finding names
    each layer's permitting rule (the pod side, what to change first, stays the cause)."""
    objects = web(*api_server_objects("10.96.0.1", "10.240.0.4"))
    allowing = layer(rule(ALLOW, to=addresses("10.240.0.0/24"), services=tcp(6443)), name="edge")
    (found,) = run(None, objects, "NF221", layers=[allowing])
    assert "through edge (edge: rules[0])" in found.message
    assert found.cause is not None and found.cause.resource.key == "Namespace/web"
    endpoint = next(r for r in found.evidence["reached"] if r["addresses"] == "10.240.0.4/32")
    assert endpoint["path"]["layers"][0]["allowed_by"] == ["edge: rules[0]"]


def test_nf221_a_layer_that_denies_keeps_the_endpoint_apart_but_not_the_clusterip():
    """Paths: what a layer denies is not reached; a Service clusterIP is translated on the
    node and never crosses a layer, so the pod policies alone decide it."""
    objects = web(*api_server_objects("10.96.0.1", "10.240.0.4"))
    deny_all = layer(rule(DENY, to=addresses("*")), name="edge")
    (found,) = run(None, objects, "NF221", layers=[deny_all])
    assert [r["addresses"] for r in found.evidence["reached"]] == ["10.96.0.1/32"]
    assert found.evidence["reached"][0]["path"] is None


def test_nf221_on_the_clusters_own_lnet_only_a_node_layer_is_on_the_path():
    """Paths / AKS-NET: the control-plane IP is on the cluster's lnet, reached without a
    router: a perimeter layer given does not guard it (said in the message), a layer on the
    nodes (sees pod addresses) does."""
    perimeter = layer(rule(DENY, to=addresses("*")), name="perimeter")
    (found,) = run(plan(), web(), "NF221", layers=[perimeter])
    assert NO_ROUTED_LAYER in found.message
    assert found.evidence["reached"][0]["on_lnet"] is True
    node_fw = dataclasses.replace(
        layer(rule(DENY, to=addresses("*")), name="node"), sees_pod_addresses=True
    )
    assert run(plan(), web(), "NF221", layers=[perimeter, node_fw]) == []


def test_nf221_one_rule_reaching_the_control_plane_for_several_workloads_is_one_finding():
    """Findings grouped by cause: one rule letting two workloads reach the control plane is
    one finding on the rule, listing both."""
    both = policy("web", "egress", egress=[{"to": [ip_block("172.16.0.0/16")]}], types=["Egress"])
    objects = web(deployment("web", "worker"), both)
    (found,) = run(plan(), objects, "NF221")
    assert [r.key for r in found.affected] == ["Deployment/web/api", "Deployment/web/worker"]
    assert found.resources[0].key == "NetworkPolicy/web/egress"


def test_nf222_management_network_reached_through_a_layer_that_admits_the_nodes():
    """AKS-NET: pods are SNATed to their node, so a layer that lets the nodes reach the
    management network (as the MOC cloud agent needs on 55000) lets the pods too; the
    finding names that rule, and says what the layer sees."""
    nodes_to_agent = layer(
        rule(
            ALLOW,
            sources=addresses("172.16.0.0/24"),
            to=addresses("192.168.10.0/24"),
            services=tcp(55000),
        ),
        name="perimeter",
    )
    (found,) = run(plan(), web(), "NF222", layers=[nodes_to_agent])
    assert found.effective_severity is Severity.HIGH
    assert "192.168.10.0/24 on TCP 55000" in found.message
    assert "perimeter (perimeter: rules[0])" in found.message
    assert "SNAT" in found.message and "172.16.0.10-172.16.0.50" in found.message


def test_nf222_with_snat_a_rule_for_the_pod_cidr_is_not_what_the_layer_sees():
    """Paths: with SNAT to the node the perimeter judges the nodes' addresses, so a rule for
    the pod CIDR does not let the pods through; with no SNAT (plan snat: none) it does."""
    pods_to_management = layer(
        rule(ALLOW, sources=addresses(POD_CIDR), to=addresses("192.168.10.0/24")),
        name="perimeter",
    )
    assert run(plan(), web(), "NF222", layers=[pods_to_management]) == []
    (found,) = run(plan(snat=Snat.NONE), web(), "NF222", layers=[pods_to_management])
    assert "no SNAT" in found.message


def test_nf222_any_port_asked_and_the_cluster_ip_and_infrastructure_block_included():
    """AKS-NET: the management network, its infrastructure block and the Azure Local
    cluster IP are asked on every port; the cluster's own nodes are left to NF223."""
    (found,) = run(plan(), web(egress_to("192.168.10.5/32", port(65000))), "NF222")
    assert "192.168.10.5 on TCP 65000" in found.message
    assert found.evidence["allowed_by"] == ["NetworkPolicy/web/egress spec.egress[0]"]


def test_nf222_undecided_layer_is_low_and_says_cannot_decide():
    """Paths: a rule the model cannot express before the decider leaves the ports "cannot
    decide" (never a silent allow or deny): reported at low, with the reason."""
    unsure = layer(
        rule(DENY, to=addresses("*"), undecidable=("interface eth1",)),
        rule(ALLOW, to=addresses("*")),
        name="perimeter",
    )
    (found,) = run(plan(), web(), "NF222", layers=[unsure])
    assert found.effective_severity is Severity.LOW
    assert "cannot decide" in found.message and "interface eth1" in found.message


def test_nf223_kubelet_on_the_node_pool_names_the_port():
    """OWASP sensitive ports / NSA/CISA worker node segmentation (N13): the kubelet 10250
    on the plan's node pool addresses is reported with its name; other ports are not."""
    kubelet = egress_to("172.16.0.0/24", port(10250), port(443))
    (found,) = run(plan(), web(kubelet), "NF223")
    assert "172.16.0.10-172.16.0.50 on TCP 10250 (kubelet)" in found.message
    assert found.evidence["reached"][0]["ports"] == "TCP 10250"
    assert run(plan(), web(egress_to("172.16.0.0/24", port(443))), "NF223") == []


def test_nf223_node_addresses_from_nodes_and_host_ips_without_a_plan():
    """NSA/CISA control-plane hardening (etcd 2379-2380 on control-plane nodes): node
    addresses come from the Node objects and the pods' hostIPs when there is no plan."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1"},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.4"}]},
    }
    (found,) = run(None, web(node, egress_to("10.1.0.0/24", port(2379, end=2380))), "NF223")
    assert "10.1.0.4 on TCP 2379-2380 (etcd)" in found.message


def test_nf223_managing_namespaces_are_low():
    """OWASP sensitive ports: metrics-server in kube-system reads the kubelet; reported at
    low, with the narrowing advice."""
    objects = [namespace("kube-system"), deployment("kube-system", "metrics-server")]
    (found,) = run(plan(), objects, "NF223")
    assert found.effective_severity is Severity.LOW
    assert found.check.remediation == MANAGING_ADVICE


def test_host_network_workloads_get_host_advice_at_info():
    """Host-network pods: NetworkPolicy does not apply to them, so what they reach is the
    node's own traffic: info, with host-level advice (as the audit does)."""
    host = deployment("web", "agent", host_network=True)
    found = run(plan(), [namespace("web"), host], "NF221")
    assert [f.effective_severity for f in found] == [Severity.INFO]
    assert "host network" in found[0].message
