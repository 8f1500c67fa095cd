"""Render a ConnectivityMap as JSON, text, CSV, Markdown or Graphviz dot.

The JSON form is a public contract (docs/json-connectivity.md): ``schema_version`` and a
``connections`` list whose entries name sources, destinations and allowed port ranges.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Final

from netfence.analyses.connectivity_map import Connection, ConnectivityMap
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

SCHEMA_VERSION: Final = "1"
"""Version of the connectivity JSON contract; bumped on any incompatible change."""


def _one_or_many(names: tuple[str, ...]) -> str | list[str]:
    return names[0] if len(names) == 1 else list(names)


_quote: Final = json.encoder.encode_basestring_ascii
"""A string as json.dumps writes it (ASCII, escaped), by json's own C encoder."""


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def render_json(cmap: ConnectivityMap) -> str:
    """The documented JSON contract, one endpoint and one connection per line."""
    # The parts are joined once, each made with its separator: a large map's text (hundreds
    # of MB with many ipBlocks) is then held twice at most, not once per "+" or list.
    parts = [
        f'{{"schema_version": {_compact(SCHEMA_VERSION)}, '
        f'"granularity": {_compact(cmap.granularity.value)},\n',
        ' "endpoints": [',
    ]
    for i, e in enumerate(cmap.endpoints):
        # What _compact gives for this dict of strings, without a json.dumps call for each of
        # the (with many ipBlocks, hundreds of thousands of) endpoints.
        namespace = "null" if e.namespace is None else _quote(e.namespace)
        entry = f'{{"name": {_quote(e.name)}, "kind": {_quote(e.kind)}, "namespace": {namespace}}}'
        parts.append(("," if i else "") + "\n  " + entry)
    parts.append("\n ],\n" if cmap.endpoints else "],\n")
    parts.append(' "connections": [')
    for i, c in enumerate(cmap.connections):
        entry = _compact(
            {
                "src": _one_or_many(c.src),
                "dst": _one_or_many(c.dst),
                "allowed": c.allowed.as_ranges(),
            }
        )
        parts.append(("," if i else "") + "\n  " + entry)
    parts.append("\n ]}\n" if cmap.connections else "]}\n")
    return "".join(parts)


def _names(names: tuple[str, ...]) -> str:
    """Endpoint names for people: pods and workloads, then external ranges in short form."""
    in_cluster = [n for n in names if not _is_cidr(n)]
    ranges = IPRangeSet.from_cidrs([n for n in names if _is_cidr(n)])
    return ", ".join([*in_cluster, ranges.describe()] if ranges else in_cluster)


def _is_cidr(name: str) -> bool:
    # In-cluster names are namespace/name, and a namespace never contains "." or ":".
    head = name.split("/", 1)[0]
    return "." in head or ":" in head


def render_text(cmap: ConnectivityMap) -> str:
    """One line per grouped connection: ``SOURCES => DESTINATIONS : PORTS``."""
    lines = [
        f"{_names(c.src)} => {_names(c.dst)} : {c.allowed.describe()}" for c in cmap.connections
    ]
    in_cluster = sum(1 for e in cmap.endpoints if e.kind != "IPRange")
    lines.append(
        f"{len(cmap.connections)} connection groups; {in_cluster} {cmap.granularity.value}s, "
        f"{len(cmap.endpoints) - in_cluster} external ranges"
    )
    return "\n".join(lines) + "\n"


def _pairs(cmap: ConnectivityMap) -> list[tuple[str, str, PortSet]]:
    return sorted((s, d, p) for (s, d), p in cmap.pairs().items())


def render_csv(cmap: ConnectivityMap) -> str:
    """One row per (source, destination) pair: ``src,dst,connections``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["src", "dst", "connections"])
    for src, dst, ports in _pairs(cmap):
        writer.writerow([src, dst, ports.describe()])
    return buffer.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(cmap: ConnectivityMap) -> str:
    """A Markdown table of the grouped connections."""
    lines = ["| src | dst | connections |", "|---|---|---|"]
    lines.extend(
        f"| {_md_cell(_names(c.src))} | {_md_cell(_names(c.dst))} | {_md_cell(c.allowed.describe())} |"
        for c in cmap.connections
    )
    return "\n".join(lines) + "\n"


def _dot_id(name: str) -> str:
    return json.dumps(name)  # a JSON string is a valid quoted Graphviz ID


def render_dot(cmap: ConnectivityMap) -> str:
    """A Graphviz digraph: namespaces as clusters, external ranges apart, edges per pair."""
    by_ns: dict[str, list[str]] = {}
    external: list[str] = []
    for e in cmap.endpoints:
        if e.namespace is None:
            external.append(e.name)
        else:
            by_ns.setdefault(e.namespace, []).append(e.name)
    out = [
        "digraph connectivity {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for i, (ns, names) in enumerate(sorted(by_ns.items())):
        out.append(f"  subgraph cluster_{i} {{")
        out.append(f"    label={_dot_id(ns)};")
        out.extend(f"    {_dot_id(n)} [label={_dot_id(n.split('/', 1)[1])}];" for n in names)
        out.append("  }")
    if external:
        out.append("  subgraph cluster_external {")
        out.append('    label="external";')
        out.extend(f'    {_dot_id(n)} [shape=ellipse, fillcolor="#fdf1e6"];' for n in external)
        out.append("  }")
    for src, dst, ports in _pairs(cmap):
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
