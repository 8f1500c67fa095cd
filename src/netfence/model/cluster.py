"""The cluster's topology: namespaces, workloads and pods, and the policies over them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from netfence.model.networkpolicy import NetworkPolicy
from netfence.model.origin import Origin

if TYPE_CHECKING:
    from netfence.model.adminpolicy import AdminNetworkPolicy
    from netfence.model.calico import CalicoNetworkSet, CalicoPolicy, CalicoTier
    from netfence.model.services import Ingress, Route, Service


def _frozen(labels: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(labels))


@dataclass(frozen=True)
class Namespace:
    """A namespace and its labels (``kubernetes.io/metadata.name`` always set, as the API does)."""

    name: str
    """The namespace's name."""
    labels: Mapping[str, str]
    """Its labels."""
    location: Origin | None = None
    """Where it was read (a file, an API object); None when it was only referenced."""


@dataclass(frozen=True)
class ContainerPort:
    """A port a container declares; only named ports matter to NetworkPolicy."""

    name: str | None
    """The port's name (IANA_SVC_NAME), if any."""
    number: int
    """containerPort."""
    protocol: str
    """TCP, UDP or SCTP (TCP by default)."""
    host_port: int | None = None
    """hostPort, when the port is also bound on the node."""


@dataclass(frozen=True)
class Workload:
    """A controller whose pod template yields pods: Deployment, StatefulSet, DaemonSet, ..."""

    kind: str
    """The controller's kind."""
    namespace: str
    """Its namespace."""
    name: str
    """Its name."""
    location: Origin | None = None
    """Where it was read: a file or an API object."""
    qualified: bool = False
    """Whether its name is shared, in its namespace, with another workload or a bare Pod: then
    its key names the kind too, so that the two never fold into one endpoint."""

    @property
    def key(self) -> str:
        """``namespace/name``, or ``namespace/Kind/name`` when the name is shared."""
        if self.qualified:
            return f"{self.namespace}/{self.kind}/{self.name}"
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Pod:
    """A pod endpoint: a Pod object, or a workload's pod template when no Pod of it was given."""

    namespace: str
    """The pod's namespace."""
    name: str
    """The Pod's name, or the workload's name for a template."""
    labels: Mapping[str, str]
    """The pod's labels."""
    ports: tuple[ContainerPort, ...] = ()
    """Container ports, used to resolve named ports."""
    ips: tuple[str, ...] = ()
    """status.podIP / status.podIPs; empty for templates and unscheduled pods."""
    workload: Workload | None = None
    """The owning workload, when there is one."""
    host_network: bool = False
    """Whether the pod uses the node's network namespace (outside NetworkPolicy's reach)."""
    is_template: bool = False
    """True for an endpoint made from a workload's pod template."""
    images: tuple[str, ...] = ()
    """Container images, used to recognise network plugins."""
    service_account: str = "default"
    """spec.serviceAccountName (Calico selects by service account)."""
    location: Origin | None = None
    """Where the pod (or its workload) was read: a file or an API object."""
    host_ips: tuple[str, ...] = ()
    """status.hostIP / status.hostIPs: the addresses of the node it runs on (what it leaves
    the cluster with after SNAT); empty for templates and unscheduled pods."""

    @property
    def key(self) -> str:
        """``namespace/name``; a workload's pod template is keyed as its workload."""
        if self.is_template and self.workload is not None:
            return self.workload.key
        return f"{self.namespace}/{self.name}"

    @property
    def endpoint_name(self) -> str:
        """The workload-granularity name: the owning workload's key, else the pod's own."""
        return self.workload.key if self.workload is not None else self.key

    def named_port(self, name: str, protocol: str) -> int | None:
        """The number of the container port called ``name`` with ``protocol``, if declared."""
        for port in self.ports:
            if port.name == name and port.protocol == protocol:
                return port.number
        return None


@dataclass(frozen=True)
class Node:
    """A node: its labels (for AdminNetworkPolicy ``nodes`` peers) and its addresses."""

    name: str
    """The node's name."""
    labels: Mapping[str, str]
    """Its labels."""
    addresses: tuple[str, ...]
    """status.addresses of type InternalIP and ExternalIP."""
    location: Origin | None = None
    """Where it was read: a file or an API object."""
    pod_cidrs: tuple[str, ...] = ()
    """spec.podCIDRs (or spec.podCIDR): the ranges its pods' addresses are taken from."""


@dataclass(frozen=True)
class Cluster:
    """Everything the engine needs: namespaces, pod endpoints and policies."""

    namespaces: Mapping[str, Namespace]
    """Namespaces by name, including those only referenced."""
    pods: tuple[Pod, ...]
    """Pod endpoints, in input order."""
    policies: tuple[NetworkPolicy, ...]
    """NetworkPolicies, in input order."""
    workloads: tuple[Workload, ...] = ()
    """Workloads, in input order."""
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Counts of documents of kinds netfence does not model, by kind."""
    skipped_files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The files the objects of each skipped kind came from, in input order."""
    calico_policies: tuple[CalicoPolicy, ...] = ()
    """Calico NetworkPolicies and GlobalNetworkPolicies, in input order."""
    calico_tiers: tuple[CalicoTier, ...] = ()
    """Calico Tiers defined in the input."""
    network_sets: tuple[CalicoNetworkSet, ...] = ()
    """Calico NetworkSets and GlobalNetworkSets."""
    admin_policies: tuple[AdminNetworkPolicy, ...] = ()
    """AdminNetworkPolicies, BaselineAdminNetworkPolicies and ClusterNetworkPolicies."""
    service_accounts: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)
    """ServiceAccount labels by (namespace, name), for Calico service-account selectors."""
    nodes: tuple[Node, ...] = ()
    """Nodes given in the input."""
    host_addresses: tuple[str, ...] = ()
    """The node addresses pods report they run on (status.hostIP, hostIPs), whether or not
    their Node objects are given: what pods leave the cluster with after SNAT."""
    api_servers: tuple[tuple[str, int], ...] = ()
    """Kubernetes API server addresses (IP, port) found in the input: the ``default/kubernetes``
    Service's clusterIP and its Endpoints/EndpointSlice addresses."""
    services: tuple[Service, ...] = ()
    """Services (other than ``default/kubernetes``, which gives ``api_servers``), in input
    order."""
    ingresses: tuple[Ingress, ...] = ()
    """Ingresses, in input order."""
    routes: tuple[Route, ...] = ()
    """Gateway API routes (HTTPRoute, GRPCRoute, TCPRoute, TLSRoute), in input order."""
