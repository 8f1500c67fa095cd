"""``firewall check`` as one call: the catalog's entries for the options, the cluster's own
facts, and every firewall layer on the path, into findings.

What is required is the catalog's list for the cloud, region, platform and features in use
(Arc gateway carrying what it routes), plus the external egress the cluster's policies allow
(which a firewall should neither exceed nor block without saying so). The cluster leaves with
its nodes' addresses unless a destination is reached without SNAT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from netfence.analyses.endpoints import (
    EndpointOptions,
    required_endpoints,
    required_flows,
    stale_entries,
)
from netfence.analyses.firewall.check import check_firewalls
from netfence.analyses.firewall.cluster import (
    ClusterAddresses,
    cluster_addresses,
    deployed_features,
    policy_egress,
)
from netfence.analyses.firewall.generate import GeneratedRuleSet, GenerateOptions, generate
from netfence.analyses.firewall.generate.proof import Proof, prove
from netfence.engine.firewall import NameBound, Resolver
from netfence.errors import QueryError
from netfence.model.cluster import Cluster
from netfence.model.endpoints import Feature
from netfence.model.findings import Finding
from netfence.model.firewall import FirewallKind, FirewallLayer, RequiredFlow
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
    features_from: Mapping[Feature, str] = field(default_factory=dict)
    """The features taken from the optional Arc agents the cluster runs, when the options
    named none, each with its Deployment."""


def run_firewall_check(
    layers: Sequence[FirewallLayer],
    options: FirewallCheckOptions,
    cluster: Cluster | None = None,
) -> FirewallCheck:
    """Check ``layers`` (one path, in order) against what the cluster requires."""
    endpoints, region_from = _with_region(options.endpoints, layers)
    endpoints, features_from = with_deployed_features(endpoints, cluster)
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
        features_from,
    )


def with_deployed_features(
    options: EndpointOptions, cluster: Cluster | None
) -> tuple[EndpointOptions, dict[Feature, str]]:
    """The options with the features the cluster's optional Arc agents show (cluster
    connect, Azure RBAC), when the options name none beyond core."""
    if cluster is None or options.features - {Feature.CORE}:
        return options, {}
    found = deployed_features(cluster)
    if not found:
        return options, {}
    return replace(options, features=options.features | set(found)), found


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


@dataclass(frozen=True)
class FirewallGeneration:
    """A generated rule set, its proof, and the flows it was made for."""

    result: GeneratedRuleSet
    """The rule set, with what it could not express and the deployer's notes."""
    proof: Proof
    """What it was read back and checked against before being returned."""
    flows: tuple[RequiredFlow, ...]
    """The flows it allows: the catalog's direct ones, then the policies' egress."""
    features_from: Mapping[Feature, str] = field(default_factory=dict)
    """The features taken from the optional Arc agents the cluster runs (see
    :func:`with_deployed_features`)."""


def generation_flows(
    options: FirewallCheckOptions, cluster: Cluster | None = None
) -> list[RequiredFlow]:
    """What a generated rule set must allow: the catalog's flows for the options (without
    those the Arc gateway carries, when one is in use), then the external egress the
    cluster's policies allow, each from the addresses the firewall sees."""
    endpoints, _ = with_deployed_features(options.endpoints, cluster)
    flows = required_flows(required_endpoints(load_catalog(), endpoints))
    if endpoints.gateway_url is not None:
        flows = [f for f in flows if not f.routed_by_gateway]
    if cluster is None:
        return flows
    addresses = cluster_addresses(cluster)
    if options.sources is not None:
        addresses = replace(addresses, nodes=options.sources)
    return [*flows, *policy_egress(cluster, addresses, options.no_snat)]


def run_firewall_generate(
    kind: FirewallKind,
    options: FirewallCheckOptions,
    generate_options: GenerateOptions,
    cluster: Cluster | None = None,
) -> FirewallGeneration:
    """The minimal ``kind`` rule set for what the cluster requires, proven by reading it
    back (ProofError, never a rule set, when the proof fails). The rules' sources are
    ``options.sources``, else the nodes' addresses the cluster names, else any source."""
    flows = generation_flows(options, cluster)
    sources = generate_options.sources
    if sources is None:
        sources = options.sources
    if sources is None and cluster is not None:
        sources = cluster_addresses(cluster).nodes
    generate_options = replace(generate_options, sources=sources)
    result = generate(flows, kind, generate_options)
    proof = prove(result, flows, generate_options)
    _, features_from = with_deployed_features(options.endpoints, cluster)
    return FirewallGeneration(result, proof, tuple(flows), features_from)
