"""iptables rulesets (``iptables-save`` / ``ip6tables-save`` text) as firewall layers.

The text holds one section per table (``*filter`` ... ``COMMIT``), each declaring its chains
with their policies (``:FORWARD DROP [0:0]``) and then its rules (``-A FORWARD ...``). The
filter table's built-in chains become layers (FORWARD, INPUT, OUTPUT; each its own, with its
policy as the default), compiled by :mod:`netfence.policy.netfilter`, which inlines jumps,
gotos and returns. One file may carry an IPv4 and an IPv6 ruleset one after the other, and an
``ipset save`` section whose sets ``-m set`` rules then match exactly; a set not in the file is
a tag the model cannot decide. Rules on interfaces, marks, source ports or other modules keep
a reason they cannot be decided; the nat table is a note (translation changes addresses), and
mangle, raw and security are ignored with a note.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, FirewallLayer, LayerNote
from netfence.model.layers import Action
from netfence.model.origin import FileOrigin
from netfence.policy.interface import Capability, FirewallContext, FirewallLanguage
from netfence.policy.netfilter import (
    FAMILY_ADDRESSES,
    ICMP_TYPE_NAMES,
    PROTOCOL_NAMES,
    BaseChain,
    Chain,
    ChainRule,
    Conditions,
    RuleSite,
    Verdict,
    VerdictKind,
    accept_all_layer,
    build_layer,
    family_conditions,
    icmp_services,
    protocol_services,
)
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from netfence.sources.fields import Field

BUILTIN_CHAINS: Final = {"filter": ("INPUT", "FORWARD", "OUTPUT")}
"""The filter table's built-in chains, the ones with a hook and a policy."""
KNOWN_TABLES: Final = ("filter", "nat", "mangle", "raw", "security")
"""The tables iptables-save writes."""
TERMINAL_TARGETS: Final = {
    "ACCEPT": VerdictKind.ACCEPT,
    "DROP": VerdictKind.DROP,
    "REJECT": VerdictKind.DROP,
    "RETURN": VerdictKind.RETURN,
}
"""Targets that decide (REJECT ends the packet like DROP, with an answer)."""
NON_TERMINAL_TARGETS: Final = frozenset(
    {
        "LOG",
        "NFLOG",
        "ULOG",
        "TRACE",
        "AUDIT",
        "MARK",
        "CONNMARK",
        "CLASSIFY",
        "DSCP",
        "TOS",
        "TCPMSS",
        "TEE",
        "SET",
        "CT",
        "NOTRACK",
        "IDLETIMER",
        "LED",
        "CHECKSUM",
        "SECMARK",
        "CONNSECMARK",
        "TTL",
        "HL",
    }
)
"""Targets that log, mark or count and let the packet go on to the next rule."""
QUEUE_TARGETS: Final = frozenset({"QUEUE", "NFQUEUE"})
"""Targets that hand the packet to a user-space program, which decides."""
PORT_PROTOCOLS: Final = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP", "udplite": "UDPLite"}
"""Protocols whose ``--dport`` the model expresses, by the model's name."""
UNMODELLED_MODULES: Final = frozenset(
    {
        "mark",
        "connmark",
        "limit",
        "hashlimit",
        "addrtype",
        "physdev",
        "owner",
        "recent",
        "string",
        "length",
        "ttl",
        "hl",
        "pkttype",
        "tcpmss",
        "dscp",
        "tos",
        "u32",
        "time",
        "statistic",
        "socket",
        "policy",
        "connlimit",
        "helper",
        "mac",
        "devgroup",
        "cgroup",
        "rpfilter",
        "quota",
        "connbytes",
        "ecn",
        "esp",
        "ah",
        "frag",
        "hbh",
        "rt",
        "ipv6header",
        "mh",
        "bpf",
        "nfacct",
        "cpu",
        "realm",
        "rateest",
        "osf",
        "cluster",
        "ipvs",
        "dst",
        "eui64",
        "connlabel",
        "ipcomp",
        "l2tp",
    }
)
"""Match modules whose conditions the model cannot express: a reason on the rule."""
MODELLED_MODULES: Final = frozenset(
    {
        "tcp",
        "udp",
        "sctp",
        "udplite",
        "multiport",
        "conntrack",
        "state",
        "set",
        "icmp",
        "icmp6",
        "iprange",
        "comment",
    }
)
"""Match modules the model reads."""
_COUNTERS: Final = re.compile(r"^\[\d+:\d+\]\s*")
"""``iptables-save -c`` counters before a rule."""


@dataclass
class _Section:
    """One ``*table`` ... ``COMMIT`` section, as written."""

    table: str
    """The table (``filter``, ``nat``, ...)."""
    line: int
    """The line of its ``*table`` header."""
    chains: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Declared chains: their policy (``-`` for user chains) and line."""
    rules: list[tuple[int, list[str]]] = field(default_factory=list)
    """Each ``-A`` line: its number and its tokens."""
    version: int = 4
    """The IP version its save header names (6 for ip6tables-save)."""


@dataclass
class _IPSet:
    """An ipset from an ``ipset save`` section: its type and, for address sets, members."""

    name: str
    """The set's name."""
    kind: str
    """Its type (``hash:net``, ``hash:ip,port``, ...)."""
    members: list[tuple[int, str]] = field(default_factory=list)
    """Each ``add`` line's number and member."""


class _Text:
    """The lines of one export, for errors that name the file, the line and the token."""

    def __init__(self, label: str) -> None:
        self.label = label

    def at(self, line: int) -> FileOrigin:
        """Where ``line`` is."""
        return FileOrigin(self.label, 1, line)

    def error(self, line: int, token: str, message: str) -> InputError:
        """The one-line error for ``token`` on ``line``."""
        return InputError(message, self.at(line), token)


def _split(text: _Text, line: int, content: str) -> list[str]:
    try:
        return shlex.split(content)
    except ValueError as problem:
        raise text.error(line, content[:40], f"cannot split the line: {problem}") from None


def _sections(source: str, text: _Text) -> tuple[list[_Section], dict[str, _IPSet]]:
    """The table sections and the ipsets of the export, checked for shape."""
    sections: list[_Section] = []
    ipsets: dict[str, _IPSet] = {}
    current: _Section | None = None
    six = False
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            six = six or "ip6tables-save" in line
            continue
        if not line:
            continue
        if line.startswith("*"):
            if current is not None:
                raise text.error(
                    current.line, f"*{current.table}", "no COMMIT before the next table"
                )
            current = _Section(line[1:], number, version=6 if six else 4)
            if current.table not in KNOWN_TABLES:
                raise text.error(number, line, "unknown table")
        elif current is None:
            _ipset_line(text, number, _split(text, number, line), ipsets)
        elif line == "COMMIT":
            sections.append(current)
            current, six = None, False
        elif line.startswith(":"):
            _declare_chain(text, number, line, current)
        else:
            tokens = _split(text, number, _COUNTERS.sub("", line))
            if not tokens:
                raise text.error(number, line, "counters without a rule")
            if tokens[0] not in ("-A", "--append"):
                raise text.error(number, tokens[0], "unknown command (iptables-save writes -A)")
            if len(tokens) < 2 or tokens[1] not in current.chains:
                chain = tokens[1] if len(tokens) > 1 else tokens[0]
                raise text.error(number, chain, "rule for an undeclared chain")
            current.rules.append((number, tokens))
    if current is not None:
        raise text.error(current.line, f"*{current.table}", "table has no COMMIT")
    return sections, ipsets


def _declare_chain(text: _Text, number: int, line: str, section: _Section) -> None:
    parts = line[1:].split()
    if len(parts) < 2:
        raise text.error(number, line, "expected ':CHAIN POLICY [packets:bytes]'")
    name, policy = parts[0], parts[1]
    builtin = name in BUILTIN_CHAINS.get(section.table, ())
    if section.table == "filter" and builtin and policy not in ("ACCEPT", "DROP"):
        raise text.error(number, policy, f"unknown policy of {name} (expected ACCEPT or DROP)")
    if section.table == "filter" and not builtin and policy != "-":
        raise text.error(number, policy, f"a user chain has no policy (expected '-' for {name})")
    section.chains[name] = (policy, number)


def _ipset_line(text: _Text, number: int, tokens: list[str], ipsets: dict[str, _IPSet]) -> None:
    """One line of ``ipset save`` (``create NAME TYPE ...``, ``add NAME MEMBER ...``)."""
    if tokens[0] == "create" and len(tokens) >= 3:
        ipsets[tokens[1]] = _IPSet(tokens[1], tokens[2])
    elif tokens[0] == "add" and len(tokens) >= 3:
        found = ipsets.get(tokens[1])
        if found is None:
            raise text.error(number, tokens[1], "member added to a set never created")
        found.members.append((number, tokens[2]))
    else:
        raise text.error(number, tokens[0], "unknown line outside a table (expected *table)")


def _section_version(section: _Section) -> int:
    """IPv6 when the save said so or the rules name IPv6 addresses or ICMPv6."""
    if section.version == 6:
        return 6
    for _, tokens in section.rules:
        for previous, token in zip(tokens, tokens[1:], strict=False):
            if previous in ("-s", "--source", "-d", "--destination") and ":" in token:
                return 6
            if previous in ("-p", "--protocol") and token in ("ipv6-icmp", "icmpv6"):
                return 6
    return 4


@dataclass
class _RuleState:
    """What has been read of one rule so far."""

    conditions: Conditions = field(default_factory=Conditions)
    """The intersection of the options read so far."""
    protocol: str | None = None
    """The ``-p`` protocol, which ``--dport`` needs."""
    modules: list[str] = field(default_factory=list)
    """The ``-m`` modules loaded, whose options may follow."""
    target: str | None = None
    """The ``-j`` or ``-g`` target."""
    goto: bool = False
    """Whether the target was given with ``-g``."""
    comment: str | None = None
    """The ``-m comment`` text."""


class _RuleParser:
    """Reads the options of ``-A`` lines into chain rules."""

    def __init__(self, text: _Text, version: int, ipsets: dict[str, _IPSet]) -> None:
        self.text = text
        self.version = version
        self.ipsets = ipsets
        self.family = FAMILY_ADDRESSES[version]

    def parse(self, line: int, tokens: list[str], path: str) -> ChainRule:
        """One ``-A CHAIN ...`` line as a chain rule."""
        state = _RuleState()
        index, negate = 2, False
        while index < len(tokens):
            token = tokens[index]
            if token == "!":
                negate, index = True, index + 1
                continue
            index = self._option(state, line, tokens, index, negate)
            negate = False
        return ChainRule(
            state.conditions,
            self._verdict(state),
            RuleSite(path, self.text.at(line), state.comment),
        )

    def _verdict(self, state: _RuleState) -> Verdict:
        if state.target is None:
            return Verdict(VerdictKind.CONTINUE)
        if state.goto:
            return Verdict(VerdictKind.GOTO, state.target)
        if state.target in TERMINAL_TARGETS:
            return Verdict(TERMINAL_TARGETS[state.target])
        if state.target in NON_TERMINAL_TARGETS:
            return Verdict(VerdictKind.CONTINUE)
        if state.target in QUEUE_TARGETS:
            state.conditions = state.conditions.with_reason("queued to a user-space program")
            return Verdict(VerdictKind.DROP)
        return Verdict(VerdictKind.JUMP, state.target)

    def _values(self, line: int, tokens: list[str], index: int, count: int) -> list[str]:
        values = tokens[index + 1 : index + 1 + count]
        if len(values) < count:
            raise self.text.error(line, tokens[index], "missing value")
        return values

    def _option(
        self, state: _RuleState, line: int, tokens: list[str], index: int, negate: bool
    ) -> int:
        """Read the option at ``index`` into ``state``; the index of the next one."""
        option = tokens[index]
        handler = _OPTIONS.get(option)
        if handler is not None:
            arity, method = handler
            values = self._values(line, tokens, index, arity)
            method(self, state, line, option, values, negate)
            return index + 1 + arity
        if option.startswith("--") and (
            state.target is not None or any(m in UNMODELLED_MODULES for m in state.modules)
        ):
            return self._skip_option(state, tokens, index, negate)
        if option.startswith("--ct") and "conntrack" in state.modules:
            return self._skip_option(state, tokens, index, negate, f"conntrack {option}")
        raise self.text.error(line, option, "unknown option")

    def _skip_option(
        self, state: _RuleState, tokens: list[str], index: int, negate: bool, reason: str = ""
    ) -> int:
        """A target's option, or an unmodelled module's (its module is already a reason)."""
        end = index + 1
        while end < len(tokens) and not tokens[end].startswith("-") and tokens[end] != "!":
            end += 1
        if reason:
            state.conditions = state.conditions.with_reason(reason)
        return end

    def _reason(self, state: _RuleState, reason: str) -> None:
        state.conditions = state.conditions.with_reason(reason)

    def _narrow(self, state: _RuleState, conditions: Conditions) -> None:
        state.conditions = state.conditions & conditions

    def address(self, line: int, token: str) -> IPRangeSet:
        """A comma-separated list of addresses, CIDRs or address/netmask pairs."""
        networks = []
        for part in token.split(","):
            try:
                network = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise self.text.error(line, part, "invalid address") from None
            if network.version != self.version:
                raise self.text.error(line, part, f"not an IPv{self.version} address")
            networks.append(network)
        return IPRangeSet.from_cidrs(networks)

    def address_range(self, line: int, token: str) -> IPRangeSet:
        """``first-last`` (``-m iprange``)."""
        first, _, last = token.partition("-")
        try:
            lo, hi = ipaddress.ip_address(first), ipaddress.ip_address(last)
        except ValueError:
            raise self.text.error(line, token, "invalid address range") from None
        if lo.version != self.version or hi.version != self.version or int(lo) > int(hi):
            raise self.text.error(line, token, "invalid address range")
        span = IntervalSet.of(int(lo), int(hi))
        return IPRangeSet(v4=span) if self.version == 4 else IPRangeSet(v6=span)

    def ports(self, line: int, token: str) -> IntervalSet:
        """A port, ``lo:hi`` (either end may be left out), or a comma list of those."""
        spans = []
        for part in token.split(","):
            lo_text, colon, hi_text = part.partition(":")
            lo = self._port(line, lo_text, part) if lo_text else 0
            hi = (self._port(line, hi_text, part) if hi_text else 65535) if colon else lo
            if lo > hi:
                raise self.text.error(line, part, "port range runs backwards")
            spans.append((lo, hi))
        return IntervalSet(spans)

    def _port(self, line: int, text: str, token: str) -> int:
        if not text.isdigit():
            raise self.text.error(line, token, "expected a port number")
        number = int(text)
        if number > 65535:
            raise self.text.error(line, token, "port out of range (0-65535)")
        return number


def _opt_source(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    addresses = parser.address(line, values[0])
    parser._narrow(state, Conditions(sources=parser.family - addresses if negated else addresses))


def _opt_destination(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    addresses = parser.address(line, values[0])
    parser._narrow(
        state, Conditions(destinations=parser.family - addresses if negated else addresses)
    )


def _opt_protocol(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    name = values[0].lower()
    if name == "all" or name == "0":
        numbers = IntervalSet.of(0, 255)
    elif name.isdigit() and int(name) <= 255:
        numbers = IntervalSet.of(int(name))
    elif name in PROTOCOL_NAMES:
        numbers = IntervalSet.of(PROTOCOL_NAMES[name])
    else:
        raise parser.text.error(line, values[0], "unknown protocol")
    if negated:
        numbers = IntervalSet.of(0, 255) - numbers
    else:
        state.protocol = name
    parser._narrow(state, Conditions(services=protocol_services(numbers)))


def _opt_interface(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    parser._reason(state, f"interface {'not ' if negated else ''}{values[0]}")


def _opt_fragment(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    parser._reason(state, "fragments")


def _opt_match(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    module = values[0]
    if module not in MODELLED_MODULES and module not in UNMODELLED_MODULES:
        raise parser.text.error(line, module, "unknown match module")
    if module in UNMODELLED_MODULES:
        parser._reason(state, f"match {module}")
    state.modules.append(module)


def _opt_jump(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    state.target, state.goto = values[0], option in ("-g", "--goto")


def _port_protocol(parser: _RuleParser, state: _RuleState, line: int, option: str) -> str:
    if state.protocol not in PORT_PROTOCOLS:
        raise parser.text.error(line, option, "needs -p tcp, udp, sctp or udplite before it")
    return PORT_PROTOCOLS[state.protocol]


def _opt_dport(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    protocol = _port_protocol(parser, state, line, option)
    if option in ("--dports", "--destination-ports") and "multiport" not in state.modules:
        raise parser.text.error(line, option, "needs -m multiport before it")
    ports = parser.ports(line, values[0])
    everything = IntervalSet.of(0, 65535)
    parser._narrow(
        state, Conditions(services=PortSet({protocol: everything - ports if negated else ports}))
    )


def _opt_sport(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    _port_protocol(parser, state, line, option)
    parser.ports(line, values[0])
    parser._reason(state, "source port")


def _opt_either_port(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    _port_protocol(parser, state, line, option)
    parser.ports(line, values[0])
    parser._reason(state, "multiport --ports (source or destination port)")


def _opt_state(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    states = set(values[0].upper().split(","))
    unknown = states - {"NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "SNAT", "DNAT"}
    if unknown:
        raise parser.text.error(line, values[0], f"unknown connection state {sorted(unknown)[0]}")
    if states & {"SNAT", "DNAT"}:
        parser._reason(state, "connection state SNAT/DNAT")
        return
    parser._narrow(state, Conditions(new_flows=("NEW" in states) != negated))


def _opt_match_set(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    name, flags = values
    direction = flags.split(",")[0]
    if direction not in ("src", "dst"):
        raise parser.text.error(line, flags, "expected src or dst")
    ipset = parser.ipsets.get(name)
    members = _ipset_members(parser, ipset) if ipset is not None else None
    if members is None or len(flags.split(",")) > 1:
        if negated:
            parser._reason(state, f"not in set {name}")
        elif direction == "src":
            parser._narrow(state, Conditions(source_sets=(name,)))
        else:
            parser._narrow(state, Conditions(destination_sets=(name,)))
        return
    _narrow_addresses(
        parser, state, direction == "src", parser.family - members if negated else members
    )


def _ipset_members(parser: _RuleParser, ipset: _IPSet) -> IPRangeSet | None:
    """The addresses of a one-dimension address set; None for other kinds (ip,port, ...)."""
    if ipset.kind not in ("hash:ip", "hash:net", "bitmap:ip"):
        return None
    return IPRangeSet.union_of(parser.address(line, member) for line, member in ipset.members)


def _opt_icmp(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    version = 6 if option == "--icmpv6-type" else 4
    if version != parser.version:
        raise parser.text.error(line, option, f"not an option of an IPv{parser.version} ruleset")
    text = values[0]
    protocol = "ICMP" if version == 4 else "ICMPv6"
    if text == "any":
        services = PortSet.of(protocol)
    else:
        type_text, _, code_text = text.partition("/")
        number = ICMP_TYPE_NAMES[version].get(type_text)
        if number is None and (not type_text.isdigit() or int(type_text) > 255):
            raise parser.text.error(line, text, "unknown ICMP type")
        number = int(type_text) if number is None else number
        if code_text:
            if not code_text.isdigit() or int(code_text) > 255:
                raise parser.text.error(line, text, "invalid ICMP code")
            services = PortSet.of(protocol, number * 256 + int(code_text))
        else:
            services = icmp_services(version, IntervalSet.of(number))
    everything = PortSet.of(protocol)
    parser._narrow(
        state,
        family_conditions(version)
        & Conditions(services=everything - services if negated else services),
    )


def _opt_range(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    addresses = parser.address_range(line, values[0])
    _narrow_addresses(
        parser, state, option == "--src-range", parser.family - addresses if negated else addresses
    )


def _narrow_addresses(
    parser: _RuleParser, state: _RuleState, source: bool, addresses: IPRangeSet
) -> None:
    parser._narrow(
        state, Conditions(sources=addresses) if source else Conditions(destinations=addresses)
    )


def _opt_comment(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    state.comment = values[0]


def _opt_tcp_flags(
    parser: _RuleParser, state: _RuleState, line: int, option: str, values: list[str], negated: bool
) -> None:
    parser._reason(state, "TCP flags")


_OPTIONS: Final = {
    "-s": (1, _opt_source),
    "--source": (1, _opt_source),
    "--src": (1, _opt_source),
    "-d": (1, _opt_destination),
    "--destination": (1, _opt_destination),
    "--dst": (1, _opt_destination),
    "-p": (1, _opt_protocol),
    "--protocol": (1, _opt_protocol),
    "-i": (1, _opt_interface),
    "--in-interface": (1, _opt_interface),
    "-o": (1, _opt_interface),
    "--out-interface": (1, _opt_interface),
    "-f": (0, _opt_fragment),
    "--fragment": (0, _opt_fragment),
    "-m": (1, _opt_match),
    "--match": (1, _opt_match),
    "-j": (1, _opt_jump),
    "--jump": (1, _opt_jump),
    "-g": (1, _opt_jump),
    "--goto": (1, _opt_jump),
    "--dport": (1, _opt_dport),
    "--destination-port": (1, _opt_dport),
    "--dports": (1, _opt_dport),
    "--destination-ports": (1, _opt_dport),
    "--sport": (1, _opt_sport),
    "--source-port": (1, _opt_sport),
    "--sports": (1, _opt_sport),
    "--source-ports": (1, _opt_sport),
    "--ports": (1, _opt_either_port),
    "--ctstate": (1, _opt_state),
    "--state": (1, _opt_state),
    "--match-set": (2, _opt_match_set),
    "--icmp-type": (1, _opt_icmp),
    "--icmpv6-type": (1, _opt_icmp),
    "--src-range": (1, _opt_range),
    "--dst-range": (1, _opt_range),
    "--comment": (1, _opt_comment),
    "--tcp-flags": (2, _opt_tcp_flags),
    "--syn": (0, _opt_tcp_flags),
}
"""The options the model reads: (how many values follow, how to read them)."""


def _filter_layers(
    section: _Section, text: _Text, ipsets: dict[str, _IPSet], notes: list[LayerNote]
) -> Iterator[FirewallLayer]:
    version = _section_version(section)
    parser = _RuleParser(text, version, ipsets)
    per_chain: dict[str, list[ChainRule]] = {name: [] for name in section.chains}
    counts: dict[str, int] = dict.fromkeys(section.chains, 0)
    for line, tokens in section.rules:
        chain = tokens[1]
        counts[chain] += 1
        rule = parser.parse(line, tokens, f"-A {chain} rule {counts[chain]}")
        target = rule.verdict.target
        if target is not None and target not in section.chains:
            raise text.error(line, target, "jump to an undefined chain")
        per_chain[chain].append(rule)
    chains = {
        name: Chain(name, tuple(rules), RuleSite(f"chain {name}", text.at(section.chains[name][1])))
        for name, rules in per_chain.items()
    }
    command = "ip6tables" if version == 6 else "iptables"
    for name in BUILTIN_CHAINS["filter"]:
        if name not in section.chains:
            continue
        policy, line = section.chains[name]
        site = RuleSite(f"chain {name}", text.at(line))
        action = Action.ALLOW if policy == "ACCEPT" else Action.DENY
        base = BaseChain(name, name.lower(), 0, action, site, version)
        extra = {"family": f"ipv{version}", "table": "filter", "chain": name}
        yield build_layer(
            f"{command} filter {name}", FirewallKind.IPTABLES, chains, base, notes, extra
        )


def _section_notes(section: _Section, text: _Text) -> Iterator[LayerNote]:
    if section.table == "filter":
        return
    if section.table == "nat":
        message = (
            "table nat: DNAT and SNAT change the addresses a flow has when the filter table"
            " judges it; the translation is not modelled"
        )
    else:
        message = f"table {section.table}: ignored (netfence models the filter table)"
        if section.rules:
            message += f"; its {len(section.rules)} rules may mark or drop packets"
    yield LayerNote(message, text.at(section.line))


def read_iptables(source: str, label: str) -> list[FirewallLayer]:
    """Every built-in chain of every filter table in the export, as layers (IPv4 before
    IPv6, as written); an accept-everything forward layer when there is no filter table."""
    text = _Text(label)
    sections, ipsets = _sections(source, text)
    notes = [note for section in sections for note in _section_notes(section, text)]
    seen: set[tuple[str, int]] = set()
    layers: list[FirewallLayer] = []
    for section in sections:
        version = _section_version(section)
        if (section.table, version) in seen:
            raise text.error(
                section.line, f"*{section.table}", f"second IPv{version} {section.table} table"
            )
        seen.add((section.table, version))
        if section.table == "filter":
            layers.extend(_filter_layers(section, text, ipsets, notes))
    if not layers:
        layers.append(
            accept_all_layer(
                f"{label} (FORWARD)", FirewallKind.IPTABLES, "forward", text.at(1), notes
            )
        )
    return layers


class IptablesLanguage(FirewallLanguage):
    """``iptables-save`` and ``ip6tables-save`` exports."""

    kind = FirewallKind.IPTABLES
    capabilities = (
        Capability("-s/-d, -m iprange", True, ""),
        Capability("-p, --dport, -m multiport --dports", True, ""),
        Capability("-m icmp --icmp-type, -m icmp6 --icmpv6-type", True, ""),
        Capability("-j/-g user chains, RETURN", True, ""),
        Capability(
            "-m conntrack --ctstate, -m state --state",
            True,
            "Flows are judged by their first packet: a rule matching only ESTABLISHED or"
            " RELATED packets never decides one.",
        ),
        Capability(
            "-m set --match-set",
            False,
            "Exact for address sets the file's ipset section defines; otherwise a tag, and"
            " flows the rule may match cannot be decided.",
        ),
        Capability(
            "-i/-o, --sport, other match modules",
            False,
            "The rule is kept with a reason: flows it may match cannot be decided.",
        ),
        Capability(
            "nat, mangle, raw and security tables",
            False,
            "A note on every layer: address translation and marking are not modelled.",
        ),
    )

    def recognizes(self, text: str, root: Field | None) -> bool:
        """Text with a ``*filter`` (or other table) line and a ``COMMIT`` or chain line; a
        chain line is enough, so that a missing COMMIT is reported as such."""
        if root is not None:
            return False
        lines = [line.strip() for line in text.splitlines()]
        has_table = any(line in {f"*{table}" for table in KNOWN_TABLES} for line in lines)
        return has_table and any(line == "COMMIT" or line.startswith(":") for line in lines)

    def read(
        self, text: str, root: Field | None, label: str, context: FirewallContext
    ) -> list[FirewallLayer]:
        """Every layer of the export."""
        if root is not None:
            raise InputError(f"{label}: an iptables-save export is text, not JSON")
        return read_iptables(text, label)
