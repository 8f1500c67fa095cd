"""The ends of a flow as the oracle sees them, and address tests written with ``ipaddress``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from netfence.model.cluster import Cluster, Pod

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class End:
    """A pod, or an address outside the cluster."""

    pod: Pod | None
    address: Address | None

    @property
    def addresses(self) -> list[Address]:
        """Every address the endpoint is known by (none for a pod whose IP is not given)."""
        if self.pod is not None:
            return [ipaddress.ip_address(ip) for ip in self.pod.ips]
        assert self.address is not None
        return [self.address]


def end_of(endpoint: Pod | Address | str) -> End:
    """A model Pod, an address, or an address written as text."""
    if isinstance(endpoint, Pod):
        return End(endpoint, None)
    if isinstance(endpoint, str):
        return End(None, ipaddress.ip_address(endpoint))
    return End(None, endpoint)


def in_cidrs(end: End, cidrs: Iterable[str]) -> bool:
    """Whether some address of ``end`` lies in one of ``cidrs`` (an address of another family
    is in none of them)."""
    networks = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    return any(a in n for a in end.addresses for n in networks if a.version == n.version)


def namespace_labels(cluster: Cluster, name: str) -> dict[str, str]:
    """The namespace's labels as Kubernetes gives them (``kubernetes.io/metadata.name`` is set
    by the loader on every namespace)."""
    namespace = cluster.namespaces.get(name)
    return dict(namespace.labels) if namespace is not None else {}
