"""Address plans for the separation tests, built directly in the model."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from netfence.model.address_plan import (
    AddressPlan,
    AddressRange,
    ClusterPlan,
    LogicalNetwork,
    ManagementNetwork,
    NamedNetwork,
    Platform,
    Snat,
)
from netfence.model.origin import FileOrigin

LNET = "172.16.0.0/24"
POOL = ("172.16.0.10", "172.16.0.50")
CONTROL_PLANE_IP = "172.16.0.100"
MANAGEMENT = "192.168.10.0/24"
INFRASTRUCTURE = ("192.168.10.20", "192.168.10.25")
CLUSTER_IP = "192.168.10.5"
DMZ = "10.50.0.0/24"
POD_CIDR = "10.244.0.0/16"


def at(line: int) -> FileOrigin:
    """A place in the plan file."""
    return FileOrigin("plan.yaml", 1, line)


def lnet(
    name: str = "aks", prefix: str = LNET, vlan: int | None = 20, pool: tuple[str, str] = POOL
) -> LogicalNetwork:
    """An lnet with one IP pool."""
    return LogicalNetwork(
        name, prefix, None, ("172.16.0.2",), vlan, (AddressRange(*pool),), origin=at(10)
    )


def management(cidrs: tuple[str, ...] = (MANAGEMENT,), vlan: int | None = 10) -> ManagementNetwork:
    """The management network with its infrastructure block and cluster IP."""
    return ManagementNetwork(cidrs, AddressRange(*INFRASTRUCTURE), CLUSTER_IP, vlan, origin=at(30))


def data(name: str = "dmz", cidr: str = DMZ, vlan: int | None = 40) -> NamedNetwork:
    """A data network."""
    return NamedNetwork(name, (cidr,), origin=at(40), vlan=vlan)


def plan(**changes: Any) -> AddressPlan:
    """One AKS Arc cluster on lnet ``aks`` (VLAN 20), the management network on VLAN 10,
    one data network ``dmz`` on VLAN 40; SNAT to the node."""
    base = AddressPlan(
        "site",
        Platform.AKS_ARC,
        "plan.yaml",
        logical_networks=(lnet(),),
        clusters=(
            ClusterPlan(
                "c1",
                "aks",
                CONTROL_PLANE_IP,
                1,
                2,
                0,
                (POD_CIDR,),
                ("10.96.0.0/12",),
                origin=at(20),
            ),
        ),
        management=management(),
        data_networks=(data(),),
        snat=Snat.NODE,
    )
    return replace(base, **changes)
