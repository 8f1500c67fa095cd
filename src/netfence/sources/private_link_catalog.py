"""Read the Private Link zone catalog (package data ``netfence/data/private_link.yaml``).

Read as strictly as the endpoint catalog: an unknown field, a source id no source defines, a
cloud, service kind, feature or platform outside its closed set, a zone not under
``privatelink.``, a name template with an unknown placeholder, or a service listed twice for
one cloud is an InputError naming the file, line and field.
"""

from __future__ import annotations

import enum
import importlib.resources
import re
from collections.abc import Iterable
from typing import Final, TypeVar

from netfence.errors import InputError, Location
from netfence.model.endpoints import Cloud
from netfence.model.private_link import (
    NAME_PLACEHOLDERS,
    ArcZone,
    CloudZones,
    ClusterFeature,
    MustStayPublic,
    PrivateLinkCatalog,
    PrivateLinkLimits,
    PrivateLinkPlatform,
    ServiceKind,
    ServiceZones,
    ZoneSource,
)
from netfence.sets.names import normalize_pattern
from netfence.sources.fields import Field
from netfence.sources.yamldocs import parse_documents

CATALOG_FILE: Final = "private_link.yaml"
"""The catalog's file name inside the package's ``data`` folder."""
SCHEMA_VERSION: Final = 1
"""The catalog format this reader understands."""

_TOP: Final = frozenset({"schema_version", "sources", "limits", "must_stay_public", "clouds"})
_SOURCE: Final = frozenset({"id", "title", "url", "doc_date", "note"})
_LIMITS: Final = frozenset(
    {
        "status",
        "unsupported_regions",
        "unsupported_features",
        "end_to_end_extensions",
        "unsupported_platforms",
        "same_subscription_during_preview",
        "source",
        "platform_source",
    }
)
_PUBLIC: Final = frozenset({"id", "purpose", "names", "service_tag", "ports", "source"})
_CLOUD: Final = frozenset({"cloud", "arc_zones", "arc_zones_note", "services"})
_ARC_ZONE: Final = frozenset({"zone", "forwarders", "names", "source"})
_SERVICE: Final = frozenset(
    {"kind", "zones", "forwarders", "names", "service_tag", "stays_public", "source"}
)
_STATUSES: Final = ("preview", "ga")
_DATE: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_PLACEHOLDER: Final = re.compile(r"\{[^{}]*\}")
_SERVICE_TAG: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*")
_ID: Final = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_REGION: Final = re.compile(r"[a-z][a-z0-9]*")

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


def load_private_link_catalog() -> PrivateLinkCatalog:
    """The catalog shipped with netfence."""
    resource = importlib.resources.files("netfence") / "data" / CATALOG_FILE
    return parse_private_link_catalog(resource.read_text(encoding="utf-8"), CATALOG_FILE)


def parse_private_link_catalog(text: str, file: str) -> PrivateLinkCatalog:
    """A catalog from its YAML text; InputError naming the line of the first problem."""
    documents = list(parse_documents(text, file))
    if len(documents) != 1:
        raise InputError(
            f"expected one YAML document, found {len(documents)}", Location(file, 1, 1)
        )
    root = Field.root(documents[0])
    root.refuse_unknown(_TOP)
    version = root.require("schema_version")
    if version.integer() != SCHEMA_VERSION:
        raise version.error(f"unsupported catalog version {version.value} (expected 1)")
    sources = _sources(root.require("sources"))
    known = {s.id for s in sources}
    return PrivateLinkCatalog(
        SCHEMA_VERSION,
        sources,
        _limits(root.require("limits"), known),
        _must_stay_public(root.require("must_stay_public"), known),
        _clouds(root.require("clouds"), known),
    )


def _source_ref(item: Field, key: str, known: set[str]) -> str:
    field = item.require(key)
    ident = field.string()
    if ident not in known:
        raise field.error(f"unknown source id {ident!r} (sources: {', '.join(sorted(known))})")
    return ident


def _sources(field: Field) -> tuple[ZoneSource, ...]:
    out: list[ZoneSource] = []
    for item in field.items():
        item.refuse_unknown(_SOURCE)
        ident = item.require("id").text()
        if not _ID.fullmatch(ident):
            raise item.require("id").error(f"invalid id {ident!r} (lower-case words, hyphens)")
        if any(s.id == ident for s in out):
            raise item.require("id").error(f"duplicate source id {ident!r}")
        url = item.require("url").text()
        if not url.startswith("https://"):
            raise item.require("url").error("expected an https:// address")
        date = _optional(item.get("doc_date"))
        if date is not None and not _DATE.fullmatch(date):
            raise item.require("doc_date").error(f"expected a date YYYY-MM-DD, got {date!r}")
        note = _optional(item.get("note"))
        if date is None and note is None:
            raise Field(item.doc, f"{item.path}.doc_date", None, item.line).error(
                "required (or a note saying why the date is not recorded)"
            )
        out.append(ZoneSource(ident, item.require("title").text(), url, date, note))
    if not out:
        raise field.error("expected at least one source")
    return tuple(out)


def _strings(item: Field, key: str, *, allow_empty: bool = False) -> list[tuple[str, Field]]:
    field = item.require(key)
    values = [(child.string(), child) for child in field.items()]
    if not values and not allow_empty:
        raise field.error("expected at least one value")
    return values


def _choices(item: Field, key: str, kind: type[_Choice]) -> tuple[_Choice, ...]:
    return tuple(child.choice(kind) for _, child in _strings(item, key, allow_empty=True))


def _limits(item: Field, known: set[str]) -> PrivateLinkLimits:
    item.refuse_unknown(_LIMITS)
    status_field = item.require("status")
    status = status_field.string()
    if status not in _STATUSES:
        raise status_field.error(f"unknown status {status!r} (expected preview or ga)")
    regions = []
    for region, child in _strings(item, "unsupported_regions", allow_empty=True):
        if not _REGION.fullmatch(region):
            raise child.error(f"expected a region name without spaces, got {region!r}")
        regions.append(region)
    same = item.require("same_subscription_during_preview").boolean()
    return PrivateLinkLimits(
        status=status,
        unsupported_regions=tuple(regions),
        unsupported_features=_choices(item, "unsupported_features", ClusterFeature),
        end_to_end_extensions=_choices(item, "end_to_end_extensions", ClusterFeature),
        unsupported_platforms=_choices(item, "unsupported_platforms", PrivateLinkPlatform),
        same_subscription=same,
        source=_source_ref(item, "source", known),
        platform_source=_source_ref(item, "platform_source", known),
    )


def _service_tag(item: Field) -> str | None:
    field = item.get("service_tag")
    if field is None:
        return None
    tag = field.string()
    if not _SERVICE_TAG.fullmatch(tag):
        raise field.error(f"invalid service tag name {tag!r}")
    return tag


def _name(field: Field, text: str, *, placeholders: bool) -> str:
    """A name or name template: lower case, valid once its placeholders are filled."""
    found = _PLACEHOLDER.findall(text)
    if found and not placeholders:
        raise field.error(f"{text!r}: no placeholders here")
    for placeholder in found:
        if placeholder not in NAME_PLACEHOLDERS:
            raise field.error(
                f"unknown placeholder {placeholder} (known: {', '.join(NAME_PLACEHOLDERS)})"
            )
    if text != text.lower():
        raise field.error(f"write the name in lower case: {text.lower()!r}")
    try:
        normalize_pattern(_PLACEHOLDER.sub("x", text))
    except ValueError as error:
        raise field.error(str(error)) from None
    return text


def _names(
    item: Field, key: str, *, placeholders: bool, allow_empty: bool = False
) -> tuple[str, ...]:
    return tuple(
        _name(child, text, placeholders=placeholders)
        for text, child in _strings(item, key, allow_empty=allow_empty)
    )


def _zones(item: Field, key: str) -> tuple[str, ...]:
    zones = _names(item, key, placeholders=False)
    for zone, (_, child) in zip(zones, _strings(item, key), strict=True):
        if not zone.startswith("privatelink."):
            raise child.error(f"{zone!r}: a private DNS zone name starts with 'privatelink.'")
    return zones


def _ports(item: Field) -> tuple[int, ...]:
    field = item.require("ports")
    ports = []
    for child in field.items():
        port = child.integer()
        if not 1 <= port <= 65535:
            raise child.error(f"port {port} is outside 1-65535")
        ports.append(port)
    if not ports:
        raise field.error("expected at least one port")
    return tuple(ports)


def _must_stay_public(field: Field, known: set[str]) -> tuple[MustStayPublic, ...]:
    out: list[MustStayPublic] = []
    for item in field.items():
        item.refuse_unknown(_PUBLIC)
        ident = item.require("id").text()
        if not _ID.fullmatch(ident) or any(p.id == ident for p in out):
            raise item.require("id").error(f"invalid or duplicate id {ident!r}")
        tag = _service_tag(item)
        if tag is None:
            raise Field(item.doc, f"{item.path}.service_tag", None, item.line).error("required")
        out.append(
            MustStayPublic(
                id=ident,
                purpose=item.require("purpose").text(),
                names=_names(item, "names", placeholders=False, allow_empty=True),
                service_tag=tag,
                ports=_ports(item),
                source=_source_ref(item, "source", known),
            )
        )
    return tuple(out)


def _clouds(field: Field, known: set[str]) -> tuple[CloudZones, ...]:
    out: list[CloudZones] = []
    for item in field.items():
        item.refuse_unknown(_CLOUD)
        cloud = item.require("cloud").choice(Cloud)
        if any(c.cloud is cloud for c in out):
            raise item.require("cloud").error(f"cloud {cloud.value} is listed twice")
        arc = tuple(_arc_zone(z, known) for z in _items(item, "arc_zones"))
        note = _optional(item.get("arc_zones_note"))
        if not arc and note is None:
            raise Field(item.doc, f"{item.path}.arc_zones", None, item.line).error(
                "required (or arc_zones_note saying why the documents give none)"
            )
        if arc and note is not None:
            raise item.require("arc_zones_note").error("a note for zones that are listed")
        out.append(CloudZones(cloud, arc, _services(item.require("services"), known), note))
    return tuple(out)


def _items(item: Field, key: str) -> Iterable[Field]:
    found = item.get(key)
    return () if found is None else found.items()


def _arc_zone(item: Field, known: set[str]) -> ArcZone:
    item.refuse_unknown(_ARC_ZONE)
    return ArcZone(
        zone=_zone(item),
        forwarders=_names(item, "forwarders", placeholders=False),
        names=_names(item, "names", placeholders=True),
        source=_source_ref(item, "source", known),
    )


def _zone(item: Field) -> str:
    field = item.require("zone")
    zone = _name(field, field.string(), placeholders=False)
    if not zone.startswith("privatelink."):
        raise field.error(f"{zone!r}: a private DNS zone name starts with 'privatelink.'")
    return zone


def _services(field: Field, known: set[str]) -> tuple[ServiceZones, ...]:
    out: list[ServiceZones] = []
    for item in field.items():
        item.refuse_unknown(_SERVICE)
        kind = item.require("kind").choice(ServiceKind)
        if any(s.kind is kind for s in out):
            raise item.require("kind").error(f"service {kind.value} is listed twice")
        stays = item.get("stays_public")
        out.append(
            ServiceZones(
                kind=kind,
                zones=_zones(item, "zones"),
                forwarders=_names(item, "forwarders", placeholders=False),
                names=_names(item, "names", placeholders=True),
                source=_source_ref(item, "source", known),
                service_tag=_service_tag(item),
                stays_public=False if stays is None else stays.boolean(),
            )
        )
    return tuple(out)


def _optional(field: Field | None) -> str | None:
    """The field's non-empty text, or None when it is absent."""
    return None if field is None else field.text()
