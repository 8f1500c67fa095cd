"""Find the Kubernetes API server's addresses: the ``default/kubernetes`` Service and endpoints.

NetworkPolicy judges traffic after Service translation, so the endpoint addresses (the
control plane, port 6443 on AKS enabled by Azure Arc) are what a pod's egress must reach;
the Service's clusterIP is kept too, for plugins that judge before translation.

Ports are validated as the API server validates them (``IsValidPortNum``: 1-65535, for a
Service port, an Endpoints port and an EndpointSlice port alike); addresses as Go parses
IPs (no leading zeros, no zone).
"""

from __future__ import annotations

from typing import Final

from netfence.sources.fields import Field
from netfence.sources.k8s_validation import parse_ip, port_number_problem

_KINDS = {"Service": "v1", "Endpoints": "v1", "EndpointSlice": "discovery.k8s.io/v1"}
API_SERVER_KINDS: Final = frozenset(_KINDS)
"""The kinds that may describe the API server's own address."""


def is_api_server_object(obj: Field, api_version: str, kind: str) -> bool:
    """Whether the object is the ``default/kubernetes`` Service, Endpoints or EndpointSlice."""
    if _KINDS.get(kind) != api_version:
        return False
    metadata = obj.get("metadata")
    if metadata is None or not isinstance(metadata.value, dict):
        return False
    namespace = metadata.get("namespace")
    if namespace is not None and namespace.value != "default":
        return False
    if kind == "EndpointSlice":
        labels = metadata.get("labels")
        service = labels.get("kubernetes.io/service-name") if labels is not None else None
        return service is not None and service.value == "kubernetes"
    name = metadata.get("name")
    return name is not None and name.value == "kubernetes"


def _ip(field: Field) -> str:
    text = field.string()
    try:
        return str(parse_ip(text))
    except ValueError as exc:
        raise field.error(f"invalid IP address {text!r}: {exc}") from None


def _ports(field: Field | None, key: str = "port") -> list[int]:
    out: list[int] = []
    for item in field.items() if field is not None else ():
        port = item.get(key)
        if port is not None:
            number = port.integer()
            problem = port_number_problem(number)
            if problem is not None:
                raise port.error(f"port {problem}")
            out.append(number)
    return out


def api_server_addresses(obj: Field, kind: str) -> list[tuple[str, int]]:
    """(IP, port) pairs the object names for the API server."""
    found: list[tuple[str, int]] = []
    if kind == "Service":
        spec = obj.require("spec")
        many = spec.get("clusterIPs")
        ips = [_ip(f) for f in many.items()] if many is not None else []
        single = spec.get("clusterIP")
        if single is not None and single.value not in ("", "None"):
            ips.insert(0, _ip(single))
        ports = _ports(spec.get("ports")) or [443]
        found.extend((ip, port) for ip in dict.fromkeys(ips) for port in ports)
    elif kind == "Endpoints":
        subsets = obj.get("subsets")
        for subset in subsets.items() if subsets is not None else ():
            addresses = subset.get("addresses")
            ips = [_ip(a.require("ip")) for a in addresses.items()] if addresses else []
            found.extend((ip, port) for ip in ips for port in _ports(subset.get("ports")))
    else:
        ports = _ports(obj.get("ports"))
        endpoints = obj.get("endpoints")
        for endpoint in endpoints.items() if endpoints is not None else ():
            addresses = endpoint.get("addresses")
            ips = [_ip(a) for a in addresses.items()] if addresses is not None else []
            found.extend((ip, port) for ip in ips for port in ports)
    return found
