"""Read the Azure Arc endpoint catalog (package data ``netfence/data/arc_endpoints.yaml``).

The catalog is read strictly, as any other input: an unknown field, a source id no source
defines, a port outside 1-65535, a feature or cloud outside its closed set, a duplicate id or
a malformed FQDN is an InputError naming the file, line and field. A catalog that loads is
therefore one every analysis can trust without checking again.
"""

from __future__ import annotations

import enum
import importlib.resources
import re
from collections.abc import Iterable
from typing import Final, TypeVar

from netfence.errors import InputError, Location
from netfence.model.endpoints import (
    PLACEHOLDERS,
    Application,
    CatalogEntry,
    CatalogSource,
    Cloud,
    EndpointCatalog,
    EntryDirection,
    Feature,
    FeatureCombination,
    GatewayRoute,
    Platform,
    RegionCode,
    StaleEntry,
    Transport,
)
from netfence.sets.names import normalize_pattern
from netfence.sources.fields import Field
from netfence.sources.yamldocs import parse_documents

CATALOG_FILE: Final = "arc_endpoints.yaml"
"""The catalog's file name inside the package's ``data`` folder."""
SCHEMA_VERSION: Final = 1
"""The catalog format this reader understands."""

_TOP_FIELDS: Final = frozenset({"schema_version", "sources", "region_codes", "entries", "stale"})
_SOURCE_FIELDS: Final = frozenset({"id", "title", "url", "doc_date", "note"})
_REGION_FIELDS: Final = frozenset({"region", "code", "source"})
_ENTRY_FIELDS: Final = frozenset(
    {
        "id",
        "direction",
        "fqdn",
        "listed_as",
        "from",
        "to",
        "ports",
        "protocol",
        "application",
        "websockets",
        "no_tls_inspection",
        "purpose",
        "cloud",
        "platform",
        "features",
        "required",
        "required_when",
        "arc_gateway",
        "service_tags",
        "service_tags_source",
        "source",
        "note",
    }
)
_STALE_FIELDS: Final = frozenset(
    {
        "id",
        "fqdn",
        "purpose",
        "cloud",
        "platform",
        "removed",
        "last_listed",
        "source",
        "still_listed_for",
        "note",
    }
)

_ID: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+")
"""An entry id: dot-separated lower-case words with hyphens (``arc-k8s.public.management``)."""
_DATE: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_MONTH_OR_DATE: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?")
_PLACEHOLDER: Final = re.compile(r"<[^<>]*>")
_SERVICE_TAG: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*")
"""A service tag name (``AzureResourceManager``, ``AzureFrontDoor.FirstParty``)."""

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


def load_catalog() -> EndpointCatalog:
    """The catalog shipped with netfence."""
    resource = importlib.resources.files("netfence") / "data" / CATALOG_FILE
    return parse_catalog(resource.read_text(encoding="utf-8"), CATALOG_FILE)


def parse_catalog(text: str, file: str) -> EndpointCatalog:
    """A catalog from its YAML text; InputError naming the line of the first problem."""
    documents = list(parse_documents(text, file))
    if len(documents) != 1:
        raise InputError(
            f"expected one YAML document, found {len(documents)}", Location(file, 1, 1)
        )
    root = Field.root(documents[0])
    root.refuse_unknown(_TOP_FIELDS)
    version = root.require("schema_version")
    if version.integer() != SCHEMA_VERSION:
        raise version.error(f"unsupported catalog version {version.value} (expected 1)")
    sources = [_source(item) for item in _unique_ids(root.require("sources"), "source", set())]
    known = {s.id for s in sources}
    codes = tuple(_region_code(item, known) for item in _items(root, "region_codes"))
    # Entries and stale entries share one id space: a stale id names nothing live.
    ids: set[str] = set()
    entries = [_entry(item, known) for item in _unique_ids(root.require("entries"), "entry", ids)]
    stale_field = root.get("stale")
    stale = (
        [_stale(item, known) for item in _unique_ids(stale_field, "entry", ids)]
        if stale_field is not None
        else []
    )
    return EndpointCatalog(SCHEMA_VERSION, tuple(sources), tuple(entries), tuple(stale), codes)


def _items(root: Field, key: str) -> Iterable[Field]:
    found = root.get(key)
    return () if found is None else found.items()


def _unique_ids(records: Field, what: str, seen: set[str]) -> list[Field]:
    """The items of ``records``, refused when one repeats an id in ``seen`` (which grows)."""
    items = list(records.items())
    for item in items:
        found = item.get("id") if isinstance(item.value, dict) else None
        if found is None or not isinstance(found.value, str):
            continue  # the record's own reader names what is wrong with it
        if found.value in seen:
            raise found.error(f"duplicate {what} id {found.value!r}")
        seen.add(found.value)
    return items


def _flag(item: Field, key: str) -> bool:
    found = item.get(key)
    return False if found is None else found.boolean()


def _enum(item: Field, key: str, kind: type[_Choice]) -> _Choice:
    return item.require(key).choice(kind)


def _source_ref(field: Field, known: set[str]) -> str:
    ident = field.string()
    if ident not in known:
        raise field.error(f"unknown source id {ident!r} (sources: {', '.join(sorted(known))})")
    return ident


def _date(field: Field, pattern: re.Pattern[str], shape: str) -> str:
    text = field.string()
    if not pattern.fullmatch(text):
        raise field.error(f"expected a date {shape}, got {text!r}")
    return text


def _source(item: Field) -> CatalogSource:
    item.refuse_unknown(_SOURCE_FIELDS)
    url = item.require("url").text()
    if not url.startswith("https://"):
        raise item.require("url").error("expected an https:// address")
    return CatalogSource(
        id=_identifier(item.require("id")),
        title=item.require("title").text(),
        url=url,
        doc_date=_date(item.require("doc_date"), _DATE, "YYYY-MM-DD"),
        note=_optional(item.get("note")),
    )


def _identifier(field: Field) -> str:
    text = field.string()
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*", text):
        raise field.error(f"invalid id {text!r} (lower-case words, hyphens and dots)")
    return text


def _region_code(item: Field, known: set[str]) -> RegionCode:
    item.refuse_unknown(_REGION_FIELDS)
    region, code = item.require("region").text(), item.require("code").text()
    for key, value in (("region", region), ("code", code)):
        if not re.fullmatch(r"[a-z][a-z0-9]*", value):
            raise item.require(key).error(f"expected lower-case letters and digits, got {value!r}")
    return RegionCode(region, code, _source_ref(item.require("source"), known))


def _ports(item: Field) -> tuple[int, ...]:
    field = item.require("ports")
    ports: list[int] = []
    for port_field in field.items():
        port = port_field.integer()
        if not 1 <= port <= 65535:
            raise port_field.error(f"port {port} is outside 1-65535")
        if port in ports:
            raise port_field.error(f"port {port} is listed twice")
        ports.append(port)
    if not ports:
        raise field.error("expected at least one port")
    return tuple(ports)


def _fqdn(field: Field) -> str:
    """A name pattern whose placeholders are known; InputError otherwise."""
    text = field.string()
    for placeholder in _PLACEHOLDER.findall(text):
        if placeholder not in PLACEHOLDERS:
            raise field.error(
                f"unknown placeholder {placeholder} (known: {', '.join(PLACEHOLDERS)})"
            )
    # Placeholders stand for labels: checked with a label in their place.
    try:
        normalize_pattern(_PLACEHOLDER.sub("x", text))
    except ValueError as exc:
        raise field.error(str(exc)) from None
    if text != text.lower():
        raise field.error(f"write the name in lower case: {text.lower()!r}")
    return text


def _features(item: Field) -> tuple[FeatureCombination, ...]:
    field = item.require("features")
    out: list[FeatureCombination] = []
    for alternative in field.items():
        names = alternative.string().split("+")
        out.append(frozenset(_at(alternative, name).choice(Feature) for name in names))
    if not out:
        raise field.error("expected at least one feature")
    return tuple(out)


def _missing(item: Field, key: str, message: str) -> InputError:
    """An error for the absent field ``key`` of ``item``, at the item's line."""
    return Field(item.doc, f"{item.path}.{key}", None, item.line).error(message)


def _at(field: Field, value: str) -> Field:
    """``value`` standing where ``field`` stands (one part of a field's text)."""
    return Field(field.doc, field.path, value, field.line)


def _service_tags(item: Field, known: set[str]) -> tuple[tuple[str, ...], str | None]:
    found = item.get("service_tags")
    tags = tuple(t.string() for t in found.items()) if found is not None else ()
    for tag, tag_field in zip(tags, found.items() if found is not None else (), strict=True):
        if not _SERVICE_TAG.fullmatch(tag):
            raise tag_field.error(f"invalid service tag name {tag!r}")
    tag_source = item.get("service_tags_source")
    if tags and tag_source is None:
        raise _missing(item, "service_tags_source", "service tags need the source naming them")
    if tag_source is not None and not tags:
        raise tag_source.error("a service tag source without service tags")
    return tags, None if tag_source is None else _source_ref(tag_source, known)


def _entry(item: Field, known: set[str]) -> CatalogEntry:
    item.refuse_unknown(_ENTRY_FIELDS)
    ident = _entry_id(item)
    direction = (
        EntryDirection.OUTBOUND
        if item.get("direction") is None
        else _enum(item, "direction", EntryDirection)
    )
    fqdn, from_, to = _destination(item, direction)
    required = item.require("required").boolean()
    required_when = _optional(item.get("required_when"))
    if not required and required_when is None:
        raise _missing(item, "required_when", "required: false needs the scenario it names")
    tags, tags_source = _service_tags(item, known)
    listed_as = item.get("listed_as")
    application = item.get("application")
    return CatalogEntry(
        id=ident,
        direction=direction,
        fqdn=fqdn,
        ports=_ports(item),
        protocol=_enum(item, "protocol", Transport),
        purpose=item.require("purpose").text(),
        cloud=_enum(item, "cloud", Cloud),
        platform=_enum(item, "platform", Platform),
        features=_features(item),
        required=required,
        arc_gateway=_enum(item, "arc_gateway", GatewayRoute),
        source=_source_ref(item.require("source"), known),
        required_when=required_when,
        listed_as=None if listed_as is None else _fqdn(listed_as),
        application=None if application is None else application.choice(Application),
        websockets=_flag(item, "websockets"),
        no_tls_inspection=_flag(item, "no_tls_inspection"),
        service_tags=tags,
        service_tags_source=tags_source,
        from_=from_,
        to=to,
        note=_optional(item.get("note")),
    )


def _entry_id(item: Field) -> str:
    field = item.require("id")
    ident = field.string()
    if not _ID.fullmatch(ident):
        raise field.error(f"invalid id {ident!r} (expected <platform>.<cloud>.<name>)")
    return ident


def _destination(
    item: Field, direction: EntryDirection
) -> tuple[str | None, str | None, str | None]:
    """(fqdn, from, to): an outbound entry names an FQDN, an in-site one two networks."""
    if direction is EntryDirection.OUTBOUND:
        for key in ("from", "to"):
            if (found := item.get(key)) is not None:
                raise found.error("only in-site entries name networks (outbound ones an fqdn)")
        return _fqdn(item.require("fqdn")), None, None
    if (found := item.get("fqdn")) is not None:
        raise found.error("an in-site entry names networks (from, to), not an fqdn")
    return None, item.require("from").text(), item.require("to").text()


def _stale(item: Field, known: set[str]) -> StaleEntry:
    item.refuse_unknown(_STALE_FIELDS)
    last = item.get("last_listed")
    still = item.get("still_listed_for")
    return StaleEntry(
        id=_entry_id(item),
        fqdn=_fqdn(item.require("fqdn")),
        purpose=item.require("purpose").text(),
        cloud=_enum(item, "cloud", Cloud),
        platform=_enum(item, "platform", Platform),
        removed=_date(item.require("removed"), _MONTH_OR_DATE, "YYYY-MM or YYYY-MM-DD"),
        source=_source_ref(item.require("source"), known),
        last_listed=None if last is None else _date(last, _DATE, "YYYY-MM-DD"),
        still_listed_for=tuple(p.choice(Platform) for p in still.items())
        if still is not None
        else (),
        note=_optional(item.get("note")),
    )


def _optional(field: Field | None) -> str | None:
    """The field's non-empty text, or None when it is absent."""
    return None if field is None else field.text()
