"""The connectivity map's connections to and from external addresses, cut by the firewall
layers on their path: of what the policies allow, what every layer lets through, what a layer
blocks (the first that does, named), and what cannot be decided.

The cluster's end is its nodes' addresses (SNAT), or the pods' own for external ranges in
``--no-snat``, or what ``--source`` gives (see :mod:`netfence.analyses.firewall.path`). The
external side is split into the address sets the layers treat alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from netfence.analyses.connectivity_map import Connection, ConnectivityMap
from netfence.analyses.firewall.path import (
    IN,
    OUT,
    ClusterEnd,
    PathOptions,
    Translation,
    all_node_addresses,
    build_space,
    class_indices,
    combine,
    passage_at,
    seen_by,
)
from netfence.engine.firewall import FirewallSpace, Index
from netfence.model.cluster import Cluster
from netfence.model.firewall import FirewallLayer, TrafficDirection
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet


@dataclass(frozen=True)
class CutPart:
    """External addresses the layers treat alike, and what they do with the ports."""

    addresses: IPRangeSet
    """The external addresses."""
    translation: Translation
    """How the cluster's end appears to the layers for them."""
    allowed: PortSet
    """What every layer lets through."""
    blocked: tuple[tuple[int, PortSet], ...]
    """Per layer (its index in the layers as given) that blocks some ports first, those
    ports."""
    undecided: PortSet
    """What no layer blocks and some layer cannot decide."""


@dataclass(frozen=True)
class ExternalCut:
    """One connection of the map with external addresses, through the layers."""

    direction: TrafficDirection
    """Outbound (to the external addresses) or Inbound (from them)."""
    cluster: tuple[str, ...]
    """The in-cluster endpoints of the connection."""
    external: IPRangeSet
    """Its external addresses."""
    policy_allowed: PortSet
    """What the policies allow."""
    parts: tuple[CutPart, ...]
    """The external addresses split by what the layers do."""

    @property
    def blocked(self) -> bool:
        """Whether some layer blocks part of it."""
        return any(part.blocked for part in self.parts)


def cut_external(
    cmap: ConnectivityMap,
    cluster: Cluster,
    layers: Sequence[FirewallLayer],
    options: PathOptions,
) -> list[ExternalCut]:
    """Every connection of ``cmap`` with external addresses, cut by ``layers`` (in the order
    an outbound flow crosses them)."""
    external = {e.name for e in cmap.endpoints if e.kind == "IPRange"}
    nodes = all_node_addresses(cluster)
    node_set = IPRangeSet.from_addresses(nodes) if nodes else None
    items: list[tuple[Connection, TrafficDirection, tuple[str, ...], IPRangeSet]] = []
    for connection in cmap.connections:
        src_out = [n for n in connection.src if n in external]
        dst_out = [n for n in connection.dst if n in external]
        if src_out:
            items.append((connection, IN, connection.dst, IPRangeSet.from_cidrs(src_out)))
        elif dst_out:  # the entry's in-cluster destinations are not on the layers' path
            items.append((connection, OUT, connection.src, IPRangeSet.from_cidrs(dst_out)))
    plans = [(item, _ends(item, cluster, node_set, options)) for item in items]
    boxes = [
        _box(layer, direction, end, part, connection.allowed)
        for (connection, direction, _, _), ends in plans
        for part, end in ends
        for layer in layers
    ]
    space = build_space(layers, boxes)
    return [
        ExternalCut(
            direction,
            tuple(n for n in names if n not in external),
            addresses,
            connection.allowed,
            tuple(
                piece
                for part, end in ends
                for piece in _cut(space, layers, direction, end, part, connection.allowed)
            ),
        )
        for (connection, direction, names, addresses), ends in plans
    ]


def _pods_of(cluster: Cluster, names: Sequence[str]) -> IPRangeSet | None:
    wanted = set(names)
    ips = [
        ip
        for pod in cluster.pods
        if pod.endpoint_name in wanted or pod.key in wanted
        for ip in pod.ips
    ]
    return IPRangeSet.from_addresses(ips) if ips else None


def _ends(
    item: tuple[Connection, TrafficDirection, tuple[str, ...], IPRangeSet],
    cluster: Cluster,
    nodes: IPRangeSet | None,
    options: PathOptions,
) -> list[tuple[IPRangeSet, ClusterEnd]]:
    """The external addresses split by how the cluster's end appears for them."""
    _, _, names, addresses = item
    pods = _pods_of(cluster, names)
    out: list[tuple[IPRangeSet, ClusterEnd]] = []
    direct = addresses & options.no_snat if options.no_snat is not None else IPRangeSet()
    if direct:
        translation = Translation.NO_SNAT if pods is not None else Translation.UNKNOWN
        out.append((direct, ClusterEnd(translation, pods, pods, "the pods' own addresses")))
    rest = addresses - direct
    if rest:
        if options.sources is not None:
            end = ClusterEnd(Translation.GIVEN, options.sources, pods, "--source")
        elif nodes is not None:
            end = ClusterEnd(Translation.SNAT, nodes, pods, "the nodes' addresses")
        else:
            end = ClusterEnd(Translation.UNKNOWN, None, pods, "any address")
        out.append((rest, end))
    return out


def _box(
    layer: FirewallLayer,
    direction: TrafficDirection,
    end: ClusterEnd,
    external: IPRangeSet,
    ports: PortSet,
) -> tuple[TrafficDirection, IPRangeSet | None, IPRangeSet | None, PortSet]:
    cluster = seen_by(layer, end)
    if direction is OUT:
        return (direction, cluster, external, ports)
    return (direction, external, cluster, ports)


def _cut(
    space: FirewallSpace,
    layers: Sequence[FirewallLayer],
    direction: TrafficDirection,
    end: ClusterEnd,
    external: IPRangeSet,
    ports: PortSet,
) -> list[CutPart]:
    """``external`` split by what the path does with each of its address classes; classes
    with the same outcome are merged."""
    order = list(range(len(layers)))
    if direction is IN:
        order.reverse()
    outcome: dict[tuple[PortSet, tuple[tuple[int, PortSet], ...], PortSet], list[int]] = {}
    boxes = [_box(layers[i], direction, end, external, ports) for i in order]
    spans = [class_indices(space, box[1], box[2]) for box in boxes]
    outward = 1 if direction is OUT else 0
    for atom in _external_classes(space, external, direction).tolist():
        passages = []
        for i, span in zip(order, spans, strict=True):
            one = np.array([atom], dtype=np.intp)
            classes: tuple[Index, Index] = (span[0], one) if outward else (one, span[1])
            passages.append(passage_at(space, i, direction, classes, ports))
        allowed, blocked, undecided = combine(passages, ports)
        named = tuple((order[i], p) for i, p in blocked)
        outcome.setdefault((allowed, named, undecided), []).append(atom)
    atoms = space.source_atoms if direction is IN else space.destination.atoms
    return [
        CutPart(atoms.range_set(classes), end.translation, allowed, blocked, undecided)
        for (allowed, blocked, undecided), classes in outcome.items()
    ]


def _external_classes(
    space: FirewallSpace, external: IPRangeSet, direction: TrafficDirection
) -> Index:
    """The classes of the external addresses along their dimension."""
    if direction is IN:
        return np.flatnonzero(space.source_mask(external))
    return np.flatnonzero(space.address_mask(external))
