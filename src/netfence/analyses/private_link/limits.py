"""The documented limits of Private Link for Arc-enabled Kubernetes, met by a design.

Each finding cites the limit it comes from (ARC-PL current limitations; the platform limit
from "Firewall requirements for Azure Local" and the AKS Arc gateway article).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netfence.analyses.private_link import catalog as checks
from netfence.analyses.private_link.names import scope_resource
from netfence.model.findings import CheckInfo, Finding, ResourceRef
from netfence.model.private_link import (
    LinkedCluster,
    PrivateLinkCatalog,
    PrivateLinkScope,
    PrivateLinkSettings,
)


def cluster_resource(cluster: LinkedCluster) -> ResourceRef:
    """The finding resource of a cluster associated with a scope."""
    return ResourceRef("ArcCluster", None, cluster.name, cluster.origin)


def settings_resource(settings: PrivateLinkSettings) -> ResourceRef:
    """The finding resource of the design as a whole."""
    return ResourceRef(
        "PrivateLinkSettings", None, settings.file or "command line", settings.origin
    )


def _finding(
    info: CheckInfo,
    message: str,
    resources: tuple[ResourceRef, ...],
    detail: str,
    **evidence: Any,
) -> Finding:
    return Finding(info, message, resources, {"source": "ARC-PL", **evidence}, detail_key=detail)


def limit_findings(settings: PrivateLinkSettings, catalog: PrivateLinkCatalog) -> Iterator[Finding]:
    """Every documented limit the design meets."""
    limits = catalog.limits
    whole = settings_resource(settings)
    if settings.platform in limits.unsupported_platforms:
        yield Finding(
            checks.NOT_APPLICABLE,
            "The design targets AKS enabled by Azure Arc on Azure Local, where Private Link and"
            " private endpoints are not supported (Firewall requirements for Azure Local; the AKS"
            " Arc gateway article): Private Link for Arc"
            " applies to clusters connected through Arc-enabled Kubernetes only.",
            (whole,),
            {"platform": settings.platform.value, "source": limits.platform_source},
            detail_key=settings.platform.value,
        )
    if settings.scopes and limits.status == "preview":
        yield _finding(
            checks.PREVIEW,
            "Private Link for Arc-enabled Kubernetes is a preview feature.",
            (whole,),
            "preview",
        )
    for scope in settings.scopes:
        yield from _scope_limits(scope, catalog)
    yield from _shared_vnets(settings)
    yield from _clusters_in_two_scopes(settings)
    yield from _shared_with_public(settings)


def _scope_limits(scope: PrivateLinkScope, catalog: PrivateLinkCatalog) -> Iterator[Finding]:
    limits = catalog.limits
    resource = scope_resource(scope)
    if scope.region in limits.unsupported_regions:
        yield _finding(
            checks.UNSUPPORTED_REGION,
            f"Scope {scope.name} is in {scope.region}, where Private Link for Arc-enabled"
            " Kubernetes is not offered.",
            (resource,),
            scope.region,
            region=scope.region,
        )
    if scope.public_network_access:
        yield _finding(
            checks.PUBLIC_ACCESS_ON,
            f"Scope {scope.name} allows public network access: its clusters may still use the"
            " public endpoints, while the design says they connect privately.",
            (resource,),
            "public_network_access",
        )
    yield from _endpoint_regions(scope)
    for cluster in scope.clusters:
        yield from _cluster_limits(scope, cluster, catalog)


def _endpoint_regions(scope: PrivateLinkScope) -> Iterator[Finding]:
    endpoint = scope.private_endpoint
    if endpoint is None or endpoint.vnet_region is None:
        return
    resource = scope_resource(scope)
    if endpoint.vnet_region != scope.region:
        yield _finding(
            checks.REGION_MISMATCH,
            f"VNet {endpoint.vnet} is in {endpoint.vnet_region}, scope {scope.name} in"
            f" {scope.region}: the cluster, the scope and the VNet must share a region.",
            (resource,),
            f"vnet {endpoint.vnet}",
            vnet_region=endpoint.vnet_region,
            scope_region=scope.region,
        )
    if endpoint.region is not None and endpoint.region != endpoint.vnet_region:
        yield _finding(
            checks.REGION_MISMATCH,
            f"Private endpoint {endpoint.name} is in {endpoint.region}, its VNet {endpoint.vnet}"
            f" in {endpoint.vnet_region}: they must share a region.",
            (resource,),
            f"endpoint {endpoint.name}",
            endpoint_region=endpoint.region,
            vnet_region=endpoint.vnet_region,
        )


def _cluster_limits(
    scope: PrivateLinkScope, cluster: LinkedCluster, catalog: PrivateLinkCatalog
) -> Iterator[Finding]:
    limits = catalog.limits
    resource = cluster_resource(cluster)
    both = (resource, scope_resource(scope))
    for feature in cluster.features:
        if feature in limits.unsupported_features:
            yield _finding(
                checks.UNSUPPORTED_FEATURE,
                f"Cluster {cluster.name} uses {feature.value}, which Private Link does not"
                " support.",
                both,
                feature.value,
                feature=feature.value,
            )
    extensions = [f for f in cluster.features if f.value == "extensions"]
    if extensions:
        supported = ", ".join(f.value for f in limits.end_to_end_extensions)
        yield _finding(
            checks.EXTENSION_UNSUPPORTED,
            f"Cluster {cluster.name} uses extensions: only {supported} are supported end to end"
            " over Private Link.",
            both,
            "extensions",
        )
    region = cluster.region
    if region is not None and region != scope.region:
        yield _finding(
            checks.REGION_MISMATCH,
            f"Cluster {cluster.name} is in {region}, its scope {scope.name} in {scope.region}:"
            " they must share a region.",
            both,
            f"cluster {cluster.name}",
            cluster_region=region,
            scope_region=scope.region,
        )
    if region is not None and region in limits.unsupported_regions and region != scope.region:
        yield _finding(
            checks.UNSUPPORTED_REGION,
            f"Cluster {cluster.name} is in {region}, where Private Link is not offered.",
            both,
            region,
            region=region,
        )
    yield from _subscriptions(scope, cluster, catalog)


def _subscriptions(
    scope: PrivateLinkScope, cluster: LinkedCluster, catalog: PrivateLinkCatalog
) -> Iterator[Finding]:
    if not catalog.limits.same_subscription:
        return
    endpoint = scope.private_endpoint
    named = {
        f"scope {scope.name}": scope.subscription,
        f"cluster {cluster.name}": cluster.subscription,
        f"VNet {endpoint.vnet}" if endpoint else "VNet": endpoint.subscription
        if endpoint
        else None,
    }
    given = {who: sub for who, sub in named.items() if sub is not None}
    if len(set(given.values())) > 1:
        shown = ", ".join(f"{who} in {sub}" for who, sub in given.items())
        yield _finding(
            checks.SUBSCRIPTION_MISMATCH,
            f"{shown}: during the preview they must share a subscription.",
            (cluster_resource(cluster), scope_resource(scope)),
            f"cluster {cluster.name}",
            subscriptions=given,
        )


def _shared_vnets(settings: PrivateLinkSettings) -> Iterator[Finding]:
    by_vnet: dict[str, list[PrivateLinkScope]] = {}
    for scope in settings.scopes:
        if scope.private_endpoint is not None:
            by_vnet.setdefault(scope.private_endpoint.vnet, []).append(scope)
    for vnet, scopes in by_vnet.items():
        if len(scopes) > 1:
            names = ", ".join(s.name for s in scopes)
            yield _finding(
                checks.VNET_TWO_SCOPES,
                f"VNet {vnet} holds the private endpoints of {len(scopes)} scopes ({names}):"
                " one scope per VNet is supported.",
                tuple(scope_resource(s) for s in scopes),
                vnet,
                vnet=vnet,
                scopes=[s.name for s in scopes],
            )


def _clusters_in_two_scopes(settings: PrivateLinkSettings) -> Iterator[Finding]:
    by_cluster: dict[str, list[tuple[LinkedCluster, PrivateLinkScope]]] = {}
    for scope in settings.scopes:
        for cluster in scope.clusters:
            by_cluster.setdefault(cluster.name, []).append((cluster, scope))
    for name, places in by_cluster.items():
        scopes = list(dict.fromkeys(s.name for _, s in places))
        if len(scopes) > 1:
            yield _finding(
                checks.CLUSTER_TWO_SCOPES,
                f"Cluster {name} is associated with {len(scopes)} scopes ({', '.join(scopes)}):"
                " a cluster connects to one scope only.",
                tuple(cluster_resource(c) for c, _ in places),
                name,
                scopes=scopes,
            )


def _shared_with_public(settings: PrivateLinkSettings) -> Iterator[Finding]:
    vnets = {s.private_endpoint.vnet: s for s in settings.scopes if s.private_endpoint}
    for cluster in settings.public_clusters:
        resource = ResourceRef("ArcCluster", None, cluster.name, cluster.origin)
        if cluster.vnet is not None and cluster.vnet in vnets:
            scope = vnets[cluster.vnet]
            yield _finding(
                checks.SHARED_WITH_PUBLIC,
                f"Cluster {cluster.name} does not use Private Link but shares VNet {cluster.vnet}"
                f" with scope {scope.name}'s private endpoint.",
                (resource, scope_resource(scope)),
                f"vnet {cluster.vnet}",
                vnet=cluster.vnet,
            )
        if cluster.dns_zone_shared and settings.scopes:
            yield _finding(
                checks.SHARED_WITH_PUBLIC,
                f"Cluster {cluster.name} does not use Private Link but resolves through the same"
                " private DNS zones: it gets the private endpoint's addresses it cannot use.",
                (resource,),
                "dns zone",
            )
