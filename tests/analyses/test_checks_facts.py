"""NF030: verdicts that depend on facts the input lacks.

Requirements: NetworkPolicy ipBlock (API reference: cluster-internal pod addresses "may or
may not" be matched by an ipBlock, depending on the plugin), Node ``spec.podCIDRs`` (the
ranges a node's pods take their addresses from), pod ``status.podIP`` (filled by the cluster,
absent from manifests in git), Service targetPort by name (resolved on the selected pods'
container ports).
"""

from __future__ import annotations

from netfence.model.findings import Severity

from .builders import (
    audit,
    container_port,
    deployment,
    ip_block,
    keys,
    match,
    only,
    pod,
    policy,
    port,
    service,
    service_port,
)

POLICY = "NetworkPolicy/shop/p"


def _egress_to(cidr: str) -> dict[str, object]:
    return policy(
        "shop", "p", match(app="web"), egress=[{"to": [ip_block(cidr)], "ports": [port(443)]}]
    )


def test_ipblock_over_private_space_with_unaddressed_pods() -> None:
    """NF030: pods from templates have no address; an ipBlock inside the private ranges (no
    pod CIDR known) may hold theirs, so its verdicts are listed as depending on it."""
    findings = audit(
        [deployment("shop", "web"), deployment("shop", "db"), _egress_to("10.0.0.0/8")], "NF030"
    )
    finding = only(findings, POLICY)
    assert finding.effective_severity is Severity.INFO
    assert finding.evidence["fact"] == "pod addresses"
    assert finding.evidence["depends"] == ["NetworkPolicy/shop/p spec.egress[0]"]
    assert finding.evidence["ranges"] == "10.0.0.0/8"
    assert finding.evidence["address_space"] == "the private ranges; no pod CIDR in the input"


def test_public_ipblock_does_not_depend_on_pod_addresses() -> None:
    """NF030: a public range can hold no pod address (no pod CIDR known: the private ranges)."""
    assert audit([deployment("shop", "web"), _egress_to("8.8.8.0/24")], "NF030") == []


def test_node_pod_cidrs_bound_the_pod_address_space() -> None:
    """NF030, Node spec.podCIDRs: once known, only ranges overlapping them depend on pod
    addresses; 10.0.0.0/8 outside 10.244.0.0/16 does not, a range over it does."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1"},
        "spec": {"podCIDRs": ["10.244.0.0/24"]},
    }
    outside = audit([deployment("shop", "web"), node, _egress_to("10.1.0.0/16")], "NF030")
    assert outside == []
    inside = audit([deployment("shop", "web"), node, _egress_to("10.244.0.0/16")], "NF030")
    assert only(inside, POLICY).evidence["ranges"] == "10.244.0.0/24"
    assert only(inside, POLICY).evidence["address_space"] == "the nodes' pod CIDRs"


def test_pods_with_addresses_need_nothing_more() -> None:
    """NF030: when every pod has its status.podIP, the ipBlock verdicts are the cluster's."""
    objects = [pod("shop", "web", ip="10.244.0.5"), pod("shop", "db", ip="10.244.0.6")]
    assert audit([*objects, _egress_to("10.0.0.0/8")], "NF030") == []


def test_a_rule_that_matches_every_pod_by_selector_gains_nothing_from_addresses() -> None:
    """NF030: ``ingress: [{}]`` already matches every pod, so their addresses change nothing."""
    everything = policy("shop", "p", match(app="web"), ingress=[{}])
    assert audit([deployment("shop", "web"), everything], "NF030") == []


def test_load_balancer_named_target_port_no_pod_declares() -> None:
    """NF030, Service targetPort by name: a name none of the selected pods declares leaves
    the ports it opens unknown."""
    findings = audit(
        [
            deployment("shop", "web", ports=[container_port(8080, "http")]),
            service("shop", "web", {"app": "web"}, [service_port(80, "htpp")], kind="LoadBalancer"),
        ],
        "NF030",
    )
    finding = only(findings, "Service/shop/web")
    assert finding.evidence["fact"] == "named ports"
    assert finding.evidence["depends"] == ["htpp/TCP"]
    assert keys(findings) == ["Service/shop/web"]


def test_each_missing_fact_gets_its_own_advice() -> None:
    """NF030: a named port is fixed in the manifests, a missing address by scanning the
    cluster; each finding's remediation says its own."""
    findings = audit(
        [
            deployment("shop", "web", ports=[container_port(8080, "http")]),
            service("shop", "web", {"app": "web"}, [service_port(80, "htpp")], kind="LoadBalancer"),
            _egress_to("10.0.0.0/8"),
        ],
        "NF030",
    )
    assert "targetPort" in only(findings, "Service/shop/web").check.remediation
    assert "live cluster" in only(findings, POLICY).check.remediation
