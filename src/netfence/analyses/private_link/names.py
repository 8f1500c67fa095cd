"""The names a Private Link design needs, and what a resolver says about each.

Per scope: Arc's names (the Hybrid Identity Service's global and regional names, the guest
configuration agent service, each cluster region's Kubernetes configuration data plane).
Per workload service: its public names (``{name}.vault.azure.net``, a registry's login server
and regional data endpoint, ...). Each is resolved with its CNAME chain kept, and classed as
private in the private-endpoint subnets, private outside them, private with no subnets to
compare, public, not resolving, resolver failed, or not checked.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from netfence.model.findings import ResourceRef
from netfence.model.private_link import (
    CloudZones,
    PrivateLinkScope,
    PrivateLinkSettings,
    ServiceKind,
    WorkloadService,
)
from netfence.sets.ipranges import PUBLIC_ADDRESSES, IPRangeSet
from netfence.sets.names import name_matches
from netfence.sources.resolver import (
    AnswerFileResolver,
    ResolutionError,
    ResolutionStatus,
    Resolver,
)


class NameClass(enum.StrEnum):
    """What a needed name resolves to, as the table shows it."""

    PRIVATE_IN_SUBNETS = "private"
    """Private, in the private-endpoint subnets."""
    PRIVATE_OUTSIDE = "private, outside the subnets"
    """A non-public address in none of the private-endpoint subnets."""
    PRIVATE_UNCOMPARED = "private (no private-endpoint subnets given to compare)"
    """Non-public, with no subnets to compare against."""
    PUBLIC = "public"
    """At least one public address."""
    NOT_RESOLVING = "not resolving"
    """NXDOMAIN, or no A or AAAA records."""
    RESOLVER_FAILED = "resolver failed"
    """The server failed (SERVFAIL, REFUSED, timeout, malformed reply, CNAME loop)."""
    NOT_CHECKED = "not checked"
    """No resolver, or the answer file does not list the name."""


PRIVATE_CLASSES = frozenset(
    {NameClass.PRIVATE_IN_SUBNETS, NameClass.PRIVATE_OUTSIDE, NameClass.PRIVATE_UNCOMPARED}
)
"""The classes of a name answered with private addresses only."""


@dataclass(frozen=True)
class NeededName:
    """A name that must resolve to a private endpoint, and why."""

    name: str
    """The exact name."""
    zones: tuple[str, ...]
    """The privatelink zones its answer should come from."""
    purpose: str
    """Whose it is: ``Arc (scope pls-east)`` or ``key-vault myvault``."""
    resource: ResourceRef
    """The settings entry behind it (the scope or the service), for findings."""
    service: WorkloadService | None = None
    """The workload service, for a service's name; None for Arc's."""


@dataclass(frozen=True)
class Unbuildable:
    """A name template the settings cannot fill, said as "cannot check"."""

    template: str
    """The template (``{region-code}.his.arc.azure.com``)."""
    reason: str
    """What is missing."""
    resource: ResourceRef
    """The settings entry it was for."""


@dataclass(frozen=True)
class NameRow:
    """One row of the name table."""

    needed: NeededName
    """The name and why it is needed."""
    verdict: NameClass
    """What it resolves to."""
    chain: tuple[str, ...] = ()
    """The CNAME targets followed."""
    addresses: IPRangeSet | None = None
    """Its addresses, where it resolved."""
    message: str = ""
    """The resolver's answer or failure, in words."""
    via_zone: bool | None = None
    """Whether the chain passes through one of its privatelink zones (None: not resolved)."""


def scope_resource(scope: PrivateLinkScope) -> ResourceRef:
    """The finding resource of a scope."""
    return ResourceRef("PrivateLinkScope", None, scope.name, scope.origin)


def service_resource(service: WorkloadService) -> ResourceRef:
    """The finding resource of a workload service."""
    return ResourceRef(
        "PrivateLinkService", None, f"{service.kind.value}/{service.name}", service.origin
    )


def needed_names(
    settings: PrivateLinkSettings, zones: CloudZones | None, region_codes: Mapping[str, str]
) -> tuple[list[NeededName], list[Unbuildable]]:
    """Every name the design needs resolved privately (each once), and the templates that
    cannot be filled."""
    names: dict[str, NeededName] = {}
    missing: list[Unbuildable] = []
    if zones is not None:
        for found in (
            *_arc_names(settings, zones, region_codes, missing),
            *_service_names(settings, zones, missing),
        ):
            names.setdefault(found.name, found)
    return list(names.values()), missing


def _arc_names(
    settings: PrivateLinkSettings,
    zones: CloudZones,
    region_codes: Mapping[str, str],
    missing: list[Unbuildable],
) -> Iterator[NeededName]:
    for scope in settings.scopes:
        resource = scope_resource(scope)
        regions = list(
            dict.fromkeys([c.region or scope.region for c in scope.clusters] or [scope.region])
        )
        for zone in zones.arc_zones:
            for template in zone.names:
                for region in regions if "{region" in template else regions[:1]:
                    values = {"{region}": region, "{region-code}": region_codes.get(region)}
                    name, lacking = fill(template, values)
                    if name is None:
                        missing.append(
                            Unbuildable(template, f"{lacking} of {region} is not known", resource)
                        )
                        continue
                    yield NeededName(name, (zone.zone,), f"Arc (scope {scope.name})", resource)


def _service_names(
    settings: PrivateLinkSettings, zones: CloudZones, missing: list[Unbuildable]
) -> Iterator[NeededName]:
    for service in settings.services:
        resource = service_resource(service)
        known = zones.service(service.kind)
        if known is None:
            missing.append(
                Unbuildable(
                    service.kind.value,
                    f"the documents give no zone for it in the {zones.cloud.value} cloud",
                    resource,
                )
            )
            continue
        for template in known.names:
            values = {"{name}": service.name, "{region}": service.region}
            name, lacking = fill(template, values)
            if name is None:
                missing.append(
                    Unbuildable(template, f"the service's {lacking} is not given", resource)
                )
                continue
            yield NeededName(
                name, known.zones, f"{service.kind.value} {service.name}", resource, service
            )


def fill(template: str, values: Mapping[str, str | None]) -> tuple[str | None, str | None]:
    """(the name, None), or (None, the placeholder lacking a value)."""
    name = template
    for placeholder, value in values.items():
        if placeholder in name:
            if value is None:
                return None, placeholder.strip("{}").replace("-", " ")
            name = name.replace(placeholder, value)
    return name, None


def classify(needed: NeededName, resolver: Resolver | None, subnets: IPRangeSet | None) -> NameRow:
    """What ``resolver`` says about ``needed``: a server failure is kept as the row's
    message, never raised."""
    if resolver is None:
        return NameRow(needed, NameClass.NOT_CHECKED, message="no resolver given")
    try:
        found = resolver.resolve(needed.name)
    except ResolutionError as error:
        return NameRow(needed, NameClass.RESOLVER_FAILED, message=str(error))
    if found.status is ResolutionStatus.UNKNOWN or found.addresses is None:
        return NameRow(needed, NameClass.NOT_CHECKED, found.chain, message=found.describe())
    # An answer file lists addresses only: whether a chain passed the zone is not known.
    via = None
    if not isinstance(resolver, AnswerFileResolver):
        via = any(name_matches(f"*.{zone}", h) for h in found.chain for zone in needed.zones)
    if not found.addresses:
        return NameRow(
            needed, NameClass.NOT_RESOLVING, found.chain, found.addresses, found.describe(), via
        )
    return NameRow(
        needed,
        _address_class(found.addresses, subnets),
        found.chain,
        found.addresses,
        found.describe(),
        via,
    )


def _address_class(addresses: IPRangeSet, subnets: IPRangeSet | None) -> NameClass:
    if addresses & PUBLIC_ADDRESSES:
        return NameClass.PUBLIC
    if subnets is None:
        return NameClass.PRIVATE_UNCOMPARED
    if addresses.issubset(subnets):
        return NameClass.PRIVATE_IN_SUBNETS
    return NameClass.PRIVATE_OUTSIDE


def kinds_reached_privately(settings: PrivateLinkSettings) -> frozenset[ServiceKind]:
    """The service kinds the design reaches through private endpoints."""
    return frozenset(s.kind for s in settings.services)
