"""nftables: one ``table inet netfence`` whose forward chain allows exactly the required flows.

The chain drops by default and accepts replies (``ct state established,related``); each rule
group's destination addresses are a named set (``req1_v4``, ``req1_v6``), names resolved by
the Resolver (nftables matches addresses only), and each rule's comment names the catalog
entries behind it. The file replaces the table atomically when loaded with ``nft -f``: it
declares the table, deletes it, and defines it anew in one transaction, so a reload never
leaves the forward path open, and other tables are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

from netfence.analyses.firewall.generate.interface import (
    Capabilities,
    GeneratedOutput,
    GeneratedRule,
    GeneratedRuleSet,
    GenerateOptions,
    Generator,
    NotExpressible,
)
from netfence.analyses.firewall.generate.plan import (
    AddressGroup,
    family,
    header_lines,
    icmp_exact,
    plan_address_rules,
    port_spans,
    whole_icmp_types,
)
from netfence.model.firewall import FirewallKind, RequiredFlow
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import FULL, OTHER, PortSet

TABLE = "netfence"
"""The table's name (family inet: one table for IPv4 and IPv6)."""
COMMENT_LIMIT = 128
"""The longest comment nftables keeps on a rule."""

_TRANSPORT = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp", "UDPLite": "udplite"}
_FAMILY = {4: ("ip", "ipv4_addr", "icmp", "ICMP"), 6: ("ip6", "ipv6_addr", "icmpv6", "ICMPv6")}


class NftablesGenerator(Generator):
    """Writes an nftables ruleset for ``nft -f``."""

    format = FirewallKind.NFTABLES
    capabilities = Capabilities(
        names=False,
        wildcard_names=False,
        service_tags=False,
        ipv6=True,
        comment_limit=COMMENT_LIMIT,
    )

    def generate(self, flows: Sequence[RequiredFlow], options: GenerateOptions) -> GeneratedRuleSet:
        """The ruleset; names resolved through ``options.resolver``."""
        plan = plan_address_rules(flows, options, COMMENT_LIMIT, _expressible)
        sets: list[str] = []
        rules: list[GeneratedRule] = []
        for number, group in enumerate(plan.groups, start=1):
            for version in (4, 6):
                written = _family_rules(group, number, version)
                if written is not None:
                    sets.append(written[0])
                    rules.extend(written[1])
        text = _ruleset(
            options, sets, rules, header_lines(_title(), plan.resolutions, plan.not_expressible)
        )
        return GeneratedRuleSet(
            format=self.format,
            outputs=(GeneratedOutput("rules.nft", "nft -f", text),),
            rules=tuple(rules),
            not_expressible=tuple(plan.not_expressible),
            notes=(*_notes(plan.resolutions), *plan.notes),
        )


def _title() -> str:
    return "netfence firewall generate --format nftables: forward rules allowing exactly the required flows"


def _notes(resolutions: Sequence[object]) -> tuple[str, ...]:
    if not resolutions:
        return ()
    return ("names were resolved at generation time; regenerate when their addresses change",)


def _expressible(flow: RequiredFlow, services: PortSet) -> tuple[PortSet, list[NotExpressible]]:
    return icmp_exact(flow, services)


def _family_rules(
    group: AddressGroup, number: int, version: int
) -> tuple[str, list[GeneratedRule]] | None:
    """(the named set, the rules) of one group for one address family; None when the group
    has no destination, or no source, of that family."""
    destinations = family(group.destinations, version)
    sources = family(group.sources, version) if group.sources is not None else None
    if not destinations or (sources is not None and not sources):
        return None
    keyword, set_type, _icmp, _proto = _FAMILY[version]
    set_name = f"req{number}_v{version}"
    source_match = f"{keyword} saddr {_elements(sources)} " if sources is not None else ""
    rules = []
    for match in _service_matches(group.services, version):
        line = f'{source_match}{keyword} daddr @{set_name} {match} accept comment "{group.comment}"'
        rules.append(
            GeneratedRule(f"forward rule {set_name} {match}", line, group.flows, group.comment)
        )
    if not rules:
        return None
    definition = "\n".join(
        [
            f"\tset {set_name} {{",
            f"\t\ttype {set_type}",
            "\t\tflags interval",
            f'\t\tcomment "{group.comment}"',
            f"\t\telements = {_elements(destinations)}",
            "\t}",
        ]
    )
    return definition, rules


def _elements(addresses: IPRangeSet) -> str:
    """``{ 10.0.0.1, 10.1.0.0/24 }``: single addresses without their prefix length."""
    items = [
        c.removesuffix("/32") if ":" not in c else c.removesuffix("/128")
        for c in addresses.cidr_strings()
    ]
    return "{ " + ", ".join(items) + " }"


def _service_matches(services: PortSet, version: int) -> list[str]:
    """The protocol and port matches of one rule each, for one address family."""
    _keyword, _set_type, icmp, icmp_protocol = _FAMILY[version]
    matches = []
    for protocol, keyword in _TRANSPORT.items():
        ports = services.ports(protocol)
        if ports == FULL[protocol]:
            matches.append(f"meta l4proto {keyword}")
        elif ports:
            matches.append(f"{keyword} dport {_set_of(port_spans(ports))}")
    values = services.ports(icmp_protocol)
    if values == FULL[icmp_protocol]:
        matches.append(f"meta l4proto {'icmp' if version == 4 else 'ipv6-icmp'}")
    elif values:
        types = whole_icmp_types(values) or []
        matches.append(f"{icmp} type {_set_of(port_spans(types))}")
    others = services.ports(OTHER)
    if others:
        matches.append(f"meta l4proto {_set_of(port_spans(others))}")
    return matches


def _set_of(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _ruleset(
    options: GenerateOptions, sets: list[str], rules: list[GeneratedRule], header: list[str]
) -> str:
    lines = [
        "#!/usr/sbin/nft -f",
        *header,
        "",
        f"table inet {TABLE}",
        f"delete table inet {TABLE}",
        "",
    ]
    lines += [f"table inet {TABLE} {{", f'\tcomment "{_quoted(options.name)}"']
    lines += sets
    lines += [
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter; policy drop;",
        "\t\tct state established,related accept",
    ]
    lines += [f"\t\t{rule.text}" for rule in rules]
    lines += ["\t}", "}", ""]
    return "\n".join(lines)


def _quoted(text: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in "\"\\'" else " " for ch in text)[:128]
