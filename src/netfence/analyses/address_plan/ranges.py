"""The plan's ranges as the checks see them: each with its role, the object it belongs to and
how it reads in a finding."""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from netfence.model.address_plan import (
    AddressPlan,
    ClusterPlan,
    LoadBalancerPool,
    LogicalNetwork,
    NamedNetwork,
)
from netfence.model.findings import ResourceRef
from netfence.model.origin import FileOrigin
from netfence.sets.ipranges import IPRangeSet


class Role(enum.StrEnum):
    """What a range is for in the plan."""

    LNET = "lnet prefix"
    MANAGEMENT = "management network"
    DATA = "data network"
    ON_PREMISES = "on-premises network"
    VPN = "VPN/ExpressRoute address space"
    PRIVATE_ENDPOINT = "private-endpoint subnet"
    LOAD_BALANCER = "load-balancer pool"
    CONTROL_PLANE = "control-plane IP"
    POD = "pod CIDR"
    SERVICE = "service CIDR"


ROUTABLE: Final = frozenset(Role) - {Role.POD, Role.SERVICE}
"""Roles whose addresses are on the physical (or VPN) network; pod and service CIDRs are
overlays of one cluster."""

EXPECTED_CONTAINMENT: Final = frozenset(
    {
        (Role.PRIVATE_ENDPOINT, Role.VPN),
        (Role.LOAD_BALANCER, Role.LNET),
        (Role.CONTROL_PLANE, Role.LNET),
        (Role.LNET, Role.DATA),
        (Role.LOAD_BALANCER, Role.DATA),
        (Role.CONTROL_PLANE, Role.DATA),
    }
)
"""(inner, outer): an inner range wholly inside an outer one is what the plan means, not an
overlap. A private-endpoint subnet lies in the VNet reached over the VPN; AKS-IP puts
load-balancer pools and control-plane IPs in the lnet's subnet (NF202 and NF204 check them
there); a data network may name the lnet workloads' data travels on, or a supernet of it."""

LEFT_TO_OTHER_CHECKS: Final = frozenset(
    {
        frozenset({Role.CONTROL_PLANE, Role.LOAD_BALANCER}),
        frozenset({Role.CONTROL_PLANE}),
    }
)
"""Pairs NF203 reports (a control-plane IP against a load-balancer pool or another cluster's
control-plane IP), so that NF201 does not report them twice."""


@dataclass(frozen=True)
class PlannedRange:
    """One range of the plan."""

    role: Role
    """What it is for."""
    ref: ResourceRef
    """The object it belongs to, located at the offending field where there is one."""
    field: str
    """The field it was read from (``prefix``, ``cidrs``, ``control_plane_ip``, ...)."""
    addresses: IPRangeSet
    """Its addresses."""
    cluster: str | None = None
    """The cluster whose overlay range it is (pod and service CIDRs)."""

    @property
    def label(self) -> str:
        """``lnet prefix of LogicalNetwork/aks-lnet``, for messages."""
        return f"{self.role.value} of {self.ref.key}"

    def evidence(self) -> dict[str, object]:
        """JSON-ready: the object, the field and the ranges as text."""
        return {
            "role": self.role.value,
            "resource": self.ref.key,
            "field": self.field,
            "ranges": range_texts(self.addresses),
        }


def range_texts(addresses: IPRangeSet) -> list[str]:
    """Each contiguous run of ``addresses`` as text: one address, a CIDR, or ``start-end``."""
    out: list[str] = []
    for version in (4, 6):
        make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        for lo, hi in addresses.family(version):
            out.append(_run_text(make(lo), make(hi)))
    return out


def _run_text(
    first: ipaddress.IPv4Address | ipaddress.IPv6Address,
    last: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> str:
    if first == last:
        return str(first)
    nets = list(ipaddress.summarize_address_range(first, last))
    return str(nets[0]) if len(nets) == 1 else f"{first}-{last}"


def size_of(addresses: IPRangeSet) -> int:
    """How many addresses the set holds."""
    return addresses.family(4).size() + addresses.family(6).size()


def plan_ref(plan: AddressPlan) -> ResourceRef:
    """The plan as a whole."""
    return ResourceRef("AddressPlan", None, plan.name, FileOrigin(plan.file, 1, 1))


def lnet_ref(lnet: LogicalNetwork, origin: FileOrigin | None = None) -> ResourceRef:
    """An lnet, at ``origin`` (one of its fields) or at its own line."""
    return ResourceRef("LogicalNetwork", None, lnet.name, origin or lnet.origin)


def cluster_ref(cluster: ClusterPlan) -> ResourceRef:
    """A cluster of the plan."""
    return ResourceRef("ClusterPlan", None, cluster.name, cluster.origin)


def pool_ref(pool: LoadBalancerPool, origin: FileOrigin | None = None) -> ResourceRef:
    """A load-balancer pool, at ``origin`` (one of its ranges) or at its own line."""
    return ResourceRef("LoadBalancerPool", None, pool.name, origin or pool.origin)


def management_ref(plan: AddressPlan) -> ResourceRef:
    """The management network."""
    origin = plan.management.origin if plan.management is not None else None
    return ResourceRef("ManagementNetwork", None, "management", origin)


_NAMED_KINDS: Final = (
    ("data_networks", "DataNetwork", Role.DATA),
    ("on_premises", "OnPremisesNetwork", Role.ON_PREMISES),
    ("vpn_address_spaces", "VpnAddressSpace", Role.VPN),
    ("private_endpoint_subnets", "PrivateEndpointSubnet", Role.PRIVATE_ENDPOINT),
)


def routable_ranges(plan: AddressPlan) -> Iterator[PlannedRange]:
    """Every range of the plan on the physical or VPN network, in plan order."""
    for lnet in plan.logical_networks:
        yield PlannedRange(Role.LNET, lnet_ref(lnet), "prefix", lnet.addresses())
    if plan.management is not None:
        yield PlannedRange(
            Role.MANAGEMENT, management_ref(plan), "cidrs", plan.management.addresses()
        )
    for attribute, kind, role in _NAMED_KINDS:
        network: NamedNetwork
        for network in getattr(plan, attribute):
            ref = ResourceRef(kind, None, network.name, network.origin)
            yield PlannedRange(role, ref, "cidrs", network.addresses())
    for pool in plan.load_balancer_pools:
        yield PlannedRange(Role.LOAD_BALANCER, pool_ref(pool), "ranges", pool.addresses())
    for cluster in plan.clusters:
        if cluster.control_plane_ip is not None:
            address = IPRangeSet.from_addresses([cluster.control_plane_ip])
            yield PlannedRange(
                Role.CONTROL_PLANE, cluster_ref(cluster), "control_plane_ip", address
            )


def overlay_ranges(cluster: ClusterPlan) -> Iterator[PlannedRange]:
    """A cluster's pod and service CIDRs."""
    if cluster.pod_cidrs:
        pods = IPRangeSet.from_cidrs(cluster.pod_cidrs)
        yield PlannedRange(Role.POD, cluster_ref(cluster), "pod_cidr", pods, cluster.name)
    if cluster.service_cidrs:
        services = IPRangeSet.from_cidrs(cluster.service_cidrs)
        yield PlannedRange(
            Role.SERVICE, cluster_ref(cluster), "service_cidr", services, cluster.name
        )
