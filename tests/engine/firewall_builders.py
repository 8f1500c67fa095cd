"""Firewall layers for the engine and analysis tests, built directly in the model."""

from __future__ import annotations

from collections.abc import Iterable

from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    FirewallLayer,
    FirewallMatch,
    FirewallRule,
    FirewallRuleOrigin,
    LayerSettings,
    RequiredFlow,
    RuleStage,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.model.origin import ExportOrigin
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet

OUT = TrafficDirection.OUTBOUND
IN = TrafficDirection.INBOUND
ALLOW = Action.ALLOW
DENY = Action.DENY


def addresses(*cidrs: str) -> IPRangeSet:
    """The union of CIDRs; ``*`` for every address."""
    if "*" in cidrs:
        return IPRangeSet.everything()
    return IPRangeSet.from_cidrs(cidrs)


def tcp(*ports: int) -> PortSet:
    """TCP ports."""
    out = PortSet.none()
    for port in ports:
        out |= PortSet.of("TCP", port)
    return out


def rule(
    action: Action,
    *,
    sources: IPRangeSet | None = None,
    to: IPRangeSet | None = None,
    names: Iterable[str] = (),
    services: PortSet | None = None,
    direction: TrafficDirection = OUT,
    tags: tuple[str, ...] = (),
    source_tags: tuple[str, ...] = (),
    undecidable: tuple[str, ...] = (),
    stage: RuleStage = RuleStage.FILTER,
    inspects_tls: bool = False,
    path: str = "rule",
    layer: str = "fw",
    kind: FirewallKind = FirewallKind.AZURE_FIREWALL,
) -> FirewallRule:
    """One rule; sources default to every address, services to every port."""
    return FirewallRule(
        direction=direction,
        action=action,
        match=FirewallMatch(
            sources=IPRangeSet.everything() if sources is None else sources,
            destinations=Destinations(
                IPRangeSet() if to is None else to, DomainPatternSet(names), tags
            ),
            services=PortSet.all() if services is None else services,
            source_tags=source_tags,
        ),
        origin=FirewallRuleOrigin(
            layer, kind, path, name=path, origin=ExportOrigin(f"{layer}.json", f"$.{path}")
        ),
        stage=stage,
        undecidable=undecidable,
        inspects_tls=inspects_tls,
    )


def layer(
    *rules: FirewallRule,
    name: str = "fw",
    kind: FirewallKind = FirewallKind.AZURE_FIREWALL,
    default: Action = DENY,
    settings: LayerSettings | None = None,
) -> FirewallLayer:
    """A layer of ``rules`` in order, rule paths numbered when left as ``rule``."""
    numbered = tuple(
        r
        if r.origin.path != "rule"
        else FirewallRule(
            direction=r.direction,
            action=r.action,
            match=r.match,
            origin=FirewallRuleOrigin(
                name,
                kind,
                f"rules[{i}]",
                name=f"r{i}",
                origin=ExportOrigin(f"{name}.json", f"$.rules[{i}]"),
            ),
            stage=r.stage,
            undecidable=r.undecidable,
            inspects_tls=r.inspects_tls,
        )
        for i, r in enumerate(rules)
    )
    return FirewallLayer(
        name=name,
        kind=kind,
        rules=numbered,
        default_outbound=default,
        default_inbound=default,
        origin=ExportOrigin(f"{name}.json", "$"),
        settings=settings or LayerSettings(),
    )


def required(
    *,
    names: Iterable[str] = (),
    to: IPRangeSet | None = None,
    services: PortSet | None = None,
    reason: str = "needed",
    entry_id: str | None = None,
    sources: IPRangeSet | None = None,
    direction: TrafficDirection = OUT,
    routed: bool = False,
) -> RequiredFlow:
    """A required flow (TCP 443 unless told)."""
    return RequiredFlow(
        direction=direction,
        destinations=Destinations(IPRangeSet() if to is None else to, DomainPatternSet(names)),
        services=tcp(443) if services is None else services,
        reason=reason,
        entry_id=entry_id,
        sources=sources,
        routed_by_gateway=routed,
    )
