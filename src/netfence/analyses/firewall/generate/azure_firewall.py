"""Azure Firewall: one rule collection group allowing exactly the required outbound flows.

The output is the REST/ARM body of a ``Microsoft.Network/firewallPolicies/ruleCollectionGroups``
resource (``{"name", "properties": {"priority", "ruleCollections"}}``), to be PUT with
``az rest`` or placed in an ARM template (docs/firewall-generate.md shows both). Its layout:

- the group at priority 1000 unless told otherwise (after the default groups at 100-300);
- collection ``netfence-network`` (priority 100, Allow): network rules, for addresses and
  service tags on any port, and for exact names on ports other than HTTP 80 / HTTPS 443
  (``destinationFqdns``, which the firewall resolves only with DNS proxy enabled; the output
  notes say so when it uses them);
- collection ``netfence-application`` (priority 200, Allow): application rules for names,
  wildcards included, on TCP 80 (``Http:80``) and 443 (``Https:443``).

Azure Firewall processes every network rule collection before any application rule
collection, whatever the priorities, so the two kinds never shadow each other here. Flows with
the same sources and ports share one rule (their destinations united); each rule's
description names the catalog entries behind it. What the language cannot say is not
expressible: wildcards on other ports (network rules take exact FQDNs), IPv6 (Azure Firewall
filters IPv4), protocols other than TCP, UDP and whole ICMP, and inbound flows (which need
DNAT rules).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    comment_of,
    family,
    flow_sources,
    grouped,
    port_spans,
)
from netfence.model.firewall import FirewallKind, RequiredFlow, TrafficDirection
from netfence.sets.ports import FULL, PortSet

GROUP_PRIORITY: Final = 1000
"""The group's priority unless told otherwise: after the default groups (100, 200, 300)."""
NETWORK_COLLECTION: Final = ("netfence-network", 100)
"""The network rule collection's name and priority within the group."""
APPLICATION_COLLECTION: Final = ("netfence-application", 200)
"""The application rule collection's name and priority within the group."""
WEB_PORTS: Final = {80: "Http", 443: "Https"}
"""TCP ports application rules cover, with their protocol names."""
DNS_PROXY_NOTE: Final = (
    "network rules with destinationFqdns need DNS proxy on the firewall policy"
    " (dnsSettings.enableProxy: true) and clients using the firewall as their DNS server"
)
"""Why FQDNs in network rules may not match without DNS proxy (Azure Firewall FQDN filtering
in network rules)."""

_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class _Part:
    """A piece of a flow one rule kind can hold."""

    flow: RequiredFlow
    sources: tuple[str, ...]
    destinations: tuple[str, ...]


@dataclass
class _Plan:
    network: list[tuple[tuple[Any, ...], _Part]] = field(default_factory=list)
    application: list[tuple[tuple[Any, ...], _Part]] = field(default_factory=list)
    missing: list[NotExpressible] = field(default_factory=list)
    uses_fqdns: bool = False


class AzureFirewallGenerator(Generator):
    """Writes an Azure Firewall Policy rule collection group."""

    format = FirewallKind.AZURE_FIREWALL
    capabilities = Capabilities(
        names=True, wildcard_names=True, service_tags=True, ipv6=False, comment_limit=None
    )

    def generate(self, flows: Sequence[RequiredFlow], options: GenerateOptions) -> GeneratedRuleSet:
        """The group's JSON body, checked against the SDK model when it is installed."""
        plan = _Plan()
        for flow in flows:
            _place(flow, options, plan)
        network = _rules(plan.network, _network_rule)
        application = _rules(plan.application, _application_rule)
        body = _group(options, network, application)
        notes = [DNS_PROXY_NOTE] if plan.uses_fqdns else []
        notes.append(_checked(body))
        text = json.dumps(body, indent=2) + "\n"
        return GeneratedRuleSet(
            format=self.format,
            outputs=(GeneratedOutput("rule-collection-group.json", "az rest --method put", text),),
            rules=tuple(network + application),
            not_expressible=tuple(plan.missing),
            notes=tuple(notes),
        )


def _checked(body: dict[str, Any]) -> str:
    problems = sdk_problems(body, "FirewallPolicyRuleCollectionGroup")
    if problems is None:
        return "not checked against the Azure SDK models: install netfence[azure]"
    if problems:
        raise ValueError(
            "generated rule collection group does not fit the SDK model: " + "; ".join(problems)
        )
    return f"checked against the azure-mgmt-network {sdk_version()} FirewallPolicyRuleCollectionGroup model"


def _place(flow: RequiredFlow, options: GenerateOptions, plan: _Plan) -> None:
    """Split one flow into application and network parts, or say what cannot be written."""
    if flow.direction is TrafficDirection.INBOUND:
        plan.missing.append(
            NotExpressible(
                flow,
                "inbound",
                "inbound flows through Azure Firewall need DNAT rules, which are not generated",
            )
        )
        return
    sources = _sources(flow, options, plan)
    if sources is None:
        return
    services = flow.services
    destinations = flow.destinations
    names = tuple(destinations.names)
    web = _web_ports(services) if names else PortSet()
    if web:
        protocols = tuple((WEB_PORTS[lo], lo) for lo, _ in web.ports("TCP"))
        plan.application.append(((sources, protocols), _Part(flow, sources, names)))
    exact = tuple(n for n in names if not n.startswith("*"))
    wildcards = [n for n in names if n.startswith("*")]
    rest = services - web
    if wildcards and rest:
        plan.missing.append(
            NotExpressible(
                flow,
                f"{', '.join(wildcards)} {rest.describe()}",
                "network rules take exact FQDNs only, and application rules cover HTTP 80 and HTTPS 443",
            )
        )
    if exact and rest:
        plan.uses_fqdns = True
        _add_network(flow, sources, ("fqdns", exact), rest, plan)
    v4 = family(destinations.addresses, 4)
    if v4:
        _add_network(flow, sources, ("addresses", tuple(v4.cidr_strings())), services, plan)
    if family(destinations.addresses, 6):
        plan.missing.append(
            NotExpressible(
                flow,
                family(destinations.addresses, 6).compact(),
                "Azure Firewall rules filter IPv4 only",
            )
        )
    if destinations.tags:
        _add_network(flow, sources, ("addresses", destinations.tags), services, plan)


def _sources(flow: RequiredFlow, options: GenerateOptions, plan: _Plan) -> tuple[str, ...] | None:
    sources = flow_sources(flow, options)
    if sources is None:
        return ("*",)
    if family(sources, 6):
        plan.missing.append(
            NotExpressible(
                flow,
                f"from {family(sources, 6).compact()}",
                "Azure Firewall rules filter IPv4 only",
            )
        )
    v4 = family(sources, 4)
    return tuple(v4.cidr_strings()) if v4 else None


def _web_ports(services: PortSet) -> PortSet:
    return services & PortSet.from_ranges({"TCP": [(port, port) for port in WEB_PORTS]})


def _add_network(
    flow: RequiredFlow,
    sources: tuple[str, ...],
    destination: tuple[str, tuple[str, ...]],
    services: PortSet,
    plan: _Plan,
) -> None:
    kind, values = destination
    for protocols, ports in _network_services(flow, services, plan):
        plan.network.append(((sources, protocols, ports, kind), _Part(flow, sources, values)))


def _network_services(
    flow: RequiredFlow, services: PortSet, plan: _Plan
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(ipProtocols, destinationPorts) pairs covering ``services``: TCP and UDP with the same
    ports share one; ``Any`` for everything; the rest is not expressible."""
    if services.is_all():
        return [(("Any",), ("*",))]
    by_ports: dict[tuple[str, ...], list[str]] = {}
    for protocol in ("TCP", "UDP"):
        ports = services.ports(protocol)
        if ports:
            spans = ("*",) if ports == FULL[protocol] else tuple(port_spans(ports))
            by_ports.setdefault(spans, []).append(protocol)
    out = [(tuple(protocols), spans) for spans, protocols in by_ports.items()]
    if services.ports("ICMP") == FULL["ICMP"]:
        out.append((("ICMP",), ("*",)))
    left = (
        services
        - PortSet({p: FULL[p] for p in ("TCP", "UDP")})
        - (PortSet.of("ICMP") if services.ports("ICMP") == FULL["ICMP"] else PortSet())
    )
    if left:
        plan.missing.append(
            NotExpressible(
                flow, left.describe(), "network rules match TCP, UDP and all of ICMP only"
            )
        )
    return out


def _rules(
    parts: list[tuple[tuple[Any, ...], _Part]],
    write: Any,
) -> list[GeneratedRule]:
    rules: list[GeneratedRule] = []
    names: set[str] = set()
    for same in grouped(parts, lambda item: item[0]):
        key = same[0][0]
        flows = tuple(dict.fromkeys(part.flow for _, part in same))
        destinations = tuple(dict.fromkeys(d for _, part in same for d in part.destinations))
        description = comment_of((flow_label(f) for f in flows), None)
        name = _unique(_rule_name(flows), names)
        body = write(name, description, key, destinations)
        rules.append(GeneratedRule(name, json.dumps(body), flows, description))
    return rules


def _rule_name(flows: Sequence[RequiredFlow]) -> str:
    first = _NAME_CHARACTERS.sub("-", flow_label(flows[0])).strip("-._")[:60] or "flow"
    return first if len(flows) == 1 else f"{first}-and-{len(flows) - 1}-more"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _network_rule(
    name: str, description: str, key: tuple[Any, ...], destinations: tuple[str, ...]
) -> dict[str, Any]:
    sources, protocols, ports, kind = key
    rule: dict[str, Any] = {
        "ruleType": "NetworkRule",
        "name": name,
        "description": description,
        "ipProtocols": list(protocols),
        "sourceAddresses": list(sources),
        "destinationPorts": list(ports),
    }
    rule["destinationFqdns" if kind == "fqdns" else "destinationAddresses"] = list(destinations)
    return rule


def _application_rule(
    name: str, description: str, key: tuple[Any, ...], destinations: tuple[str, ...]
) -> dict[str, Any]:
    sources, protocols = key
    return {
        "ruleType": "ApplicationRule",
        "name": name,
        "description": description,
        "protocols": [{"protocolType": kind, "port": port} for kind, port in protocols],
        "sourceAddresses": list(sources),
        "targetFqdns": list(destinations),
    }


def _group(
    options: GenerateOptions, network: list[GeneratedRule], application: list[GeneratedRule]
) -> dict[str, Any]:
    collections = []
    for (name, priority), rules in (
        (NETWORK_COLLECTION, network),
        (APPLICATION_COLLECTION, application),
    ):
        if rules:
            collections.append(
                {
                    "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                    "name": name,
                    "priority": priority,
                    "action": {"type": "Allow"},
                    "rules": [json.loads(rule.text) for rule in rules],
                }
            )
    priority = options.priority if options.priority is not None else GROUP_PRIORITY
    return {
        "name": options.name,
        "properties": {"priority": priority, "ruleCollections": collections},
    }
