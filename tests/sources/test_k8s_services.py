"""Reading Services, Ingresses and Gateway API routes, validated as the API server does.

Requirements: Kubernetes API reference for Service (core/v1 ServiceSpec, ServicePort) and
``ValidateService``; Ingress (networking.k8s.io/v1 IngressBackend, HTTPIngressPath) and
``ValidateIngress``; Gateway API HTTPRoute, GRPCRoute, TCPRoute, TLSRoute (ParentReference,
BackendRef and its CEL rule "Must have port for Service reference").
"""

from __future__ import annotations

import logging
import textwrap

import pytest

from netfence.errors import InputError
from netfence.model.cluster import Cluster
from netfence.model.services import ServiceType
from netfence.sources.manifests import load_cluster_from_text


def load(text: str, strict: bool = False) -> Cluster:
    return load_cluster_from_text(textwrap.dedent(text), strict=strict)


def refused(text: str) -> str:
    with pytest.raises(InputError) as caught:
        load(text)
    return str(caught.value)


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: https, port: 443, targetPort: 8443, nodePort: 30443, protocol: TCP}
"""


def test_service_type_selector_and_ports_are_read():
    """ServiceSpec: type, selector, ports with targetPort by name or number, nodePort."""
    cluster = load(SERVICE)
    (service,) = cluster.services
    assert service.type is ServiceType.LOAD_BALANCER
    assert dict(service.selector) == {"app": "web"}
    assert [(p.name, p.port, p.target_port, p.node_port) for p in service.ports] == [
        ("http", 80, "http", None),
        ("https", 443, 8443, 30443),
    ]
    assert cluster.skipped == {}


def test_service_defaults_type_and_target_port():
    """SetDefaults_Service: type ClusterIP, protocol TCP, targetPort = port when unset, 0 or
    the empty string."""
    cluster = load(
        """\
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: shop}
        spec:
          selector: {app: db}
          ports:
          - {name: a, port: 5432}
          - {name: b, port: 5433, targetPort: 0}
          - {name: c, port: 5434, targetPort: ""}
        """
    )
    (service,) = cluster.services
    assert service.type is ServiceType.CLUSTER_IP
    assert [(p.protocol, p.target_port) for p in service.ports] == [
        ("TCP", 5432),
        ("TCP", 5433),
        ("TCP", 5434),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{type: Public, ports: [{port: 80}]}", "spec.type: unsupported Service type 'Public'"),
        ("{ports: [{port: 0}]}", "spec.ports[0].port: port 0 is outside 1-65535"),
        ("{ports: [{port: 80, protocol: tcp}]}", "spec.ports[0].protocol: unknown protocol"),
        ("{ports: [{port: 80, targetPort: 70000}]}", "targetPort: port 70000 is outside"),
        ("{ports: [{port: 80, targetPort: Web_Port}]}", "invalid targetPort 'Web_Port'"),
        ("{ports: [{port: 80}, {port: 81}]}", "spec.ports[0].name: required when the Service"),
        (
            "{ports: [{name: a, port: 80}, {name: a, port: 81}]}",
            "spec.ports[1].name: duplicate port name 'a'",
        ),
        ("{ports: [{port: 80, nodePort: 30080}]}", "nodePort: may not be used when type is"),
        ("{selector: {app: web}}", "spec.ports: required (a Service needs at least one port)"),
    ],
)
def test_service_fields_are_validated_as_the_api_server_does(spec, message):
    """ValidateService: type enum, ports 1-65535, protocol enum, targetPort number or
    IANA_SVC_NAME, names required and unique with several ports, nodePort only for NodePort and
    LoadBalancer, at least one port."""
    text = (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\nspec: {spec}\n"
    )
    assert message in refused(text)


def test_service_name_is_a_dns1035_label():
    """ValidateServiceName (NameIsDNS1035Label): a Service name starts with a letter."""
    message = refused(
        "apiVersion: v1\nkind: Service\nmetadata: {name: 1web, namespace: shop}\n"
        "spec: {ports: [{port: 80}]}\n"
    )
    assert "invalid Service name '1web'" in message
    assert "DNS-1035" in message


def test_headless_and_external_name_services_need_no_ports():
    """A headless Service (clusterIP: None) and an ExternalName Service may have no ports."""
    cluster = load(
        """\
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: shop}
        spec: {clusterIP: None, selector: {app: db}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: bank, namespace: shop}
        spec: {type: ExternalName, externalName: bank.example.com}
        """
    )
    assert [s.name for s in cluster.services] == ["db", "bank"]


def test_the_api_server_service_still_gives_its_address():
    """The default/kubernetes Service keeps naming the API server (and is no fronting
    Service)."""
    cluster = load(
        """\
        apiVersion: v1
        kind: Service
        metadata: {name: kubernetes, namespace: default}
        spec: {clusterIP: 10.0.0.1, ports: [{name: https, port: 443}]}
        """
    )
    assert cluster.api_servers == (("10.0.0.1", 443),)
    assert cluster.services == ()


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: frontend, port: {number: 80}}}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - path: /static
        pathType: Prefix
        backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: static}}
"""


def test_ingress_backends_are_read():
    """IngressSpec: the default backend and every path's Service backend (resource backends
    are not Services)."""
    (ingress,) = load(INGRESS).ingresses
    assert ingress.ingress_class == "nginx"
    assert [(b.service, b.port, b.path) for b in ingress.backends] == [
        ("frontend", 80, "spec.defaultBackend"),
        ("api", "http", "spec.rules[0].http.paths[0].backend"),
    ]


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("{service: {name: api, port: {number: 0}}}", "port 0 is outside 1-65535"),
        ("{service: {name: api, port: {}}}", "exactly one of number and name is required"),
        ("{service: {name: api, port: {name: Http_Port}}}", "invalid port name 'Http_Port'"),
        ("{service: {name: 9api, port: {number: 80}}}", "invalid Service name '9api'"),
        ("{}", "exactly one of service and resource is required"),
    ],
)
def test_ingress_backends_are_validated(backend, message):
    """ValidateIngressBackend: a Service (DNS-1035 name) and exactly one of port number
    (1-65535) and port name (IANA_SVC_NAME), or a resource."""
    text = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: s, namespace: shop}\n"
        f"spec: {{defaultBackend: {backend}}}\n"
    )
    assert message in refused(text)


def test_ingress_http_rule_needs_a_path():
    """ValidateHTTPIngressRuleValue: an http rule holds at least one path."""
    message = refused(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: s, namespace: shop}\n"
        "spec: {rules: [{http: {paths: []}}]}\n"
    )
    assert "spec.rules[0].http.paths: required: at least one path" in message


def test_ingress_path_type_is_an_enum():
    """HTTPIngressPath.pathType: Exact, Prefix or ImplementationSpecific."""
    message = refused(INGRESS.replace("pathType: Prefix,", "pathType: Glob,"))
    assert "pathType: unsupported pathType 'Glob'" in message


ROUTE = """\
apiVersion: gateway.networking.k8s.io/{version}
kind: {kind}
metadata: {{name: shop, namespace: shop}}
spec:
  parentRefs: [{{name: public, namespace: gateways}}]
  rules:
  - backendRefs:
    - {{name: frontend, port: 80}}
    - {{name: bucket, kind: Bucket, group: k8s.example.com}}
"""


@pytest.mark.parametrize(
    ("version", "kind"),
    [("v1", "HTTPRoute"), ("v1", "GRPCRoute"), ("v1alpha2", "TCPRoute"), ("v1alpha2", "TLSRoute")],
)
def test_routes_parents_and_service_backends_are_read(version, kind):
    """Route spec: parentRefs (kind Gateway by default, namespace the route's own unless
    given) and backendRefs to Services (other kinds are not Services)."""
    cluster = load(ROUTE.format(version=version, kind=kind))
    (route,) = cluster.routes
    assert route.kind == kind
    assert [(p.kind, p.namespace, p.name) for p in route.parents] == [
        ("Gateway", "gateways", "public")
    ]
    assert [(b.namespace, b.service, b.port) for b in route.backends] == [("shop", "frontend", 80)]
    assert cluster.skipped == {}


def test_route_service_backend_needs_a_port():
    """BackendRef CEL rule: "Must have port for Service reference"."""
    message = refused(ROUTE.format(version="v1", kind="HTTPRoute").replace(", port: 80", ""))
    assert "spec.rules[0].backendRefs[0].port: required for a Service reference" in message


def test_unknown_fields_of_the_new_kinds_warn(caplog):
    """Unknown fields of Service, Ingress and routes warn with the closest known name, as for
    every modelled kind; --strict refuses them."""
    text = (
        SERVICE.replace("protocol: TCP", "protocl: TCP")
        + "---\n"
        + INGRESS.replace("ingressClassName", "ingressClass")
        + "---\n"
        + ROUTE.format(version="v1", kind="HTTPRoute").replace("port: 80", "port: 80, wieght: 1")
    )
    with caplog.at_level(logging.WARNING, logger="netfence"):
        load(text)
    warnings = " | ".join(r.getMessage() for r in caplog.records)
    assert "unknown field 'protocl' (did you mean protocol?)" in warnings
    assert "unknown field 'ingressClass' (did you mean ingressClassName?)" in warnings
    assert "unknown field 'wieght' (did you mean weight?)" in warnings
    with pytest.raises(InputError, match="--strict refuses unknown fields"):
        load(text, strict=True)


def test_new_kinds_are_read_not_skipped_on_the_fast_path():
    """Every kind read is in the walked kinds: a lone Ingress document is read, not counted
    as skipped."""
    cluster = load(INGRESS)
    assert cluster.skipped == {}
    assert len(cluster.ingresses) == 1


def test_service_addresses_are_read():
    """ServiceSpec clusterIP/clusterIPs (one per family), loadBalancerIP, externalIPs and
    LoadBalancerStatus ingress[].ip: the addresses the address plan checks."""
    text = (
        SERVICE.replace(
            "  type: LoadBalancer\n",
            "  type: LoadBalancer\n  clusterIP: 10.96.0.20\n  clusterIPs: [10.96.0.20, 'fd00::20']\n"
            "  loadBalancerIP: 172.16.0.200\n  externalIPs: [192.0.2.7]\n",
        )
        + "status:\n  loadBalancer:\n    ingress: [{ip: 172.16.0.201}, {hostname: lb.example}]\n"
    )
    (service,) = load(text).services
    assert service.cluster_ips == ("10.96.0.20", "fd00::20")
    assert service.load_balancer_ips == ("172.16.0.200", "172.16.0.201")
    assert service.external_ips == ("192.0.2.7",)


@pytest.mark.parametrize("value", ["None", "''"])
def test_headless_and_unallocated_services_have_no_cluster_ip(value):
    """clusterIP None is headless; an empty clusterIP is allocated by the API server."""
    text = SERVICE.replace(
        "  type: LoadBalancer\n", f"  type: LoadBalancer\n  clusterIP: {value}\n"
    )
    (service,) = load(text).services
    assert service.cluster_ips == ()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("clusterIP: 10.96.0.300", "spec.clusterIP: invalid IP address '10.96.0.300'"),
        ("clusterIP: 'fe80::1%eth0'", "spec.clusterIP: invalid IP address"),
        (
            "clusterIP: 10.96.0.1\n  clusterIPs: [10.96.0.2]",
            "spec.clusterIPs[0]: must match spec.clusterIP",
        ),
        ("clusterIPs: [10.96.0.1, 10.96.0.2]", "spec.clusterIPs[1]: a second IPv4 cluster IP"),
        ("clusterIPs: [None, 'fd00::1']", "spec.clusterIPs[1]: a headless Service"),
        ("loadBalancerIP: lb.example", "spec.loadBalancerIP: invalid IP address"),
        ("externalIPs: [192.0.2.07]", "spec.externalIPs[0]: invalid IP address"),
    ],
)
def test_service_addresses_are_validated(spec, message):
    """ValidateService: cluster IPs, loadBalancerIP and externalIPs are IP addresses, at most
    one cluster IP per family, clusterIPs[0] equal to clusterIP."""
    text = SERVICE.replace("  type: LoadBalancer\n", f"  type: LoadBalancer\n  {spec}\n")
    assert message in refused(text)


def test_load_balancer_status_ip_is_validated():
    """LoadBalancerStatus: ingress[].ip is an IP address, with its line."""
    text = SERVICE + "status:\n  loadBalancer:\n    ingress: [{ip: 1.2.3}]\n"
    error = refused(text)
    assert "line 12" in error and "status.loadBalancer.ingress[0].ip: invalid IP" in error
