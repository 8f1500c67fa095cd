"""``firewall check``: the findings of firewall layers against what the cluster requires.

Every check reads one :class:`~netfence.engine.firewall.FirewallSpace` built over the layers,
the required flows and the superseded endpoints, so that each verdict comes from the one
evaluator. The layers are taken as one path, in order: a required flow passes when every
layer allows it, and each layer that blocks a part of it is named.
"""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, NamedTuple

import numpy as np

from netfence.analyses.audit.evidence import Evidence, finding
from netfence.analyses.firewall import catalog
from netfence.analyses.firewall import evidence as ev
from netfence.engine.firewall import (
    NONE,
    Cells,
    FirewallSpace,
    FlowCheck,
    Grid,
    LayerEvaluation,
    NameBound,
    Region,
    Resolver,
    Verdict,
)
from netfence.engine.names import NameClassKind
from netfence.model.findings import Cause, CheckInfo, Finding, ResourceRef, Severity
from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    FirewallLayer,
    FirewallRule,
    RequiredFlow,
    RuleStage,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import ANY, DomainPatternSet
from netfence.sets.ports import PortSet

OUT: Final = TrafficDirection.OUTBOUND
IN: Final = TrafficDirection.INBOUND

RULE_KINDS: Final = {
    FirewallKind.AZURE_FIREWALL: "AzureFirewallRule",
    FirewallKind.NSG: "NSGRule",
    FirewallKind.NFTABLES: "nftablesRule",
    FirewallKind.IPTABLES: "iptablesRule",
}
"""The ResourceRef kind of a rule, per language."""
LAYER_KINDS: Final = {
    FirewallKind.AZURE_FIREWALL: "AzureFirewallPolicy",
    FirewallKind.NSG: "NetworkSecurityGroup",
    FirewallKind.NFTABLES: "nftablesRuleset",
    FirewallKind.IPTABLES: "iptablesRuleset",
}
"""The ResourceRef kind of a layer, per language."""


class StaleEntry(NamedTuple):
    """A name that a superseded endpoint list had and the current one does not."""

    pattern: str
    """The name pattern."""
    removed: str
    """When it was removed (an ISO date, or as the list gives it)."""
    source: str
    """The list (its name or address)."""


@dataclass
class _Context:
    """What every check reads: the space, the flows, and the cluster's addresses."""

    space: FirewallSpace
    flows: tuple[RequiredFlow, ...]
    direct: tuple[RequiredFlow, ...]
    policy_egress: tuple[RequiredFlow, ...]
    stale: tuple[tuple[StaleEntry, RequiredFlow], ...]
    cluster: IPRangeSet | None
    pods: IPRangeSet | None
    gateway_in_use: bool
    gateway_host: str | None

    terms: dict[IPRangeSet, tuple[str, ...]] = field(default_factory=dict)
    required: dict[IPRangeSet | None, Cells] = field(default_factory=dict)

    def layer(self, index: int) -> FirewallLayer:
        return self.space.layers[index]

    def sources(self, index: int) -> IPRangeSet | None:
        """The cluster's addresses as layer ``index`` sees them: the pods' for a layer that
        sees pod addresses (when given), else the cluster's (nodes', after SNAT)."""
        if self.layer(index).sees_pod_addresses and self.pods is not None:
            return self.pods
        return self.cluster

    def required_cells(self, index: int) -> Cells:
        """The cells of every outbound required flow, from the sources layer ``index`` sees."""
        sources = self.sources(index)
        if sources not in self.required:
            cells = np.zeros(self.space.shape, dtype=np.bool_)
            for flow in self.flows:
                if flow.direction is OUT:
                    cells |= self.space.flow_region(flow, sources).cells
                    cells |= self._resolved_region(flow, sources)
            self.required[sources] = cells
        return self.required[sources]

    def _resolved_region(self, flow: RequiredFlow, sources: IPRangeSet | None) -> Cells:
        """The cells of the addresses a flow's exact names resolve to: a rule that matches
        addresses (every rule of nftables, iptables or an NSG; an Azure Firewall network
        rule) reaches the name only there, so allowing them is no surplus. Never part of a
        shortfall: a flow to a name is not blocked because a rule matching the name misses
        its bare addresses."""
        resolver = self.space.resolver
        if resolver is None:
            return np.zeros(self.space.shape, dtype=np.bool_)
        exact = [p for p in flow.destinations.names.patterns if "*" not in p]
        addresses = IPRangeSet.union_of(
            found for found in (resolver.addresses(name) for name in exact) if found is not None
        )
        if not addresses:
            return np.zeros(self.space.shape, dtype=np.bool_)
        as_addresses = replace(flow, destinations=Destinations(addresses=addresses))
        return self.space.flow_region(as_addresses, sources).cells

    def scope(self, region: Region) -> ev.Scope:
        """The names, address terms and ports of a region (terms computed once per set:
        rules on the same service tags share them)."""
        addresses = region.addresses()
        if addresses not in self.terms:
            self.terms[addresses] = _address_terms(addresses)
        return ev.Scope(region.names(), self.terms[addresses], region.services().describe())


_MOST_TERMS: Final = 64
"""Up to this many ranges an address set is written as its fewest terms (CIDRs with
excepts); past it, as its CIDRs, which say the same addresses and cost far less to find
(thousands of service-tag prefixes are scattered ranges, where excepts rarely help)."""


def _address_terms(addresses: IPRangeSet) -> tuple[str, ...]:
    ranges = len(addresses.family(4).intervals) + len(addresses.family(6).intervals)
    if ranges <= _MOST_TERMS:
        return tuple(str(t) for t in addresses.terms())
    return tuple(addresses.cidr_strings())


def check_firewalls(
    layers: Sequence[FirewallLayer],
    required: Sequence[RequiredFlow],
    *,
    cluster_sources: IPRangeSet | None,
    pod_sources: IPRangeSet | None = None,
    resolver: Resolver | None = None,
    gateway_in_use: bool = False,
    gateway_url: str | None = None,
    stale: Sequence[tuple[str, str | datetime.date, str]] = (),
    name_bound: NameBound | None = None,
    policy_egress: Sequence[RequiredFlow] = (),
) -> list[Finding]:
    """Every firewall finding for ``layers`` (one path, in order) against ``required``.

    ``cluster_sources`` are the cluster's addresses as the layers see them (None: any
    source is the cluster's); ``pod_sources``, where given, are the pods' addresses, for
    the layers that see them before SNAT (``FirewallLayer.sees_pod_addresses``). With ``gateway_in_use``, flows the Arc gateway carries are not
    required directly, and allowing them directly is a finding. ``stale`` lists (name
    pattern, removed date, source list) of superseded endpoints. ``name_bound`` gives the
    addresses names the resolver cannot answer are known to lie within (public endpoints'
    are public), so that rules holding all or none of those addresses decide them.

    ``policy_egress`` is the external egress the cluster's policies allow: a firewall
    allowing it is no surplus, and one blocking it is said (NF112), but is no outage.

    A rule judging both directions (Azure Firewall's) that a check reports the same way in
    each is reported once.
    """
    entries = [StaleEntry(pattern, str(removed), source) for pattern, removed, source in stale]
    stale_flows = [
        RequiredFlow(
            OUT,
            Destinations(names=DomainPatternSet([e.pattern])),
            PortSet.all(),
            reason=f"superseded {e.pattern}",
        )
        for e in entries
    ]
    origins = [s for s in (cluster_sources, pod_sources) if s is not None]
    if resolver is not None and origins:
        resolver = SameFamily(resolver, IPRangeSet.union_of(origins))
    space = FirewallSpace.build(
        layers,
        [*required, *policy_egress, *stale_flows],
        resolver=resolver,
        sources=[s for s in (cluster_sources, pod_sources) if s is not None],
        tag_covers=tag_covers(required),
        name_bound=name_bound,
    )
    direct = tuple(f for f in required if not (gateway_in_use and f.routed_by_gateway))
    ctx = _Context(
        space=space,
        flows=(*required, *policy_egress),
        direct=direct,
        policy_egress=tuple(policy_egress),
        stale=tuple(zip(entries, stale_flows, strict=True)),
        cluster=cluster_sources,
        pods=pod_sources,
        gateway_in_use=gateway_in_use,
        gateway_host=_host(gateway_url),
    )
    out: list[Finding] = []
    for index in range(len(layers)):
        for check in _CHECKS:
            out.extend(check(ctx, index))
    out.extend(_undecided_required_tags(ctx))
    return _once(out)


class SameFamily:
    """A resolver's answers, kept to the address families the cluster's flows carry: a
    packet from an IPv4-only cluster reaches a name at its IPv4 addresses, so a rule that
    allows those allows the name, whatever AAAA records it also has."""

    def __init__(self, resolver: Resolver, sources: IPRangeSet) -> None:
        self.resolver = resolver
        self.families = IPRangeSet.union_of(
            IPRangeSet.whole_family(version) for version in (4, 6) if sources.family(version)
        )

    def addresses(self, name: str) -> IPRangeSet | None:
        """What the resolver says, in the families the sources have."""
        found = self.resolver.addresses(name)
        return None if found is None else found & self.families


def _once(findings: list[Finding]) -> list[Finding]:
    """The findings without repeats: a rule judging both directions is one rule."""
    seen: set[tuple[str, str]] = set()
    out = []
    for found in findings:
        key = (found.fingerprint, found.message)
        if key not in seen:
            seen.add(key)
            out.append(found)
    return out


def tag_covers(required: Sequence[RequiredFlow]) -> dict[str, DomainPatternSet]:
    """Per service tag, the names of the required flows it is documented to cover."""
    covers: dict[str, list[str]] = {}
    for flow in required:
        for tag in flow.service_tags:
            covers.setdefault(tag, []).extend(flow.destinations.names.patterns)
    return {tag: DomainPatternSet(names) for tag, names in covers.items()}


def _host(url: str | None) -> str | None:
    """The host name of the gateway URL (or the text itself when it is a bare name)."""
    if not url:
        return None
    parsed = urllib.parse.urlsplit(url if "//" in url else f"//{url}")
    return parsed.hostname


# References and text -----------------------------------------------------------------


def rule_resource(layer: FirewallLayer, index: int) -> ResourceRef:
    """The finding resource of one rule: its kind, its path as name, its origin."""
    rule = layer.rules[index]
    return ResourceRef(
        RULE_KINDS[rule.origin.kind], None, rule.origin.path, rule.origin.origin or layer.origin
    )


def layer_resource(layer: FirewallLayer) -> ResourceRef:
    """The finding resource of a layer."""
    return ResourceRef(LAYER_KINDS[layer.kind], None, layer.name, layer.origin)


def rule_name(rule: FirewallRule) -> str:
    """``layer: path``, as messages and evidence name a rule."""
    return f"{rule.origin.layer}: {rule.origin.path}"


def _rule_or_default(layer: FirewallLayer, index: int | None) -> str:
    return "default" if index is None or index < 0 else rule_name(layer.rules[index])


def _scope_text(scope: ev.Scope) -> str:
    parts = [*scope.names, *scope.addresses]
    shown = ", ".join(parts[:5]) + (f" and {len(parts) - 5} more" if len(parts) > 5 else "")
    return f"{shown or 'nothing'} on {scope.ports}"


def _rule_finding(
    info: CheckInfo,
    message: str,
    layer: FirewallLayer,
    index: int,
    evidence: Evidence,
    severity: Severity | None = None,
) -> Finding:
    resource = rule_resource(layer, index)
    return finding(
        info,
        message,
        (resource, layer_resource(layer)),
        evidence,
        severity=severity,
        detail_key=layer.rules[index].origin.path,
        cause=Cause(resource),
    )


_TABLE_FAMILIES: Final = {"ip": 4, "ipv4": 4, "ip6": 6, "ipv6": 6}
"""The layer families (``settings.extra["family"]``: nftables table families, iptables
and ip6tables tables) that filter one IP version only."""


def passes_untouched(layer: FirewallLayer, rule: FirewallRule) -> bool:
    """Whether ``rule`` stands for the other IP version passing a one-version table
    untouched (the readers' first rule of an ``ip`` or ``ip6`` table): the kernel lets those
    packets through for the next table to judge, so it is no allowance of the layer's own
    to call surplus, broad, inbound or redundant."""
    version = _TABLE_FAMILIES.get(layer.settings.extra.get("family", ""))
    if version is None or rule.action is not Action.ALLOW:
        return False
    match = rule.match
    return not match.sources.family(version) and not match.destinations.addresses.family(version)


def _in_cluster(ctx: _Context, index: int, addresses: IPRangeSet) -> bool:
    """Whether a rule's sources concern the cluster at all."""
    sources = ctx.sources(index)
    return sources is None or bool(addresses & sources)


# Checks --------------------------------------------------------------------------------


def required_flows(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF101 and NF111 (medium): what the layer blocks of each direct required flow, and
    what of it cannot be decided (one check of the flow serves both)."""
    undecided: dict[tuple[int, ...], list[FlowCheck]] = {}
    for flow in ctx.direct:
        check = ctx.space.check_flow(flow, index, ctx.sources(index))
        if check.verdict is Verdict.DENY:
            yield _shortfall(ctx, index, check)
        if check.undecided:
            undecided.setdefault(check.undecided_by, []).append(check)
    # Flows left undecided by the same rules are one finding: one input (a tag file, a
    # resolver) settles them all, and a list of ten alike findings hides the rest.
    for checks in undecided.values():
        yield _undecided_flows(ctx, index, checks)


def policy_egress_blocked(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF112: egress the cluster's policies allow that the layer blocks."""
    layer = ctx.layer(index)
    for flow in ctx.policy_egress:
        check = ctx.space.check_flow(flow, index, flow.sources or ctx.sources(index))
        if check.verdict is not Verdict.DENY:
            continue
        rules, scope, resources = _blocked_by(ctx, index, check)
        yield finding(
            catalog.POLICY_EGRESS_BLOCKED,
            f"{flow.reason}, but {layer.name} blocks {_scope_text(scope)} ({', '.join(rules)}).",
            resources,
            ev.PolicyEgressBlocked(layer.name, rules, flow.reason, scope),
            detail_key=flow.reason,
            cause=Cause(resources[0]),
        )


def _blocked_by(
    ctx: _Context, index: int, check: FlowCheck
) -> tuple[tuple[str, ...], ev.Scope, tuple[ResourceRef, ...]]:
    """(the blocking rules' names, what they block, the first rule and the layer as
    resources) of a flow the layer denies."""
    layer = ctx.layer(index)
    rules = tuple(_rule_or_default(layer, r) for r in check.rules)
    first = next((r for r in check.rules if r is not None), None)
    resources: tuple[ResourceRef, ...] = (layer_resource(layer),)
    if first is not None:
        resources = (rule_resource(layer, first), *resources)
    return rules, ctx.scope(check.blocked), resources


def _shortfall(ctx: _Context, index: int, check: FlowCheck) -> Finding:
    """NF101: a required flow the layer blocks, by rule or default."""
    layer, flow = ctx.layer(index), check.flow
    rules, scope, resources = _blocked_by(ctx, index, check)
    return finding(
        catalog.SHORTFALL,
        f"{layer.name} blocks {flow.reason}: {_scope_text(scope)} denied by {', '.join(rules)}.",
        resources,
        ev.RequiredBlocked(layer.name, rules, flow.reason, flow.entry_id, scope),
        detail_key=f"{flow.entry_id or flow.reason}",
        cause=Cause(resources[0]),
    )


def surplus(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF102: per outbound allow rule about the cluster, what it allows beyond the
    required flows."""
    layer = ctx.layer(index)
    within = _cluster_cells(ctx, index)
    required = ctx.required_cells(index)
    excluded = required | ctx.space.impossible()
    if within is not None:
        excluded = excluded | ~within
    for i, rule in enumerate(layer.rules):
        if rule.direction is not OUT or rule.action is not Action.ALLOW:
            continue
        if not _in_cluster(ctx, index, rule.match.sources) or passes_untouched(layer, rule):
            continue
        excess = ctx.space.decided_by(index, i, allowed_only=True, minus=excluded)
        if not excess:
            continue
        scope = ctx.scope(excess)
        yield _rule_finding(
            catalog.SURPLUS,
            f"{rule_name(rule)} allows the cluster {_scope_text(scope)} beyond what is required.",
            layer,
            i,
            ev.Excess(layer.name, rule_name(rule), scope),
        )


def _cluster_cells(ctx: _Context, index: int) -> Cells | None:
    """The cells whose source is the cluster's, or None when any source is."""
    sources = ctx.sources(index)
    if sources is None:
        return None
    mask = ctx.space.source_mask(sources)
    cells: Cells = np.broadcast_to(mask[:, None, None], ctx.space.shape)
    return cells


def too_broad(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF103: allow rules to every address or name, or on every protocol and port."""
    layer = ctx.layer(index)
    for i, rule in enumerate(layer.rules):
        if rule.action is not Action.ALLOW:
            continue
        if rule.direction is OUT and not _in_cluster(ctx, index, rule.match.sources):
            continue
        if passes_untouched(layer, rule):
            continue
        breadth = _breadth(rule)
        if not breadth or ctx.space.standing(index, i).shadowed:
            continue
        yield _rule_finding(
            catalog.TOO_BROAD,
            f"{rule_name(rule)} allows {' and '.join(breadth)}{_builtin_note(rule)}.",
            layer,
            i,
            ev.Broad(layer.name, rule_name(rule), breadth, rule.match.sources.compact()),
            severity=Severity.INFO if rule.builtin else None,
        )


def _builtin_note(rule: FirewallRule) -> str:
    """For a rule the platform applies: that it cannot be removed, only overridden."""
    if not rule.builtin:
        return ""
    return (
        " (a rule the platform applies, which cannot be removed: a Deny with a lower priority"
        " number overrides what of it the cluster does not need)"
    )


def _breadth(rule: FirewallRule) -> tuple[str, ...]:
    destinations = rule.match.destinations
    out = []
    if destinations.addresses == IPRangeSet.everything():
        out.append("every address")
    if ANY in destinations.names.patterns:
        out.append("every name")
    if rule.match.services.is_all():
        out.append("every protocol and port")
    return tuple(out)


def inbound(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF104: inbound allow rules that reach the cluster's addresses."""
    layer = ctx.layer(index)
    for i, rule in enumerate(layer.rules):
        if rule.direction is not IN or rule.action is not Action.ALLOW:
            continue
        if passes_untouched(layer, rule):
            continue
        addresses = rule.match.destinations.addresses
        cluster = ctx.sources(index)
        reached = addresses if cluster is None else addresses & cluster
        if not reached or ctx.space.standing(index, i).shadowed:
            continue
        from_anywhere = rule.match.sources == IPRangeSet.everything()
        scope = ev.Scope((), tuple(str(t) for t in reached.terms()), rule.match.services.describe())
        origin = "every address" if from_anywhere else rule.match.sources.compact()
        severity = Severity.HIGH if from_anywhere else None
        yield _rule_finding(
            catalog.INBOUND,
            f"{rule_name(rule)} lets {origin} reach the cluster at {_scope_text(scope)}"
            f"{_builtin_note(rule)}.",
            layer,
            i,
            ev.InboundOpening(layer.name, rule_name(rule), origin, scope),
            severity=Severity.INFO if rule.builtin else severity,
        )


def shadowed_and_redundant(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF105 and NF106: rules that decide nothing, and rules whose removal changes nothing."""
    layer = ctx.layer(index)
    for standing in ctx.space.standings(index):
        rule = layer.rules[standing.rule]
        # It cannot be removed: that it decides nothing is no finding.
        if rule.builtin or passes_untouched(layer, rule):
            continue
        if standing.shadowed:
            covering = tuple(_rule_or_default(layer, c) for c in standing.covering)
            different = tuple(_rule_or_default(layer, c) for c in standing.different_action)
            why = (
                f"earlier rules decide all it matches: {', '.join(covering)}"
                if covering
                else ("it matches nothing")
            )
            if different:
                why += f" (with another action: {', '.join(different)})"
            yield _rule_finding(
                catalog.SHADOWED,
                f"{rule_name(rule)} never decides a flow: {why}.",
                layer,
                standing.rule,
                ev.ShadowedRule(layer.name, rule_name(rule), covering, different),
            )
        elif standing.redundant:
            yield _rule_finding(
                catalog.REDUNDANT,
                f"{rule_name(rule)} changes no verdict: the rules after it decide the same.",
                layer,
                standing.rule,
                ev.RedundantRule(layer.name, rule_name(rule)),
            )


def names_without_proxy(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF107: Azure Firewall network rules with FQDNs while the DNS proxy is not on."""
    layer = ctx.layer(index)
    if layer.kind is not FirewallKind.AZURE_FIREWALL or layer.settings.dns_proxy:
        return
    for i, rule in enumerate(layer.rules):
        names = rule.match.destinations.names.patterns
        if rule.stage is RuleStage.NETWORK and names:
            state = "off" if layer.settings.dns_proxy is False else "not set"
            yield _rule_finding(
                catalog.FQDN_WITHOUT_PROXY,
                f"{rule_name(rule)} names {', '.join(names)} in a network rule while the DNS "
                f"proxy is {state}.",
                layer,
                i,
                ev.NamesInNetworkRule(layer.name, rule_name(rule), names, layer.settings.dns_proxy),
            )


def gateway_inspected(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF108: rules that inspect TLS to the Arc gateway."""
    host = ctx.gateway_host
    if host is None:
        return
    layer = ctx.layer(index)
    for i, rule in enumerate(layer.rules):
        if rule.inspects_tls and host in rule.match.destinations.names:
            yield _rule_finding(
                catalog.TLS_INSPECTION,
                f"{rule_name(rule)} inspects TLS to the Arc gateway {host}.",
                layer,
                i,
                ev.GatewayInspected(layer.name, rule_name(rule), host),
            )


def stale_allowed(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF109: superseded endpoints the layer still allows, when nothing required needs them."""
    layer = ctx.layer(index)
    walk = ctx.space.evaluation(index, OUT)
    for entry, flow in ctx.stale:
        if any(f.destinations.names.covers(entry.pattern) for f in ctx.flows):
            continue
        allowed = ctx.space.flow_region(flow, ctx.sources(index)) & ctx.space.permitted(index, OUT)
        if not allowed:
            continue
        rules = _deciders(layer, walk.decider[allowed.cells])
        yield finding(
            catalog.STALE,
            f"{layer.name} still allows {entry.pattern}, removed from {entry.source} on "
            f"{entry.removed}, through {', '.join(rules)}.",
            _resources(layer, walk.decider[allowed.cells]),
            ev.StaleAllowed(layer.name, entry.pattern, entry.removed, entry.source, rules),
            detail_key=entry.pattern,
        )


def routed_open(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF110: with the Arc gateway in use, endpoints it carries still allowed directly."""
    if not ctx.gateway_in_use:
        return
    layer = ctx.layer(index)
    for flow in ctx.flows:
        if not flow.routed_by_gateway:
            continue
        walk = ctx.space.evaluation(index, flow.direction)
        allowed = ctx.space.flow_region(flow, ctx.sources(index)) & ctx.space.permitted(
            index, flow.direction
        )
        if not allowed:
            continue
        rules = _deciders(layer, walk.decider[allowed.cells])
        scope = ctx.scope(allowed)
        yield finding(
            catalog.ROUTED_OPEN,
            f"{layer.name} still allows {flow.reason} directly ({_scope_text(scope)}) through "
            f"{', '.join(rules)}, though the Arc gateway carries it.",
            _resources(layer, walk.decider[allowed.cells]),
            ev.RoutedOpen(layer.name, flow.reason, flow.entry_id, rules, scope),
            detail_key=flow.entry_id or flow.reason,
        )


def _deciders(layer: FirewallLayer, deciders: Grid) -> tuple[str, ...]:
    return tuple(_rule_or_default(layer, int(r)) for r in np.unique(deciders))


def _resources(layer: FirewallLayer, deciders: Grid) -> tuple[ResourceRef, ...]:
    rules = [int(r) for r in np.unique(deciders) if r != NONE]
    return (*(rule_resource(layer, r) for r in rules), layer_resource(layer))


# Cannot decide -------------------------------------------------------------------------


def settle_hint(rule: FirewallRule, reason: str) -> str:
    """What input or option would settle a rule netfence cannot evaluate."""
    if rule.undecidable:
        return (
            f"netfence cannot model {', '.join(rule.undecidable)}: check the rule by hand "
            "for these flows"
        )
    if "resolve" in reason or "resolver" in reason:
        return "--resolver (a DNS answer file, or a resolver to ask) to know the names' addresses"
    return "--service-tags (the Azure service tags file) to expand the tags"


FLOW_SEPARATOR: Final = " | "
"""Between the flows an NF111 finding about several required flows names in its key."""


def _undecided_flows(ctx: _Context, index: int, checks: Sequence[FlowCheck]) -> Finding:
    """NF111 (medium): required flows of which some part the layer cannot decide, all for
    the same rules."""
    layer, first = ctx.layer(index), checks[0]
    region = checks[0].undecided
    for check in checks[1:]:
        region = region | check.undecided
    rules, reasons, hints = _explain_undecided(ctx, index, first.undecided_by, region)
    labels = [c.flow.entry_id or c.flow.reason for c in checks]
    what = (
        f"{first.flow.reason} through ({_scope_text(ctx.scope(first.undecided))})"
        if len(checks) == 1
        else f"{len(checks)} required flows through ({_scope_text(ctx.scope(region))})"
    )
    return finding(
        catalog.CANNOT_DECIDE,
        f"{layer.name} may or may not let {what}: "
        f"{'; '.join(f'{n}: {r}' for n, r in zip(rules, reasons, strict=True))}. Settle it with "
        f"{'; '.join(hints)}.",
        (*(rule_resource(layer, r) for r in first.undecided_by), layer_resource(layer)),
        ev.Undecided(layer.name, rules, reasons, "; ".join(hints), ", ".join(labels)),
        severity=Severity.MEDIUM,
        detail_key=f"flow {FLOW_SEPARATOR.join(sorted(labels))}",
    )


def undecided_rules(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF111 (info): rules that leave some verdict of the layer undecided."""
    layer = ctx.layer(index)
    for direction in (OUT, IN):
        walk = ctx.space.evaluation(index, direction)
        undecided = walk.verdict_cells(Verdict.UNDECIDED) & ~_unlisted_names(ctx, index)
        if not undecided.any():
            continue
        makers = _makers(walk, undecided)
        for rule_index in sorted(makers):
            cells = undecided & makers[rule_index]
            rules, reasons, hints = _explain_undecided(
                ctx, index, (rule_index,), Region(ctx.space, cells)
            )
            rule = layer.rules[rule_index]
            yield _rule_finding(
                catalog.CANNOT_DECIDE,
                f"{rule_name(rule)} may match some flows netfence cannot decide: "
                f"{reasons[0]}. Settle it with {hints[0]}.",
                layer,
                rule_index,
                ev.Undecided(layer.name, rules, reasons, hints[0]),
            )


def _unlisted_names(ctx: _Context, index: int) -> Cells:
    """The cells of names no rule of the layer and no required flow lists (the class ``*``
    stands for), unless a rule of the layer names ``*``: the layer meets them through their
    addresses alone, whose cells it decides, so an address rule that may meet them says
    nothing about any flow anyone named."""
    destination = ctx.space.destination
    mask = np.zeros(destination.size, dtype=np.bool_)
    if not any(ANY in rule.match.destinations.names.patterns for rule in ctx.layer(index).rules):
        for number, name_class in enumerate(destination.names.classes):
            if name_class.kind is NameClassKind.OTHER:
                mask[destination.address_count + number] = True
    cells: Cells = np.broadcast_to(mask[None, :, None], ctx.space.shape)
    return cells


def _makers(walk: LayerEvaluation, undecided: Cells) -> dict[int, Cells]:
    """Per rule, the undecided cells it makes so (a rule of the other action than the
    decider's that may match first)."""
    decided = np.where(
        walk.decider >= 0, walk.actions[walk.decider], np.int8(walk.default is Action.ALLOW)
    )
    maker = np.where(decided == 1, walk.first_maybe[Action.DENY], walk.first_maybe[Action.ALLOW])
    maker = np.where(undecided, maker, NONE)
    return {int(r): maker == r for r in np.unique(maker) if r != NONE}


def _explain_undecided(
    ctx: _Context, index: int, rules: Sequence[int], region: Region
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(rule names, reasons, hints) for the rules that leave ``region`` undecided."""
    layer = ctx.layer(index)
    cells = np.argwhere(region.cells)
    names, reasons, hints = [], [], []
    for r in rules:
        status = ctx.space.rule_cells(index, r)
        cell = next((tuple(c) for c in cells if status.status(*map(int, c)) == 0), None)
        reason = (
            ctx.space.maybe_reason(index, r, int(cell[0]), int(cell[1]))
            if cell is not None
            else "it may match"
        )
        names.append(rule_name(layer.rules[r]))
        reasons.append(reason)
        hints.append(settle_hint(layer.rules[r], reason))
    return tuple(names), tuple(reasons), tuple(dict.fromkeys(hints))


def layer_notes(ctx: _Context, index: int) -> Iterator[Finding]:
    """NF111 (info): what the export reader could not take exactly."""
    layer = ctx.layer(index)
    for number, note in enumerate(layer.notes):
        resource = ResourceRef(
            LAYER_KINDS[layer.kind], None, layer.name, note.origin or layer.origin
        )
        yield finding(
            catalog.CANNOT_DECIDE,
            f"{layer.name}: {note.message}",
            (resource,),
            ev.Undecided(layer.name, (), (note.message,), "check the export by hand"),
            detail_key=f"note {number}",
        )


def _undecided_required_tags(ctx: _Context) -> Iterator[Finding]:
    """NF111 (info): required flows naming unexpanded tags, which are not checked."""
    for flow in ctx.flows:
        tags = flow.destinations.tags
        if tags:
            yield finding(
                catalog.CANNOT_DECIDE,
                f"{flow.reason} names {', '.join(tags)}, not expanded: that part of it is not "
                "checked. Settle it with --service-tags.",
                (),
                ev.Undecided(
                    "", (), (f"tags {', '.join(tags)} not expanded",), "--service-tags", flow.reason
                ),
                detail_key=f"tags {flow.entry_id or flow.reason}",
            )


_CHECKS: Final = (
    required_flows,
    policy_egress_blocked,
    surplus,
    too_broad,
    inbound,
    shadowed_and_redundant,
    names_without_proxy,
    gateway_inspected,
    stale_allowed,
    routed_open,
    undecided_rules,
    layer_notes,
)
"""The per-layer checks, in the order their findings are listed."""
