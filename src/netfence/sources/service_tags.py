"""Read Azure service-tag ranges, as Microsoft publishes them, into named address sets.

Two shapes carry the same data: the weekly "Azure IP Ranges and Service Tags" download and the
output of ``az network list-service-tags --location REGION``. Both are a JSON object whose
``values`` list holds one entry per tag, ``{"name": ..., "properties": {"addressPrefixes":
[...]}}``. Tag names are matched without regard to case, as Azure matches them in rules.

Tags that depend on where a rule is (``VirtualNetwork``, ``Internet``, ``AzureLoadBalancer``)
are not in these files; the NSG language gives them their meaning.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from netfence.sets.ipranges import IPRangeSet
from netfence.sources.exports import read_json_export
from netfence.sources.fields import Field


@dataclass(frozen=True)
class ServiceTags:
    """Service tags by name, each the set of its address prefixes."""

    file: str
    """The file they were read from."""
    cloud: str | None
    """The cloud the file is for (``Public``, ``AzureGovernment``, ``AzureChinaCloud``)."""
    change_number: int | None
    """The file's change number, which Microsoft raises with every change."""
    ranges: Mapping[str, IPRangeSet] = field(default_factory=dict)
    """Addresses by tag name, case-folded."""
    names: Mapping[str, str] = field(default_factory=dict)
    """The tag's name as published, by its case-folded name."""

    def lookup(self, name: str) -> IPRangeSet | None:
        """The addresses of tag ``name`` (any case); None when the file has no such tag."""
        return self.ranges.get(name.casefold())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self.ranges

    def __len__(self) -> int:
        return len(self.ranges)


def read_service_tags(path: str) -> ServiceTags:
    """Read a Service Tags JSON file; one clear error for a file of another shape."""
    root = read_json_export(path)
    return service_tags_from(root, root.doc.file)


def service_tags_from(root: Field, file: str) -> ServiceTags:
    """Service tags from the parsed root of a Service Tags file."""
    if not isinstance(root.value, dict) or "values" not in root.value:
        raise root.error(
            "not a Service Tags file: expected an object with a 'values' list (the 'Azure IP"
            " Ranges and Service Tags' download or 'az network list-service-tags' output)"
        )
    ranges: dict[str, IPRangeSet] = {}
    names: dict[str, str] = {}
    for entry in root.require("values").items():
        name = entry.require("name").string()
        key = name.casefold()
        if key in ranges:
            raise entry.require("name").error(f"service tag {name!r} appears twice")
        prefixes = entry.require("properties").require("addressPrefixes")
        ranges[key] = _prefixes(prefixes)
        names[key] = name
    cloud = root.get("cloud")
    number = root.get("changeNumber")
    return ServiceTags(
        file=file,
        cloud=cloud.string() if cloud is not None else None,
        change_number=number.integer() if number is not None else None,
        ranges=ranges,
        names=names,
    )


def _prefixes(prefixes: Field) -> IPRangeSet:
    """The union of a tag's prefixes; each must be a CIDR or an address."""
    networks = []
    for item in prefixes.items():
        text = item.string()
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise item.error(f"{text!r} is not an IP address or prefix") from None
    if not networks and prefixes.value is None:
        raise prefixes.error("required")
    return IPRangeSet.from_cidrs(networks)
