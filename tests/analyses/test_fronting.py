"""NF008 in context: exposure a Service, an Ingress or a route fronts is expected.

Requirements: Kubernetes Service types (API reference ServiceSpec.type: LoadBalancer and
NodePort expose the Service outside the cluster; targetPort by number or by the name of a
container port), Ingress (the ingress controller forwards to the backend Services), Gateway
API (routes attach to a Gateway whose pods carry ``gateway.networking.k8s.io/gateway-name``,
GEP-1762), and NetworkPolicy judging traffic at the pod's port after Service translation.
"""

from __future__ import annotations

from typing import Any

from netfence.model.findings import Severity

from .builders import (
    Obj,
    audit,
    by_detail,
    container_port,
    deployment,
    ingress,
    ip_block,
    port,
    service,
    service_port,
    workload,
)

CONTROLLER = "Deployment/ingress-nginx/ingress-nginx-controller"
WEB = "Deployment/shop/web"


def _controller(image: str = "registry.k8s.io/ingress-nginx/controller:v1.11.2") -> Obj:
    labels = {"app.kubernetes.io/name": "ingress-nginx"}
    return workload(
        "Deployment",
        "ingress-nginx",
        "ingress-nginx-controller",
        labels,
        ports=[container_port(80, "http"), container_port(443, "https"), container_port(10254)],
        image=image,
    )


def _open_to_internet(ns: str, selector: dict[str, str], ports: list[Obj]) -> Obj:
    """A policy admitting 0.0.0.0/0 on ``ports`` to the pods ``selector`` picks."""
    rule: dict[str, Any] = {"from": [ip_block("0.0.0.0/0")], "ports": ports}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "public", "namespace": ns},
        "spec": {"podSelector": {"matchLabels": selector}, "ingress": [rule]},
    }


CONTROLLER_SELECTOR = {"app.kubernetes.io/name": "ingress-nginx"}
LB = service(
    "ingress-nginx",
    "ingress-nginx-controller",
    CONTROLLER_SELECTOR,
    [service_port(80, "http", "http"), service_port(443, "https", "https")],
    kind="LoadBalancer",
)


def test_load_balancer_ports_are_expected_exposure_at_info() -> None:
    """ServiceSpec.type LoadBalancer: the Internet reaches the Service's target ports (named
    targetPorts resolved on the pods' container ports): info, naming the Service and the
    Ingress the controller serves; the advice does not tell the controller to admit itself."""
    findings = audit(
        [
            _controller(),
            LB,
            _open_to_internet("ingress-nginx", CONTROLLER_SELECTOR, [port(80), port(443)]),
            ingress("shop", "shop", "web", 80),
        ],
        "NF008",
    )
    found = by_detail(findings, CONTROLLER)
    assert set(found) == {"expected"}
    expected = found["expected"]
    assert expected.effective_severity is Severity.INFO
    assert expected.evidence["ports"] == "TCP 80,443"
    assert "Service/ingress-nginx/ingress-nginx-controller (LoadBalancer)" in expected.message
    assert "Ingress/shop/shop" in expected.message
    assert "admit only the" not in expected.check.remediation.lower()


def test_ports_beyond_the_service_stay_high() -> None:
    """Exposure on ports no fronting Service opens (the controller's metrics port, 10254)
    stays high, apart from the expected ports."""
    findings = audit(
        [
            _controller(),
            LB,
            _open_to_internet(
                "ingress-nginx", CONTROLLER_SELECTOR, [port(80), port(443), port(10254)]
            ),
        ],
        "NF008",
    )
    found = by_detail(findings, CONTROLLER)
    assert set(found) == {"expected", ""}
    assert found["expected"].effective_severity is Severity.INFO
    assert found[""].effective_severity is Severity.HIGH
    assert found[""].evidence["ports"] == "TCP 10254"
    assert "only on the ports" in found[""].check.remediation


def test_a_cluster_ip_service_fronts_nothing_from_outside() -> None:
    """ServiceSpec.type ClusterIP: reachable only inside the cluster, so Internet exposure of
    its pods stays high."""
    findings = audit(
        [
            deployment("shop", "web", ports=[container_port(8080, "http")]),
            service("shop", "web", {"app": "web"}, [service_port(80, "http")]),
            _open_to_internet("shop", {"app": "web"}, [port(8080)]),
        ],
        "NF008",
    )
    assert [f.effective_severity for f in findings] == [Severity.HIGH]


def test_an_ingress_backend_open_to_the_internet_is_told_to_admit_the_controller() -> None:
    """Ingress: the controller, not the Internet, reaches the backend; a backend open to the
    Internet stays high, and the advice is to admit the ingress controller's pods."""
    findings = audit(
        [
            deployment("shop", "web", ports=[container_port(8080, "http")]),
            service("shop", "web", {"app": "web"}, [service_port(80, "http")]),
            ingress("shop", "shop", "web", 80),
            _open_to_internet("shop", {"app": "web"}, [port(8080)]),
        ],
        "NF008",
    )
    (finding,) = by_detail(findings, WEB).values()
    assert finding.effective_severity is Severity.HIGH
    assert "backend of Ingress/shop/shop" in finding.message
    assert "Admit only those pods" in finding.check.remediation


def test_a_gateway_serving_routes_is_a_front_door() -> None:
    """Gateway API (GEP-1762): pods labelled gateway-name=<Gateway> that a route attaches to
    are the gateway; with no Service given, its declared container ports are expected."""
    labels = {"gateway.networking.k8s.io/gateway-name": "public"}
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "gateways"}],
            "rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
        },
    }
    findings = audit(
        [
            workload("Deployment", "gateways", "public", labels, ports=[container_port(443)]),
            route,
            _open_to_internet("gateways", labels, [port(443)]),
        ],
        "NF008",
    )
    (finding,) = by_detail(findings, "Deployment/gateways/public").values()
    assert finding.effective_severity is Severity.INFO
    assert "Gateway/gateways/public" in finding.message
    assert "HTTPRoute/shop/shop" in finding.message


def test_a_node_port_service_with_a_numeric_target_port() -> None:
    """ServiceSpec.type NodePort: every node's port forwards to the targetPort number."""
    findings = audit(
        [
            deployment("shop", "web", ports=[container_port(8080)]),
            service("shop", "web", {"app": "web"}, [service_port(80, 8080)], kind="NodePort"),
            _open_to_internet("shop", {"app": "web"}, [port(8080)]),
        ],
        "NF008",
    )
    (finding,) = by_detail(findings, WEB).values()
    assert finding.effective_severity is Severity.INFO
    assert "Service/shop/web (NodePort)" in finding.message
