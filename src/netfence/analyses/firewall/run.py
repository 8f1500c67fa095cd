"""``firewall check`` as one call: the catalog's entries for the options, the cluster's own
facts, and every firewall layer on the path, into findings.

What is required is the catalog's list for the cloud, region, platform and features in use
(Arc gateway carrying what it routes), plus the external egress the cluster's policies allow
(which a firewall should neither exceed nor block without saying so). The cluster leaves with
its nodes' addresses unless a destination is reached without SNAT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from netfence.analyses.endpoints import (
    EndpointOptions,
    required_endpoints,
    required_flows,
    stale_entries,
)
from netfence.analyses.firewall.check import check_firewalls
from netfence.analyses.firewall.cluster import ClusterAddresses, cluster_addresses, policy_egress
from netfence.engine.firewall import NameBound, Resolver
from netfence.errors import QueryError
from netfence.model.cluster import Cluster
from netfence.model.findings import Finding
from netfence.model.firewall import FirewallLayer, RequiredFlow
from netfence.sets.ipranges import PUBLIC_ADDRESSES, IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sources.endpoint_catalog import load_catalog


@dataclass(frozen=True)
class FirewallCheckOptions:
    """What ``firewall check`` is told beyond the exports."""

    endpoints: EndpointOptions
    """Which catalog entries are required (cloud, region, features, gateway, platform)."""
    sources: IPRangeSet | None = None
    """The addresses the cluster leaves with (``--source``); None: the nodes' addresses the
    cluster's objects name, else any source."""
    no_snat: IPRangeSet | None = None
    """Destinations the pods reach with their own addresses (``--no-snat``)."""
    resolver: Resolver | None = None
    """Where names' addresses come from (``--resolver``, ``--dns-answers``), if anywhere."""


@dataclass(frozen=True)
class FirewallCheck:
    """The findings, and what they were computed against."""

    findings: tuple[Finding, ...]
    """Every firewall finding."""
    required: tuple[RequiredFlow, ...]
    """The catalog's flows that were required."""
    policy_egress: tuple[RequiredFlow, ...]
    """The egress the cluster's policies allow, as the firewalls see it."""
    sources: IPRangeSet | None
    """The cluster's addresses as a perimeter layer sees them; None: any source."""
    region: str | None
    """The region the catalog's regional names were resolved for."""
    region_from: str | None
    """Where the region came from, when the options did not give it (a layer's location)."""


def run_firewall_check(
    layers: Sequence[FirewallLayer],
    options: FirewallCheckOptions,
    cluster: Cluster | None = None,
) -> FirewallCheck:
    """Check ``layers`` (one path, in order) against what the cluster requires."""
    endpoints, region_from = _with_region(options.endpoints, layers)
    catalog = load_catalog()
    flows = required_flows(required_endpoints(catalog, endpoints))
    stale = [(s.fqdn, s.removed, s.source) for s in stale_entries(catalog, endpoints)]
    addresses = cluster_addresses(cluster) if cluster is not None else ClusterAddresses(None, None)
    if options.sources is not None:
        addresses = replace(addresses, nodes=options.sources)
    egress = policy_egress(cluster, addresses, options.no_snat) if cluster is not None else []
    findings = check_firewalls(
        layers,
        flows,
        cluster_sources=addresses.nodes,
        pod_sources=addresses.pods,
        resolver=options.resolver,
        gateway_in_use=endpoints.gateway_url is not None,
        gateway_url=endpoints.gateway_url,
        stale=stale,
        name_bound=public_endpoints(flows),
        policy_egress=egress,
    )
    return FirewallCheck(
        tuple(findings),
        tuple(flows),
        tuple(egress),
        addresses.nodes,
        endpoints.region,
        region_from,
    )


def public_endpoints(flows: Sequence[RequiredFlow]) -> NameBound:
    """The catalog's names are public endpoints: whatever they resolve to is public (the
    address space the public internet reaches). Without Private Link, which would answer
    them with private addresses, that bound decides rules holding all or none of it."""
    catalog_names = DomainPatternSet(p for f in flows for p in f.destinations.names.patterns)

    def bound(pattern: str) -> IPRangeSet | None:
        return PUBLIC_ADDRESSES if catalog_names.covers(pattern) else None

    return bound


def _with_region(
    options: EndpointOptions, layers: Sequence[FirewallLayer]
) -> tuple[EndpointOptions, str | None]:
    """The options with a region: as given, else the one location every layer that has one
    shares (an NSG's or a firewall policy's ``location``), said in the output."""
    if options.region is not None:
        return options, None
    located = {
        (layer.settings.extra["location"].replace(" ", "").lower(), layer.name)
        for layer in layers
        if layer.settings.extra.get("location")
    }
    regions = {region for region, _ in located}
    if len(regions) > 1:
        raise QueryError(
            "the firewall exports are in different regions"
            f" ({', '.join(sorted(regions))}): give --region, the connected cluster's region"
        )
    if not regions:
        return options, None
    region = regions.pop()
    names = ", ".join(sorted(name for _, name in located))
    return replace(options, region=region), f"the location of {names}"
