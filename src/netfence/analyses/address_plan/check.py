"""An address plan against the AKS Arc planning rules (AKS-NET, AKS-IP, AKS-LNET, ARC-NET), and
optionally a cluster's own objects against the plan: the ``NF2xx`` findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from netfence.analyses.address_plan import catalog
from netfence.analyses.address_plan.objects import outside_plan_findings
from netfence.analyses.address_plan.overlaps import overlap_findings
from netfence.analyses.address_plan.ranges import (
    cluster_ref,
    lnet_ref,
    management_ref,
    pool_ref,
    range_texts,
    size_of,
)
from netfence.model.address_plan import (
    AKS_ARC_SERVICE_CIDR,
    INFRASTRUCTURE_BLOCK_MINIMUM,
    AddressPlan,
    ClusterPlan,
    LogicalNetwork,
    Platform,
)
from netfence.model.cluster import Cluster
from netfence.model.findings import Finding, ResourceRef, Severity
from netfence.sets.ipranges import IPRangeSet

PROXY_SKIP_NAMES: Final = ("kubernetes.default.svc", ".svc.cluster.local", ".svc")
"""The names ARC-NET says ``--proxy-skip-range`` must hold beside the service CIDR."""


def check_address_plan(plan: AddressPlan, cluster: Cluster | None = None) -> list[Finding]:
    """Every finding of the plan (and, given ``cluster``, of its objects against the plan),
    most severe first."""
    findings = [
        *overlap_findings(plan),
        *_outside_prefix(plan),
        *_control_plane_conflicts(plan),
        *_load_balancer_in_pool(plan),
        *_pool_sizes(plan),
        *_load_balancer_sizes(plan),
        *_infrastructure_block(plan),
        *_service_cidrs(plan),
        *_pod_cidr_sizes(plan),
        *_proxy_skip_range(plan),
        *_lnet_settings(plan),
    ]
    if cluster is not None:
        findings.extend(outside_plan_findings(plan, cluster))
    return sorted(
        findings,
        key=lambda f: (-f.effective_severity.rank, f.check.check_id, f.detail_key),
    )


def _address(text: str) -> IPRangeSet:
    return IPRangeSet.from_addresses([text])


# --- NF202 ----------------------------------------------------------------------------------


def _outside_prefix(plan: AddressPlan) -> Iterator[Finding]:
    for lnet in plan.logical_networks:
        yield from _lnet_outside_prefix(lnet)
    for cluster in plan.clusters:
        home = plan.logical_network(cluster.logical_network or "")
        ip = cluster.control_plane_ip
        if home is not None and ip is not None and not home.addresses().contains(ip):
            yield Finding(
                catalog.OUTSIDE_PREFIX,
                f"control-plane IP {ip} of cluster {cluster.name} is outside the prefix"
                f" {home.prefix} of its lnet {home.name} (AKS-IP)",
                (cluster_ref(cluster), lnet_ref(home)),
                evidence={"address": ip, "prefix": home.prefix},
                detail_key="control_plane_ip",
            )
    for pool in plan.load_balancer_pools:
        named = plan.logical_network(pool.logical_network or "")
        if named is None:
            continue
        outside = pool.addresses() - named.addresses()
        if outside:
            yield Finding(
                catalog.OUTSIDE_PREFIX,
                f"load-balancer pool {pool.name} names lnet {named.name} but"
                f" {', '.join(range_texts(outside))} lies outside its prefix {named.prefix}",
                (pool_ref(pool), lnet_ref(named)),
                evidence={"outside": range_texts(outside), "prefix": named.prefix},
                detail_key="ranges",
            )


def _lnet_outside_prefix(lnet: LogicalNetwork) -> Iterator[Finding]:
    prefix = lnet.addresses()
    for i, pool in enumerate(lnet.ip_pools):
        outside = pool.addresses() - prefix
        if outside:
            yield Finding(
                catalog.OUTSIDE_PREFIX,
                f"IP pool {pool} of lnet {lnet.name} reaches outside its prefix {lnet.prefix}"
                f" ({', '.join(range_texts(outside))}) (AKS-LNET)",
                (lnet_ref(lnet, pool.origin),),
                evidence={
                    "pool": str(pool),
                    "outside": range_texts(outside),
                    "prefix": lnet.prefix,
                },
                detail_key=f"ip_pools[{i}]",
            )
    if lnet.gateway is None:
        return
    if not prefix.contains(lnet.gateway):
        yield Finding(
            catalog.OUTSIDE_PREFIX,
            f"gateway {lnet.gateway} of lnet {lnet.name} is outside its prefix {lnet.prefix}"
            " (AKS-LNET)",
            (lnet_ref(lnet),),
            evidence={"gateway": lnet.gateway, "prefix": lnet.prefix},
            detail_key="gateway",
        )
    if lnet.pool_addresses().contains(lnet.gateway):
        yield Finding(
            catalog.OUTSIDE_PREFIX,
            f"gateway {lnet.gateway} of lnet {lnet.name} is inside its IP pool: a node VM can"
            " be given the gateway's address",
            (lnet_ref(lnet),),
            evidence={"gateway": lnet.gateway, "pools": [str(p) for p in lnet.ip_pools]},
            detail_key="gateway in pool",
        )


# --- NF203 ----------------------------------------------------------------------------------


def _control_plane_conflicts(plan: AddressPlan) -> Iterator[Finding]:
    explicit = [c for c in plan.clusters if c.control_plane_ip is not None]
    for i, cluster in enumerate(explicit):
        for other in explicit[i + 1 :]:
            if other.control_plane_ip == cluster.control_plane_ip:
                yield _conflict(
                    cluster,
                    f"is also the control-plane IP of cluster {other.name}",
                    cluster_ref(other),
                    f"cluster {other.name}",
                )
        yield from _conflicts_of(plan, cluster)


def _conflicts_of(plan: AddressPlan, cluster: ClusterPlan) -> Iterator[Finding]:
    ip = cluster.control_plane_ip or ""
    for lnet in plan.logical_networks:
        if lnet.pool_addresses().contains(ip):
            yield _conflict(
                cluster,
                f"is inside the IP pool of lnet {lnet.name}: a node VM can be given it",
                lnet_ref(lnet),
                f"pool {lnet.name}",
            )
        if lnet.gateway == ip:
            yield _conflict(
                cluster, f"is the gateway of lnet {lnet.name}", lnet_ref(lnet), f"gw {lnet.name}"
            )
    for pool in plan.load_balancer_pools:
        if pool.addresses().contains(ip):
            yield _conflict(
                cluster,
                f"is inside load-balancer pool {pool.name}: a Service can be given it",
                pool_ref(pool),
                f"lb {pool.name}",
            )
    management = plan.management
    if management is None:
        return
    block = management.infrastructure_block
    if block is not None and block.addresses().contains(ip):
        yield _conflict(
            cluster,
            f"is inside the Azure Local infrastructure block {block}",
            management_ref(plan),
            "infrastructure block",
        )
    if management.cluster_ip == ip:
        yield _conflict(
            cluster, "is the Azure Local cluster IP", management_ref(plan), "cluster ip"
        )


def _conflict(cluster: ClusterPlan, what: str, other: ResourceRef, key: str) -> Finding:
    ip = cluster.control_plane_ip
    return Finding(
        catalog.CONTROL_PLANE_CONFLICT,
        f"control-plane IP {ip} of cluster {cluster.name} {what} (AKS-IP: it must overlap nothing)",
        (cluster_ref(cluster), other),
        evidence={"address": ip, "conflicts_with": other.key},
        detail_key=key,
    )


# --- NF204 ----------------------------------------------------------------------------------


def _load_balancer_in_pool(plan: AddressPlan) -> Iterator[Finding]:
    for pool in plan.load_balancer_pools:
        for lnet in plan.logical_networks:
            shared = pool.addresses() & lnet.pool_addresses()
            if shared:
                yield Finding(
                    catalog.LB_IN_POOL,
                    f"load-balancer pool {pool.name} shares {', '.join(range_texts(shared))}"
                    f" with the IP pool of lnet {lnet.name} (AKS-IP: outside the IP pool)",
                    (pool_ref(pool), lnet_ref(lnet)),
                    evidence={"overlap": range_texts(shared), "lnet": lnet.name},
                    detail_key=lnet.name,
                )


# --- NF205 ----------------------------------------------------------------------------------


def _taken(plan: AddressPlan, lnet: LogicalNetwork) -> IPRangeSet:
    """Addresses the plan gives to something other than node VMs."""
    single = [a for a in (lnet.gateway, *lnet.dns_servers) if a is not None]
    single += [c.control_plane_ip for c in plan.clusters if c.control_plane_ip is not None]
    parts = [IPRangeSet.from_addresses(single)]
    parts += [p.addresses() for p in plan.load_balancer_pools]
    if plan.management is not None:
        block = plan.management.infrastructure_block
        if block is not None:
            parts.append(block.addresses())
        if plan.management.cluster_ip is not None:
            parts.append(_address(plan.management.cluster_ip))
    return IPRangeSet.union_of(parts)


def _pool_sizes(plan: AddressPlan) -> Iterator[Finding]:
    for lnet in plan.logical_networks:
        clusters = [c for c in plan.clusters if c.logical_network == lnet.name]
        if not clusters:
            continue
        needs = {c.name: c.nodes + 1 + (1 if c.control_plane_ip is None else 0) for c in clusters}
        needed = sum(needs.values())
        pool = lnet.pool_addresses()
        taken = pool & _taken(plan, lnet)
        usable = size_of(pool - taken)
        if usable >= needed:
            continue
        yield Finding(
            catalog.POOL_TOO_SMALL,
            f"the IP pools of lnet {lnet.name} hold {usable} usable addresses; its"
            f" {len(clusters)} cluster(s) need {needed}: one per node VM, one per cluster for"
            " rolling upgrades, one per cluster whose control-plane IP comes from the pool"
            " (AKS-IP)",
            (lnet_ref(lnet), *(cluster_ref(c) for c in clusters)),
            evidence={
                "needed": needed,
                "needed_by_cluster": needs,
                "pool_addresses": size_of(pool),
                "taken_by_other_uses": range_texts(taken),
                "usable": usable,
            },
        )


# --- NF206 ----------------------------------------------------------------------------------


def _load_balancer_sizes(plan: AddressPlan) -> Iterator[Finding]:
    for pool in plan.load_balancer_pools:
        users = [c for c in plan.clusters if c.load_balancer_pool == pool.name]
        planned = sum(c.load_balancer_services for c in users)
        if planned > pool.size:
            yield Finding(
                catalog.LB_TOO_SMALL,
                f"load-balancer pool {pool.name} holds {pool.size} addresses; the clusters"
                f" using it plan {planned} LoadBalancer Services (AKS-IP: one address each)",
                (pool_ref(pool), *(cluster_ref(c) for c in users)),
                evidence={
                    "addresses": pool.size,
                    "services": planned,
                    "by_cluster": {c.name: c.load_balancer_services for c in users},
                },
            )
    for cluster in plan.clusters:
        if cluster.load_balancer_services and cluster.load_balancer_pool is None:
            yield Finding(
                catalog.LB_TOO_SMALL,
                f"cluster {cluster.name} plans {cluster.load_balancer_services} LoadBalancer"
                " Services but names no load_balancer_pool: their addresses are not planned",
                (cluster_ref(cluster),),
                evidence={"services": cluster.load_balancer_services},
                severity=Severity.LOW,
                detail_key="no pool",
            )


# --- NF207 ----------------------------------------------------------------------------------


def _infrastructure_block(plan: AddressPlan) -> Iterator[Finding]:
    management = plan.management
    if management is None:
        return
    ref = management_ref(plan)
    block = management.infrastructure_block
    if block is None:
        if plan.platform is Platform.AKS_ARC:
            yield Finding(
                catalog.INFRASTRUCTURE_BLOCK,
                "the management network names no infrastructure_block: the block of at least"
                f" {INFRASTRUCTURE_BLOCK_MINIMUM} addresses Azure Local reserves cannot be"
                " checked (AKS-NET)",
                (ref,),
                severity=Severity.LOW,
                detail_key="missing",
            )
        return
    ref = ResourceRef(ref.kind, None, ref.name, block.origin or ref.origin)
    evidence = {"block": str(block), "size": block.size}
    if block.size < INFRASTRUCTURE_BLOCK_MINIMUM:
        yield Finding(
            catalog.INFRASTRUCTURE_BLOCK,
            f"the infrastructure block {block} holds {block.size} addresses; Azure Local"
            f" reserves at least {INFRASTRUCTURE_BLOCK_MINIMUM} (AKS-NET)",
            (ref,),
            evidence=evidence,
            detail_key="size",
        )
    outside = block.addresses() - management.addresses()
    if outside:
        yield Finding(
            catalog.INFRASTRUCTURE_BLOCK,
            f"the infrastructure block {block} reaches outside the management network"
            f" ({', '.join(range_texts(outside))}) (AKS-NET)",
            (ref,),
            evidence={**evidence, "outside": range_texts(outside)},
            detail_key="outside",
        )
    yield from _block_overlaps(plan, ref, block.addresses(), str(block))


def _block_overlaps(
    plan: AddressPlan, ref: ResourceRef, block: IPRangeSet, text: str
) -> Iterator[Finding]:
    pools = [
        (lnet_ref(n), f"the IP pool of lnet {n.name}", n.pool_addresses())
        for n in plan.logical_networks
    ]
    pools += [
        (pool_ref(p), f"load-balancer pool {p.name}", p.addresses())
        for p in plan.load_balancer_pools
    ]
    for other, what, addresses in pools:
        shared = block & addresses
        if shared:
            yield Finding(
                catalog.INFRASTRUCTURE_BLOCK,
                f"the infrastructure block {text} shares {', '.join(range_texts(shared))}"
                f" with {what}: those addresses can be handed out twice",
                (ref, other),
                evidence={"block": text, "overlap": range_texts(shared)},
                detail_key=other.key,
            )


# --- NF208, NF209 ---------------------------------------------------------------------------


def _service_cidrs(plan: AddressPlan) -> Iterator[Finding]:
    if plan.platform is not Platform.AKS_ARC:
        return
    for cluster in plan.clusters:
        if cluster.service_cidrs != (AKS_ARC_SERVICE_CIDR,):
            yield Finding(
                catalog.SERVICE_CIDR,
                f"cluster {cluster.name} plans service CIDR {', '.join(cluster.service_cidrs)};"
                f" AKS Arc's is fixed at {AKS_ARC_SERVICE_CIDR} and cannot be changed (AKS-IP)",
                (cluster_ref(cluster),),
                evidence={"planned": list(cluster.service_cidrs), "fixed": AKS_ARC_SERVICE_CIDR},
            )


def _pod_cidr_sizes(plan: AddressPlan) -> Iterator[Finding]:
    for cluster in plan.clusters:
        if cluster.max_pods_per_node is None:
            continue
        needed = cluster.max_pods_per_node * cluster.nodes
        for cidr in cluster.pod_cidrs:
            size = size_of(IPRangeSet.from_cidrs([cidr]))
            if size < needed:
                yield Finding(
                    catalog.POD_CIDR_TOO_SMALL,
                    f"pod CIDR {cidr} of cluster {cluster.name} holds {size} addresses; its"
                    f" {cluster.nodes} nodes x {cluster.max_pods_per_node} pods need {needed}"
                    " (AKS-IP)",
                    (cluster_ref(cluster),),
                    evidence={"pod_cidr": cidr, "addresses": size, "needed": needed},
                    detail_key=cidr,
                )


# --- NF210 ----------------------------------------------------------------------------------


def _proxy_skip_range(plan: AddressPlan) -> Iterator[Finding]:
    proxy = plan.proxy
    if proxy is None:
        return
    ref = ResourceRef("Proxy", None, "proxy", proxy.origin)
    skipped = proxy.no_proxy_addresses()
    for cluster in plan.clusters:
        missing = IPRangeSet.from_cidrs(cluster.service_cidrs) - skipped
        if missing:
            yield Finding(
                catalog.PROXY_SKIP,
                f"the proxy's no_proxy lacks {', '.join(range_texts(missing))} of cluster"
                f" {cluster.name}'s service CIDR: the Arc agents would send in-cluster calls"
                " to the proxy (ARC-NET: --proxy-skip-range)",
                (ref, cluster_ref(cluster)),
                evidence={
                    "missing": range_texts(missing),
                    "service_cidr": list(cluster.service_cidrs),
                },
                detail_key=cluster.name,
            )
    names = {n.lower() for n in proxy.no_proxy_names()}
    absent = [n for n in PROXY_SKIP_NAMES if n not in names]
    if absent:
        yield Finding(
            catalog.PROXY_SKIP,
            f"the proxy's no_proxy lacks {', '.join(absent)} (ARC-NET: --proxy-skip-range"
            " holds kubernetes.default.svc, .svc.cluster.local and .svc)",
            (ref,),
            evidence={"missing": absent},
            detail_key="names",
        )


# --- NF211 ----------------------------------------------------------------------------------


def _lnet_settings(plan: AddressPlan) -> Iterator[Finding]:
    for lnet in plan.logical_networks:
        if plan.platform is Platform.AKS_ARC:
            lacking = [
                what
                for what, present in (
                    ("a gateway", lnet.gateway),
                    ("DNS servers", lnet.dns_servers),
                )
                if not present
            ]
            if lacking:
                yield Finding(
                    catalog.LNET_SETTINGS,
                    f"lnet {lnet.name} has no {' and no '.join(w.removeprefix('a ') for w in lacking)}:"
                    " AKS Arc requires both (AKS-LNET)",
                    (lnet_ref(lnet),),
                    evidence={"missing": lacking},
                    detail_key="settings",
                )
        if lnet.shared_with_arc_vms:
            yield Finding(
                catalog.LNET_SETTINGS,
                f"lnet {lnet.name} is shared with Arc VMs: allowed, but weaker isolation than"
                " separate lnets (AKS-LNET)",
                (lnet_ref(lnet),),
                severity=Severity.LOW,
                detail_key="shared",
            )
