"""CSV rows of the connectivity map against ``ConnectivityMap.pairs``, address by address.

docs/json-connectivity.md, reading rules: a pair's allowed set is the union of the entries that
name it. The CSV merges an endpoint's external peers reached on the same ports into one cell;
every address of that cell must then have exactly those ports, and every pair one row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from netfence.analyses.connectivity_map import (
    Connection,
    ConnectivityMap,
    Endpoint,
    Granularity,
    connectivity_map,
)
from netfence.report.connectivity import render_csv
from netfence.sets import PortSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.manifests import load_cluster

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "arc-cluster"


def _is_name(cell: str) -> bool:
    return "/" in cell and not any(ch in cell.split("/", 1)[0] for ch in ".:")


def _cell_set(cell: str) -> IPRangeSet:
    """An address cell: terms joined by "; ", each ``CIDR`` or ``CIDR except A, B``."""
    sets = []
    for term in cell.split("; "):
        cidr, _, excepts = term.partition(" except ")
        carved = IPRangeSet.from_cidrs(excepts.split(", ")) if excepts else IPRangeSet()
        sets.append(IPRangeSet.from_cidr(cidr) - carved)
    return IPRangeSet.union_of(sets)


def _check_against_pairs(cmap: ConnectivityMap) -> int:
    rows = list(csv.reader(io.StringIO(render_csv(cmap))))[1:]
    pairs = cmap.pairs()
    described = {pair: ports.describe() for pair, ports in pairs.items()}
    seen: set[tuple[str, str]] = set()
    cells: dict[tuple[str, bool], list[tuple[IPRangeSet, str]]] = {}
    for src, dst, ports in rows:
        if _is_name(src) and _is_name(dst):
            assert described[(src, dst)] == ports, (src, dst)
            seen.add((src, dst))
        elif _is_name(src):
            cells.setdefault((src, True), []).append((_cell_set(dst), ports))
        else:
            cells.setdefault((dst, False), []).append((_cell_set(src), ports))
    for (src, dst), ports in described.items():
        external = not _is_name(dst) if _is_name(src) else True
        if not external:
            assert (src, dst) in seen, (src, dst)
            continue
        endpoint, cidr, outward = (src, dst, True) if _is_name(src) else (dst, src, False)
        address = IPRangeSet.from_cidr(cidr)
        holding = [p for s, p in cells[(endpoint, outward)] if address.issubset(s)]
        assert holding == [ports], (endpoint, cidr, outward)
    for parts in cells.values():
        for i, (a, _) in enumerate(parts):
            assert all(not (a & b) for b, _ in parts[i + 1 :]), "cells of one endpoint overlap"
    return len(rows)


def test_overlapping_entries_give_each_address_the_union_of_their_ports():
    """Two entries name the same workload and overlapping CIDRs with different ports: the
    overlap is its own cell with both entries' ports, as the union rule requires."""
    a = ("ns/a",)
    endpoints = (
        Endpoint("ns/a", "Deployment", "ns"),
        *(Endpoint(c, "IPRange", None) for c in ("10.0.0.0/9", "10.128.0.0/9", "fd00::/8")),
    )
    cmap = ConnectivityMap(
        Granularity.WORKLOAD,
        endpoints,
        (
            Connection(a, ("10.0.0.0/9", "10.128.0.0/9"), PortSet.of("TCP", 443)),
            Connection(a, ("10.128.0.0/9", "fd00::/8"), PortSet.of("UDP", 53)),
            Connection(("10.0.0.0/9",), a, PortSet.of("TCP", 22)),
        ),
    )
    rows = list(csv.reader(io.StringIO(render_csv(cmap))))
    assert rows == [
        ["src", "dst", "connections"],
        ["ns/a", "10.0.0.0/9", "TCP 443"],
        ["ns/a", "10.128.0.0/9", "TCP 443; UDP 53"],
        ["ns/a", "fd00::/8", "UDP 53"],
        ["10.0.0.0/9", "ns/a", "TCP 22"],
    ]
    assert _check_against_pairs(cmap) == 4


def test_example_rows_agree_with_the_pairs_at_both_granularities():
    """The bundled example: every pair of ``pairs()`` is in exactly one row with its ports;
    the whole CSV is about a hundred rows for the thousands of pairs."""
    cluster = load_cluster([EXAMPLE])
    for granularity in Granularity:
        cmap = connectivity_map(cluster, granularity)
        assert _check_against_pairs(cmap) < len(cmap.pairs()) / 10
