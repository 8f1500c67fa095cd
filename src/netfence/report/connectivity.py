"""Render a ConnectivityMap as JSON, text, CSV, Markdown or Graphviz dot.

The JSON written from a map is the pairs form of the public contract
(docs/json-connectivity.md, ``report/connectivity_groups.py``); the CLI writes its grouped
form from the class matrix.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from netfence.analyses.connectivity_groups import PairRun
from netfence.analyses.connectivity_map import Connection, ConnectivityMap
from netfence.report.connectivity_groups import SCHEMA_VERSION, render_pairs_json
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import TERM_SEPARATOR, AddressTerm, IPRangeSet
from netfence.sets.ports import PortSet


def _is_cidr(name: str) -> bool:
    # In-cluster names are namespace/name, and a namespace never contains "." or ":".
    head = name.split("/", 1)[0]
    return "." in head or ":" in head


def _term_key(term: AddressTerm) -> tuple[int, int, int, tuple[tuple[int, int], ...]]:
    """Address order: IPv4 first, then by first address, the larger block first."""
    cidr = term.cidr
    excepts = tuple((int(e.network_address), e.prefixlen) for e in term.excepts)
    return cidr.version, int(cidr.network_address), cidr.prefixlen, excepts


class _Terms:
    """The external part of endpoint name lists as address sets and terms, once per list.

    The map names external ranges by the CIDRs that make them up; every output here speaks
    of the address set they form together, as ``IPRangeSet.terms``.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], tuple[list[str], IPRangeSet]] = {}
        self._terms: dict[IPRangeSet, list[AddressTerm]] = {}
        # CIDR name -> (family, first, last): one CIDR is named by many entries, and parsing
        # it is most of the cost of turning names into sets.
        self._spans: dict[str, tuple[int, int, int]] = {}

    def _span(self, cidr: str) -> tuple[int, int, int]:
        found = self._spans.get(cidr)
        if found is None:
            found = self._spans[cidr] = _parse_cidr(cidr)
        return found

    def addresses(self, names: tuple[str, ...]) -> tuple[list[str], IPRangeSet]:
        """(in-cluster names as given, the set of the external ones)."""
        found = self._seen.get(names)
        if found is None:
            inside: list[str] = []
            spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
            for name in names:
                if _is_cidr(name):
                    version, lo, hi = self._span(name)
                    spans[version].append((lo, hi))
                else:
                    inside.append(name)
            outside = IPRangeSet(IntervalSet(spans[4]), IntervalSet(spans[6]))
            found = self._seen[names] = (inside, outside)
        return found

    def of(self, addresses: IPRangeSet) -> list[AddressTerm]:
        """The terms of an address set."""
        found = self._terms.get(addresses)
        if found is None:
            found = self._terms[addresses] = addresses.terms()
        return found

    def split(self, names: tuple[str, ...]) -> tuple[list[str], list[AddressTerm]]:
        """(in-cluster names as given, terms of the external ones in address order)."""
        inside, outside = self.addresses(names)
        return inside, self.of(outside)


def _parse_cidr(cidr: str) -> tuple[int, int, int]:
    """(family, first address, last address) of a CIDR; host bits are ignored.

    IPv4 by hand: ipaddress takes some ten times as long, and a map with many ipBlocks names
    hundreds of thousands of CIDRs.
    """
    address, _, prefixlen = cidr.partition("/")
    if ":" not in address:
        try:
            a, b, c, d = map(int, address.split("."))
            bits = int(prefixlen)
        except ValueError:
            pass
        else:
            # (x >> 8) == 0 holds for 0..255 only; a negative octet or prefix falls through.
            if not ((a | b | c | d) >> 8) and 0 <= bits <= 32:
                size = 1 << (32 - bits)
                lo = ((a << 24) | (b << 16) | (c << 8) | d) & -size
                return 4, lo, lo + size - 1
    net = ipaddress.ip_network(cidr, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address)


def render_json(cmap: ConnectivityMap) -> str:
    """The pairs form of the JSON contract (version 3): the map's pairs, each endpoint's
    external peers on the same ports merged into one address set, one pair per term."""
    runs = (
        PairRun(
            tuple(str(t) for t in row.src_terms) or (row.src,),
            tuple(str(t) for t in row.dst_terms) or (row.dst,),
            row.ports,
        )
        for row in _rows(cmap)
    )
    return "".join(render_pairs_json(cmap.granularity, runs))


def _names(names: tuple[str, ...], terms: _Terms) -> str:
    """Endpoint names for people: pods and workloads, then the external addresses as terms.

    Groups are separated by ``TERM_SEPARATOR``, since an except list itself uses ", "."""
    inside, outside = terms.split(names)
    groups = [", ".join(inside)] if inside else []
    groups.extend(str(t) for t in outside)
    return TERM_SEPARATOR.join(groups)


def render_text(cmap: ConnectivityMap) -> str:
    """One line per grouped connection: ``SOURCES => DESTINATIONS : PORTS``."""
    terms = _Terms()
    lines = [
        f"{_names(c.src, terms)} => {_names(c.dst, terms)} : {c.allowed.describe()}"
        for c in cmap.connections
    ]
    ranges = {str(t) for c in cmap.connections for n in (c.src, c.dst) for t in terms.split(n)[1]}
    in_cluster = sum(1 for e in cmap.endpoints if e.kind != "IPRange")
    lines.append(
        f"{len(cmap.connections)} connection groups; {in_cluster} {cmap.granularity.value}s, "
        f"{len(ranges)} external ranges"
    )
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Row:
    """One (source, destination) pair of the map, with the external side merged."""

    src: str
    """A source endpoint name, or an external address set as terms."""
    dst: str
    """A destination endpoint name, or an external address set as terms."""
    ports: PortSet
    """What the source may send the destination (all of it, for a merged address set)."""
    src_terms: tuple[AddressTerm, ...] = ()
    """The terms of ``src`` when it is an address set."""
    dst_terms: tuple[AddressTerm, ...] = ()
    """The terms of ``dst`` when it is an address set."""


def _rows(cmap: ConnectivityMap) -> list[_Row]:
    """The map's pairs, with each endpoint's external peers reached on the same ports merged
    into one address set: rows of one endpoint and direction are disjoint in addresses, and a
    pair's ports are all it is allowed (the union of the entries naming it), as in
    ``ConnectivityMap.pairs``, which this does not call: expanded to one pair per external
    CIDR, a map with many ipBlocks has hundreds of millions of them."""
    terms = _Terms()
    single_pods = {e.name for e in cmap.endpoints if e.kind == "Pod"}
    internal: dict[tuple[str, str], PortSet] = {}
    # in-cluster endpoint -> the entries that name it and external addresses on the other side
    outbound: dict[str, list[tuple[IPRangeSet, PortSet]]] = defaultdict(list)
    inbound: dict[str, list[tuple[IPRangeSet, PortSet]]] = defaultdict(list)
    for c in cmap.connections:
        src_in, src_out = terms.addresses(c.src)
        dst_in, dst_out = terms.addresses(c.dst)
        for s in src_in:
            for d in dst_in:
                if s != d or s not in single_pods:
                    _add(internal, (s, d), c.allowed)
            if dst_out:
                outbound[s].append((dst_out, c.allowed))
        if src_out:
            for d in dst_in:
                inbound[d].append((src_out, c.allowed))
    rows = [_Row(s, d, ports) for (s, d), ports in internal.items()]
    overlays: dict[tuple[tuple[IPRangeSet, PortSet], ...], dict[PortSet, IPRangeSet]] = {}
    for outward, by_endpoint in ((True, outbound), (False, inbound)):
        for endpoint, parts in by_endpoint.items():
            key = tuple(parts)
            if key not in overlays:
                overlays[key] = _overlay(parts)
            for ports, addresses in overlays[key].items():
                found = tuple(terms.of(addresses))
                if outward:
                    rows.append(_Row(endpoint, _joined(found), ports, dst_terms=found))
                else:
                    rows.append(_Row(_joined(found), endpoint, ports, src_terms=found))
    rows.sort(key=lambda r: (r.src_terms != (), r.src, r.dst_terms != (), r.dst))
    return rows


def _add(pairs: dict[tuple[str, str], PortSet], pair: tuple[str, str], ports: PortSet) -> None:
    """Union ``ports`` into ``pairs[pair]`` (most pairs are named once: no union then)."""
    have = pairs.get(pair)
    pairs[pair] = ports if have is None else have | ports


def _overlay(parts: list[tuple[IPRangeSet, PortSet]]) -> dict[PortSet, IPRangeSet]:
    """Address sets with ports, made disjoint: each address gets the union of the ports of
    the sets that hold it, and the addresses that get the same ports are one set."""
    pieces: list[tuple[IPRangeSet, PortSet]] = []
    for addresses, ports in parts:
        # One entry per endpoint and ports is the usual case, with disjoint sets: then every
        # piece is kept whole and the new set is added as it is.
        split: list[tuple[IPRangeSet, PortSet]] = []
        rest = addresses
        for piece, have in pieces:
            both = piece & addresses
            if both:
                split.append((both, have | ports))
                rest = rest - piece
                if only := piece - addresses:
                    split.append((only, have))
            else:
                split.append((piece, have))
        if rest:
            split.append((rest, ports))
        pieces = split
    by_ports: dict[PortSet, list[IPRangeSet]] = defaultdict(list)
    for piece, ports in pieces:
        by_ports[ports].append(piece)
    return {ports: IPRangeSet.union_of(sets) for ports, sets in by_ports.items()}


def _joined(terms: Sequence[AddressTerm]) -> str:
    return TERM_SEPARATOR.join(str(t) for t in terms)


def render_csv(cmap: ConnectivityMap) -> str:
    """``src,dst,connections``: one row per pair of endpoints, where the external addresses an
    endpoint reaches (or is reached from) on the same ports are one address set, written as
    its terms (``0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12``; several joined by "; ")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["src", "dst", "connections"])
    for row in _rows(cmap):
        writer.writerow([row.src, row.dst, row.ports.describe()])
    return buffer.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(cmap: ConnectivityMap) -> str:
    """A Markdown table of the grouped connections."""
    terms = _Terms()
    lines = ["| src | dst | connections |", "|---|---|---|"]
    lines.extend(
        f"| {_md_cell(_names(c.src, terms))} | {_md_cell(_names(c.dst, terms))} "
        f"| {_md_cell(c.allowed.describe())} |"
        for c in cmap.connections
    )
    return "\n".join(lines) + "\n"


def _dot_id(name: str) -> str:
    return json.dumps(name)  # a JSON string is a valid quoted Graphviz ID


def _term_label(term: AddressTerm) -> str:
    """A term on several lines: the CIDR, then "except" and one excepted CIDR a line."""
    if not term.excepts:
        return str(term.cidr)
    return "\n".join([f"{term.cidr} except", *(str(e) for e in term.excepts)])


def render_dot(cmap: ConnectivityMap) -> str:
    """A Graphviz digraph: a cluster per namespace, one node per external term, one edge per
    pair of nodes labelled with its ports.

    External nodes are the terms of the address sets of ``_rows``: what the policies let an
    endpoint reach (or be reached from) on the same ports, so a few nodes, not one per CIDR
    fragment. An address may lie in several external nodes; what it may send or receive is
    the union of the edges of the nodes that hold it.
    """
    by_ns: dict[str, list[str]] = defaultdict(list)
    for e in cmap.endpoints:
        if e.namespace is not None:
            by_ns[e.namespace].append(e.name)
    edges: dict[tuple[str, str], PortSet] = {}
    external: dict[str, AddressTerm] = {}
    for row in _rows(cmap):
        for src in [str(t) for t in row.src_terms] or [row.src]:
            for dst in [str(t) for t in row.dst_terms] or [row.dst]:
                _add(edges, (src, dst), row.ports)
        for term in (*row.src_terms, *row.dst_terms):
            external.setdefault(str(term), term)
    out = [
        "digraph connectivity {",
        # newrank: ranks across clusters at once, which spares the spline router the
        # crossings that made dot warn "unable to reclaim box space".
        "  rankdir=LR;",
        "  newrank=true;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for ns, names in sorted(by_ns.items()):
        out.append(f"  subgraph {_dot_id('cluster_' + ns)} {{")
        out.append(f"    label={_dot_id(ns)};")
        out.extend(f"    {_dot_id(n)} [label={_dot_id(n.split('/', 1)[1])}];" for n in names)
        out.append("  }")
    if external:
        out.append("  subgraph cluster_external {")
        out.append('    label="external";')
        out.extend(
            f"    {_dot_id(name)} [label={_dot_id(_term_label(term))}, shape=ellipse, "
            'fillcolor="#fdf1e6"];'
            for name, term in sorted(external.items(), key=lambda item: _term_key(item[1]))
        )
        out.append("  }")
    for (src, dst), ports in sorted(edges.items()):
        out.append(f"  {_dot_id(src)} -> {_dot_id(dst)} [label={_dot_id(ports.describe())}];")
    out.append("}")
    return "\n".join(out) + "\n"


RENDERERS: Final = {
    "json": render_json,
    "text": render_text,
    "csv": render_csv,
    "md": render_markdown,
    "dot": render_dot,
}
"""Output format name -> renderer."""


__all__ = ["RENDERERS", "SCHEMA_VERSION", "Connection"]
