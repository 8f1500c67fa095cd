"""iptables: ``iptables-restore`` input whose FORWARD chain allows exactly the required flows.

Two outputs, ``rules.v4`` for ``iptables-restore`` and ``rules.v6`` for ``ip6tables-restore``
(the second only when an IPv6 destination is required): iptables keeps the families in
separate tables, so one file cannot hold both. Each output is a ``*filter`` table with FORWARD
dropping by default, replies accepted (``conntrack --ctstate ESTABLISHED,RELATED``), and one
``-A FORWARD`` line per rule group and protocol, with a ``comment`` naming the catalog entries.
Destinations are comma-separated address lists, which iptables expands into one kernel rule
per address; up to 15 ports go in one ``multiport`` match, more in further lines.

Loading a ``*filter`` table with ``iptables-restore`` replaces every rule of that table
(INPUT and OUTPUT rules too; their policies stay): it is meant for a host whose job is to
forward. Names are resolved by the Resolver, as for nftables.
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
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import FULL, OTHER, PortSet

COMMENT_LIMIT = 256
"""The longest comment the iptables ``comment`` match keeps."""
MULTIPORT_SLOTS = 15
"""Ports one ``multiport`` match holds; a range takes two."""

_TRANSPORT = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp", "UDPLite": "udplite"}
_ICMP = {4: ("ICMP", "icmp", "--icmp-type"), 6: ("ICMPv6", "ipv6-icmp", "--icmpv6-type")}
_OUTPUT = {4: ("rules.v4", "iptables-restore"), 6: ("rules.v6", "ip6tables-restore")}


class IptablesGenerator(Generator):
    """Writes ``iptables-restore`` (and ``ip6tables-restore``) input."""

    format = FirewallKind.IPTABLES
    capabilities = Capabilities(
        names=False,
        wildcard_names=False,
        service_tags=False,
        ipv6=True,
        comment_limit=COMMENT_LIMIT,
    )

    def generate(self, flows: Sequence[RequiredFlow], options: GenerateOptions) -> GeneratedRuleSet:
        """The v4 output, and the v6 one when IPv6 destinations are required."""
        plan = plan_address_rules(flows, options, COMMENT_LIMIT, icmp_exact)
        header = header_lines(
            "netfence firewall generate --format iptables: FORWARD rules allowing exactly the"
            " required flows",
            plan.resolutions,
            plan.not_expressible,
        )
        outputs: list[GeneratedOutput] = []
        rules: list[GeneratedRule] = []
        for version in (4, 6):
            written = [rule for group in plan.groups for rule in _family_rules(group, version)]
            if version == 4 or written:
                name, loader = _OUTPUT[version]
                outputs.append(GeneratedOutput(name, loader, _table(header, written)))
                rules.extend(written)
        return GeneratedRuleSet(
            format=self.format,
            outputs=tuple(outputs),
            rules=tuple(rules),
            not_expressible=tuple(plan.not_expressible),
            notes=(*_notes(len(outputs)), *plan.notes),
        )


def _notes(outputs: int) -> tuple[str, ...]:
    if outputs == 1:
        return ()
    return ("rules.v4 is for iptables-restore, rules.v6 for ip6tables-restore",)


def _family_rules(group: AddressGroup, version: int) -> list[GeneratedRule]:
    destinations = family(group.destinations, version)
    sources = family(group.sources, version) if group.sources is not None else None
    if not destinations or (sources is not None and not sources):
        return []
    source_match = f"-s {_addresses(sources)} " if sources is not None else ""
    prefix = f"-A FORWARD {source_match}-d {_addresses(destinations)}"
    suffix = f'-m comment --comment "{group.comment}" -j ACCEPT'
    return [
        GeneratedRule(
            f"-A FORWARD {match}", f"{prefix} {match} {suffix}", group.flows, group.comment
        )
        for match in _service_matches(group.services, version)
    ]


def _addresses(addresses: IPRangeSet) -> str:
    return ",".join(addresses.cidr_strings())


def _service_matches(services: PortSet, version: int) -> list[str]:
    matches = []
    for protocol, keyword in _TRANSPORT.items():
        ports = services.ports(protocol)
        if ports == FULL[protocol]:
            matches.append(f"-p {keyword}")
        elif ports:
            matches.extend(f"-p {keyword} {ports_match}" for ports_match in _port_matches(ports))
    icmp_protocol, icmp_keyword, type_option = _ICMP[version]
    values = services.ports(icmp_protocol)
    if values == FULL[icmp_protocol]:
        matches.append(f"-p {icmp_keyword}")
    elif values:
        for lo, hi in whole_icmp_types(values) or []:
            matches.extend(f"-p {icmp_keyword} {type_option} {t}" for t in range(lo, hi + 1))
    matches.extend(
        f"-p {number}" for lo, hi in services.ports(OTHER) for number in range(lo, hi + 1)
    )
    return matches


def _port_matches(ports: IntervalSet) -> list[str]:
    """Port matches of at most ``MULTIPORT_SLOTS`` slots each, covering ``ports``."""
    spans = port_spans(ports, ":")
    out: list[str] = []
    current: list[str] = []
    used = 0
    for span in spans:
        cost = 2 if ":" in span else 1
        if used + cost > MULTIPORT_SLOTS:
            out.append(_multiport(current))
            current, used = [], 0
        current.append(span)
        used += cost
    out.append(_multiport(current))
    return out


def _multiport(spans: list[str]) -> str:
    """A ``multiport`` match for ``spans`` (a lone port as ``--dport``)."""
    if len(spans) == 1:
        return f"--dport {spans[0]}"
    return f"-m multiport --dports {','.join(spans)}"


def _table(header: list[str], rules: list[GeneratedRule]) -> str:
    lines = [
        *header,
        "*filter",
        ":FORWARD DROP [0:0]",
        "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        *(rule.text for rule in rules),
        "COMMIT",
        "",
    ]
    return "\n".join(lines)
