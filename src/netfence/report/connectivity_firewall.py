"""The connectivity map with its external connections cut by the firewall layers, as text
and JSON (``connectivity --firewall``).

The map itself is rendered as without ``--firewall``; a section (text) or a ``firewall`` key
(JSON, docs/json-connectivity.md) follows, with each connection to or from external addresses
and, per address set the layers treat alike, what every layer lets through and which layer
blocks the rest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from netfence.analyses.connectivity_map import ConnectivityMap
from netfence.analyses.firewall.external_map import CutPart, ExternalCut
from netfence.model.firewall import FirewallLayer, TrafficDirection
from netfence.report.connectivity import render_text
from netfence.report.printable import printable
from netfence.sets.ipranges import TERM_SEPARATOR, IPRangeSet
from netfence.sets.ports import PortSet


def _terms(addresses: IPRangeSet) -> str:
    return TERM_SEPARATOR.join(str(t) for t in addresses.terms())


def _ports(ports: PortSet) -> str:
    return ports.describe() if ports else "no ports"


def _title(layer: FirewallLayer) -> str:
    return f"{layer.kind.value} {printable(layer.name)}"


def _part_text(part: CutPart, layers: Sequence[FirewallLayer]) -> str:
    said = []
    if part.allowed:
        said.append(f"{_ports(part.allowed)} allowed by every layer")
    said.extend(f"{_ports(ports)} BLOCKED by {_title(layers[i])}" for i, ports in part.blocked)
    if part.undecided:
        said.append(f"{_ports(part.undecided)} cannot be decided")
    return "; ".join(said)


def _cut_lines(cut: ExternalCut, layers: Sequence[FirewallLayer]) -> list[str]:
    inside = ", ".join(cut.cluster)
    lines = []
    for part in cut.parts:
        ends = (inside, _terms(part.addresses))
        if cut.direction is TrafficDirection.INBOUND:
            ends = ends[::-1]
        lines.append(f"{ends[0]} => {ends[1]} : {_part_text(part, layers)}")
    return lines


def render_firewall_text(
    cmap: ConnectivityMap, cuts: Sequence[ExternalCut], layers: Sequence[FirewallLayer]
) -> str:
    """The map's text, then each external connection through the layers (``BLOCKED`` marks
    the ports a layer blocks, naming the first that does)."""
    names = ", ".join(_title(layer) for layer in layers)
    lines = [f"Through the firewall layers ({names}; inbound flows cross them in reverse):"]
    for cut in cuts:
        lines.extend(_cut_lines(cut, layers))
    blocked = sum(1 for cut in cuts if cut.blocked)
    lines.append(
        f"{len(cuts)} external connection groups; {blocked} partly or wholly blocked by a layer"
    )
    return render_text(cmap) + "\n".join(lines) + "\n"


def _part_json(part: CutPart, layers: Sequence[FirewallLayer]) -> dict[str, Any]:
    return {
        "addresses": [str(t) for t in part.addresses.terms()],
        "cluster_end": part.translation.value,
        "allowed": part.allowed.as_ranges(),
        "blocked": [
            {"layer": layers[i].name, "kind": layers[i].kind.value, "ports": ports.as_ranges()}
            for i, ports in part.blocked
        ],
        "undecided": part.undecided.as_ranges(),
    }


def _cut_json(cut: ExternalCut, layers: Sequence[FirewallLayer]) -> dict[str, Any]:
    return {
        "direction": cut.direction.value,
        "cluster": list(cut.cluster),
        "external": [str(t) for t in cut.external.terms()],
        "policy_allowed": cut.policy_allowed.as_ranges(),
        "blocked": cut.blocked,
        "parts": [_part_json(p, layers) for p in cut.parts],
    }


def render_firewall_json(
    base: str, cuts: Sequence[ExternalCut], layers: Sequence[FirewallLayer]
) -> str:
    """The map's JSON (``base``, either form of the contract) with a ``firewall`` key: the
    layers in path order and each external connection through them, its in-cluster end
    named by pods or workloads."""
    firewall = {
        "layers": [{"kind": layer.kind.value, "name": layer.name} for layer in layers],
        "connections": [_cut_json(c, layers) for c in cuts],
    }
    # The map's JSON ends with its closing brace: the key goes in before it, so the map's
    # own lines stay as they are.
    head = base.rstrip()[:-1]
    return f'{head},\n "firewall": {json.dumps(firewall, separators=(", ", ": "))}}}\n'
