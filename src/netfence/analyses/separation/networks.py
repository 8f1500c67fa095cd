"""The plan's networks against each other: data networks reaching the management network
through the firewall layers (NF224), and management and data sharing a network (NF225)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from netfence.analyses.audit.evidence import finding
from netfence.analyses.firewall.path import FirewallPath
from netfence.analyses.separation import catalog
from netfence.analyses.separation import evidence as ev
from netfence.analyses.separation.layers import (
    Paths,
    allowing_resources,
    network_end,
    path_evidence,
    path_text,
)
from netfence.analyses.separation.targets import (
    AKS_LNET_PORTS,
    AZURE_LOCAL_INTERNAL_PORTS,
    addresses_text,
    management_addresses,
    ports_text,
    tcp,
)
from netfence.model.address_plan import AddressPlan, LogicalNetwork, NamedNetwork
from netfence.model.findings import Cause, CheckInfo, Finding, ResourceRef, Severity
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

MANAGEMENT: Final = "the management network"
"""How messages name the management network."""


def management_resource(plan: AddressPlan) -> ResourceRef:
    """The plan's management network as a resource."""
    origin = plan.management.origin if plan.management is not None else None
    return ResourceRef("ManagementNetwork", None, "management", origin)


def data_resource(network: NamedNetwork) -> ResourceRef:
    """A data network of the plan as a resource."""
    return ResourceRef("DataNetwork", None, network.name, network.origin)


def lnet_resource(network: LogicalNetwork) -> ResourceRef:
    """An lnet of the plan as a resource."""
    return ResourceRef("LogicalNetwork", None, network.name, network.origin)


def _sentence(text: str) -> str:
    """``text`` with its first letter capitalised, to open a message."""
    return text[:1].upper() + text[1:]


def _named(network: NamedNetwork) -> str:
    return f"{network.name} ({', '.join(network.cidrs)})"


def data_to_management(plan: AddressPlan, paths: Paths) -> Iterator[Finding]:
    """NF224: each data network the layers let reach the management network, or, with no
    layers, one finding saying nothing read separates them."""
    management = management_addresses(plan)
    if not management or not plan.data_networks:
        return
    if not paths.layers:
        yield _unseparated(plan, management)
        return
    internal = tcp(AZURE_LOCAL_INTERNAL_PORTS)
    for network in plan.data_networks:
        path = paths.trace(network_end(network), management, PortSet.all())
        if not path.allowed and not path.undecided:
            continue
        ports = path.allowed | path.undecided
        note = ""
        if ports & internal:
            which = "all of them" if ports.issubset(internal) else "including the"
            note = (
                f", {which} Azure Local internal ports {(ports & internal).describe()} "
                "(AKS-NET opens them from the AKS VM lnet only)"
            )
        yield _network_finding(
            catalog.DATA_REACHES_MANAGEMENT,
            f"Data network {_named(network)} may reach {MANAGEMENT} "
            f"{addresses_text(management)} on {_ports(path)}{note}: {path_text(path)}.",
            (data_resource(network), management_resource(plan)),
            (network, MANAGEMENT, management, path),
        )


def _ports(path: FirewallPath) -> str:
    if path.allowed:
        return ports_text(path.allowed)
    return f"{ports_text(path.undecided)} (cannot decide)"


def _unseparated(plan: AddressPlan, management: IPRangeSet) -> Finding:
    names = tuple(_named(n) for n in plan.data_networks)
    return finding(
        catalog.DATA_REACHES_MANAGEMENT,
        f"Nothing netfence read separates the data networks {', '.join(names)} from "
        f"{MANAGEMENT} {addresses_text(management)} (nor from the cluster's lnets): no firewall "
        "layer was given. Give the exports of the firewalls between them (--firewall FILE, "
        "in the order a flow crosses them) to have each path judged.",
        (management_resource(plan), *(data_resource(n) for n in plan.data_networks)),
        ev.Unseparated(names, management.describe()),
        detail_key="no-layers",
    )


def _network_finding(
    info: CheckInfo,
    message: str,
    resources: tuple[ResourceRef, ...],
    flow: tuple[NamedNetwork, str, IPRangeSet, FirewallPath],
    detail_key: str = "",
) -> Finding:
    """A finding on a network reaching another through the layers: the rules that let it
    through as resources, the one rule (when one alone does) as the cause."""
    network, destination, addresses, path = flow
    rules = allowing_resources(path)
    unique = list({r.key: r for r in rules}.values())
    severity = None if path.allowed else Severity.MEDIUM
    return finding(
        info,
        message,
        (*resources, *unique),
        ev.NetworkReach(
            f"data network {network.name}",
            network.addresses().describe(),
            destination,
            addresses.describe(),
            path.allowed.describe() if path.allowed else "",
            path.undecided.describe() if path.undecided else "",
            path_evidence(path),
        ),
        severity=severity,
        detail_key=detail_key,
        cause=Cause(unique[0]) if len(unique) == 1 else None,
    )


def shared_networks(plan: AddressPlan, paths: Paths) -> Iterator[Finding]:
    """NF225: lnets and data networks on the management VLAN or overlapping its prefixes,
    and the internal ports the layers open to the cluster's lnets from data networks."""
    if plan.management is None:
        return
    for lnet in plan.logical_networks:
        yield from _sharing(
            plan, f"lnet {lnet.name}", (lnet.prefix,), lnet.vlan, lnet_resource(lnet), False
        )
    for network in plan.data_networks:
        yield from _sharing(
            plan,
            f"data network {network.name}",
            network.cidrs,
            network.vlan,
            data_resource(network),
            True,
        )
    if paths.layers:
        yield from _internal_ports(plan, paths)


def _sharing(
    plan: AddressPlan,
    what: str,
    prefixes: Sequence[str],
    vlan: int | None,
    resource: ResourceRef,
    data: bool,
) -> Iterator[Finding]:
    """A network that shares the management network's VLAN or addresses; for two untagged
    networks that do not overlap, an info note that the plan does not say."""
    management = plan.management
    assert management is not None
    overlap = IPRangeSet.from_cidrs(prefixes) & management.addresses()
    same_vlan = vlan is not None and vlan == management.vlan
    evidence = ev.SharedSegment(
        what,
        tuple(prefixes),
        vlan,
        management.vlan,
        overlap.describe() if overlap else "",
        same_vlan,
    )
    resources = (resource, management_resource(plan))
    if same_vlan or overlap:
        shares = []
        if same_vlan:
            shares.append(f"the management VLAN {vlan}")
        if overlap:
            shares.append(f"the management addresses {addresses_text(overlap)}")
        kind = "data and management traffic mix" if data else "AKS node VMs sit with it"
        yield finding(
            catalog.SHARED_NETWORK,
            f"{_sentence(what)} shares {' and '.join(shares)} with {MANAGEMENT}: "
            f"{kind}; keep management and workload networks on their own VLANs and prefixes.",
            resources,
            evidence,
            severity=None if data else Severity.MEDIUM,
            detail_key="segment",
        )
    elif vlan is None and management.vlan is None:
        yield finding(
            catalog.SHARED_NETWORK,
            f"{_sentence(what)} and {MANAGEMENT} are both untagged: the plan does not "
            "say whether they share a segment (give their VLANs).",
            resources,
            evidence,
            severity=Severity.INFO,
            detail_key="untagged",
        )


def _cluster_lnets(plan: AddressPlan) -> list[LogicalNetwork]:
    """The lnets the plan's clusters are placed on (every lnet when none is named)."""
    used = {c.logical_network for c in plan.clusters if c.logical_network is not None}
    return [n for n in plan.logical_networks if n.name in used] or list(plan.logical_networks)


def _internal_ports(plan: AddressPlan, paths: Paths) -> Iterator[Finding]:
    """Data networks the layers let reach the AKS lnets on SSH or the API server."""
    asked = tcp(AKS_LNET_PORTS)
    for network in plan.data_networks:
        for lnet in _cluster_lnets(plan):
            addresses = lnet.addresses()
            path = paths.trace(network_end(network), addresses, asked)
            if not path.allowed and not path.undecided:
                continue
            yield _network_finding(
                catalog.SHARED_NETWORK,
                f"Data network {_named(network)} may reach the AKS lnet {lnet.name} "
                f"{addresses_text(addresses)} on {_ports(path)}, which AKS-NET opens from the "
                f"management IPs only: {path_text(path)}.",
                (data_resource(network), lnet_resource(lnet)),
                (network, f"lnet {lnet.name}", addresses, path),
                detail_key=f"internal-ports {lnet.name}",
            )
