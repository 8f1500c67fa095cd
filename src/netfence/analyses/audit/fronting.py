"""Which exposure is intended: what Services, Ingresses and Gateway API routes put in front of
a workload.

Three roles, as the objects describe them:

- a *front door*: a workload a LoadBalancer or NodePort Service selects is reached by clients
  outside the cluster on the Service's target ports; an ingress controller (or a gateway) is
  the front door of the Ingresses (routes) it serves;
- a *backend*: a workload a Service selects that an Ingress or a route names is reached from
  the ingress controller or gateway, not from the Internet;
- neither: nothing in the input says the workload should be reachable from outside.

A gateway's pods are found by the label the Gateway API gives them
(``gateway.networking.k8s.io/gateway-name``, GEP-1762); an ingress controller by its image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from netfence.model.cluster import Cluster, Pod
from netfence.model.services import BackendRef, Service
from netfence.sets.ports import PortSet

GATEWAY_NAME_LABEL: Final = "gateway.networking.k8s.io/gateway-name"
"""The label a Gateway's own pods carry (GEP-1762: in-cluster gateway deployments)."""

INGRESS_CONTROLLERS: Final = re.compile(
    r"ingress-nginx|nginx-ingress|traefik|haproxy-ingress|kong|contour|emissary|"
    r"ingress-controller|application-gateway-kubernetes-ingress"
)
"""Images of ingress controllers (they serve the cluster's Ingress objects)."""


@dataclass(frozen=True)
class FrontDoor:
    """A workload clients outside the cluster are meant to reach."""

    ports: PortSet
    """The pod ports they reach (Service target ports, resolved on the workload's pods)."""
    fronted_by: tuple[str, ...]
    """What opens them: ``Service/ns/name (LoadBalancer)``, ``Gateway/ns/name``."""
    serves: tuple[str, ...] = ()
    """The Ingresses or routes it serves, when it is an ingress controller or gateway."""


def services_selecting(cluster: Cluster, pods: Sequence[Pod]) -> list[Service]:
    """The Services whose selector picks some of ``pods``."""
    return [s for s in cluster.services if any(s.selects(p.namespace, p.labels) for p in pods)]


def target_ports(service: Service, pods: Iterable[Pod]) -> tuple[PortSet, list[str]]:
    """The pod ports a Service forwards to, on ``pods``; and its named target ports that
    none of them declares (``http/TCP``), which forward nowhere there."""
    found = PortSet.none()
    unresolved: list[str] = []
    pods = list(pods)
    for port in service.ports:
        target = port.target_port
        if isinstance(target, int):
            found = found | PortSet.of(port.protocol, target, target)
            continue
        numbers = {n for p in pods if (n := p.named_port(target, port.protocol)) is not None}
        if not numbers:
            unresolved.append(f"{target}/{port.protocol}")
        for number in numbers:
            found = found | PortSet.of(port.protocol, number, number)
    return found, unresolved


def _ingress_controller(pods: Sequence[Pod]) -> bool:
    return any(INGRESS_CONTROLLERS.search(image) for p in pods for image in p.images)


def _gateway_routes(cluster: Cluster, pods: Sequence[Pod]) -> list[str]:
    """The routes attached to a Gateway whose pods these are."""
    names = {
        (p.namespace, p.labels[GATEWAY_NAME_LABEL]) for p in pods if GATEWAY_NAME_LABEL in p.labels
    }
    return [
        route.key
        for route in cluster.routes
        if any((ref.namespace, ref.name) in names for ref in route.parents)
    ]


def front_door(cluster: Cluster, pods: Sequence[Pod]) -> FrontDoor | None:
    """How clients outside the cluster are meant to reach these pods (one workload's), or
    None when nothing in the input fronts them."""
    ports = PortSet.none()
    fronted_by: list[str] = []
    for service in services_selecting(cluster, pods):
        if service.type.reaches_outside:
            found, _ = target_ports(service, pods)
            ports = ports | found
            fronted_by.append(f"{service.key} ({service.type.value})")
    serves: list[str] = []
    if fronted_by and _ingress_controller(pods):
        serves = [i.key for i in cluster.ingresses]
    routes = _gateway_routes(cluster, pods)
    if routes:
        serves.extend(routes)
        gateways = sorted(
            {
                f"Gateway/{p.namespace}/{p.labels[GATEWAY_NAME_LABEL]}"
                for p in pods
                if GATEWAY_NAME_LABEL in p.labels
            }
        )
        fronted_by.extend(g for g in gateways if g not in fronted_by)
        if not ports:  # no Service given: the gateway listens on what its containers declare
            for pod in pods:
                for port in pod.ports:
                    ports = ports | PortSet.of(port.protocol, port.number, port.number)
    if not fronted_by:
        return None
    return FrontDoor(ports, tuple(fronted_by), tuple(serves))


def backend_of(cluster: Cluster, pods: Sequence[Pod]) -> tuple[str, ...]:
    """The Ingresses and routes that name a Service of these pods as a backend: they are
    reached through the ingress controller or gateway."""
    services = {(s.namespace, s.name) for s in services_selecting(cluster, pods)}
    if not services:
        return ()

    def names(refs: Iterable[BackendRef]) -> bool:
        return any((ref.namespace, ref.service) in services for ref in refs)

    found = [i.key for i in cluster.ingresses if names(i.backends)]
    found.extend(r.key for r in cluster.routes if names(r.backends))
    return tuple(found)
