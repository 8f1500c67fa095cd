"""Read Services, Ingresses and Gateway API routes, validated as the API server validates them.

The rules and where they come from (Kubernetes ``pkg/apis/core/validation``,
``pkg/apis/networking/validation`` and the Gateway API CRDs' schemas):

- A Service's name is a DNS-1035 label (``ValidateServiceName``); ``spec.type`` is one of
  ClusterIP, NodePort, LoadBalancer and ExternalName; a Service other than ExternalName or
  headless (``clusterIP: None``) needs at least one port; with several ports each needs a
  name, a DNS-1123 label unique in the Service; ``port`` and ``nodePort`` are 1-65535;
  ``targetPort`` is a port number or an IANA service name; ``protocol`` is TCP, UDP or SCTP;
  ``nodePort`` is refused on a ClusterIP Service. ``spec.clusterIP`` and ``spec.clusterIPs``
  are IP addresses (or ``None``, headless; or empty, not allocated yet), at most one per family,
  the first of ``clusterIPs`` equal to ``clusterIP`` (``ValidateServiceClusterIPsRelatedFields``);
  ``spec.loadBalancerIP``, ``spec.externalIPs`` and ``status.loadBalancer.ingress[].ip`` are IP
  addresses.
- An Ingress backend names a Service (a DNS-1035 label) and exactly one of ``port.number``
  (1-65535) and ``port.name`` (an IANA service name), or a ``resource`` instead of a service;
  ``pathType`` is Exact, Prefix or ImplementationSpecific; an ``http`` rule has at least one
  path.
- A route's ``parentRefs`` and ``backendRefs`` name their object (1-253 characters); a
  backendRef to a Service must give its ``port`` (1-65535) (CEL rule "Must have port for
  Service reference").
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from netfence.errors import InputError
from netfence.model.services import (
    BackendRef,
    Ingress,
    ParentRef,
    Route,
    Service,
    ServicePort,
    ServiceType,
)
from netfence.sources.fields import Field, parse_protocol
from netfence.sources.k8s_validation import (
    DNS1123_SUBDOMAIN_MAX,
    dns1035_label_problem,
    dns1123_label_problem,
    iana_svc_name_problem,
    parse_ip,
    port_number_problem,
)

SERVICE_API: Final = "v1"
"""The Service's apiVersion."""
INGRESS_API: Final = "networking.k8s.io/v1"
"""The Ingress's apiVersion."""
GATEWAY_GROUP: Final = "gateway.networking.k8s.io"
"""The Gateway API's group; every served version of it is read."""
ROUTE_KINDS: Final = frozenset({"HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute"})
"""The Gateway API route kinds read."""
FRONTING_KINDS: Final = frozenset({"Service", "Ingress"}) | ROUTE_KINDS
"""Every kind this module reads."""
_PATH_TYPES: Final = ("Exact", "Prefix", "ImplementationSpecific")


def is_route(api_version: str, kind: str) -> bool:
    """Whether the object is a Gateway API route this module reads."""
    return kind in ROUTE_KINDS and api_version.startswith(GATEWAY_GROUP + "/")


def _missing(parent: Field, key: str, message: str) -> InputError:
    """An error at the absent field ``key`` of ``parent``."""
    path = f"{parent.path}.{key}" if parent.path else key
    return Field(parent.doc, path, None, parent.line).error(message)


def _port(field: Field) -> int:
    number = field.integer()
    problem = port_number_problem(number)
    if problem is not None:
        raise field.error(f"port {problem}")
    return number


def _service_type(spec: Field | None) -> ServiceType:
    found = spec.get("type") if spec is not None else None
    if found is None:
        return ServiceType.CLUSTER_IP
    text = found.string()
    try:
        return ServiceType(text)
    except ValueError:
        allowed = ", ".join(t.value for t in ServiceType)
        raise found.error(
            f"unsupported Service type {text!r} (expected one of {allowed})"
        ) from None


def _target_port(entry: Field, port: int) -> int | str:
    found = entry.get("targetPort")
    if found is None or found.value in (0, ""):
        return port  # defaulted to the port (SetDefaults_Service: unset, 0 or "")
    if found.is_integer():
        return _port(found)
    text = found.string()
    problem = iana_svc_name_problem(text)
    if problem is not None:
        raise found.error(f"invalid targetPort {text!r}: {problem} (IsValidPortName)")
    return text


def _service_port(entry: Field, kind: ServiceType, named: bool) -> ServicePort:
    entry.mapping()
    name_field = entry.get("name")
    name = name_field.string() if name_field is not None and name_field.value != "" else None
    if name is None and named:
        raise _missing(entry, "name", "required when the Service has more than one port")
    if name is not None and name_field is not None:
        problem = dns1123_label_problem(name)
        if problem is not None:
            raise name_field.error(f"invalid port name {name!r}: {problem}")
    port = _port(entry.require("port"))
    node_field = entry.get("nodePort")
    node_port = None
    if node_field is not None and node_field.value != 0:  # 0 asks for an allocated one
        if not kind.reaches_outside:
            raise node_field.error(f"may not be used when type is {kind.value!r}")
        node_port = _port(node_field)
    return ServicePort(name, parse_protocol(entry), port, _target_port(entry, port), node_port)


def parse_service(obj: Field, namespace: str, name: str) -> Service:
    """A Service; InputError naming the field on anything the API server refuses."""
    problem = dns1035_label_problem(name)
    if problem is not None:
        name_field = obj.require("metadata").require("name")
        raise name_field.error(f"invalid Service name {name!r}: {problem} (ValidateServiceName)")
    spec = obj.get("spec")
    kind = _service_type(spec)
    ports_field = spec.get("ports") if spec is not None else None
    entries = list(ports_field.items()) if ports_field is not None else []
    cluster_ip = spec.get("clusterIP") if spec is not None else None
    headless = cluster_ip is not None and cluster_ip.value == "None"
    if not entries and not headless and kind is not ServiceType.EXTERNAL_NAME:
        where = spec if spec is not None else obj
        raise _missing(where, "ports", "required (a Service needs at least one port)")
    ports = tuple(_service_port(e, kind, len(entries) > 1) for e in entries)
    _refuse_duplicate_names(entries, ports)
    selector_field = spec.get("selector") if spec is not None else None
    selector = selector_field.labels() if selector_field is not None else {}
    return Service(
        namespace,
        name,
        kind,
        MappingProxyType(selector),
        ports,
        obj.origin,
        cluster_ips=_cluster_ips(spec),
        load_balancer_ips=_load_balancer_ips(obj, spec),
        external_ips=tuple(_ip(f) for f in _items(spec, "externalIPs")),
    )


def _ip(field: Field) -> str:
    text = field.string()
    try:
        return str(parse_ip(text))
    except ValueError as exc:
        raise field.error(f"invalid IP address {text!r}: {exc}") from None


def _items(parent: Field | None, key: str) -> list[Field]:
    found = parent.get(key) if parent is not None else None
    return list(found.items()) if found is not None else []


_UNALLOCATED: Final = ("", "None")
"""clusterIP values without an address: not allocated yet, and headless."""


def _cluster_ips(spec: Field | None) -> tuple[str, ...]:
    """spec.clusterIP and spec.clusterIPs, as ``ValidateService`` accepts them."""
    single = spec.get("clusterIP") if spec is not None else None
    many = _items(spec, "clusterIPs")
    if single is not None and many and many[0].string() != single.string():
        raise many[0].error(f"must match spec.clusterIP {single.value!r}")
    if len(many) > 2:
        raise many[2].error("at most two cluster IPs, one per family")
    fields = many or ([single] if single is not None else [])
    if len(fields) == 2 and "None" in (fields[0].value, fields[1].value):
        raise fields[1].error("a headless Service ('None') has no second cluster IP")
    out: list[str] = []
    for field in fields:
        if field.string() in _UNALLOCATED:
            continue
        address = _ip(field)
        if out and parse_ip(out[0]).version == parse_ip(address).version:
            raise field.error(f"a second IPv{parse_ip(address).version} cluster IP: one per family")
        out.append(address)
    return tuple(out)


def _load_balancer_ips(obj: Field, spec: Field | None) -> tuple[str, ...]:
    """spec.loadBalancerIP (unless empty) and status.loadBalancer.ingress[].ip."""
    out: list[str] = []
    asked = spec.get("loadBalancerIP") if spec is not None else None
    if asked is not None and asked.string() != "":
        out.append(_ip(asked))
    status = obj.get("status")
    balancer = status.get("loadBalancer") if status is not None else None
    for ingress in _items(balancer, "ingress"):
        found = ingress.get("ip")
        if found is not None:
            out.append(_ip(found))
    return tuple(dict.fromkeys(out))


def _refuse_duplicate_names(entries: list[Field], ports: tuple[ServicePort, ...]) -> None:
    seen: set[str] = set()
    for entry, port in zip(entries, ports, strict=True):
        if port.name is None:
            continue
        if port.name in seen:
            raise entry.require("name").error(f"duplicate port name {port.name!r}")
        seen.add(port.name)


def _ingress_backend(backend: Field, namespace: str) -> BackendRef | None:
    """A Service backend; None for a ``resource`` backend (not a Service)."""
    service = backend.get("service")
    resource = backend.get("resource")
    if (service is None) == (resource is None):
        raise backend.error("exactly one of service and resource is required")
    if service is None:
        return None
    name_field = service.require("name")
    name = name_field.string()
    problem = dns1035_label_problem(name)
    if problem is not None:
        raise name_field.error(f"invalid Service name {name!r}: {problem}")
    port = service.require("port")
    number, port_name = port.get("number"), port.get("name")
    if (number is None) == (port_name is None):
        raise port.error("exactly one of number and name is required")
    if number is not None:
        return BackendRef(namespace, name, _port(number), backend.path)
    assert port_name is not None
    text = port_name.string()
    problem = iana_svc_name_problem(text)
    if problem is not None:
        raise port_name.error(f"invalid port name {text!r}: {problem}")
    return BackendRef(namespace, name, text, backend.path)


def parse_ingress(obj: Field, namespace: str, name: str) -> Ingress:
    """An Ingress and every Service backend it names."""
    spec = obj.get("spec")
    backends: list[BackendRef] = []
    ingress_class = None
    if spec is not None:
        class_field = spec.get("ingressClassName")
        ingress_class = class_field.string() if class_field is not None else None
        default = spec.get("defaultBackend")
        if default is not None and (found := _ingress_backend(default, namespace)) is not None:
            backends.append(found)
        rules = spec.get("rules")
        for rule in rules.items() if rules is not None else ():
            http = rule.get("http")
            if http is None:
                continue
            paths = http.require("paths")
            if not list(paths.items()):
                raise paths.error("required: at least one path (ValidateHTTPIngressRuleValue)")
            for path in paths.items():
                _path_type(path)
                found = _ingress_backend(path.require("backend"), namespace)
                if found is not None:
                    backends.append(found)
    return Ingress(namespace, name, ingress_class, tuple(backends), obj.origin)


def _path_type(path: Field) -> None:
    found = path.require("pathType")
    text = found.string()
    if text not in _PATH_TYPES:
        raise found.error(
            f"unsupported pathType {text!r} (expected one of {', '.join(_PATH_TYPES)})"
        )


def _object_name(ref: Field) -> str:
    found = ref.require("name")
    text = found.string()
    if not 1 <= len(text) <= DNS1123_SUBDOMAIN_MAX:
        raise found.error(f"must be 1-{DNS1123_SUBDOMAIN_MAX} characters, got {len(text)}")
    return text


def _ref_namespace(ref: Field, default: str) -> str:
    found = ref.get("namespace")
    if found is None:
        return default
    text = found.string()
    problem = dns1123_label_problem(text)
    if problem is not None:
        raise found.error(f"invalid namespace {text!r}: {problem}")
    return text


def _text(ref: Field, key: str, default: str) -> str:
    found = ref.get(key)
    return found.string() if found is not None else default


def _route_backend(ref: Field, namespace: str) -> BackendRef | None:
    """A backendRef to a Service; None for a reference to another kind."""
    ref.mapping()
    name = _object_name(ref)
    if _text(ref, "group", "") != "" or _text(ref, "kind", "Service") != "Service":
        return None
    port = ref.get("port")
    if port is None:
        raise _missing(ref, "port", "required for a Service reference")
    return BackendRef(_ref_namespace(ref, namespace), name, _port(port), ref.path)


def parse_route(obj: Field, kind: str, namespace: str, name: str) -> Route:
    """A Gateway API route: the Gateways it attaches to and its Service backends."""
    spec = obj.require("spec")
    parents: list[ParentRef] = []
    refs = spec.get("parentRefs")
    for ref in refs.items() if refs is not None else ():
        ref.mapping()
        parents.append(
            ParentRef(
                _text(ref, "kind", "Gateway"), _ref_namespace(ref, namespace), _object_name(ref)
            )
        )
    backends: list[BackendRef] = []
    rules = spec.get("rules")
    for rule in rules.items() if rules is not None else ():
        found = rule.get("backendRefs")
        for ref in found.items() if found is not None else ():
            backend = _route_backend(ref, namespace)
            if backend is not None:
                backends.append(backend)
    return Route(kind, namespace, name, tuple(parents), tuple(backends), obj.origin)
