"""The firewall side of a Private Link design.

The endpoints Private Link does not cover (Entra ID, Azure Resource Manager, Microsoft
Container Registry, AzureFrontDoor.FirstParty) are required flows on TCP 443, judged through
the layers in order as ``firewall check`` judges required flows; a blocked one names the
layer and rule that block it. And an allow rule whose destinations cover the public name,
the public service tag, or every public address of a service the design reaches privately
is named too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from netfence.analyses.firewall.check import layer_resource, rule_name, rule_resource, tag_covers
from netfence.analyses.firewall.run import public_endpoints
from netfence.analyses.private_link import catalog as checks
from netfence.engine.firewall import FirewallSpace, PathCheck, Verdict
from netfence.model.findings import Cause, Finding, Severity
from netfence.model.firewall import (
    Destinations,
    FirewallLayer,
    FirewallRule,
    RequiredFlow,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.model.private_link import (
    CloudZones,
    MustStayPublic,
    PrivateLinkSettings,
    ServiceZones,
    WorkloadService,
)
from netfence.sets.ipranges import PUBLIC_ADDRESSES, IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet
from netfence.sources.resolver import ResolutionError, Resolver

TAG_ONLY_SUFFIX: Final = ".service-tag.invalid"
"""Stands for the destinations of an endpoint known by its service tag alone (no names):
``.invalid`` is reserved, so no rule names it and no resolver is asked about it; only rules
on the tag, on any name, or on every public address match it."""


class LenientResolver:
    """A resolver whose failures mean "unknown": the firewall evaluator then says "cannot
    decide" for the name instead of the run stopping (the name table reports the failure)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def addresses(self, name: str) -> IPRangeSet | None:
        """The addresses of ``name``, None when the server failed or for a stand-in name."""
        if name.endswith(TAG_ONLY_SUFFIX):
            return None
        try:
            return self.resolver.addresses(name)
        except ResolutionError:
            return None


def stay_public_flows(
    endpoints: Sequence[MustStayPublic], sources: IPRangeSet | None
) -> list[RequiredFlow]:
    """One required flow per endpoint that must stay public, from ``sources``."""
    flows = []
    for endpoint in endpoints:
        names = endpoint.names or (f"{endpoint.id}{TAG_ONLY_SUFFIX}",)
        services = PortSet.from_ranges({"TCP": [(p, p) for p in endpoint.ports]})
        flows.append(
            RequiredFlow(
                TrafficDirection.OUTBOUND,
                Destinations(names=DomainPatternSet(names)),
                services,
                reason=f"{endpoint.service_tag} ({endpoint.purpose})",
                entry_id=endpoint.id,
                sources=sources,
                service_tags=(endpoint.service_tag,),
            )
        )
    return flows


def stay_public_findings(
    layers: Sequence[FirewallLayer],
    endpoints: Sequence[MustStayPublic],
    resolver: Resolver | None,
    sources: IPRangeSet | None,
) -> Iterator[Finding]:
    """NF317: each endpoint that must stay public, judged through ``layers`` in order."""
    if not layers:
        return
    flows = stay_public_flows(endpoints, sources)
    space = FirewallSpace.build(
        layers,
        flows,
        resolver=None if resolver is None else LenientResolver(resolver),
        sources=[sources] if sources is not None else [],
        tag_covers=tag_covers(flows),
        name_bound=public_endpoints(flows),
    )
    for endpoint, flow in zip(endpoints, flows, strict=True):
        path = space.check_path(flow, range(len(layers)), sources)
        if path.verdict is Verdict.DENY:
            yield _blocked(layers, endpoint, path)
        elif path.verdict is Verdict.UNDECIDED:
            yield _undecided(layers, endpoint, path)


def _what(endpoint: MustStayPublic) -> str:
    names = f" ({', '.join(endpoint.names)})" if endpoint.names else ""
    ports = ", ".join(str(p) for p in endpoint.ports)
    return f"{endpoint.service_tag}{names} on TCP {ports}"


def _blocked(layers: Sequence[FirewallLayer], endpoint: MustStayPublic, path: PathCheck) -> Finding:
    blockers = []
    resources = []
    for layer_index, rule in path.blocking:
        layer = layers[layer_index]
        if rule is None:
            blockers.append(f"{layer.name}: default")
            resources.append(layer_resource(layer))
        else:
            blockers.append(rule_name(layer.rules[rule]))
            resources.append(rule_resource(layer, rule))
    return Finding(
        checks.PUBLIC_BLOCKED,
        f"{_what(endpoint)} must stay public, but is blocked by {', '.join(blockers)}.",
        tuple(resources),
        {"endpoint": endpoint.id, "service_tag": endpoint.service_tag, "blocked_by": blockers},
        detail_key=endpoint.id,
        cause=Cause(resources[0]),
    )


def _undecided(
    layers: Sequence[FirewallLayer], endpoint: MustStayPublic, path: PathCheck
) -> Finding:
    deciders = sorted(
        {
            rule_name(layers[check.layer].rules[r])
            for check in path.checks
            for r in check.undecided_by
        }
    )
    by = f" (undecided by {', '.join(deciders)})" if deciders else ""
    return Finding(
        checks.PUBLIC_BLOCKED,
        f"Cannot decide whether the layers let {_what(endpoint)} through{by}: give the service"
        " tags file (--service-tags) or a resolver.",
        tuple(layer_resource(layer) for layer in layers),
        {"endpoint": endpoint.id, "service_tag": endpoint.service_tag, "undecided_by": deciders},
        severity=Severity.LOW,
        detail_key=f"{endpoint.id} undecided",
    )


@dataclass(frozen=True)
class _Reached:
    """A service reached privately, with its public names and tag."""

    service: WorkloadService
    names: tuple[str, ...]
    tag: str | None


def reached_privately(
    settings: PrivateLinkSettings, zones: CloudZones | None, names: dict[WorkloadService, list[str]]
) -> list[_Reached]:
    """The services reached privately whose public endpoint need not stay open."""
    out = []
    for service in settings.services:
        known: ServiceZones | None = None if zones is None else zones.service(service.kind)
        if known is None or known.stays_public:
            continue
        out.append(_Reached(service, tuple(names.get(service, ())), known.service_tag))
    return out


def public_endpoint_findings(
    layers: Sequence[FirewallLayer],
    reached: Sequence[_Reached],
    sources: IPRangeSet | None,
) -> Iterator[Finding]:
    """NF318: allow rules covering the public endpoint of a service reached privately.

    Per layer, the first rule (in evaluation order) covering a service's public endpoint on
    TCP 443 decides it: an allow is named, a deny (``Internet``, the tag, the name) closes it
    for the rules after, which then allow nothing of it."""
    https = PortSet.of("TCP", 443)
    for layer in layers:
        open_ = list(reached)
        for index, rule in enumerate(layer.rules):
            if not _outbound(rule, https, sources):
                continue
            covered = [(r, why) for r in open_ if (why := _covers(rule, r)) is not None]
            open_ = [r for r in open_ if all(r is not c for c, _ in covered)]
            if covered and rule.action is Action.ALLOW:
                yield _allowed(layer, index, covered)


def _outbound(rule: FirewallRule, https: PortSet, sources: IPRangeSet | None) -> bool:
    if rule.direction is not TrafficDirection.OUTBOUND or rule.action is Action.PASS:
        return False
    if not rule.match.services & https:
        return False
    return sources is None or bool(rule.match.sources & sources) or bool(rule.match.source_tags)


_EVERY_PUBLIC_TAGS: Final = frozenset({"Internet"})
"""Tags standing for every public address (NSG's ``Internet``)."""


def _covers(rule: FirewallRule, reached: _Reached) -> str | None:
    """How ``rule`` reaches the service's public endpoint, if it does."""
    destinations = rule.match.destinations
    for name in reached.names:
        if name in destinations.names:
            return f"its name {name}"
    tag = reached.tag
    if tag is not None and any(t == tag or t.startswith(f"{tag}.") for t in destinations.tags):
        return f"its service tag {tag}"
    if PUBLIC_ADDRESSES.issubset(destinations.addresses) or _EVERY_PUBLIC_TAGS & set(
        destinations.tags
    ):
        return "every public address"
    return None


def _allowed(layer: FirewallLayer, index: int, covered: list[tuple[_Reached, str]]) -> Finding:
    rule = layer.rules[index]
    shown = "; ".join(f"{r.service.kind.value} {r.service.name} ({why})" for r, why in covered)
    resource = rule_resource(layer, index)
    return Finding(
        checks.PUBLIC_ENDPOINT_ALLOWED,
        f"{rule_name(rule)} allows the public endpoint of services reached privately: {shown}.",
        (resource, layer_resource(layer)),
        {
            "rule": rule_name(rule),
            "services": [
                {"kind": r.service.kind.value, "name": r.service.name, "how": why}
                for r, why in covered
            ],
        },
        detail_key=rule.origin.path,
        cause=Cause(resource),
    )
