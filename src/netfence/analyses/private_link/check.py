"""``privatelink check`` as one call: a design's names against a resolver, its limits, and the
firewall layers on the way out.

Every name the design needs is resolved (CNAME chain kept) and classed; a resolver failure is
caught per name and kept as that name's message, so one bad answer never stops the run. With
no resolver, the names are listed as not checked, said once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from netfence.analyses.private_link import catalog as checks
from netfence.analyses.private_link.firewall import (
    public_endpoint_findings,
    reached_privately,
    stay_public_findings,
)
from netfence.analyses.private_link.limits import limit_findings, settings_resource
from netfence.analyses.private_link.names import (
    PRIVATE_CLASSES,
    NameClass,
    NameRow,
    Unbuildable,
    classify,
    needed_names,
)
from netfence.model.findings import CheckInfo, Finding
from netfence.model.firewall import FirewallLayer
from netfence.model.private_link import PrivateLinkCatalog, PrivateLinkSettings, WorkloadService
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.resolver import Resolver


@dataclass(frozen=True)
class PrivateLinkResult:
    """The findings, and the name table they were computed from."""

    findings: tuple[Finding, ...]
    """Every Private Link finding."""
    names: tuple[NameRow, ...]
    """One row per needed name, in the order needed."""
    unbuildable: tuple[Unbuildable, ...] = ()
    """Name templates the settings could not fill."""
    subnets: IPRangeSet | None = None
    """The private-endpoint subnets compared against; None: none given."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What was assumed (from the settings' ``derived``)."""


def check_private_link(
    settings: PrivateLinkSettings,
    catalog: PrivateLinkCatalog,
    resolver: Resolver | None,
    private_endpoint_subnets: IPRangeSet | None = None,
    layers: Sequence[FirewallLayer] = (),
    sources: IPRangeSet | None = None,
    region_codes: Mapping[str, str] | None = None,
) -> PrivateLinkResult:
    """The findings and name table of ``settings``.

    ``private_endpoint_subnets`` (from the address plan) take precedence over the settings'
    own; ``layers`` are the firewalls on the path out, in order, and ``sources`` the
    cluster's addresses as they see them (None: any source); ``region_codes`` map region names
    to the short codes the Hybrid Identity Service's regional names use.
    """
    subnets = private_endpoint_subnets or settings.private_endpoint_subnets
    zones = catalog.cloud(settings.cloud)
    needed, unbuildable = needed_names(settings, zones, region_codes or {})
    rows = [classify(n, resolver, subnets) for n in needed]
    findings: list[Finding] = list(limit_findings(settings, catalog))
    if settings.scopes and (zones is None or not zones.arc_zones):
        note = zones.arc_zones_note if zones is not None else "the catalog has no such cloud"
        findings.append(
            Finding(
                checks.NOT_CHECKED,
                f"Cannot check Arc's private DNS zones in the {settings.cloud.value} cloud: {note}.",
                (settings_resource(settings),),
                {"cloud": settings.cloud.value},
                detail_key=f"arc zones {settings.cloud.value}",
            )
        )
    findings.extend(_unbuildable(unbuildable))
    findings.extend(_name_findings(rows, subnets))
    findings.extend(_not_checked(rows, settings))
    findings.extend(stay_public_findings(layers, catalog.must_stay_public, resolver, sources))
    by_service: dict[WorkloadService, list[str]] = {}
    for row in rows:
        if row.needed.service is not None:
            by_service.setdefault(row.needed.service, []).append(row.needed.name)
    findings.extend(
        public_endpoint_findings(layers, reached_privately(settings, zones, by_service), sources)
    )
    return PrivateLinkResult(
        tuple(findings), tuple(rows), tuple(unbuildable), subnets, settings.derived
    )


def _unbuildable(missing: Sequence[Unbuildable]) -> Iterator[Finding]:
    for item in missing:
        yield Finding(
            checks.NOT_CHECKED,
            f"Cannot check {item.template}: {item.reason}.",
            (item.resource,),
            {"template": item.template, "reason": item.reason},
            detail_key=item.template,
        )


def _name_findings(rows: Sequence[NameRow], subnets: IPRangeSet | None) -> Iterator[Finding]:
    for row in rows:
        found = _row_finding(row, subnets)
        if found is not None:
            yield found
        if row.verdict in PRIVATE_CLASSES and row.via_zone is False:
            yield _finding(
                checks.NOT_THROUGH_ZONE,
                f"{row.needed.name} resolves privately without passing through"
                f" {' or '.join(row.needed.zones)}: {row.message}.",
                row,
            )


def _row_finding(row: NameRow, subnets: IPRangeSet | None) -> Finding | None:
    name, zones = row.needed.name, " or ".join(row.needed.zones)
    if row.verdict is NameClass.PUBLIC:
        return _finding(
            checks.RESOLVES_PUBLIC,
            f"{name} ({row.needed.purpose}) resolves to a public address: {row.message}. Its"
            f" traffic leaves over the internet, or fails where public access is off; {zones}"
            " is not answering for it.",
            row,
        )
    if row.verdict is NameClass.PRIVATE_OUTSIDE and subnets is not None:
        outside = (row.addresses - subnets).compact() if row.addresses is not None else ""
        return _finding(
            checks.OUTSIDE_SUBNETS,
            f"{name} resolves to {outside}, in none of the private-endpoint subnets"
            f" ({subnets.compact()}): {row.message}.",
            row,
        )
    if row.verdict is NameClass.NOT_RESOLVING:
        return _finding(checks.NOT_RESOLVING, f"{row.message}; {zones} has no record for it.", row)
    if row.verdict is NameClass.RESOLVER_FAILED:
        return _finding(
            checks.RESOLVER_FAILED, f"{name} could not be resolved: {row.message}.", row
        )
    return None


def _finding(info: CheckInfo, message: str, row: NameRow) -> Finding:
    evidence = {
        "name": row.needed.name,
        "zones": list(row.needed.zones),
        "chain": list(row.chain),
        "addresses": [] if row.addresses is None else row.addresses.cidr_strings(),
        "class": row.verdict.value,
        "answer": row.message,
    }
    return Finding(info, message, (row.needed.resource,), evidence, detail_key=row.needed.name)


def _not_checked(rows: Sequence[NameRow], settings: PrivateLinkSettings) -> Iterator[Finding]:
    """One finding for every name left unresolved, whatever the reason."""
    left = [r for r in rows if r.verdict is NameClass.NOT_CHECKED]
    if not left:
        return
    reasons = sorted({r.message for r in left if r.message == "no resolver given"})
    why = (
        "no resolver given (--resolver or --dns-answers)"
        if reasons
        else "the answer file does not list them"
    )
    shown = ", ".join(r.needed.name for r in left[:8]) + (
        f" and {len(left) - 8} more" if len(left) > 8 else ""
    )
    yield Finding(
        checks.NOT_CHECKED,
        f"{len(left)} needed name(s) not resolved: {why}: {shown}.",
        (settings_resource(settings),),
        {"names": [r.needed.name for r in left], "reason": why},
        detail_key="not resolved",
    )
