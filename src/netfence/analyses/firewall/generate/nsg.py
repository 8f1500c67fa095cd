"""Azure NSG: security rules allowing exactly the required flows, then denying the rest.

The output is ``{"securityRules": [...]}``, each rule in the REST/ARM shape (``{"name",
"properties": {...}}``) that ``az network nsg show`` and ARM templates use; each is created
with ``az network nsg rule create`` or PUT as a ``securityRules`` child resource
(docs/firewall-generate.md). Rules are Allow, at priorities from 100 in steps of 10 (room for
hand-made rules in between), one per direction, sources, protocol, ports and destination:

- a service tag where the catalog says which tag covers an entry (the ``service_tags``
  option, entry id -> tags) or where the flow names one; an NSG rule holds one tag;
- otherwise addresses: the flow's own, and its names resolved by the Resolver; a name that is
  neither covered by a tag nor resolvable is listed as not expressible.

Last comes a custom ``DenyAllOutbound`` at 4096, the lowest custom priority: without it the
default ``AllowInternetOutBound`` (65001) would let every other Internet flow out. It also
overrides ``AllowVnetOutBound`` (65000), so flows inside the virtual network must be among the
required flows too. When inbound flows are required, ``DenyAllInbound`` at 4096 does the same
for ``AllowVnetInBound`` and ``AllowAzureLoadBalancerInBound``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from netfence.analyses.firewall.generate.azure_sdk import sdk_problems, sdk_version
from netfence.analyses.firewall.generate.interface import (
    Capabilities,
    GeneratedOutput,
    GeneratedRule,
    GeneratedRuleSet,
    GenerateOptions,
    Generator,
    NotExpressible,
    flow_label,
)
from netfence.analyses.firewall.generate.plan import (
    AddressPlan,
    chunked_by_comment,
    comment_of,
    family,
    family_gap,
    flow_sources,
    grouped,
    port_spans,
    resolved_names,
)
from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, RequiredFlow, TrafficDirection
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import FULL, PortSet

FIRST_PRIORITY: Final = 100
"""The first allow rule's priority unless told otherwise (the lowest an NSG takes)."""
PRIORITY_STEP: Final = 10
"""Between consecutive allow rules."""
DENY_PRIORITY: Final = 4096
"""The final deny rules' priority: the highest number (lowest precedence) a custom rule takes."""
DESCRIPTION_LIMIT: Final = 140
"""The longest description an NSG rule keeps."""
NAME_LIMIT: Final = 80
"""The longest name an NSG rule takes."""

_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")
_DENY_DESCRIPTION = {
    TrafficDirection.OUTBOUND: "netfence: deny other outbound flows; overrides the default"
    " AllowInternetOutBound (65001) and AllowVnetOutBound (65000)",
    TrafficDirection.INBOUND: "netfence: deny other inbound flows; overrides the default"
    " AllowVnetInBound (65000) and AllowAzureLoadBalancerInBound (65001)",
}


@dataclass(frozen=True)
class _Part:
    """A piece of a flow one NSG rule can hold."""

    flow: RequiredFlow
    sources: tuple[str, ...]
    protocol: str
    ports: tuple[str, ...]
    destination: str | IPRangeSet
    """A service tag, or addresses of one family."""
    kind: str
    """``tag`` or ``v4`` / ``v6``: what rules may merge."""


class NsgGenerator(Generator):
    """Writes NSG security rules."""

    format = FirewallKind.NSG
    capabilities = Capabilities(
        names=False,
        wildcard_names=False,
        service_tags=True,
        ipv6=True,
        comment_limit=DESCRIPTION_LIMIT,
    )

    def generate(self, flows: Sequence[RequiredFlow], options: GenerateOptions) -> GeneratedRuleSet:
        """The rules, checked against the SDK's SecurityRule model when it is installed."""
        plan = AddressPlan()
        parts = [part for flow in flows for part in _parts(flow, options, plan)]
        first = options.priority if options.priority is not None else FIRST_PRIORITY
        if not 100 <= first < DENY_PRIORITY:
            raise InputError(
                f"NSG priorities run 100-4095 before the final deny, got {first}", field="priority"
            )
        rules = _allow_rules(parts, first, plan)
        directions = dict.fromkeys(flow.direction for flow in flows)
        rules += [
            _deny_rule(direction)
            for direction in (TrafficDirection.OUTBOUND, TrafficDirection.INBOUND)
            if direction is TrafficDirection.OUTBOUND or direction in directions
        ]
        body = {"securityRules": [json.loads(rule.text) for rule in rules]}
        notes = [
            "DenyAllOutbound (4096) also overrides AllowVnetOutBound: flows inside the virtual"
            " network must be among the required flows",
            _checked(body),
            *dict.fromkeys(plan.notes),
        ]
        return GeneratedRuleSet(
            format=self.format,
            outputs=(
                GeneratedOutput(
                    "security-rules.json",
                    "az network nsg rule create",
                    json.dumps(body, indent=2) + "\n",
                ),
            ),
            rules=tuple(rules),
            not_expressible=tuple(plan.not_expressible),
            notes=tuple(notes),
        )


def _checked(body: dict[str, Any]) -> str:
    version = sdk_version()
    for i, rule in enumerate(body["securityRules"]):
        problems = sdk_problems(rule, "SecurityRule")
        if problems is None:
            return "not checked against the Azure SDK models: install netfence[azure]"
        if problems:
            raise ValueError(
                f"generated securityRules[{i}] does not fit the SDK model: " + "; ".join(problems)
            )
    return f"checked against the azure-mgmt-network {version} SecurityRule model"


def _parts(flow: RequiredFlow, options: GenerateOptions, plan: AddressPlan) -> list[_Part]:
    """The pieces of one flow, by protocol and destination; what cannot be written goes to
    ``plan.not_expressible``."""
    services = _services(flow, plan)
    if not services:
        return []
    tags = options.service_tags.get(flow.entry_id or "", ())
    if not tags and options.catalog_service_tags:
        tags = flow.service_tags
    # A tag the catalog names for the entry covers its names; otherwise they are resolved.
    names = () if tags else tuple(flow.destinations.names)
    addresses = flow.destinations.addresses | resolved_names(flow, names, options, plan)
    sources = flow_sources(flow, options)
    out: list[_Part] = []
    for tag in dict.fromkeys((*tags, *flow.destinations.tags)):
        out += [
            _Part(flow, _source_prefixes(sources, None), p, ports, tag, "tag")
            for p, ports in services
        ]
    for version in (4, 6):
        gap = family_gap(flow_label(flow), sources, addresses, version)
        if gap is not None:
            plan.notes.append(gap)
        destinations = family(addresses, version)
        source_part = family(sources, version) if sources is not None else None
        if destinations and (source_part is None or source_part):
            prefixes = _source_prefixes(sources, version)
            out += [
                _Part(flow, prefixes, p, ports, destinations, f"v{version}")
                for p, ports in services
            ]
    return out


_WHOLE = {4: "0.0.0.0/0", 6: "::/0"}
"""Every address of a family, as an NSG prefix."""


def _source_prefixes(sources: IPRangeSet | None, version: int | None) -> tuple[str, ...]:
    # Any source of one family is written as that family's whole range, not "*": the rule
    # then says which packets it is for, so a name with addresses in both families is
    # allowed by the pair of rules and nothing else.
    if sources is None:
        return ("*",) if version is None else (_WHOLE[version],)
    part = sources if version is None else family(sources, version)
    return tuple(part.cidr_strings())


def _services(flow: RequiredFlow, plan: AddressPlan) -> list[tuple[str, tuple[str, ...]]]:
    """(protocol, destination port ranges) pairs covering the flow's services."""
    services = flow.services
    if services.is_all():
        return [("*", ("*",))]
    out = []
    for protocol, name in (("TCP", "Tcp"), ("UDP", "Udp")):
        ports = services.ports(protocol)
        if ports:
            out.append((name, ("*",) if ports == FULL[protocol] else tuple(port_spans(ports))))
    covered = PortSet({"TCP": FULL["TCP"], "UDP": FULL["UDP"]})
    if services.ports("ICMP") == FULL["ICMP"]:
        out.append(("Icmp", ("*",)))
        covered = covered | PortSet.of("ICMP")
    left = services - covered
    if left:
        plan.not_expressible.append(
            NotExpressible(flow, left.describe(), "NSG rules match TCP, UDP and all of ICMP only")
        )
    return out


def _allow_rules(parts: list[_Part], first: int, plan: AddressPlan) -> list[GeneratedRule]:
    rules: list[GeneratedRule] = []
    priority = first
    keyed = grouped(
        parts,
        lambda p: (
            p.flow.direction,
            p.sources,
            p.protocol,
            p.ports,
            p.destination if isinstance(p.destination, str) else p.kind,
        ),
    )
    for same in keyed:
        for chunk in chunked_by_comment(same, lambda p: flow_label(p.flow), DESCRIPTION_LIMIT):
            if priority >= DENY_PRIORITY:
                plan.not_expressible.extend(
                    NotExpressible(
                        p.flow, p.protocol, "no NSG priority left below the final deny (4096)"
                    )
                    for p in chunk
                )
                continue
            rules.append(_allow_rule(chunk, priority))
            priority += PRIORITY_STEP
    return rules


def _allow_rule(chunk: list[_Part], priority: int) -> GeneratedRule:
    first = chunk[0]
    flows = tuple(dict.fromkeys(p.flow for p in chunk))
    description = comment_of((flow_label(f) for f in flows), DESCRIPTION_LIMIT)
    label = _NAME_CHARACTERS.sub("-", flow_label(flows[0])).strip("-._") or "flow"
    name = f"netfence-{priority}-{label}"[:NAME_LIMIT].rstrip("-._")
    properties: dict[str, Any] = {
        "description": description,
        "protocol": first.protocol,
        "sourcePortRange": "*",
        "access": "Allow",
        "priority": priority,
        "direction": first.flow.direction.value,
    }
    properties.update(_plural("sourceAddressPrefix", list(first.sources)))
    properties.update(_plural("destinationPortRange", list(first.ports)))
    if isinstance(first.destination, str):
        properties["destinationAddressPrefix"] = first.destination
    else:
        union = IPRangeSet.union_of(
            p.destination for p in chunk if isinstance(p.destination, IPRangeSet)
        )
        properties.update(_plural("destinationAddressPrefix", union.cidr_strings()))
    body = {"name": name, "properties": properties}
    return GeneratedRule(name, json.dumps(body), flows, description)


def _plural(singular: str, values: list[str]) -> dict[str, Any]:
    """``{"destinationPortRange": "443"}`` for one value, ``{"destinationPortRanges": [...]}``
    for more, as the NSG API takes them."""
    return (
        {singular: values[0]}
        if len(values) == 1
        else {f"{singular}es" if singular.endswith("Prefix") else f"{singular}s": values}
    )


def _deny_rule(direction: TrafficDirection) -> GeneratedRule:
    name = f"DenyAll{direction.value}"
    properties = {
        "description": _DENY_DESCRIPTION[direction],
        "protocol": "*",
        "sourcePortRange": "*",
        "destinationPortRange": "*",
        "sourceAddressPrefix": "*",
        "destinationAddressPrefix": "*",
        "access": "Deny",
        "priority": DENY_PRIORITY,
        "direction": direction.value,
    }
    body = {"name": name, "properties": properties}
    return GeneratedRule(name, json.dumps(body), (), _DENY_DESCRIPTION[direction])
