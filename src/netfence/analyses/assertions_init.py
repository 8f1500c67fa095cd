"""A starting spec for ``netfence test``: assertions taken from the current connectivity map.

At workload granularity, each allowed connection between two workloads (a workload to itself
left out) whose ends match a ``--must-hold`` pattern becomes ``expect: allow`` assertions: one
per allowed port when the connection allows a few single TCP, UDP or SCTP ports, else one
without a port (at least one port allowed). With ``deny_others``, every ordered pair of the
workloads those connections involve that the map shows with no port at all becomes an
``expect: deny`` assertion without a port. Without patterns, every connection is marked.

The map's connections hold for every pod of each workload (it intersects what a workload's
pods are allowed), so the spec written passes against the inputs it was taken from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from netfence.analyses.connectivity_map import ConnectivityMap, Granularity, connectivity_map
from netfence.analyses.flow_patterns import FlowPattern, parse_flow_pattern
from netfence.errors import QueryError
from netfence.model.cluster import Cluster
from netfence.model.connectivity_tests import Expectation, SpecProtocol
from netfence.sets.ports import PortSet

PORTS_PER_PAIR: Final = 8
"""Single ports up to which a connection gets one assertion per port; beyond, one without."""


def parse_must_hold(text: str) -> FlowPattern:
    """A ``--must-hold`` pattern: the flow-pattern language with workload ends and no port
    (it marks pairs of workloads; their allowed ports are written as the map shows them)."""
    pattern = parse_flow_pattern(text, "--must-hold")
    if pattern.src.addresses is not None or pattern.dst.addresses is not None:
        raise QueryError(
            f"--must-hold {text!r}: both ends are workloads (ns/name globs), not address blocks"
        )
    if pattern.port is not None:
        raise QueryError(
            f"--must-hold {text!r}: no port: the assertions take the ports the map allows"
        )
    return pattern


@dataclass(frozen=True)
class PlannedAssertion:
    """One assertion to write into a starting spec."""

    name: str
    """Unique within the spec."""
    source: str
    """The source workload, ``ns/name``."""
    destination: str
    """The destination workload, ``ns/name``."""
    port: int | None
    """The port, or None for any port."""
    protocol: SpecProtocol | None
    """The port's protocol; None without a port."""
    expect: Expectation
    """The verdict the map shows today."""
    reason: str
    """Why it was written (where it came from)."""


def initial_assertions(
    cluster: Cluster,
    patterns: Sequence[FlowPattern] = (),
    deny_others: bool = False,
    mapped: ConnectivityMap | None = None,
) -> list[PlannedAssertion]:
    """The assertions of a starting spec for ``cluster``, in workload order."""
    if mapped is None:
        mapped = connectivity_map(cluster, Granularity.WORKLOAD)
    workloads = {e.name for e in mapped.endpoints if e.kind != "IPRange"}
    allowed = {
        pair: ports
        for pair, ports in mapped.pairs().items()
        if pair[0] in workloads and pair[1] in workloads and pair[0] != pair[1]
    }
    marked = sorted(
        pair
        for pair in allowed
        if not patterns or any(p.matches_names(pair[0], pair[1]) for p in patterns)
    )
    out: list[PlannedAssertion] = []
    for src, dst in marked:
        out.extend(_allows(src, dst, allowed[(src, dst)]))
    if deny_others:
        involved = sorted({name for pair in marked for name in pair})
        out.extend(
            PlannedAssertion(
                f"{src} -> {dst} denied",
                src,
                dst,
                None,
                None,
                Expectation.DENY,
                "denied in the connectivity map when this spec was written",
            )
            for src in involved
            for dst in involved
            if src != dst and (src, dst) not in allowed
        )
    return out


def _allows(src: str, dst: str, ports: PortSet) -> list[PlannedAssertion]:
    reason = "allowed in the connectivity map when this spec was written"
    singles = _single_ports(ports)
    if singles is None:
        return [
            PlannedAssertion(f"{src} -> {dst}", src, dst, None, None, Expectation.ALLOW, reason)
        ]
    return [
        PlannedAssertion(
            f"{src} -> {dst} {protocol.value} {port}",
            src,
            dst,
            port,
            protocol,
            Expectation.ALLOW,
            reason,
        )
        for protocol, port in singles
    ]


def _single_ports(ports: PortSet) -> list[tuple[SpecProtocol, int]] | None:
    """The ports one by one, when they are at most ``PORTS_PER_PAIR`` single ports of the
    protocols an assertion names; else None."""
    out: list[tuple[SpecProtocol, int]] = []
    for protocol, ranges in ports.as_ranges().items():
        if protocol not in SpecProtocol.__members__:
            return None
        for lo, hi in ranges:
            if hi - lo + 1 > PORTS_PER_PAIR - len(out):
                return None
            out.extend((SpecProtocol(protocol), port) for port in range(lo, hi + 1))
    return out
