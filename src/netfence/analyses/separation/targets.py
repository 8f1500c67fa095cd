"""What the separation checks look for: the control plane, the management network, the nodes
and their ports, from the plan and the cluster's own objects."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from netfence.model.address_plan import AddressPlan
from netfence.model.cluster import Cluster
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

API_SERVER_PORT: Final = 6443
"""The API server's port on the control-plane nodes and the KubeVIP address."""
DEFAULT_SERVICE_CIDR: Final = "10.96.0.0/12"
"""The service CIDR assumed without a plan (kubeadm's default, AKS Arc's fixed one): an API
server address in it is the default/kubernetes clusterIP, which no firewall layer sees."""
NODE_PORTS: Final = (
    (22, 22, "SSH"),
    (2379, 2380, "etcd"),
    (10250, 10250, "kubelet"),
    (10255, 10255, "kubelet read-only"),
    (10257, 10257, "kube-controller-manager"),
    (10259, 10259, "kube-scheduler"),
)
"""The node and control-plane node ports pods must not reach (NSA/CISA port table, OWASP
sensitive ports), TCP."""
AZURE_LOCAL_INTERNAL_PORTS: Final = (22, 6443, 55000, 65000, 40343)
"""The ports AKS-NET lists between the management IPs and the AKS VM lnet, TCP."""
AKS_LNET_PORTS: Final = (22, 6443)
"""Of those, the ones the management IPs open to the AKS VM lnet (log collection, the API)."""
MANAGING_NAMESPACES: Final = frozenset(
    {"kube-system", "calico-system", "calico-apiserver", "tigera-operator", "azure-arc"}
)
"""Namespaces whose workloads manage the cluster (the control plane's add-ons, the network
plugin, the Azure Arc agents): they need the API server."""


def tcp(ports: Iterable[int]) -> PortSet:
    """TCP on each of ``ports``."""
    found = PortSet.none()
    for port in ports:
        found = found | PortSet.of("TCP", port, port)
    return found


def node_ports() -> PortSet:
    """Every port of :data:`NODE_PORTS`."""
    found = PortSet.none()
    for lo, hi, _ in NODE_PORTS:
        found = found | PortSet.of("TCP", lo, hi)
    return found


def host_set(address: str) -> IPRangeSet:
    """One address as a set."""
    return IPRangeSet.from_addresses([str(ipaddress.ip_address(address))])


@dataclass(frozen=True)
class Target:
    """A destination a check asks whether workloads reach, on some ports."""

    what: str
    """What it is, for messages: ``control-plane IP of cluster c1``."""
    addresses: IPRangeSet
    """Its addresses."""
    ports: PortSet
    """The ports asked."""
    in_cluster: bool = False
    """Whether the firewall layers never see it (a Service clusterIP, translated on the
    node): then only the pod policies decide."""


def service_ranges(plan: AddressPlan | None) -> IPRangeSet:
    """The service CIDRs: the plan's clusters', else the default one."""
    if plan is not None and any(c.service_cidrs for c in plan.clusters):
        return IPRangeSet.from_cidrs([s for c in plan.clusters for s in c.service_cidrs])
    return IPRangeSet.from_cidrs([DEFAULT_SERVICE_CIDR])


def control_plane_targets(
    plan: AddressPlan | None, api_servers: Sequence[tuple[str, int]]
) -> list[Target]:
    """NF221's destinations: each plan control-plane IP on 6443 (and any port the API server
    addresses give it), each API server address on its ports (and on 6443 unless it is a
    Service clusterIP)."""
    services = service_ranges(plan)
    ports: dict[str, set[int]] = {}
    what: dict[str, str] = {}
    for cluster in plan.clusters if plan is not None else ():
        if cluster.control_plane_ip is not None:
            ip = str(ipaddress.ip_address(cluster.control_plane_ip))
            ports.setdefault(ip, set()).add(API_SERVER_PORT)
            what.setdefault(ip, f"control-plane IP of cluster {cluster.name}")
    for address, port in api_servers:
        ip = str(ipaddress.ip_address(address))
        clusterip = services.contains(ip)
        ports.setdefault(ip, set()).add(port)
        if not clusterip:
            ports[ip].add(API_SERVER_PORT)
        what.setdefault(
            ip, "the default/kubernetes clusterIP" if clusterip else "an API server endpoint"
        )
    return [
        Target(what[ip], host_set(ip), tcp(sorted(found)), in_cluster=services.contains(ip))
        for ip, found in ports.items()
    ]


def node_addresses(
    plan: AddressPlan | None, cluster: Cluster, api_servers: Sequence[tuple[str, int]]
) -> IPRangeSet:
    """Where nodes are: the Nodes' addresses, the pods' hostIPs, the API server endpoints
    (control-plane nodes; not a clusterIP), and the plan's pools of the clusters' lnets."""
    services = service_ranges(plan)
    found = [a for node in cluster.nodes for a in node.addresses]
    found.extend(cluster.host_addresses)
    found.extend(ip for ip, _ in api_servers if not services.contains(ip))
    addresses = IPRangeSet.from_addresses(str(ipaddress.ip_address(a)) for a in found)
    if plan is not None:
        addresses = addresses | plan.node_addresses()
    return addresses


def management_addresses(plan: AddressPlan) -> IPRangeSet:
    """The management network: its prefixes, the infrastructure block and the cluster IP."""
    management = plan.management
    if management is None:
        return IPRangeSet()
    found = management.addresses()
    if management.infrastructure_block is not None:
        found = found | management.infrastructure_block.addresses()
    if management.cluster_ip is not None:
        found = found | host_set(management.cluster_ip)
    return found


def management_target(
    plan: AddressPlan | None, cluster: Cluster, api_servers: Sequence[tuple[str, int]]
) -> Target | None:
    """NF222's destination: the management network less the cluster's own nodes and
    control-plane IPs (NF221 and NF223 ask those), but always its infrastructure block and
    cluster IP; every port. None without a planned management network."""
    if plan is None or plan.management is None:
        return None
    management = plan.management
    own = node_addresses(plan, cluster, api_servers) | plan.control_plane_addresses()
    found = management_addresses(plan) - own
    if management.infrastructure_block is not None:
        found = found | management.infrastructure_block.addresses()
    if management.cluster_ip is not None:
        found = found | host_set(management.cluster_ip)
    if not found:
        return None
    return Target("the management network", found, PortSet.all())


def node_target(
    plan: AddressPlan | None, cluster: Cluster, api_servers: Sequence[tuple[str, int]]
) -> Target | None:
    """NF223's destination: the node addresses on the node ports; None when none is known."""
    found = node_addresses(plan, cluster, api_servers)
    if not found:
        return None
    return Target("node addresses", found, node_ports())


@functools.lru_cache(maxsize=256)
def port_names(ports: PortSet) -> str:
    """``TCP 10250 (kubelet), TCP 22 (SSH)``: the node ports within ``ports``, named."""
    names = []
    for lo, hi, name in NODE_PORTS:
        if ports & PortSet.of("TCP", lo, hi):
            span = f"{lo}" if lo == hi else f"{lo}-{hi}"
            names.append(f"TCP {span} ({name})")
    return ", ".join(names)


def addresses_text(addresses: IPRangeSet, limit: int = 6) -> str:
    """Addresses as people write them in a plan: ``172.16.0.100``, ``192.168.10.0/24``,
    ``172.16.0.10-172.16.0.50``; the first ``limit`` pieces, then how many more."""
    pieces = []
    for version, make in ((4, ipaddress.IPv4Address), (6, ipaddress.IPv6Address)):
        for lo, hi in addresses.family(version):
            first, last = make(lo), make(hi)
            if lo == hi:
                pieces.append(str(first))
                continue
            cidrs = list(ipaddress.summarize_address_range(first, last))
            pieces.append(str(cidrs[0]) if len(cidrs) == 1 else f"{first}-{last}")
    shown = ", ".join(pieces[:limit])
    return shown + (f" and {len(pieces) - limit} more" if len(pieces) > limit else "")


def ports_text(ports: PortSet) -> str:
    """``any port``, or the ports as :meth:`PortSet.describe` says them."""
    return "any port" if ports.is_all() else ports.describe()
