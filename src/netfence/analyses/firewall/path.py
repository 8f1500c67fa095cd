"""The path of a flow between the cluster and an external address, through firewall layers.

A flow from a pod to an external destination crosses the pod's egress policy, then the
layers in the order given (a node NSG, then the perimeter firewall), then the destination;
an inbound flow crosses them the other way round, then the pod's ingress policy. Pods leave
the cluster with their node's address (SNAT) unless the external end is in a range reached
without it (``--no-snat``), so the layers judge node addresses: what the layers see of the
cluster's end is said with the path (:class:`ClusterEnd`). A layer that sees pod addresses
(``FirewallLayer.sees_pod_addresses``) is given the pods' own.

Each layer is judged over the whole box of the flow (every address the cluster's end may
carry, the external addresses, the ports asked): where the layer treats some of those
addresses one way and some another, the ports concerned are "cannot decide", never allowed
or denied.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.engine.explain import FlowExplanation
from netfence.engine.firewall import NONE, FirewallSpace, Index, Verdict
from netfence.model.cluster import Cluster
from netfence.model.firewall import (
    Destinations,
    FirewallLayer,
    FirewallRule,
    RequiredFlow,
    TrafficDirection,
)
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

OUT: Final = TrafficDirection.OUTBOUND
IN: Final = TrafficDirection.INBOUND

_VERDICT_OF_CODE: Final = (Verdict.DENY, Verdict.ALLOW, Verdict.UNDECIDED)
"""The engine's verdict codes, by value."""
_MIXED: Final = "the layer treats some of these addresses one way and some the other"
"""Why ports are undecided when the addresses of the flow's box get different verdicts."""


class Translation(enum.StrEnum):
    """How the cluster's end of a flow appears to the layers."""

    SNAT = "snat"
    """The node's address: pods leave (and are reached) through their node."""
    NO_SNAT = "no-snat"
    """The pod's own address: the external end is in a range reached without SNAT."""
    GIVEN = "given"
    """The addresses ``--source`` gave for the cluster."""
    UNKNOWN = "unknown"
    """Not known: any address is assumed."""


@dataclass(frozen=True)
class ClusterEnd:
    """The cluster's end of a flow, as the layers on the path see it."""

    translation: Translation
    """Node address (SNAT), the pod's own, given, or unknown."""
    addresses: IPRangeSet | None
    """What the layers see; None: not known, any address."""
    pod_addresses: IPRangeSet | None
    """The pod's own addresses, for the layers that see them before SNAT; None: not known."""
    text: str
    """The sentence that says it: ``SNAT to node 10.224.0.4``."""


@dataclass(frozen=True)
class PathOptions:
    """What the command line says about the addresses on the path."""

    no_snat: IPRangeSet | None = None
    """External ranges reached with the pods' own addresses (``--no-snat``)."""
    sources: IPRangeSet | None = None
    """The addresses the cluster leaves with (``--source``), instead of its nodes'."""


@dataclass(frozen=True)
class LayerPart:
    """What one rule (or the default, or the ambiguity of the box) decides of the ports."""

    verdict: Verdict
    """Allow, Deny, or Undecided."""
    ports: PortSet
    """The ports it decides, within those asked."""
    rule: FirewallRule | None
    """The deciding rule; None for the layer's default, or for ports the box leaves mixed."""
    reasons: tuple[str, ...] = ()
    """For Undecided: why (rules that may match first, or a box with mixed verdicts)."""
    mixed: bool = False
    """Whether the ports are Undecided because the addresses judged get different verdicts
    (then ``rule`` is None and no one rule decides)."""


@dataclass(frozen=True)
class LayerPassage:
    """One layer's decision on a flow, by the rules that decided which ports."""

    layer: FirewallLayer
    """The layer."""
    direction: TrafficDirection
    """The direction it judged."""
    sources: IPRangeSet | None
    """The sources it judged (None: every source)."""
    destinations: IPRangeSet | None
    """The destinations it judged (None: every address)."""
    parts: tuple[LayerPart, ...]
    """What decided which ports, Deny first, then Undecided, then Allow."""

    def ports(self, verdict: Verdict) -> PortSet:
        """The ports the layer gives ``verdict``."""
        found = PortSet.none()
        for part in self.parts:
            if part.verdict is verdict:
                found = found | part.ports
        return found

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """The verdicts it gives some port, Deny first."""
        return tuple(dict.fromkeys(p.verdict for p in self.parts))


@dataclass(frozen=True)
class FirewallPath:
    """A flow's passage through every layer on its path, in path order, and the verdict."""

    direction: TrafficDirection
    """Outbound (pod to external) or Inbound (external to pod)."""
    cluster_end: ClusterEnd
    """The cluster's end as the layers see it."""
    external: IPRangeSet
    """The external end's addresses."""
    asked: PortSet
    """The ports judged."""
    layers: tuple[LayerPassage, ...]
    """Each layer, in the order the flow crosses them."""
    allowed: PortSet
    """The ports every layer allows."""
    blocked: tuple[tuple[int, PortSet], ...]
    """Per layer (index in ``layers``) that blocks some ports first, those ports."""
    undecided: PortSet
    """Ports no layer blocks and some layer cannot decide."""

    @property
    def verdict(self) -> Verdict:
        """Allow when some port asked passes every layer, else Undecided when some cannot
        be decided, else Deny."""
        if self.allowed:
            return Verdict.ALLOW
        if self.undecided:
            return Verdict.UNDECIDED
        return Verdict.DENY

    @property
    def deciding(self) -> int | None:
        """The layer that decided (index in ``layers``): the first that blocks, when the path
        denies; the first that cannot decide, when it is undecided; None when it allows."""
        if self.verdict is Verdict.DENY and self.blocked:
            return self.blocked[0][0]
        if self.verdict is Verdict.UNDECIDED:
            for index, passage in enumerate(self.layers):
                if passage.ports(Verdict.UNDECIDED) & self.undecided:
                    return index
        return None


def _family(address: str) -> int:
    return ipaddress.ip_address(address).version


def _of_family(addresses: Sequence[str], version: int) -> list[str]:
    return [a for a in addresses if _family(a) == version]


def node_addresses(nodes: Sequence[str], version: int) -> IPRangeSet | None:
    """The nodes' addresses of one IP family; None when none is known."""
    found = _of_family(nodes, version)
    return IPRangeSet.from_addresses(found) if found else None


def cluster_end(
    external: str,
    pod_ips: Sequence[str],
    nodes: Sequence[str],
    options: PathOptions,
    direction: TrafficDirection = OUT,
    *,
    own_node: bool = False,
) -> ClusterEnd:
    """How the layers see the cluster's end of a flow with the external address
    ``external``: the pod's own addresses when ``external`` is in a ``--no-snat`` range, else
    the addresses ``--source`` gives, else the node addresses of the external end's family.

    ``nodes`` are the addresses of the pod's node when ``own_node`` (its ``status.hostIP``),
    else every node address the input names: the cluster's end is then any of them."""
    version = _family(external)
    own = _of_family(pod_ips, version)
    pods = IPRangeSet.from_addresses(own) if own else None
    if options.no_snat is not None and options.no_snat.contains(external):
        return _direct_end(external, own, direction)
    if options.sources is not None:
        text = f"the cluster's addresses given by --source: {options.sources.describe()}"
        return ClusterEnd(Translation.GIVEN, options.sources, pods, text)
    addresses = _of_family(nodes, version)
    if not addresses:
        via = "SNAT to" if direction is OUT else "through"
        text = (
            f"{via} the pod's node, and no IPv{version} node address is known (no Node, no"
            " hostIP in the input, no --source): any address is assumed"
        )
        return ClusterEnd(Translation.UNKNOWN, None, pods, text)
    text = _node_text(addresses, direction, own_node)
    return ClusterEnd(Translation.SNAT, IPRangeSet.from_addresses(addresses), pods, text)


def _direct_end(external: str, own: Sequence[str], direction: TrafficDirection) -> ClusterEnd:
    """The cluster's end for an external address in a ``--no-snat`` range: the pod's own."""
    said = f"no SNAT {'to' if direction is OUT else 'from'} {external} (--no-snat)"
    if not own:
        text = f"{said}, and the pod's own address is not in the input: any address is assumed"
        return ClusterEnd(Translation.UNKNOWN, None, None, text)
    pods = IPRangeSet.from_addresses(own)
    return ClusterEnd(
        Translation.NO_SNAT, pods, pods, f"{said}: the pod's own address {', '.join(own)}"
    )


def _node_text(addresses: Sequence[str], direction: TrafficDirection, own_node: bool) -> str:
    """``SNAT to node 10.224.0.4 (...)``, saying where the node's address comes from."""
    if len(addresses) == 1:
        shown = addresses[0]
    elif own_node:
        shown = ", ".join(addresses)
    else:
        shown = f"one of {', '.join(addresses)} (the input does not say which node the pod runs on)"
    source = "the pod's status.hostIP; " if own_node else ""
    if direction is OUT:
        return (
            f"SNAT to node {shown} ({source}pods leave the cluster with their node's address;"
            " --no-snat CIDR for ranges reached without it)"
        )
    return (
        f"reaches the pod through node {shown} ({source}the layers see the node's address;"
        " --no-snat CIDR for ranges that reach pods directly)"
    )


def seen_by(layer: FirewallLayer, end: ClusterEnd) -> IPRangeSet | None:
    """The cluster's end as ``layer`` sees it: the pods' own addresses for a layer before
    SNAT (when known), else the translated ones."""
    if layer.sees_pod_addresses and end.pod_addresses is not None:
        return end.pod_addresses
    return end.addresses


def build_space(
    layers: Sequence[FirewallLayer],
    boxes: Sequence[tuple[TrafficDirection, IPRangeSet | None, IPRangeSet | None, PortSet]],
) -> FirewallSpace:
    """A space over ``layers`` in which every box (direction, sources, destinations, ports)
    is a union of classes."""
    flows = [
        RequiredFlow(
            direction,
            Destinations(addresses=destinations if destinations is not None else IPRangeSet()),
            ports,
            reason="the flow explained",
            sources=sources,
        )
        for direction, sources, destinations, ports in boxes
    ]
    sources = [s for _, s, _, _ in boxes if s is not None]
    return FirewallSpace.build(layers, flows, sources=sources)


def class_indices(
    space: FirewallSpace, sources: IPRangeSet | None, dest: IPRangeSet | None
) -> tuple[Index, Index]:
    """The source and destination (address) classes of a box; every class for None."""
    count = space.destination.address_count
    src = (
        np.arange(len(space.source_atoms), dtype=np.intp)
        if sources is None
        else np.flatnonzero(space.source_mask(sources))
    )
    dst = (
        np.arange(count, dtype=np.intp)
        if dest is None
        else np.flatnonzero(space.address_mask(dest))
    )
    return src, dst


def layer_passage(
    space: FirewallSpace,
    index: int,
    direction: TrafficDirection,
    sources: IPRangeSet | None,
    destinations: IPRangeSet | None,
    asked: PortSet,
) -> LayerPassage:
    """What layer ``index`` of ``space`` does with the box: per service class, the verdict
    all its cells share and the rules that decide them (the ports are Undecided where the
    cells disagree)."""
    src, dst = class_indices(space, sources, destinations)
    return passage_at(space, index, direction, (src, dst), asked, (sources, destinations))


def passage_at(
    space: FirewallSpace,
    index: int,
    direction: TrafficDirection,
    classes: tuple[Index, Index],
    asked: PortSet,
    box: tuple[IPRangeSet | None, IPRangeSet | None] = (None, None),
) -> LayerPassage:
    """As :func:`layer_passage`, over given source and destination classes (``box`` says
    which addresses they stand for)."""
    src, dst = classes
    sources, destinations = box
    services = np.flatnonzero(space.service_mask(asked))
    ev = space.evaluation(index, direction)
    cells = np.ix_(src, dst, services)
    verdicts, deciders = ev.verdict[cells], ev.decider[cells]
    grouped: dict[_PartKey, PortSet] = {}
    for column, service in enumerate(services.tolist()):
        ports = space.services_of([service]) & asked
        cell = _Cell(space, index, direction, src, dst, service)
        for key in _column_keys(cell, verdicts[:, :, column], deciders[:, :, column]):
            grouped[key] = grouped.get(key, PortSet.none()) | ports
    layer = space.layers[index]
    parts = [
        LayerPart(
            verdict,
            ports,
            None if rule == NONE else layer.rules[rule],
            reasons,
            mixed=reasons == (_MIXED,),
        )
        for (verdict, rule, reasons), ports in grouped.items()
    ]
    order = {Verdict.DENY: 0, Verdict.UNDECIDED: 1, Verdict.ALLOW: 2}
    parts.sort(key=lambda p: order[p.verdict])
    return LayerPassage(layer, direction, sources, destinations, tuple(parts))


_PartKey = tuple[Verdict, int, tuple[str, ...]]
"""A part of a layer's decision: verdict, deciding rule (or ``NONE``), reasons."""


@dataclass(frozen=True)
class _Cell:
    """One service class of a box: where to ask the engine why a cell is undecided."""

    space: FirewallSpace
    """The space the box lies in."""
    layer: int
    """The layer's index in the space."""
    direction: TrafficDirection
    """The direction judged."""
    src: Index
    """The box's source classes."""
    dst: Index
    """The box's destination classes."""
    service: int
    """The service class."""


def _column_keys(
    cell: _Cell, verdicts: npt.NDArray[np.int8], deciders: npt.NDArray[np.int32]
) -> list[_PartKey]:
    """The parts one service class of the box falls into: one per deciding rule when every
    cell shares a verdict, else one Undecided part (the box is mixed)."""
    codes = np.unique(verdicts)
    if codes.size > 1:
        return [(Verdict.UNDECIDED, NONE, (_MIXED,))]
    verdict = _VERDICT_OF_CODE[int(codes[0])]
    keys: list[_PartKey] = []
    for rule in np.unique(deciders).tolist():
        reasons: tuple[str, ...] = ()
        if verdict is Verdict.UNDECIDED:
            reasons = _undecided_reasons(cell, rule, deciders)
        keys.append((verdict, rule, reasons))
    return keys


def _undecided_reasons(cell: _Cell, rule: int, deciders: npt.NDArray[np.int32]) -> tuple[str, ...]:
    """Why the cells decided by ``rule`` cannot be decided: the rules of the other action
    that may match before it, with the engine's reasons (taken from the first such cell)."""
    s, d = (int(i[0]) for i in np.nonzero(deciders == rule))
    where = (int(cell.src[s]), int(cell.dst[d]), cell.service)
    decision = cell.space.decide_cell(cell.layer, cell.direction, where)
    layer = cell.space.layers[cell.layer]
    return tuple(
        f"{rule_label(layer.rules[m.rule])} may match first: {m.reason}"
        for m in decision.undecided_by
    )


def rule_label(rule: FirewallRule) -> str:
    """A rule as people find it: its place in the export, its name, and the file and line."""
    origin = rule.origin
    name = origin.name or rule.description
    named = f" {name!r}" if name and name not in origin.path else ""
    where = f" ({origin.origin})" if origin.origin is not None else ""
    return f"{origin.path}{named}{where}"


def combine(
    passages: Sequence[LayerPassage], asked: PortSet
) -> tuple[PortSet, tuple[tuple[int, PortSet], ...], PortSet]:
    """(allowed, blocked per first blocking layer, undecided) of layers in path order: a
    port is blocked by the first layer that denies it, undecided when no layer blocks it and
    one cannot decide it, allowed when every layer allows it."""
    still = asked
    blocked: list[tuple[int, PortSet]] = []
    undecided = PortSet.none()
    for index, passage in enumerate(passages):
        first = passage.ports(Verdict.DENY) & still
        if first:
            blocked.append((index, first))
            still = still - first
        undecided = undecided | (passage.ports(Verdict.UNDECIDED) & still)
    undecided = undecided & still
    return still - undecided, tuple(blocked), undecided


def trace(
    layers: Sequence[FirewallLayer],
    direction: TrafficDirection,
    end: ClusterEnd,
    external: IPRangeSet,
    asked: PortSet,
    space: FirewallSpace | None = None,
) -> FirewallPath:
    """The passage of a flow between the cluster's ``end`` and ``external`` on ``asked``
    through ``layers`` (given in the order an outbound flow crosses them; an inbound flow
    crosses them in reverse)."""
    order = list(range(len(layers)))
    if direction is IN:
        order.reverse()
    boxes = [_box(layers[i], direction, end, external, asked) for i in order]
    if space is None:
        space = build_space(layers, boxes)
    passages = tuple(
        layer_passage(space, i, direction, box[1], box[2], asked)
        for i, box in zip(order, boxes, strict=True)
    )
    allowed, blocked, undecided = combine(passages, asked)
    return FirewallPath(direction, end, external, asked, passages, allowed, blocked, undecided)


def _box(
    layer: FirewallLayer,
    direction: TrafficDirection,
    end: ClusterEnd,
    external: IPRangeSet,
    asked: PortSet,
) -> tuple[TrafficDirection, IPRangeSet | None, IPRangeSet | None, PortSet]:
    cluster = seen_by(layer, end)
    if direction is OUT:
        return (direction, cluster, external, asked)
    return (direction, external, cluster, asked)


def trace_flow(
    explanation: FlowExplanation,
    cluster: Cluster,
    layers: Sequence[FirewallLayer],
    options: PathOptions,
) -> FirewallPath | None:
    """The firewall path of an explained flow between a pod and an external address; None
    when both ends are in the cluster (the layers are not on its path).

    The ports judged are the one asked, else those the policies allow (every port when
    they allow none, so that the layers are shown even then)."""
    src, dst = explanation.src, explanation.dst
    if src.pod is not None and dst.address is not None:
        direction, pod, external = OUT, src.pod, str(dst.address)
    elif dst.pod is not None and src.address is not None:
        direction, pod, external = IN, dst.pod, str(src.address)
    else:
        return None
    if explanation.port is not None:
        asked = PortSet.of(*explanation.port)
    else:
        asked = explanation.allowed if explanation.allowed else PortSet.all()
    own_node = bool(pod.host_ips)
    nodes = list(pod.host_ips) if own_node else all_node_addresses(cluster)
    end = cluster_end(external, pod.ips, nodes, options, direction, own_node=own_node)
    return trace(layers, direction, end, IPRangeSet.from_addresses([external]), asked)


def all_node_addresses(cluster: Cluster) -> list[str]:
    """Every node address the input names (Nodes' addresses, pods' hostIPs), once each."""
    nodes = [a for node in cluster.nodes for a in node.addresses]
    nodes.extend(cluster.host_addresses)
    return list(dict.fromkeys(nodes))
