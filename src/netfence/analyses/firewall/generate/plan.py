"""What every generator does before writing its language: sources, names, merging, comments.

- Sources: a flow's own ``sources``; else the ``--source`` addresses; else any source.
- Destinations, for languages that match addresses only: a flow's addresses, plus what its
  names resolve to through the :class:`Resolver`. A wildcard, a name nothing answers for, a
  name that resolves to nothing, or a service tag the language cannot name is *not
  expressible*: listed with its reason, never dropped and never widened.
- Merging, for a minimal rule set: flows with the same direction, sources and services share
  one rule, their destinations united, as long as the rule's comment can still name every
  catalog entry behind it within the language's limit (past it, the group is split).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from netfence.analyses.firewall.generate.interface import (
    GenerateOptions,
    NotExpressible,
    flow_label,
)
from netfence.model.firewall import RequiredFlow, TrafficDirection
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import FULL, ICMP_PROTOCOLS, PortSet
from netfence.sources.resolver import Resolution

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

COMMENT_PREFIX = "netfence: "
"""How every generated comment starts, so a reader knows where a rule came from."""


def flow_sources(flow: RequiredFlow, options: GenerateOptions) -> IPRangeSet | None:
    """Where a flow's rule must allow it from: its own sources, else ``--source``, else None
    (any source)."""
    return flow.sources if flow.sources is not None else options.sources


def family(addresses: IPRangeSet, version: int) -> IPRangeSet:
    """The addresses of one family (4 or 6) of ``addresses``."""
    part = addresses.family(version)
    return IPRangeSet(v4=part) if version == 4 else IPRangeSet(v6=part)


def grouped(items: Iterable[T], key: Callable[[T], K]) -> list[list[T]]:
    """``items`` grouped by ``key``, groups in order of first appearance."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.values())


def comment_of(labels: Iterable[str], limit: int | None) -> str:
    """``netfence: a, b, c``: the entries behind a rule, each once, cut at ``limit``."""
    text = COMMENT_PREFIX + ", ".join(dict.fromkeys(labels))
    text = "".join(ch if ch.isprintable() and ch not in "\"\\'" else " " for ch in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def chunked_by_comment(
    items: Sequence[T], label: Callable[[T], str], limit: int | None
) -> list[list[T]]:
    """``items`` cut into runs whose comments name every entry within ``limit``: the fewest
    rules that keep each entry named (a lone entry too long for the limit is cut short)."""
    chunks: list[list[T]] = []
    current: list[T] = []
    for item in items:
        candidate = [*current, item]
        text = COMMENT_PREFIX + ", ".join(dict.fromkeys(label(i) for i in candidate))
        if current and limit is not None and len(text) > limit:
            chunks.append(current)
            candidate = [item]
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def port_spans(ports: Iterable[tuple[int, int]], separator: str = "-") -> list[str]:
    """``["443", "8000-8080"]``: each interval as the languages write port ranges."""
    return [str(lo) if lo == hi else f"{lo}{separator}{hi}" for lo, hi in ports]


def whole_icmp_types(values: IntervalSet) -> list[tuple[int, int]] | None:
    """The ICMP type ranges ``values`` stands for when it holds every code of each type it
    touches (values are ``type * 256 + code``); None when it holds only some codes."""
    spans = []
    for lo, hi in values:
        if lo % 256 or hi % 256 != 255:
            return None
        spans.append((lo // 256, hi // 256))
    return spans


def icmp_exact(flow: RequiredFlow, services: PortSet) -> tuple[PortSet, list[NotExpressible]]:
    """``services`` less ICMP values that match only some codes of a type, which the
    generators write by type alone: those are listed as not expressible."""
    dropped: list[NotExpressible] = []
    kept = services
    for protocol in ICMP_PROTOCOLS:
        values = services.ports(protocol)
        if values and values != FULL[protocol] and whole_icmp_types(values) is None:
            part = PortSet({protocol: values})
            kept = kept - part
            dropped.append(
                NotExpressible(
                    flow,
                    part.describe(),
                    "only some codes of an ICMP type are required; rules here match whole types",
                )
            )
    return kept, dropped


@dataclass(frozen=True)
class AddressFlow:
    """A required flow with its destinations as addresses only."""

    flow: RequiredFlow
    """The flow."""
    sources: IPRangeSet | None
    """Its sources (None: any)."""
    destinations: IPRangeSet
    """Its destination addresses, names resolved."""
    services: PortSet
    """The part of its services the language can express."""


@dataclass(frozen=True)
class AddressGroup:
    """Flows one rule (per address family and protocol) allows: same direction, sources and
    services; destinations united."""

    direction: TrafficDirection
    """Which way they go."""
    sources: IPRangeSet | None
    """Their sources (None: any)."""
    services: PortSet
    """Their services."""
    destinations: IPRangeSet
    """Every destination address of the group."""
    flows: tuple[RequiredFlow, ...]
    """The flows behind it."""
    comment: str
    """The comment naming their entries."""


@dataclass
class AddressPlan:
    """Rule groups for a language that matches addresses only, and what it cannot allow."""

    groups: list[AddressGroup] = field(default_factory=list)
    """The groups, in order of their first flow."""
    not_expressible: list[NotExpressible] = field(default_factory=list)
    """What no group allows, with the reason."""
    resolutions: list[Resolution] = field(default_factory=list)
    """Every name resolved, for the output's header."""
    notes: list[str] = field(default_factory=list)
    """What a deployer should know (destinations no source of theirs can reach)."""


def resolved_names(
    flow: RequiredFlow, names: Iterable[str], options: GenerateOptions, plan: AddressPlan
) -> IPRangeSet:
    """What ``names`` (some of the flow's) resolve to; what cannot be resolved goes to
    ``plan.not_expressible``, what was resolved to ``plan.resolutions``."""
    found: list[IPRangeSet] = []
    services = flow.services.describe()
    for name in names:
        what = f"{name} {services}"
        if options.resolver is None:
            plan.not_expressible.append(
                NotExpressible(
                    flow,
                    what,
                    "a name, and this format matches addresses only: give a resolver"
                    " (a DNS server or a DNS answer file)",
                )
            )
            continue
        resolution = options.resolver.resolve(name)
        if resolution.addresses is None or not resolution.addresses:
            why = "no address to match" if resolution.addresses is None else "nothing to allow"
            plan.not_expressible.append(
                NotExpressible(flow, what, f"{resolution.describe()}: {why}")
            )
            continue
        plan.resolutions.append(resolution)
        found.append(resolution.addresses)
    return IPRangeSet.union_of(found)


def resolved_destinations(
    flow: RequiredFlow, options: GenerateOptions, plan: AddressPlan
) -> IPRangeSet:
    """A flow's destination addresses with its names resolved; names that cannot be
    resolved and service tags go to ``plan.not_expressible``."""
    addresses = flow.destinations.addresses | resolved_names(
        flow, flow.destinations.names, options, plan
    )
    for tag in flow.destinations.tags:
        plan.not_expressible.append(
            NotExpressible(
                flow,
                f"service tag {tag} {flow.services.describe()}",
                "this format has no service tags; give the flow the tag's addresses",
            )
        )
    return addresses


def plan_address_rules(
    flows: Sequence[RequiredFlow],
    options: GenerateOptions,
    comment_limit: int | None,
    expressible: Callable[[RequiredFlow, PortSet], tuple[PortSet, list[NotExpressible]]],
) -> AddressPlan:
    """Resolve, filter and merge ``flows`` into address rule groups.

    ``expressible(flow, services)`` splits services into what the language can write and
    what it cannot (as not expressible entries).
    """
    plan = AddressPlan()
    address_flows: list[AddressFlow] = []
    for flow in flows:
        destinations = resolved_destinations(flow, options, plan)
        services, dropped = expressible(flow, flow.services)
        plan.not_expressible.extend(dropped)
        if destinations and services:
            address_flows.append(
                AddressFlow(flow, flow_sources(flow, options), destinations, services)
            )
    for same in grouped(address_flows, lambda f: (f.flow.direction, f.sources, f.services)):
        for chunk in chunked_by_comment(same, lambda f: flow_label(f.flow), comment_limit):
            first = chunk[0]
            plan.groups.append(
                AddressGroup(
                    direction=first.flow.direction,
                    sources=first.sources,
                    services=first.services,
                    destinations=IPRangeSet.union_of(f.destinations for f in chunk),
                    flows=tuple(f.flow for f in chunk),
                    comment=comment_of((flow_label(f.flow) for f in chunk), comment_limit),
                )
            )
    for group in plan.groups:
        for version in (4, 6):
            gap = family_gap(group.comment, group.sources, group.destinations, version)
            if gap is not None:
                plan.notes.append(gap)
    return plan


def family_gap(
    label: str, sources: IPRangeSet | None, destinations: IPRangeSet, version: int
) -> str | None:
    """Why no rule is written for one family: the destinations have addresses of it, but the
    sources none, so no such flow can exist (there is no translation between families)."""
    wanted = family(destinations, version)
    if not wanted or sources is None or family(sources, version):
        return None
    return (
        f"{label}: no rule for IPv{version} destinations {wanted.compact()}: the sources"
        f" ({sources.compact()}) have no IPv{version} address"
    )


def header_lines(
    title: str, plan_resolutions: Sequence[Resolution], missing: Sequence[NotExpressible]
) -> list[str]:
    """``#`` comment lines opening a text output: what it is, the names resolved (a snapshot
    to regenerate when they change), and what it does not allow."""
    lines = [f"# {title}"]
    if plan_resolutions:
        lines.append(
            "# Names resolved at generation time (regenerate when their addresses change):"
        )
        lines.extend(f"#   {r.describe()}" for r in dict.fromkeys(plan_resolutions))
    if missing:
        lines.append("# NOT EXPRESSIBLE: no rule below allows these required flows:")
        lines.extend(f"#   {item.describe()}" for item in missing)
    return lines
