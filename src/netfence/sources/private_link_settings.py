"""Read a Private Link settings file (``format: netfence.private-link``, ``version: 1``).

The file describes one design: its cloud and platform, the Arc Private Link Scopes with their
private endpoint and clusters, the Arc clusters that do not use Private Link but share the
network, the services the workloads reach privately, the private-endpoint subnets, and
optionally a DNS answer file to resolve from offline. Every bad field is one InputError with
the file, line and field. A settings file never makes netfence ask a DNS server: only the
command line's ``--resolver`` does.

The same settings can be built from command-line options (:func:`settings_from_options`).
"""

from __future__ import annotations

import enum
import ipaddress
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeVar

from netfence.errors import InputError, Location
from netfence.model.endpoints import Cloud
from netfence.model.private_link import (
    ClusterFeature,
    LinkedCluster,
    PrivateEndpoint,
    PrivateLinkPlatform,
    PrivateLinkScope,
    PrivateLinkSettings,
    PublicCluster,
    ServiceKind,
    WorkloadService,
)
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.exports import read_export_text
from netfence.sources.fields import Field
from netfence.sources.yamldocs import parse_documents

FORMAT: Final = "netfence.private-link"
"""The ``format`` a settings file declares."""
VERSION: Final = 1
"""The settings ``version`` this reader understands."""

_TOP: Final = frozenset(
    {
        "format",
        "version",
        "cloud",
        "platform",
        "scopes",
        "public_clusters",
        "services",
        "private_endpoint_subnets",
        "dns_answers",
    }
)
_SCOPE: Final = frozenset(
    {"name", "region", "subscription", "public_network_access", "private_endpoint", "clusters"}
)
_ENDPOINT: Final = frozenset({"name", "vnet", "region", "subscription", "vnet_region"})
_CLUSTER: Final = frozenset({"name", "region", "subscription", "features"})
_PUBLIC: Final = frozenset({"name", "vnet", "dns_zone_shared"})
_SERVICE: Final = frozenset({"kind", "name", "region"})
_REGION: Final = re.compile(r"[a-z][a-z0-9]*")
_RESOURCE_NAME: Final = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9_])?")
"""An Azure resource name, loosely: what a name template can hold as one DNS label or more."""

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


def is_private_link_settings(body: Any) -> bool:
    """Whether a parsed document is Private Link settings (its ``format`` says so)."""
    return isinstance(body, dict) and body.get("format") == FORMAT


def read_private_link_settings(path: str) -> PrivateLinkSettings:
    """The settings in the file at ``path`` (``-`` for standard input)."""
    text = read_export_text(path)
    return parse_private_link_settings(text, "<stdin>" if path == "-" else path)


def parse_private_link_settings(text: str, file: str) -> PrivateLinkSettings:
    """The settings in ``text``, read from ``file``; one InputError for the first problem."""
    documents = list(parse_documents(text, file))
    if len(documents) != 1:
        raise InputError(
            f"Private Link settings are one YAML document, found {len(documents)}",
            Location(file, 1, 1),
        )
    root = Field.root(documents[0])
    root.refuse_unknown(_TOP)
    _header(root)
    subnets = root.get("private_endpoint_subnets")
    return PrivateLinkSettings(
        cloud=root.require("cloud").choice(Cloud),
        platform=root.require("platform").choice(PrivateLinkPlatform),
        scopes=tuple(_scope(item) for item in _items(root, "scopes")),
        public_clusters=tuple(_public_cluster(item) for item in _items(root, "public_clusters")),
        services=tuple(_service(item) for item in _items(root, "services")),
        private_endpoint_subnets=None if subnets is None else _subnets(subnets),
        dns_answers=_answers_path(root, file),
        origin=root.location,
        file=file,
    )


def _header(root: Field) -> None:
    found = root.require("format")
    if found.value != FORMAT:
        raise found.error(f"expected format: {FORMAT}, got {found.value!r}")
    version = root.require("version")
    if version.integer() != VERSION:
        raise version.error(f"unsupported version {version.value} (this netfence reads {VERSION})")


def _items(item: Field, key: str) -> Iterable[Field]:
    found = item.get(key)
    return () if found is None else found.items()


def _region(item: Field, key: str, *, required: bool = False) -> str | None:
    field = item.require(key) if required else item.get(key)
    if field is None:
        return None
    return _region_text(field.string(), field.error)


def _region_text(text: str, error: Any) -> str:
    region = text.replace(" ", "").lower()
    if not _REGION.fullmatch(region):
        raise error(f"expected an Azure region name (eastus2), got {text!r}")
    return region


def _flag(item: Field, key: str) -> bool:
    found = item.get(key)
    return False if found is None else found.boolean()


def _scope(item: Field) -> PrivateLinkScope:
    item.refuse_unknown(_SCOPE)
    endpoint = item.get("private_endpoint")
    region = _region(item, "region", required=True)
    assert region is not None  # required above
    return PrivateLinkScope(
        name=item.require("name").text(),
        region=region,
        subscription=_optional(item.get("subscription")),
        public_network_access=_flag(item, "public_network_access"),
        private_endpoint=None if endpoint is None else _endpoint(endpoint),
        clusters=tuple(_cluster(c) for c in _items(item, "clusters")),
        origin=item.location,
    )


def _endpoint(item: Field) -> PrivateEndpoint:
    item.refuse_unknown(_ENDPOINT)
    return PrivateEndpoint(
        name=item.require("name").text(),
        vnet=item.require("vnet").text(),
        region=_region(item, "region"),
        subscription=_optional(item.get("subscription")),
        vnet_region=_region(item, "vnet_region"),
        origin=item.location,
    )


def _cluster(item: Field) -> LinkedCluster:
    item.refuse_unknown(_CLUSTER)
    features: list[ClusterFeature] = []
    for child in _items(item, "features"):
        feature = child.choice(ClusterFeature)
        if feature in features:
            raise child.error(f"feature {feature.value} is listed twice")
        features.append(feature)
    return LinkedCluster(
        name=item.require("name").text(),
        region=_region(item, "region"),
        subscription=_optional(item.get("subscription")),
        features=tuple(features),
        origin=item.location,
    )


def _public_cluster(item: Field) -> PublicCluster:
    item.refuse_unknown(_PUBLIC)
    return PublicCluster(
        name=item.require("name").text(),
        vnet=_optional(item.get("vnet")),
        dns_zone_shared=_flag(item, "dns_zone_shared"),
        origin=item.location,
    )


def _service(item: Field) -> WorkloadService:
    item.refuse_unknown(_SERVICE)
    name = item.require("name").text()
    if not _RESOURCE_NAME.fullmatch(name):
        raise item.require("name").error(f"{name!r} is not a resource name a DNS name can hold")
    return WorkloadService(
        kind=item.require("kind").choice(ServiceKind),
        name=name.lower(),
        region=_region(item, "region"),
        origin=item.location,
    )


def _subnets(field: Field) -> IPRangeSet:
    cidrs: list[str] = []
    for child in field.items():
        text = child.string()
        try:
            ipaddress.ip_network(text, strict=True)
        except ValueError as error:
            raise child.error(f"{text!r} is not a CIDR: {error}") from None
        cidrs.append(text)
    return IPRangeSet.from_cidrs(cidrs)


def _answers_path(root: Field, file: str) -> str | None:
    """The answer file's path, relative to the settings file's folder."""
    found = _optional(root.get("dns_answers"))
    if found is None or os.path.isabs(found) or file == "<stdin>":
        return found
    return os.path.join(os.path.dirname(file), found)


# From command-line options ---------------------------------------------------------------


def settings_from_options(
    *,
    cloud: str = "public",
    platform: str = "arc-kubernetes",
    region: str | None = None,
    scope: str | None = None,
    clusters: Sequence[str] = (),
    features: Sequence[str] = (),
    services: Sequence[str] = (),
    subnets: IPRangeSet | None = None,
) -> PrivateLinkSettings:
    """One scope (``--scope``, in ``--region``) with its clusters, all using ``features``,
    and the services given as ``KIND:NAME`` (or ``KIND:NAME:REGION``); an InputError naming
    the option for a bad value."""
    derived: list[str] = []
    in_use = _option_features(features)
    scopes: tuple[PrivateLinkScope, ...] = ()
    if scope is not None or clusters:
        if region is None:
            raise InputError("a scope and its clusters need --region", field="--region")
        name = scope or "scope"
        if scope is None:
            derived.append("no --scope given: the clusters are taken as one scope named 'scope'")
        scopes = (
            PrivateLinkScope(
                name=name,
                region=_option_region(region),
                clusters=tuple(LinkedCluster(c, features=in_use) for c in clusters),
            ),
        )
    return PrivateLinkSettings(
        cloud=_option_choice(cloud, Cloud, "--cloud"),
        platform=_option_choice(platform, PrivateLinkPlatform, "--platform"),
        scopes=scopes,
        services=tuple(_option_service(s, region) for s in services),
        private_endpoint_subnets=subnets,
        derived=tuple(derived),
    )


def _option_choice(text: str, kind: type[_Choice], option: str) -> _Choice:
    try:
        return kind(text)
    except ValueError:
        valid = ", ".join(member.value for member in kind)
        raise InputError(
            f"unknown value {text!r} (expected one of: {valid})", field=option
        ) from None


def _option_region(text: str) -> str:
    def error(message: str) -> InputError:
        return InputError(message, field="--region")

    return _region_text(text, error)


def _option_features(texts: Sequence[str]) -> tuple[ClusterFeature, ...]:
    names = [n.strip() for text in texts for n in text.split(",") if n.strip()]
    return tuple(dict.fromkeys(_option_choice(n, ClusterFeature, "--features") for n in names))


def _option_service(text: str, region: str | None) -> WorkloadService:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise InputError(f"expected KIND:NAME or KIND:NAME:REGION, got {text!r}", field="--service")
    kind = _option_choice(parts[0], ServiceKind, "--service")
    if not _RESOURCE_NAME.fullmatch(parts[1]):
        raise InputError(f"{parts[1]!r} is not a resource name", field="--service")
    own = _option_region(parts[2]) if len(parts) == 3 else None
    chosen = own or (None if region is None else _option_region(region))
    return WorkloadService(kind, parts[1].lower(), chosen)


def _optional(field: Field | None) -> str | None:
    """The field's non-empty text, or None when it is absent."""
    return None if field is None else field.text()
