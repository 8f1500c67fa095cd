"""NF212: a cluster's own objects (node addresses, pod IPs, Service cluster IPs and
LoadBalancer IPs) against the plan, the manifests matched to one of the plan's clusters."""

from __future__ import annotations

from netfence.analyses.address_plan.objects import match_cluster
from netfence.model.findings import Severity
from netfence.sources.manifests import load_cluster_from_text
from tests.analyses.address_plan.plans import findings, read, worked_example


def manifests(
    node="172.16.0.10",
    pod="10.244.1.5",
    host="172.16.0.11",
    cluster_ip="10.96.0.10",
    lb="172.16.0.200",
    extra="",
) -> str:
    return f"""\
apiVersion: v1
kind: Node
metadata: {{name: moc-node-1}}
status:
  addresses: [{{type: InternalIP, address: {node}}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: web-1, namespace: shop}}
spec: {{containers: [{{name: web, image: nginx}}]}}
status: {{podIP: {pod}, hostIP: {host}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  clusterIP: {cluster_ip}
  ports: [{{port: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web-lb, namespace: shop}}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.11
  ports: [{{port: 80}}]
status:
  loadBalancer:
    ingress: [{{ip: {lb}}}]
{extra}"""


def outside(text: str, data=None):
    cluster = load_cluster_from_text(text, "cluster.yaml")
    return findings(data or worked_example(), "NF212", cluster)


def test_objects_inside_the_plan_have_no_finding():
    assert outside(manifests()) == []


def test_node_address_outside_every_pool_nf212():
    """AKS-IP: node VMs take their addresses from the lnet IP pool."""
    (found,) = outside(manifests(node="172.16.0.99"))
    assert found.evidence["kind"] == "node addresses" and found.evidence["count"] == 1
    assert found.evidence["samples"] == [{"object": "Node/moc-node-1", "address": "172.16.0.99"}]
    assert found.resources[1].kind == "Node" and found.resources[1].line == 1


def test_host_ip_of_a_pod_counts_as_node_address_nf212():
    (found,) = outside(manifests(host="172.16.0.250"))
    assert found.evidence["samples"][0]["object"] == "Pod/shop/web-1"


def test_host_network_pod_ip_is_a_node_address_nf212():
    extra = (
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: kube-system}\n"
        "spec: {hostNetwork: true, containers: [{name: a, image: a}]}\n"
        "status: {podIP: 192.168.7.7, hostIP: 172.16.0.12}\n"
    )
    (found,) = outside(manifests(extra=extra))
    assert found.evidence["kind"] == "node addresses"
    assert found.evidence["samples"] == [
        {"object": "Pod/kube-system/agent", "address": "192.168.7.7"}
    ]


def test_pod_ip_outside_pod_cidr_nf212():
    """AKS-IP: pod IPs come from the cluster's pod CIDR (10.244.0.0/16 by default)."""
    (found,) = outside(manifests(pod="10.245.0.5"))
    assert found.evidence["kind"] == "pod IPs" and found.evidence["planned"] == ["10.244.0.0/16"]


def test_service_cluster_ip_outside_service_cidr_nf212():
    """AKS-IP: Service cluster IPs come from the fixed 10.96.0.0/12."""
    (found,) = outside(manifests(cluster_ip="10.112.0.1"))
    assert found.evidence["kind"] == "Service cluster IPs"
    assert found.evidence["samples"] == [{"object": "Service/shop/web", "address": "10.112.0.1"}]


def test_load_balancer_ip_outside_every_pool_nf212():
    (found,) = outside(manifests(lb="172.16.0.203"))
    assert found.evidence["kind"] == "LoadBalancer IPs"


def test_many_objects_make_one_finding_with_samples():
    extra = "".join(
        f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: n{i}}}\n"
        f"status: {{addresses: [{{type: InternalIP, address: 172.16.0.{100 + i}}}]}}\n"
        for i in range(7)
    )
    (found,) = outside(manifests(extra=extra))
    assert found.evidence["count"] == 7 and len(found.evidence["samples"]) == 5
    assert "and 2 more" in found.message


def test_manifests_are_matched_to_the_cluster_whose_ranges_hold_them():
    """Several clusters in the plan, one cluster in the manifests: matched by its ranges, and
    the finding says which."""
    data = worked_example()
    data["logical_networks"].append(
        {
            "name": "second",
            "prefix": "172.17.0.0/24",
            "gateway": "172.17.0.1",
            "dns_servers": ["172.16.10.10"],
            "ip_pools": [{"start": "172.17.0.10", "end": "172.17.0.40"}],
        }
    )
    data["clusters"][1].update(logical_network="second", pod_cidr="10.250.0.0/16")
    text = manifests(node="172.17.0.10", host="172.17.0.11", pod="10.244.1.5")
    plan = read(data)
    matched, also = match_cluster(plan, load_cluster_from_text(text, "c.yaml"))
    assert matched is not None and matched.name == "small" and also == []
    (found,) = outside(text, data)
    assert found.evidence["matched_cluster"] == "small" and found.evidence["kind"] == "pod IPs"
    assert "matched plan cluster small" in found.message


def test_without_lb_pools_the_lb_ips_are_undecided_not_skipped():
    data = worked_example()
    del data["load_balancer_pools"]
    data["clusters"][1].pop("load_balancer_pool")
    data["clusters"][1].pop("load_balancer_services")
    (found,) = outside(manifests(), data)
    assert found.effective_severity is Severity.INFO and found.evidence["undecided"] is True


def test_plan_without_clusters_leaves_overlay_addresses_undecided():
    """A plan of networks alone has no pod or service CIDR: said, as info, not passed over."""
    data = worked_example()
    del data["clusters"]
    found = {f.evidence["kind"]: f for f in outside(manifests(), data)}
    assert found["pod IPs"].effective_severity is Severity.INFO
    assert found["Service cluster IPs"].evidence["undecided"] is True
    assert "node addresses" not in found
