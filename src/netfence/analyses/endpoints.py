"""Which Azure Arc endpoints a cluster needs, for its cloud, region, features and platform.

``required_endpoints`` picks the catalog entries that apply and fills in their placeholders
(the region, its short code, the Arc gateway's URL, Key Vault names); ``required_flows`` turns
them into the flows a firewall must let through. With an Arc gateway, the entries the gateway
carries stay in the result, marked as carried: they need no firewall opening once the gateway
is in use, and an allow-list that still opens them can be told so.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Final

from netfence.errors import QueryError
from netfence.model.endpoints import (
    FEATURE_IMPLIES,
    CatalogEntry,
    CatalogSource,
    Cloud,
    EndpointCatalog,
    EntryDirection,
    Feature,
    FeatureCombination,
    GatewayRoute,
    Platform,
    StaleEntry,
)
from netfence.model.firewall import Destinations, RequiredFlow, TrafficDirection
from netfence.sets.names import DomainPatternSet, normalize_pattern
from netfence.sets.ports import PortSet

ALL_FEATURES: Final = "all"
"""The ``features`` word that stands for every feature."""
SELECTABLE_FEATURES: Final = tuple(f for f in Feature if f is not Feature.ARC_GATEWAY)
"""The features a user names; the gateway is selected by its URL instead."""
GATEWAY_SUFFIX: Final = ".gw.arc.azure.com"
"""How every Arc gateway URL's host name ends (``<prefix>.gw.arc.azure.com``)."""
_REGION: Final = re.compile(r"[a-z][a-z0-9]*")


@dataclass(frozen=True)
class EndpointOptions:
    """What the cluster is and uses: the question the endpoint list answers."""

    cloud: Cloud = Cloud.PUBLIC
    """The Azure cloud the cluster is connected to."""
    region: str | None = None
    """The Azure region of the connected cluster resource (``eastus2``); needed by the
    entries that name the region."""
    features: frozenset[Feature] = frozenset({Feature.CORE})
    """The features in use (``core`` is always added; so are the features these imply)."""
    gateway_url: str | None = None
    """The Arc gateway's URL (``https://<prefix>.gw.arc.azure.com``) when one is in use."""
    platform: Platform = Platform.ARC_K8S
    """What the cluster runs on."""
    key_vaults: tuple[str, ...] = ()
    """Names of the Key Vaults extensions or workloads read (feature ``key-vault``)."""
    region_code: str | None = None
    """The region's short code, where the catalog does not know it."""
    include_conditional: bool = False
    """Whether to list entries needed only in a further scenario (an older deployment)."""

    def enabled_features(self) -> frozenset[Feature]:
        """The features in effect: those given, ``core``, ``key-vault`` when vault names are
        given, ``arc-gateway`` when a gateway URL is, and what these imply."""
        enabled = set(self.features) | {Feature.CORE}
        if self.key_vaults:
            enabled.add(Feature.KEY_VAULT)
        if self.gateway_url is not None:
            enabled.add(Feature.ARC_GATEWAY)
        pending = list(enabled)
        while pending:
            implied = FEATURE_IMPLIES.get(pending.pop(), frozenset()) - enabled
            enabled |= implied
            pending.extend(implied)
        return frozenset(enabled)

    def platforms(self) -> frozenset[Platform]:
        """The platforms whose entries apply: an AKS Arc cluster is an Arc-enabled cluster too."""
        return frozenset({Platform.ARC_K8S, self.platform})


@dataclass(frozen=True)
class ResolvedEndpoint:
    """A catalog entry that applies, with its placeholders filled in."""

    entry: CatalogEntry
    """The catalog entry."""
    fqdn: str | None
    """The destination name with placeholders filled in (None for an in-site entry)."""
    needed_for: FeatureCombination
    """The enabled features that make it needed."""
    carried_by_gateway: bool = False
    """Whether the Arc gateway in use carries it: then the firewall needs no opening for it."""

    @property
    def needs_opening(self) -> bool:
        """Whether the firewall (or the site's internal filtering) must let it through."""
        return not self.carried_by_gateway


@dataclass(frozen=True)
class EndpointReport:
    """The endpoint list for one set of options, as the renderers show it."""

    options: EndpointOptions
    """The question."""
    endpoints: tuple[ResolvedEndpoint, ...]
    """What is needed, in catalog order."""
    conditional: tuple[ResolvedEndpoint, ...] = ()
    """Entries needed only in a further scenario, left out of ``endpoints`` (all of them are in
    ``endpoints`` instead when the options include conditional entries)."""
    stale: tuple[StaleEntry, ...] = ()
    """Dropped entries an allow-list should no longer hold (when asked for)."""
    sources: tuple[CatalogSource, ...] = ()
    """The documents the listed entries come from, in catalog order."""
    unlisted_features: tuple[Feature, ...] = ()
    """Features in effect that no entry of the cloud and platforms needs: the documents list
    nothing for them there (the portal in Azure Government), which the reader should know."""


def _shown(text: str, limit: int = 40) -> str:
    """A value for an error message, cut when long (an option can be megabytes)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_features(text: str) -> frozenset[Feature]:
    """A comma-separated feature list (``cluster-connect,azure-rbac``; ``all`` for every
    one); QueryError naming the valid ones for an unknown one."""
    out: set[Feature] = set()
    for item in text.split(","):
        name = item.strip().lower()
        if not name:
            continue
        if name == ALL_FEATURES:
            out.update(SELECTABLE_FEATURES)
        elif name == Feature.ARC_GATEWAY.value:
            raise QueryError("the Arc gateway is selected by its URL (--gateway URL), not by name")
        else:
            try:
                out.add(Feature(name))
            except ValueError:
                valid = ", ".join([ALL_FEATURES, *(f.value for f in SELECTABLE_FEATURES)])
                raise QueryError(f"unknown feature {_shown(name)!r} (valid: {valid})") from None
    return frozenset(out)


def required_endpoints(
    catalog: EndpointCatalog, options: EndpointOptions
) -> list[ResolvedEndpoint]:
    """The entries the cluster needs, in catalog order, placeholders filled in (one endpoint
    per Key Vault name); conditional entries only when the options include them.

    Raises QueryError for options that cannot be answered: a gateway outside the public
    cloud, a platform the catalog has no entries for in the cloud, a missing region or
    vault name, a region whose short code is needed and unknown.
    """
    return [
        r for r in _applicable(catalog, options) if r.entry.required or options.include_conditional
    ]


def conditional_endpoints(
    catalog: EndpointCatalog, options: EndpointOptions
) -> list[ResolvedEndpoint]:
    """The entries left out of ``required_endpoints`` because they are needed only in a
    further scenario (empty when the options include them)."""
    if options.include_conditional:
        return []
    return [r for r in _applicable(catalog, options) if not r.entry.required]


def stale_entries(catalog: EndpointCatalog, options: EndpointOptions) -> list[StaleEntry]:
    """The dropped entries of the cloud and platforms, less those a platform in use still
    lists (a name the Arc-enabled Kubernetes list dropped that Azure Local still needs)."""
    platforms = options.platforms()
    return [
        s
        for s in catalog.stale
        if s.cloud is options.cloud
        and s.platform in platforms
        and not platforms & set(s.still_listed_for)
    ]


def endpoint_report(
    catalog: EndpointCatalog, options: EndpointOptions, *, show_stale: bool = False
) -> EndpointReport:
    """Everything the renderers show for ``options``."""
    endpoints = tuple(required_endpoints(catalog, options))
    conditional = tuple(conditional_endpoints(catalog, options))
    stale = tuple(stale_entries(catalog, options)) if show_stale else ()
    used = {r.entry.source for r in (*endpoints, *conditional)}
    used |= {r.entry.service_tags_source for r in endpoints if r.entry.service_tags_source}
    used |= {s.source for s in stale}
    sources = tuple(s for s in catalog.sources if s.id in used)
    return EndpointReport(
        options, endpoints, conditional, stale, sources, unlisted_features(catalog, options)
    )


def unlisted_features(catalog: EndpointCatalog, options: EndpointOptions) -> tuple[Feature, ...]:
    """The features in effect that no entry of the cloud and platforms names, in declaration
    order (``core`` always has entries)."""
    platforms = options.platforms()
    named = {
        feature
        for entry in catalog.entries
        if entry.cloud is options.cloud and entry.platform in platforms
        for combination in entry.features
        for feature in combination
    }
    enabled = options.enabled_features()
    return tuple(f for f in Feature if f in enabled and f not in named)


def required_flows(resolved: list[ResolvedEndpoint]) -> list[RequiredFlow]:
    """The outbound flows of ``resolved`` a firewall must judge, one per endpoint.

    In-site entries name networks by their role (the management network, the AKS VMs'
    logical network), which only an address plan turns into addresses: they have no flow
    here. ``routed_by_gateway`` is set for the flows the gateway carries, which is only when
    the options name a gateway: without one, a routed entry still needs its opening.
    """
    return [
        RequiredFlow(
            direction=TrafficDirection.OUTBOUND,
            destinations=Destinations(names=DomainPatternSet([r.fqdn])),
            services=PortSet.from_ranges({r.entry.protocol.value: [(p, p) for p in r.entry.ports]}),
            reason=f"{r.entry.id}: {r.entry.purpose}",
            entry_id=r.entry.id,
            routed_by_gateway=r.carried_by_gateway,
            service_tags=r.entry.service_tags,
        )
        for r in resolved
        if r.entry.direction is EntryDirection.OUTBOUND and r.fqdn is not None
    ]


def _applicable(catalog: EndpointCatalog, options: EndpointOptions) -> list[ResolvedEndpoint]:
    _check_options(catalog, options)
    enabled = options.enabled_features()
    platforms = options.platforms()
    gateway = options.gateway_url is not None
    out: list[ResolvedEndpoint] = []
    for entry in catalog.entries:
        if entry.cloud is not options.cloud or entry.platform not in platforms:
            continue
        needed_for = entry.needed_for(enabled)
        if needed_for is None:
            continue
        carried = gateway and entry.arc_gateway is GatewayRoute.ROUTED
        out.extend(
            ResolvedEndpoint(entry, fqdn, needed_for, carried)
            for fqdn in _names(entry, catalog, options)
        )
    return out


def _check_options(catalog: EndpointCatalog, options: EndpointOptions) -> None:
    if options.gateway_url is not None and options.cloud is not Cloud.PUBLIC:
        raise QueryError(
            f"the Azure Arc gateway is not available in cloud {options.cloud.value}: the"
            " network requirements give it for the public cloud only"
        )
    if not any(
        e.platform is options.platform and e.cloud is options.cloud for e in catalog.entries
    ):
        clouds = sorted({e.cloud.value for e in catalog.entries if e.platform is options.platform})
        raise QueryError(
            f"the catalog has no {options.platform.value} entries for cloud"
            f" {options.cloud.value} (only for: {', '.join(clouds) or 'none'})"
        )


def _names(
    entry: CatalogEntry, catalog: EndpointCatalog, options: EndpointOptions
) -> list[str | None]:
    """The entry's destination names with placeholders filled in (one per vault name)."""
    if entry.fqdn is None:
        return [None]
    name = entry.fqdn
    if "<region>" in name:
        name = name.replace("<region>", _region(entry, options))
    if "<region-code>" in name:
        name = name.replace("<region-code>", _region_code(entry, catalog, options))
    if "<gateway-prefix>" in name:
        name = name.replace("<gateway-prefix>", gateway_prefix(options.gateway_url or ""))
    if "<vault-name>" in name:
        if not options.key_vaults:
            raise QueryError(
                f"{entry.id} ({entry.fqdn}) needs the Key Vault names: pass --key-vault NAME"
                " (repeatable), or leave out the features that use Key Vault"
            )
        return [_checked(entry, name.replace("<vault-name>", v)) for v in options.key_vaults]
    return [_checked(entry, name)]


def _checked(entry: CatalogEntry, name: str) -> str:
    try:
        return normalize_pattern(name)
    except ValueError as exc:
        raise QueryError(f"{entry.id}: the name filled in is not valid: {exc}") from None


def normalize_region(text: str) -> str:
    """An Azure region name as the endpoint names write it: lower case, without spaces
    (``East US 2`` is ``eastus2``); QueryError for anything else."""
    region = text.replace(" ", "").lower()
    if not _REGION.fullmatch(region):
        raise QueryError(f"invalid region {_shown(text)!r} (an Azure region name such as eastus2)")
    return region


def _region(entry: CatalogEntry, options: EndpointOptions) -> str:
    if options.region is None:
        raise QueryError(
            f"{entry.id} ({entry.fqdn}) needs the region: pass --region NAME (the Azure"
            " region of the connected cluster, without spaces, such as eastus2)"
        )
    return normalize_region(options.region)


def _region_code(entry: CatalogEntry, catalog: EndpointCatalog, options: EndpointOptions) -> str:
    if options.region_code is not None:
        code = options.region_code.strip().lower()
        if not _REGION.fullmatch(code):
            raise QueryError(f"invalid region code {_shown(options.region_code)!r} (such as eus)")
        return code
    region = _region(entry, options)
    found = catalog.region_code(region)
    if found is None:
        known = ", ".join(f"{r.region} -> {r.code}" for r in catalog.region_codes) or "none"
        raise QueryError(
            f"{entry.id} ({entry.fqdn}) needs the short code of region {region!r}, which the"
            f" catalog does not know (it knows {known}): pass --region-code CODE"
            + (f" (the list writes the name {entry.listed_as})" if entry.listed_as else "")
        )
    return found.code


def gateway_prefix(url: str) -> str:
    """The first label of an Arc gateway URL (``https://abc.gw.arc.azure.com`` gives
    ``abc``); QueryError for a URL that is not an Arc gateway's."""
    text = url.strip()
    shown = _shown(text, 60)
    try:
        parsed = urllib.parse.urlsplit(text if "//" in text else f"https://{text}")
        scheme, host, port = parsed.scheme, (parsed.hostname or "").lower(), parsed.port
    except ValueError:  # a port that is no number, a bracketed host that is no address
        scheme, host, port = "", "", None
    if scheme != "https" or not host.endswith(GATEWAY_SUFFIX) or port not in (None, 443):
        raise QueryError(
            f"invalid Arc gateway URL {shown!r} (expected https://<prefix>{GATEWAY_SUFFIX},"
            " as az arcgateway list shows it)"
        )
    prefix = host.removesuffix(GATEWAY_SUFFIX)
    try:
        if "." in prefix or normalize_pattern(prefix) != prefix:
            raise ValueError(prefix)
    except ValueError:
        raise QueryError(
            f"invalid Arc gateway URL {shown!r}: the prefix before {GATEWAY_SUFFIX} must be one"
            " label"
        ) from None
    return prefix
