"""Render an endpoint list (``netfence endpoints``) as text, JSON, CSV or Markdown.

Every format shows the same four groups: what the firewall must open, what the Arc gateway
carries (kept, marked, never dropped), the in-site ports, and what was left out (conditional
entries; stale entries when asked), with the documents and their dates. The JSON form is a
public contract (docs/endpoints.md), versioned by ``schema_version``, with a JSON Schema
shipped as ``netfence/report/schemas/endpoints-1.json``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from netfence.analyses.endpoints import (
    GATEWAY_SUFFIX,
    EndpointReport,
    ResolvedEndpoint,
    gateway_prefix,
    normalize_region,
)
from netfence.model.endpoints import (
    CatalogSource,
    EntryDirection,
    Feature,
    StaleEntry,
    combination_text,
)
from netfence.report.printable import printable

SCHEMA_VERSION: Final = "1"
"""Version of the endpoints JSON contract; bumped on any incompatible change."""

GATEWAY_WAIT: Final = (
    "no firewall opening once the gateway is in use; wait an hour after switching before"
    " removing existing openings"
)
"""What the carried group means for an allow-list."""


def _open(report: EndpointReport) -> list[ResolvedEndpoint]:
    return [
        r
        for r in report.endpoints
        if r.entry.direction is EntryDirection.OUTBOUND and r.needs_opening
    ]


def _carried(report: EndpointReport) -> list[ResolvedEndpoint]:
    return [r for r in report.endpoints if r.carried_by_gateway]


def _in_site(report: EndpointReport) -> list[ResolvedEndpoint]:
    return [r for r in report.endpoints if r.entry.direction is EntryDirection.IN_SITE]


def _ports(resolved: ResolvedEndpoint) -> str:
    return f"{resolved.entry.protocol.value} {','.join(str(p) for p in resolved.entry.ports)}"


def _destination(resolved: ResolvedEndpoint) -> str:
    if resolved.fqdn is not None:
        return printable(resolved.fqdn)
    return f"{resolved.entry.from_} -> {resolved.entry.to}"


def _remarks(resolved: ResolvedEndpoint) -> list[str]:
    """The short facts a reader must not miss, in order of consequence."""
    entry = resolved.entry
    out: list[str] = []
    if entry.required_when:
        out.append(f"when: {entry.required_when}")
    if entry.websockets:
        out.append("WebSockets")
    if entry.no_tls_inspection:
        out.append("no TLS inspection")
    if entry.listed_as:
        out.append(f"listed as {entry.listed_as}")
    if entry.service_tags:
        out.append("tags " + ", ".join(entry.service_tags))
    return out


def _options_line(report: EndpointReport) -> str:
    options = report.options
    region = normalize_region(options.region) if options.region is not None else "(none)"
    return (
        f"Azure Arc endpoints: cloud {options.cloud.value}, region {region},"
        f" platform {options.platform.value}"
    )


def _feature_list(features: Iterable[Feature]) -> list[str]:
    given = set(features)
    return [f.value for f in Feature if f in given]


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        indent
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]


def _endpoint_rows(endpoints: list[ResolvedEndpoint]) -> list[str]:
    rows = [
        [
            _destination(r),
            _ports(r),
            combination_text(r.needed_for),
            r.entry.id,
            "; ".join(_remarks(r)),
        ]
        for r in endpoints
    ]
    return [line.rstrip() for line in _table(rows)]


def _stale_line(stale: StaleEntry) -> str:
    since = f", last listed {stale.last_listed}" if stale.last_listed else ""
    note = f" {stale.note}" if stale.note else ""
    return f"  {stale.fqdn}  removed {stale.removed}{since}  {stale.id}: {stale.purpose}.{note}"


def _source_line(source: CatalogSource) -> str:
    return f"  {source.id}  {source.doc_date}  {source.title}  {source.url}"


def render_text(report: EndpointReport) -> str:
    """Plain text: the groups as aligned tables, the sources, and a summary line."""
    options = report.options
    lines = [_options_line(report)]
    lines.append("Features: " + ", ".join(_feature_list(options.enabled_features())))
    if report.unlisted_features:
        lines.append(_unlisted(report))
    groups: list[tuple[str, list[ResolvedEndpoint]]] = [
        ("Open on the firewall (outbound):", _open(report)),
        (f"Carried by the Arc gateway ({GATEWAY_WAIT}):", _carried(report)),
        ("In-site, between the site's networks:", _in_site(report)),
    ]
    for title, endpoints in groups:
        if endpoints:
            lines.extend(["", title, *_endpoint_rows(endpoints)])
    if report.conditional:
        count = len(report.conditional)
        lines.extend(
            [
                "",
                f"Left out: {count} conditional entr{'y' if count == 1 else 'ies'}"
                " (--include-conditional lists them):",
                *_endpoint_rows(list(report.conditional)),
            ]
        )
    if report.stale:
        lines.extend(["", "Stale (dropped from the lists; remove from allow-lists):"])
        lines.extend(_stale_line(s) for s in report.stale)
    lines.extend(["", "Sources:", *(_source_line(s) for s in report.sources)])
    lines.extend(["", _summary(report)])
    return "\n".join(lines) + "\n"


def _unlisted(report: EndpointReport) -> str:
    names = ", ".join(f.value for f in report.unlisted_features)
    return f"No entry in the {report.options.cloud.value} lists for: {names}"


def _summary(report: EndpointReport) -> str:
    return (
        f"{len(report.endpoints)} endpoints: {len(_open(report))} to open,"
        f" {len(_carried(report))} carried by the gateway, {len(_in_site(report))} in-site;"
        f" {len(report.conditional)} conditional left out, {len(report.stale)} stale"
    )


def _endpoint_json(resolved: ResolvedEndpoint) -> dict[str, Any]:
    entry = resolved.entry
    return {
        "id": entry.id,
        "direction": entry.direction.value,
        "fqdn": resolved.fqdn,
        "catalog_fqdn": entry.fqdn,
        "listed_as": entry.listed_as,
        "from": entry.from_,
        "to": entry.to,
        "protocol": entry.protocol.value,
        "ports": list(entry.ports),
        "application": None if entry.application is None else entry.application.value,
        "websockets": entry.websockets,
        "no_tls_inspection": entry.no_tls_inspection,
        "purpose": entry.purpose,
        "cloud": entry.cloud.value,
        "platform": entry.platform.value,
        "features": [combination_text(c) for c in entry.features],
        "needed_for": combination_text(resolved.needed_for),
        "required": entry.required,
        "required_when": entry.required_when,
        "arc_gateway": entry.arc_gateway.value,
        "carried_by_gateway": resolved.carried_by_gateway,
        "needs_opening": resolved.needs_opening,
        "service_tags": list(entry.service_tags),
        "service_tags_source": entry.service_tags_source,
        "source": entry.source,
        "note": entry.note,
    }


def _stale_json(stale: StaleEntry) -> dict[str, Any]:
    return {
        "id": stale.id,
        "fqdn": stale.fqdn,
        "purpose": stale.purpose,
        "cloud": stale.cloud.value,
        "platform": stale.platform.value,
        "removed": stale.removed,
        "last_listed": stale.last_listed,
        "still_listed_for": [p.value for p in stale.still_listed_for],
        "source": stale.source,
        "note": stale.note,
    }


def _source_json(source: CatalogSource) -> dict[str, Any]:
    return {
        "id": source.id,
        "title": source.title,
        "url": source.url,
        "doc_date": source.doc_date,
        "note": source.note,
    }


def _options_json(report: EndpointReport) -> dict[str, Any]:
    options = report.options
    gateway = options.gateway_url
    return {
        "cloud": options.cloud.value,
        "region": None if options.region is None else normalize_region(options.region),
        "region_code": options.region_code,
        "platform": options.platform.value,
        "features": _feature_list(options.features),
        "enabled_features": _feature_list(options.enabled_features()),
        "gateway": None if gateway is None else gateway_prefix(gateway) + GATEWAY_SUFFIX,
        "key_vaults": list(options.key_vaults),
        "include_conditional": options.include_conditional,
        "unlisted_features": [f.value for f in report.unlisted_features],
    }


def render_json(report: EndpointReport) -> str:
    """The versioned JSON document (docs/endpoints.md)."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "options": _options_json(report),
        "endpoints": [_endpoint_json(r) for r in report.endpoints],
        "conditional": [_endpoint_json(r) for r in report.conditional],
        "stale": [_stale_json(s) for s in report.stale],
        "sources": [_source_json(s) for s in report.sources],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS: Final = (
    "status",
    "id",
    "fqdn",
    "from",
    "to",
    "protocol",
    "ports",
    "needed_for",
    "required_when",
    "arc_gateway",
    "websockets",
    "no_tls_inspection",
    "service_tags",
    "source",
    "purpose",
)
"""The CSV header; ``status`` is open, gateway, in-site, conditional or stale."""


def _status(resolved: ResolvedEndpoint, conditional: bool) -> str:
    if conditional:
        return "conditional"
    if resolved.entry.direction is EntryDirection.IN_SITE:
        return "in-site"
    return "gateway" if resolved.carried_by_gateway else "open"


def _csv_row(resolved: ResolvedEndpoint, conditional: bool) -> list[str]:
    entry = resolved.entry
    return [
        _status(resolved, conditional),
        entry.id,
        resolved.fqdn or "",
        entry.from_ or "",
        entry.to or "",
        entry.protocol.value,
        " ".join(str(p) for p in entry.ports),
        combination_text(resolved.needed_for),
        entry.required_when or "",
        entry.arc_gateway.value,
        str(entry.websockets).lower(),
        str(entry.no_tls_inspection).lower(),
        " ".join(entry.service_tags),
        entry.source,
        entry.purpose,
    ]


def _stale_row(stale: StaleEntry) -> list[str]:
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(
        status="stale",
        id=stale.id,
        fqdn=stale.fqdn,
        required_when=f"removed {stale.removed}",
        source=stale.source,
        purpose=stale.purpose,
    )
    return list(row.values())


def render_csv(report: EndpointReport) -> str:
    """One row per endpoint (conditional and stale ones too), ``status`` first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(r, False) for r in report.endpoints)
    writer.writerows(_csv_row(r, True) for r in report.conditional)
    writer.writerows(_stale_row(s) for s in report.stale)
    return buffer.getvalue()


def _md_cell(text: str) -> str:
    return printable(text).replace("|", "\\|")


def _md_endpoints(title: str, endpoints: Iterable[ResolvedEndpoint]) -> list[str]:
    rows = [
        f"| `{_md_cell(_destination(r))}` | {_ports(r)} | {combination_text(r.needed_for)}"
        f" | {_md_cell('; '.join(_remarks(r)))} | {_md_cell(r.entry.purpose)} | {r.entry.source} |"
        for r in endpoints
    ]
    if not rows:
        return []
    header = "| destination | ports | for | remarks | purpose | source |"
    return ["", f"## {title}", "", header, "|---|---|---|---|---|---|", *rows]


def render_markdown(report: EndpointReport) -> str:
    """Markdown: a heading and a table per group, then the sources."""
    lines = [f"# {_options_line(report)}", ""]
    lines.append("Features: " + ", ".join(_feature_list(report.options.enabled_features())))
    if report.unlisted_features:
        lines += ["", _unlisted(report)]
    lines += _md_endpoints("Open on the firewall (outbound)", _open(report))
    lines += _md_endpoints(f"Carried by the Arc gateway ({GATEWAY_WAIT})", _carried(report))
    lines += _md_endpoints("In-site, between the site's networks", _in_site(report))
    lines += _md_endpoints("Conditional, left out", report.conditional)
    if report.stale:
        lines += ["", "## Stale (remove from allow-lists)", ""]
        lines += ["| name | removed | last listed | purpose | source |", "|---|---|---|---|---|"]
        lines += [
            f"| `{_md_cell(s.fqdn)}` | {s.removed} | {s.last_listed or ''}"
            f" | {_md_cell(s.purpose)} | {s.source} |"
            for s in report.stale
        ]
    lines += ["", "## Sources", "", "| id | date | title |", "|---|---|---|"]
    lines += [f"| {s.id} | {s.doc_date} | [{_md_cell(s.title)}]({s.url}) |" for s in report.sources]
    return "\n".join(lines) + "\n"


RENDERERS: Final[dict[str, Callable[[EndpointReport], str]]] = {
    "text": render_text,
    "json": render_json,
    "csv": render_csv,
    "md": render_markdown,
}
"""Each output format by its ``-o`` name."""
