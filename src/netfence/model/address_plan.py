"""The address plan: the ranges a cluster on AKS enabled by Azure Arc (or any Arc-connected
cluster) is meant to use, and the networks around it.

Plain typed data, read from a plan file (format: docs/address-plan.md) by
``netfence.sources.address_plan``. Every element keeps where it was read, so a finding can
point at the line to change. Addresses are kept as the canonical text the reader checked
(``ipaddress`` forms); :meth:`AddressRange.addresses` and friends give them as sets.

The AKS Arc terms: a *logical network* (lnet) has one address prefix, a gateway inside it, DNS
servers, an optional VLAN and IP pools the node VMs take their addresses from; each cluster
has one control-plane IP (the API server's virtual IP), a pod CIDR (Calico VXLAN overlay) and
the fixed service CIDR; load balancers hand out addresses from their own pools.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Final

from netfence.model.origin import FileOrigin
from netfence.sets.ipranges import IPRangeSet

PLAN_FORMAT: Final = "netfence.address-plan"
"""The value of a plan file's ``format`` field."""
PLAN_VERSION: Final = 1
"""The plan format version this netfence reads and writes."""
AKS_ARC_SERVICE_CIDR: Final = "10.96.0.0/12"
"""AKS enabled by Azure Arc's service CIDR: fixed, it cannot be customised (AKS-IP)."""
AKS_ARC_DEFAULT_POD_CIDR: Final = "10.244.0.0/16"
"""AKS enabled by Azure Arc's pod CIDR unless ``az aksarc create --pod-cidr`` sets another."""
INFRASTRUCTURE_BLOCK_MINIMUM: Final = 6
"""The fewest contiguous static addresses an Azure Local deployment reserves on the
management network for its infrastructure (Arc Resource Bridge and others) (AKS-NET)."""


class Platform(enum.StrEnum):
    """Where the cluster runs: which planning rules apply."""

    AKS_ARC = "aks-arc"
    """AKS enabled by Azure Arc on Azure Local: lnets, IP pools, fixed service CIDR."""
    ARC_KUBERNETES = "arc-kubernetes"
    """A cluster of one's own connected through Azure Arc-enabled Kubernetes."""


class Snat(enum.StrEnum):
    """What source address pod traffic leaving the cluster carries."""

    NODE = "node"
    """Pod egress to outside the pod CIDR is SNATed to the node's address (Calico
    ``natOutgoing``, the AKS Arc default)."""
    NONE = "none"
    """Pods leave with their own addresses: the networks on the path must route the pod CIDR."""


@dataclass(frozen=True)
class AddressRange:
    """A contiguous range of addresses given as ``start`` and ``end`` (both included)."""

    start: str
    """First address."""
    end: str
    """Last address (not before ``start``, same family)."""
    origin: FileOrigin | None = None
    """Where it was read."""

    def addresses(self) -> IPRangeSet:
        """The range as a set."""
        return IPRangeSet.from_address_range(self.start, self.end)

    @property
    def size(self) -> int:
        """How many addresses it holds."""
        return int(ipaddress.ip_address(self.end)) - int(ipaddress.ip_address(self.start)) + 1

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


@dataclass(frozen=True)
class NamedNetwork:
    """A network of the plan known by name: a data network, an on-premises range, a VPN or
    ExpressRoute address space, a private-endpoint subnet."""

    name: str
    """Its name, unique within its list."""
    cidrs: tuple[str, ...]
    """Its prefixes (IPv4 and/or IPv6), canonical."""
    origin: FileOrigin | None = None
    """Where it was read."""
    vlan: int | None = None
    """Its VLAN, where one is given."""

    def addresses(self) -> IPRangeSet:
        """All its prefixes as one set."""
        return IPRangeSet.from_cidrs(self.cidrs)


@dataclass(frozen=True)
class LogicalNetwork:
    """An Azure Local logical network (lnet) the cluster's node VMs are placed on."""

    name: str
    """Its name."""
    prefix: str
    """Its one address prefix (static allocation; AKS-LNET allows one per lnet)."""
    gateway: str | None
    """The default gateway; inside the prefix."""
    dns_servers: tuple[str, ...]
    """DNS servers (required for AKS Arc; they must resolve the Azure Local cluster name)."""
    vlan: int | None
    """The VLAN ID, if the lnet is tagged."""
    ip_pools: tuple[AddressRange, ...]
    """The pools node VMs (and control-plane IPs, when picked automatically) take addresses
    from; inside the prefix."""
    shared_with_arc_vms: bool = False
    """Whether Arc VMs use the same lnet (allowed, but weaker isolation than separate lnets)."""
    origin: FileOrigin | None = None
    """Where it was read."""

    def addresses(self) -> IPRangeSet:
        """The whole prefix."""
        return IPRangeSet.from_cidrs((self.prefix,))

    def pool_addresses(self) -> IPRangeSet:
        """Every address of its IP pools."""
        return IPRangeSet.union_of(pool.addresses() for pool in self.ip_pools)


@dataclass(frozen=True)
class LoadBalancerPool:
    """Addresses a load balancer (MetalLB Arc extension or another) hands to Services."""

    name: str
    """Its name."""
    ranges: tuple[AddressRange, ...]
    """Its addresses (a CIDR is read as its first to last address)."""
    logical_network: str | None = None
    """The lnet whose subnet it shares, if any (it must then lie outside the lnet's pools)."""
    origin: FileOrigin | None = None
    """Where it was read."""

    def addresses(self) -> IPRangeSet:
        """Every address of the pool."""
        return IPRangeSet.union_of(r.addresses() for r in self.ranges)

    @property
    def size(self) -> int:
        """How many addresses it holds."""
        return sum(r.size for r in self.ranges)


@dataclass(frozen=True)
class ClusterPlan:
    """One Kubernetes cluster of the plan: its nodes, its control-plane IP, its overlay ranges."""

    name: str
    """Its name."""
    logical_network: str | None
    """The lnet its node VMs are placed on (AKS Arc); None elsewhere."""
    control_plane_ip: str | None
    """The API server's virtual IP (KubeVIP on AKS Arc; immutable); None when picked from
    the lnet's pool automatically."""
    control_plane_nodes: int
    """How many control-plane node VMs it has."""
    worker_nodes: int
    """How many worker node VMs it has, over all node pools."""
    load_balancer_services: int
    """How many Services of type LoadBalancer it is planned to expose (one address each)."""
    pod_cidrs: tuple[str, ...]
    """Its pod CIDRs (one per family)."""
    service_cidrs: tuple[str, ...]
    """Its service CIDRs (one per family)."""
    max_pods_per_node: int | None = None
    """The most pods a node runs, when given: then the pod CIDR is sized against it."""
    load_balancer_pool: str | None = None
    """The load-balancer pool its Services take addresses from, if any."""
    origin: FileOrigin | None = None
    """Where it was read."""

    @property
    def nodes(self) -> int:
        """Control-plane and worker node VMs: one pool address each."""
        return self.control_plane_nodes + self.worker_nodes


@dataclass(frozen=True)
class ManagementNetwork:
    """The Azure Local management network and what the deployment reserves on it."""

    cidrs: tuple[str, ...]
    """Its prefixes."""
    infrastructure_block: AddressRange | None
    """The contiguous static block (at least six addresses) Azure Local reserves for its
    infrastructure; inside the network."""
    cluster_ip: str | None = None
    """The Azure Local cluster IP (AKS VMs reach it on 55000/65000, and 40343 with Arc
    gateway)."""
    vlan: int | None = None
    """Its VLAN, if tagged."""
    origin: FileOrigin | None = None
    """Where it was read."""

    def addresses(self) -> IPRangeSet:
        """All its prefixes."""
        return IPRangeSet.from_cidrs(self.cidrs)


@dataclass(frozen=True)
class Proxy:
    """The outbound proxy the Arc agents use, and what bypasses it."""

    http_proxy: str | None
    """``--proxy-http``."""
    https_proxy: str | None
    """``--proxy-https``."""
    no_proxy: tuple[str, ...]
    """``--proxy-skip-range``: CIDRs, addresses and names (``.svc``,
    ``kubernetes.default.svc``); it must hold at least the service CIDR (ARC-NET)."""
    origin: FileOrigin | None = None
    """Where it was read."""

    def no_proxy_addresses(self) -> IPRangeSet:
        """The skip-range entries that are addresses or CIDRs, as one set."""
        cidrs = []
        for entry in self.no_proxy:
            try:
                cidrs.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                continue  # a name (.svc); compared by name, not address
        return IPRangeSet.from_cidrs(cidrs)

    def no_proxy_names(self) -> tuple[str, ...]:
        """The skip-range entries that are names, as written."""
        names = []
        for entry in self.no_proxy:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                names.append(entry)
        return tuple(names)


@dataclass(frozen=True)
class AddressPlan:
    """A whole plan: the clusters, their networks, and the networks around them."""

    name: str
    """The plan's name."""
    platform: Platform
    """Which planning rules apply."""
    file: str
    """The file it was read from."""
    logical_networks: tuple[LogicalNetwork, ...] = ()
    """The lnets."""
    clusters: tuple[ClusterPlan, ...] = ()
    """The clusters."""
    load_balancer_pools: tuple[LoadBalancerPool, ...] = ()
    """The load-balancer pools."""
    management: ManagementNetwork | None = None
    """The management network, if planned."""
    data_networks: tuple[NamedNetwork, ...] = ()
    """Networks workloads' data travels on (they must not reach the management network)."""
    on_premises: tuple[NamedNetwork, ...] = ()
    """On-premises ranges around the cluster."""
    vpn_address_spaces: tuple[NamedNetwork, ...] = ()
    """Site-to-site VPN and ExpressRoute address spaces (Azure VNets reached privately)."""
    private_endpoint_subnets: tuple[NamedNetwork, ...] = ()
    """Subnets private endpoints take addresses in (Private Link answers must fall here)."""
    proxy: Proxy | None = None
    """The outbound proxy, if one is used."""
    snat: Snat = Snat.NODE
    """What source address pod egress carries outside the cluster."""

    def logical_network(self, name: str) -> LogicalNetwork | None:
        """The lnet called ``name``, if the plan has one."""
        return next((n for n in self.logical_networks if n.name == name), None)

    def load_balancer_pool(self, name: str) -> LoadBalancerPool | None:
        """The load-balancer pool called ``name``, if the plan has one."""
        return next((p for p in self.load_balancer_pools if p.name == name), None)

    def private_endpoint_addresses(self) -> IPRangeSet:
        """Every private-endpoint subnet's addresses, as one set."""
        return IPRangeSet.union_of(s.addresses() for s in self.private_endpoint_subnets)

    def control_plane_addresses(self) -> IPRangeSet:
        """The clusters' control-plane IPs, where given."""
        return IPRangeSet.from_addresses(
            [c.control_plane_ip for c in self.clusters if c.control_plane_ip is not None]
        )

    def node_addresses(self) -> IPRangeSet:
        """Where node VMs take their addresses: every lnet pool clusters are placed on."""
        used = {c.logical_network for c in self.clusters}
        return IPRangeSet.union_of(
            n.pool_addresses() for n in self.logical_networks if n.name in used
        )
