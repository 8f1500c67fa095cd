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
from netfence.model.services import Ingress, Route, Service
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


class Fronting:
    """What fronts the workloads of one cluster, indexed once (by namespace, and by the
    Services that Ingresses and routes name) so that asking for every workload stays linear."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._services: dict[str, list[Service]] = {}
        for service in cluster.services:
            self._services.setdefault(service.namespace, []).append(service)
        self._backends: dict[tuple[str, str], list[str]] = {}
        fronts: list[Ingress | Route] = [*cluster.ingresses, *cluster.routes]
        for front in fronts:
            for ref in front.backends:
                named = self._backends.setdefault((ref.namespace, ref.service), [])
                if front.key not in named:
                    named.append(front.key)
        self._routes: dict[tuple[str, str], list[str]] = {}
        for route in cluster.routes:
            for parent in route.parents:
                self._routes.setdefault((parent.namespace, parent.name), []).append(route.key)
        self._pods: dict[str, list[Pod]] = {}
        for pod in cluster.pods:
            self._pods.setdefault(pod.namespace, []).append(pod)

    def services_selecting(self, pods: Sequence[Pod]) -> list[Service]:
        """The Services whose selector picks some of ``pods``."""
        namespaces = {p.namespace for p in pods}
        return [
            s
            for ns in sorted(namespaces)
            for s in self._services.get(ns, ())
            if any(s.selects(p.namespace, p.labels) for p in pods)
        ]

    def pods_of(self, service: Service) -> list[Pod]:
        """The pods a Service selects."""
        return [
            p
            for p in self._pods.get(service.namespace, ())
            if service.selects(p.namespace, p.labels)
        ]

    def _gateway_routes(self, pods: Sequence[Pod]) -> list[str]:
        """The routes attached to a Gateway whose pods these are."""
        found: list[str] = []
        for ns, name in sorted(_gateways(pods)):
            found.extend(k for k in self._routes.get((ns, name), ()) if k not in found)
        return found

    def front_door(self, pods: Sequence[Pod]) -> FrontDoor | None:
        """How clients outside the cluster are meant to reach these pods (one workload's), or
        None when nothing in the input fronts them."""
        ports = PortSet.none()
        fronted_by: list[str] = []
        for service in self.services_selecting(pods):
            if service.type.reaches_outside:
                found, _ = target_ports(service, pods)
                ports = ports | found
                fronted_by.append(f"{service.key} ({service.type.value})")
        serves: list[str] = []
        if fronted_by and _ingress_controller(pods):
            serves = [i.key for i in self.cluster.ingresses]
        routes = self._gateway_routes(pods)
        if routes:
            serves.extend(routes)
            fronted_by.extend(f"Gateway/{ns}/{name}" for ns, name in sorted(_gateways(pods)))
            if not ports:  # no Service given: the gateway listens on what its containers declare
                for pod in pods:
                    for port in pod.ports:
                        ports = ports | PortSet.of(port.protocol, port.number, port.number)
        if not fronted_by:
            return None
        return FrontDoor(ports, tuple(fronted_by), tuple(serves))

    def backend_of(self, pods: Sequence[Pod]) -> tuple[str, ...]:
        """The Ingresses and routes that name a Service of these pods as a backend: they are
        reached through the ingress controller or gateway."""
        found: list[str] = []
        for service in self.services_selecting(pods):
            for key in self._backends.get((service.namespace, service.name), ()):
                if key not in found:
                    found.append(key)
        return tuple(found)


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


def _gateways(pods: Sequence[Pod]) -> set[tuple[str, str]]:
    """(namespace, Gateway name) of the pods labelled as a Gateway's own."""
    return {
        (p.namespace, p.labels[GATEWAY_NAME_LABEL]) for p in pods if GATEWAY_NAME_LABEL in p.labels
    }
