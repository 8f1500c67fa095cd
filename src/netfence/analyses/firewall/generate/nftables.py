"""nftables: one ``table inet netfence`` whose forward chain allows exactly the required flows.

The chain drops by default and accepts replies (``ct state established,related``); each rule
group's destination addresses are a named set (``req1_v4``, ``req1_v6``), names resolved by
the Resolver (nftables matches addresses only), and each rule's comment names the catalog
entries behind it. The file replaces the table atomically when loaded with ``nft -f``: it
declares the table, deletes it, and defines it anew in one transaction, so a reload never
leaves the forward path open, and other tables are untouched.

The same ruleset is also written as libnftables JSON commands (``rules.json``, loaded with
``nft -j -f``): add the table, delete it, then add it with its sets, chain and rules. It is
built from the same plan as the text, and netfence's own nftables reader reads it, so a
generated ruleset can be checked before it is printed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
        parts = [
            written
            for number, group in enumerate(plan.groups, start=1)
            for version in (4, 6)
            if (written := _family_rules(group, number, version)) is not None
        ]
        rules = [rule for part in parts for rule in part.rules]
        text = _ruleset(
            options,
            [part.set_text for part in parts],
            rules,
            header_lines(_title(), plan.resolutions, plan.not_expressible),
        )
        return GeneratedRuleSet(
            format=self.format,
            outputs=(
                GeneratedOutput("rules.nft", "nft -f", text),
                GeneratedOutput("rules.json", "nft -j -f", _json_ruleset(options, parts)),
            ),
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


@dataclass(frozen=True)
class _FamilyPart:
    """One group's named set and rules for one address family, as text and as JSON."""

    set_text: str
    """The set's definition inside the text form's table block."""
    set_json: dict[str, Any]
    """The same set as a libnftables ``set`` object."""
    rules: list[GeneratedRule]
    """The rules, each with its text line."""
    rule_expressions: list[list[dict[str, Any]]]
    """Each rule's libnftables expressions, in the order of ``rules``."""


def _family_rules(group: AddressGroup, number: int, version: int) -> _FamilyPart | None:
    """The named set and rules of one group for one address family; None when the group
    has no destination, or no source, of that family."""
    destinations = family(group.destinations, version)
    sources = family(group.sources, version) if group.sources is not None else None
    if not destinations or (sources is not None and not sources):
        return None
    keyword, set_type, _icmp, _proto = _FAMILY[version]
    set_name = f"req{number}_v{version}"
    source_match = f"{keyword} saddr {_elements(sources)} " if sources is not None else ""
    address_json = [_address_match_json(keyword, "daddr", f"@{set_name}")]
    if sources is not None:
        address_json.insert(0, _address_match_json(keyword, "saddr", _set_json_of(sources)))
    rules = []
    expressions = []
    for match, match_json in _service_matches(group.services, version):
        line = f'{source_match}{keyword} daddr @{set_name} {match} accept comment "{group.comment}"'
        rules.append(
            GeneratedRule(f"forward rule {set_name} {match}", line, group.flows, group.comment)
        )
        expressions.append([*address_json, match_json, {"accept": None}])
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
    set_json = _set_json(set_name, set_type, group.comment, destinations)
    return _FamilyPart(definition, set_json, rules, expressions)


def _elements(addresses: IPRangeSet) -> str:
    """``{ 10.0.0.1, 10.1.0.0/24 }``: single addresses without their prefix length."""
    items = [
        c.removesuffix("/32") if ":" not in c else c.removesuffix("/128")
        for c in addresses.cidr_strings()
    ]
    return "{ " + ", ".join(items) + " }"


def _service_matches(services: PortSet, version: int) -> list[tuple[str, dict[str, Any]]]:
    """The protocol and port matches of one rule each, for one address family, as text and
    as a libnftables ``match`` expression."""
    _keyword, _set_type, icmp, icmp_protocol = _FAMILY[version]
    matches = []
    for protocol, keyword in _TRANSPORT.items():
        ports = services.ports(protocol)
        if ports == FULL[protocol]:
            matches.append(_l4proto_match(keyword))
        elif ports:
            spans = list(ports)
            matches.append(
                (
                    f"{keyword} dport {_set_of(port_spans(spans))}",
                    _match_json({"payload": {"protocol": keyword, "field": "dport"}}, spans),
                )
            )
    values = services.ports(icmp_protocol)
    if values == FULL[icmp_protocol]:
        matches.append(_l4proto_match("icmp" if version == 4 else "ipv6-icmp"))
    elif values:
        types = whole_icmp_types(values) or []
        matches.append(
            (
                f"{icmp} type {_set_of(port_spans(types))}",
                _match_json({"payload": {"protocol": icmp, "field": "type"}}, types),
            )
        )
    others = list(services.ports(OTHER))
    if others:
        matches.append(
            (
                f"meta l4proto {_set_of(port_spans(others))}",
                _match_json({"meta": {"key": "l4proto"}}, others),
            )
        )
    return matches


def _l4proto_match(protocol: str) -> tuple[str, dict[str, Any]]:
    """``meta l4proto tcp``: every port of one protocol."""
    left = {"meta": {"key": "l4proto"}}
    return f"meta l4proto {protocol}", {"match": {"op": "==", "left": left, "right": protocol}}


def _match_json(left: dict[str, Any], spans: list[tuple[int, int]]) -> dict[str, Any]:
    """``left == value``, a range, or an anonymous set of them."""
    values: list[Any] = [lo if lo == hi else {"range": [lo, hi]} for lo, hi in spans]
    right = values[0] if len(values) == 1 else {"set": values}
    return {"match": {"op": "==", "left": left, "right": right}}


def _address_match_json(keyword: str, header_field: str, right: Any) -> dict[str, Any]:
    """``ip daddr @req1_v4`` or ``ip saddr { ... }`` as a ``match`` expression."""
    left = {"payload": {"protocol": keyword, "field": header_field}}
    return {"match": {"op": "==", "left": left, "right": right}}


def _address_elements_json(addresses: IPRangeSet) -> list[Any]:
    """Set elements: single addresses as strings, networks as ``prefix`` objects."""
    out: list[Any] = []
    for cidr in addresses.cidr_strings():
        address, length = cidr.split("/")
        full = 32 if ":" not in address else 128
        out.append(
            address if int(length) == full else {"prefix": {"addr": address, "len": int(length)}}
        )
    return out


def _set_json_of(addresses: IPRangeSet) -> dict[str, Any]:
    return {"set": _address_elements_json(addresses)}


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


def _json_table(options: GenerateOptions) -> dict[str, Any]:
    """The table object, with the rule set's name as its comment."""
    return {"table": {"family": "inet", "name": TABLE, "comment": _quoted(options.name)}}


def _set_json(name: str, set_type: str, comment: str, addresses: IPRangeSet) -> dict[str, Any]:
    """A named interval set of destination addresses."""
    return {
        "set": {
            "family": "inet",
            "table": TABLE,
            "name": name,
            "type": set_type,
            "flags": ["interval"],
            "comment": comment,
            "elem": _address_elements_json(addresses),
        }
    }


def _json_chain() -> dict[str, Any]:
    """The forward base chain, dropping by default."""
    return {
        "chain": {
            "family": "inet",
            "table": TABLE,
            "name": "forward",
            "type": "filter",
            "hook": "forward",
            "prio": 0,
            "policy": "drop",
        }
    }


def _json_rule(expressions: list[dict[str, Any]], comment: str | None = None) -> dict[str, Any]:
    """One rule of the forward chain."""
    rule: dict[str, Any] = {
        "family": "inet",
        "table": TABLE,
        "chain": "forward",
        "expr": expressions,
    }
    if comment is not None:
        rule["comment"] = comment
    return {"rule": rule}


def _replies_rule() -> dict[str, Any]:
    """``ct state established,related accept``: replies to allowed flows pass."""
    state = {
        "match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}
    }
    return _json_rule([state, {"accept": None}])


def _json_ruleset(options: GenerateOptions, parts: list[_FamilyPart]) -> str:
    """The libnftables JSON commands: declare the table, delete it, define it anew (one
    transaction, as in the text form)."""
    table = _json_table(options)
    declare = {"table": {"family": "inet", "name": TABLE}}
    commands: list[dict[str, Any]] = [{"add": declare}, {"delete": declare}, {"add": table}]
    commands += [{"add": part.set_json} for part in parts]
    commands += [{"add": _json_chain()}, {"add": _replies_rule()}]
    commands += [
        {"add": _json_rule(expressions, rule.comment)}
        for part in parts
        for rule, expressions in zip(part.rules, part.rule_expressions, strict=True)
    ]
    return json.dumps({"nftables": commands}, indent=2) + "\n"
