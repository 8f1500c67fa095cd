"""What fronts workloads: Services, Ingresses and Gateway API routes.

None of these is an enforcement point: NetworkPolicy judges traffic after Service
translation, at the pod's own address and port. They say which exposure is intended: a
LoadBalancer or NodePort Service opens its target ports to clients outside the cluster, and
an Ingress or a route is served by an ingress controller or gateway that the clients reach,
from which the backends are reached.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from netfence.model.origin import Origin


class ServiceType(enum.StrEnum):
    """``spec.type`` of a Service (core/v1 ServiceType)."""

    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_NAME = "ExternalName"

    @property
    def reaches_outside(self) -> bool:
        """Whether clients outside the cluster reach the Service (on node ports or a load
        balancer's address)."""
        return self in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER)


@dataclass(frozen=True)
class ServicePort:
    """One entry of a Service's ``spec.ports``."""

    name: str | None
    """The port's name (required when the Service has several ports)."""
    protocol: str
    """TCP, UDP or SCTP."""
    port: int
    """The port the Service listens on."""
    target_port: int | str
    """The pod's port: a number, or the name of a container port of the selected pods."""
    node_port: int | None = None
    """The port on every node, for NodePort and LoadBalancer Services."""


@dataclass(frozen=True)
class Service:
    """A core/v1 Service."""

    namespace: str
    """Its namespace."""
    name: str
    """Its name."""
    type: ServiceType
    """ClusterIP unless given."""
    selector: Mapping[str, str]
    """``spec.selector``; empty when the Service selects no pods (its endpoints are managed
    by hand)."""
    ports: tuple[ServicePort, ...]
    """Its ports."""
    location: Origin | None = None
    """Where it was read."""
    cluster_ips: tuple[str, ...] = ()
    """``spec.clusterIP`` and ``spec.clusterIPs`` (one per family); empty for a headless
    Service (``None``) and for one whose address is not allocated yet."""
    load_balancer_ips: tuple[str, ...] = ()
    """``spec.loadBalancerIP`` (asked for) and ``status.loadBalancer.ingress[].ip``
    (given)."""
    external_ips: tuple[str, ...] = ()
    """``spec.externalIPs``: addresses the nodes accept for the Service."""

    @property
    def key(self) -> str:
        """``Service/namespace/name``."""
        return f"Service/{self.namespace}/{self.name}"

    def selects(self, namespace: str, labels: Mapping[str, str]) -> bool:
        """Whether a pod of ``namespace`` with ``labels`` is one of the Service's endpoints: a
        selector matches pods of its own namespace whose labels hold every pair of it."""
        if not self.selector or namespace != self.namespace:
            return False
        return all(labels.get(k) == v for k, v in self.selector.items())

    def port_named(self, name: str | int) -> ServicePort | None:
        """The port a backend reference names: by port number, or by the port's name."""
        for port in self.ports:
            if (isinstance(name, int) and port.port == name) or port.name == name:
                return port
        return None


@dataclass(frozen=True)
class BackendRef:
    """A reference to a Service port, from an Ingress backend or a route's backendRef."""

    namespace: str
    """The Service's namespace (an Ingress's own; a route's, unless the reference names one)."""
    service: str
    """The Service's name."""
    port: int | str | None
    """The Service port, by number or (Ingress only) by name; None where none was given."""
    path: str
    """The field the reference was read from, e.g. ``spec.rules[0].http.paths[0].backend``."""


@dataclass(frozen=True)
class Ingress:
    """A networking.k8s.io/v1 Ingress: the Services its controller forwards to."""

    namespace: str
    """Its namespace."""
    name: str
    """Its name."""
    ingress_class: str | None
    """``spec.ingressClassName``; None for the cluster's default class."""
    backends: tuple[BackendRef, ...]
    """Every Service backend, the default backend first."""
    location: Origin | None = None
    """Where it was read."""

    @property
    def key(self) -> str:
        """``Ingress/namespace/name``."""
        return f"Ingress/{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ParentRef:
    """A route's ``parentRefs`` entry: the Gateway (or other parent) it attaches to."""

    kind: str
    """``Gateway`` unless given."""
    namespace: str
    """The parent's namespace (the route's own unless given)."""
    name: str
    """The parent's name."""


@dataclass(frozen=True)
class Route:
    """A Gateway API route (HTTPRoute, GRPCRoute, TCPRoute, TLSRoute)."""

    kind: str
    """The route's kind."""
    namespace: str
    """Its namespace."""
    name: str
    """Its name."""
    parents: tuple[ParentRef, ...]
    """The Gateways it attaches to."""
    backends: tuple[BackendRef, ...]
    """Its Service backends (references to other kinds are left out)."""
    location: Origin | None = None
    """Where it was read."""

    @property
    def key(self) -> str:
        """``Kind/namespace/name``."""
        return f"{self.kind}/{self.namespace}/{self.name}"
