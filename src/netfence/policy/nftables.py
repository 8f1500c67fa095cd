"""nftables rulesets (``nft -j list ruleset``) as firewall layers, one per filtering base chain.

The export is libnftables' JSON: a list of objects (``table``, ``chain``, ``set``, ``map``,
``rule``, ...), each rule a list of expressions and statements. Every base chain of type
``filter`` in an ``ip``, ``ip6`` or ``inet`` table becomes its own layer, whose default is the
chain's policy; several chains on one hook are layers in priority order, since a packet must
be accepted by each of them. Rules are compiled by :mod:`netfence.policy.netfilter`, which
inlines jumps, gotos and returns. What a rule matches on that the model cannot express (an
interface, a mark, a source port, a rate limit) stays on the rule as a reason it cannot
decide; tables of other families and NAT chains are notes on every layer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from netfence.errors import InputError
from netfence.model.firewall import FirewallKind, FirewallLayer, LayerNote
from netfence.model.layers import Action
from netfence.policy.interface import Capability, FirewallContext, FirewallLanguage
from netfence.policy.netfilter import (
    FAMILY_ADDRESSES,
    ICMP_TYPE_NAMES,
    PORT_PROTOCOL_SET,
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

IP_FAMILIES: Final = {"ip": 4, "ip6": 6, "inet": None}
"""Table families that judge IP packets, with the one IP version each sees (None: both)."""
HOOK_ORDER: Final = ("prerouting", "input", "forward", "output", "postrouting")
"""The IP hooks a filter base chain may hang on, in the order layers are listed."""
NAMED_PRIORITIES: Final = {
    "raw": -300,
    "mangle": -150,
    "dstnat": -100,
    "filter": 0,
    "security": 50,
    "srcnat": 100,
}
"""The priorities nft lets chains name instead of numbering."""
PORT_PROTOCOLS_BY_HEADER: Final = {
    "tcp": "TCP",
    "udp": "UDP",
    "sctp": "SCTP",
    "udplite": "UDPLite",
}
"""Transport headers whose ``dport`` the model expresses, by the model's protocol name."""
NO_EFFECT: Final = frozenset(
    {
        "counter",
        "log",
        "set",
        "map",
        "ct helper",
        "ct timeout",
        "ct expectation",
        "secmark",
        "last",
        "flow",
        "dup",
        "notrack",
    }
)
"""Statements that leave a new flow's verdict alone (they count, log, or update sets)."""
UNMODELLED_STATEMENTS: Final = {
    "limit": "rate limit",
    "quota": "quota",
    "meter": "meter",
    "ct count": "connection count",
    "xt": "iptables extension (xt)",
    "synproxy": "synproxy",
    "tproxy": "transparent proxy",
    "fwd": "forward to a device",
    "snat": "address translation (snat)",
    "dnat": "address translation (dnat)",
    "masquerade": "address translation (masquerade)",
    "redirect": "address translation (redirect)",
}
"""Statements whose effect on whether a rule decides a flow the model cannot express."""
INTERFACE_KEYS: Final = frozenset(
    {
        "iifname",
        "oifname",
        "iif",
        "oif",
        "iiftype",
        "oiftype",
        "iifgroup",
        "oifgroup",
        "ibrname",
        "obrname",
        "iifkind",
        "oifkind",
    }
)
"""Meta keys that match an interface."""
CT_STATES: Final = frozenset({"new", "established", "related", "invalid", "untracked"})
"""Connection-tracking states ``ct state`` names."""


@dataclass
class _Table:
    """One table's chains, rules, sets and maps as the export lists them."""

    family: str
    """The table's family (``ip``, ``ip6``, ``inet``, ``bridge``, ...)."""
    name: str
    """Its name."""
    chains: dict[str, Field] = field(default_factory=dict)
    """Its chains' declarations, by name, in the export's order."""
    rules: dict[str, list[Field]] = field(default_factory=dict)
    """Each chain's rules, in order."""
    sets: dict[str, Field] = field(default_factory=dict)
    """Its named sets and maps, by name."""


@dataclass
class _Ruleset:
    """Every table of the export, in the order listed."""

    tables: dict[tuple[str, str], _Table] = field(default_factory=dict)
    """Tables by (family, name)."""

    def table(self, item: Field) -> _Table:
        """The declared table an object names by its ``family`` and ``table``."""
        family = item.require("family").string()
        name = item.require("table").string()
        found = self.tables.get((family, name))
        if found is None:
            raise item.error(f"table {family} {name} is not declared in the ruleset")
        return found


def _single_key(item: Field) -> tuple[str, Field]:
    """The one key of an object like ``{"accept": null}`` and its value."""
    entries = list(item.entries())
    if len(entries) != 1:
        raise item.error(f"expected an object with one key, got {len(entries)} keys")
    return entries[0]


COMMANDS: Final = frozenset({"add", "create", "delete"})
"""The ``nft -j -f`` commands the reader follows: ``add``/``create`` declare an object, and
``delete`` removes a table (the atomic replace of a generated ruleset). Other commands
(``insert``, ``replace``, ``flush``, ...) change a ruleset in ways a listing does not show,
and are refused."""


def _collect(root: Field) -> _Ruleset:
    ruleset = _Ruleset()
    for item in root.require("nftables").items():
        kind, body = _single_key(item)
        if kind in COMMANDS:
            _command(ruleset, kind, body)
        elif kind in _REFUSED_COMMANDS:
            raise item.error(f"nft command {kind!r} is not read (only add, create, delete table)")
        else:
            _declare(ruleset, item, kind, body)
    return ruleset


_REFUSED_COMMANDS: Final = frozenset({"insert", "replace", "flush", "reset", "rename", "destroy"})
"""``nft -j -f`` commands the reader refuses: their effect depends on what was loaded before."""


def _command(ruleset: _Ruleset, command: str, body: Field) -> None:
    """One ``{"add": {...}}`` command of ``nft -j -f`` input."""
    kind, declared = _single_key(body)
    if command != "delete":
        _declare(ruleset, body, kind, declared)
        return
    if kind != "table":
        raise body.error(f"delete of a {kind!r} is not read (only delete table)")
    family = declared.require("family").string()
    name = declared.require("name").string()
    if ruleset.tables.pop((family, name), None) is None:
        raise declared.error(f"delete of table {family} {name}, which is not declared before")


def _declare(ruleset: _Ruleset, item: Field, kind: str, body: Field) -> None:
    """One ruleset object (as ``nft -j list ruleset`` lists them, or an added one)."""
    if kind == "table":
        family = body.require("family").string()
        name = body.require("name").string()
        # Adding a declared table again leaves it as it is, as ``nft add table`` does.
        ruleset.tables.setdefault((family, name), _Table(family, name))
    elif kind == "chain":
        table = ruleset.table(body)
        table.chains[body.require("name").string()] = body
    elif kind in ("set", "map"):
        table = ruleset.table(body)
        table.sets[body.require("name").string()] = body
    elif kind == "rule":
        table = ruleset.table(body)
        chain = body.require("chain").string()
        if chain not in table.chains:
            raise body.require("chain").error(f"rule for undeclared chain {chain!r}")
        table.rules.setdefault(chain, []).append(body)
    elif kind not in _HARMLESS_OBJECTS:
        raise item.error(f"unknown ruleset object {kind!r}")


_HARMLESS_OBJECTS: Final = frozenset(
    {
        "metainfo",
        "flowtable",
        "counter",
        "quota",
        "ct helper",
        "ct timeout",
        "ct expectation",
        "limit",
        "secmark",
        "synproxy",
        "element",
    }
)
"""Ruleset objects that hold no rule of their own (stateful objects rules may name)."""


class _RuleReader:
    """Reads one table's rules into chains of :class:`ChainRule`."""

    def __init__(self, table: _Table, label: str) -> None:
        self.table = table
        self.label = label
        self.version = IP_FAMILIES[table.family]

    def chains(self) -> dict[str, Chain]:
        """Every chain of the table with its rules, by name."""
        out: dict[str, Chain] = {}
        for name, body in self.table.chains.items():
            site = RuleSite(self._chain_path(name), body.location)
            rules: list[ChainRule] = []
            for index, rule in enumerate(self.table.rules.get(name, []), start=1):
                rules.extend(self.rule(rule, self._rule_path(name, index, rule)))
            out[name] = Chain(name, tuple(rules), site)
        return out

    def _chain_path(self, chain: str) -> str:
        return f"table {self.table.family} {self.table.name} chain {chain}"

    def _rule_path(self, chain: str, index: int, rule: Field) -> str:
        handle = rule.get("handle")
        suffix = f" (handle {handle.integer()})" if handle is not None else ""
        return f"{self._chain_path(chain)} rule {index}{suffix}"

    def rule(self, rule: Field, path: str) -> list[ChainRule]:
        """One rule; a verdict map makes it one rule per element, in the map's order."""
        comment = rule.get("comment")
        site = RuleSite(path, rule.location, comment.string() if comment else None)
        conditions = Conditions()
        verdict = Verdict(VerdictKind.CONTINUE)
        branches: list[tuple[Conditions, Verdict, str]] | None = None
        transport_header = False
        for expression in rule.require("expr").items():
            key, body = _single_key(expression)
            if key == "match":
                conditions = conditions & self.match(body)
                transport_header |= _uses_transport_header(body)
            elif key in _VERDICTS or key == "reject":
                verdict = self.verdict(key, body)
            elif key == "queue":
                conditions = conditions.with_reason("queued to a user-space program")
                verdict = Verdict(VerdictKind.DROP)
            elif key == "vmap":
                branches = list(self.verdict_map(body))
            elif key == "mangle":
                conditions = self._mangle(body, conditions)
            elif key in UNMODELLED_STATEMENTS:
                conditions = conditions.with_reason(UNMODELLED_STATEMENTS[key])
            elif key not in NO_EFFECT:
                raise expression.error(f"unknown expression {key!r}")
        if transport_header and conditions.services - PORT_PROTOCOL_SET:
            conditions = conditions.with_reason("th dport on a protocol without ports")
        if branches is None:
            return [ChainRule(conditions, verdict, site)]
        return [
            ChainRule(
                conditions & element,
                element_verdict,
                RuleSite(f"{path} map element {key_text}", site.origin, site.description),
            )
            for element, element_verdict, key_text in branches
        ]

    def _mangle(self, body: Field, conditions: Conditions) -> Conditions:
        """Setting a mark changes nothing the model sees; rewriting a header does."""
        key = body.require("key")
        if isinstance(key.value, dict) and ("meta" in key.value or "ct" in key.value):
            return conditions
        return conditions.with_reason("rewrites a packet header")

    def verdict(self, key: str, body: Field) -> Verdict:
        """The verdict statement ``key`` (``reject`` ends the packet as ``drop`` does)."""
        if key == "reject":
            return Verdict(VerdictKind.DROP)
        kind = _VERDICTS[key]
        if kind in (VerdictKind.JUMP, VerdictKind.GOTO):
            return Verdict(kind, body.require("target").string())
        return Verdict(kind)

    def verdict_map(self, body: Field) -> Iterator[tuple[Conditions, Verdict, str]]:
        """Each element of a ``vmap``: what its key matches, its verdict, the key as text."""
        key = body.require("key")
        data = body.require("data")
        for element in self._map_elements(data):
            pair = list(element.items())
            if len(pair) != 2:
                raise element.error("expected a [key, verdict] pair")
            value, target = pair
            verdict_key, verdict_body = _single_key(target)
            if verdict_key not in _VERDICTS and verdict_key != "reject":
                raise target.error(f"unknown verdict {verdict_key!r}")
            conditions = self.match_values(key, "==", value)
            yield conditions, self.verdict(verdict_key, verdict_body), _value_text(value.value)

    def _map_elements(self, data: Field) -> Iterator[Field]:
        if isinstance(data.value, str) and data.value.startswith("@"):
            elements = self._named(data).get("elem")
            yield from (_unwrapped(e) for e in (elements.items() if elements else ()))
            return
        yield from (_unwrapped(e) for e in data.require("set").items())

    def match(self, body: Field) -> Conditions:
        """What one ``match`` expression matches."""
        op_field = body.get("op")
        op = op_field.string() if op_field is not None else "=="
        if op not in _OPERATORS:
            raise (op_field or body).error(f"unknown match operator {op!r}")
        return self.match_values(body.require("left"), op, body.require("right"))

    def match_values(self, left: Field, op: str, right: Field) -> Conditions:
        """What ``left op right`` matches (``op`` one of ==, !=, in, <, >, <=, >=)."""
        if not isinstance(left.value, dict) or len(left.value) != 1:
            return Conditions().with_reason(f"match on {_value_text(left.value)}")
        kind, body = _single_key(left)
        if kind == "payload":
            return self._payload(body, op, right)
        if kind == "meta":
            return self._meta(body.require("key").string(), op, right)
        if kind == "ct":
            return self._ct(body, op, right)
        return Conditions().with_reason(f"{kind} match")

    def _payload(self, body: Field, op: str, right: Field) -> Conditions:
        if body.get("base") is not None:
            return Conditions().with_reason("raw payload match")
        protocol = body.require("protocol").string()
        header_field = body.require("field").string()
        version = {"ip": 4, "ip6": 6}.get(protocol)
        if version is not None and header_field in ("saddr", "daddr"):
            return self._address(version, header_field, op, right)
        if (protocol, header_field) in (("ip", "protocol"), ("ip6", "nexthdr")):
            assert version is not None
            services = self._protocols(op, right)
            return family_conditions(version) & Conditions(services=services)
        if header_field == "dport" and (protocol in PORT_PROTOCOLS_BY_HEADER or protocol == "th"):
            return Conditions(services=self._ports(protocol, op, right))
        if header_field == "sport":
            return Conditions().with_reason("source port")
        if protocol in ("icmp", "icmpv6") and header_field == "type":
            return self._icmp(4 if protocol == "icmp" else 6, op, right)
        return Conditions().with_reason(f"{protocol} {header_field}")

    def _address(self, version: int, header_field: str, op: str, right: Field) -> Conditions:
        family = FAMILY_ADDRESSES[version]
        if op not in ("==", "in", "!="):
            raise right.error(f"{op} does not compare addresses here")
        values = IPRangeSet.union_of(_address_values(v, version) for v in self._elements(right))
        addresses = family - values if op == "!=" else family & values
        if header_field == "saddr":
            return Conditions(sources=addresses, destinations=family)
        return Conditions(sources=family, destinations=addresses)

    def _protocols(self, op: str, right: Field) -> PortSet:
        numbers = self._numbers(right, _protocol_values)
        everything = IntervalSet.of(0, 255)
        numbers = everything - numbers if op == "!=" else _ordered(op, numbers, everything, right)
        return protocol_services(numbers)

    def _ports(self, protocol: str, op: str, right: Field) -> PortSet:
        ports = self._numbers(right, _port_values)
        everything = IntervalSet.of(0, 65535)
        ports = everything - ports if op == "!=" else _ordered(op, ports, everything, right)
        if protocol == "th":
            # On a protocol without ports the same header bytes mean something else: such
            # packets may match, which the rule's reason says unless a protocol match rules
            # them out.
            with_ports = PortSet(dict.fromkeys(PORT_PROTOCOLS_BY_HEADER.values(), ports))
            return (PORT_PROTOCOL_SET & with_ports) | (PortSet.all() - PORT_PROTOCOL_SET)
        return PortSet({PORT_PROTOCOLS_BY_HEADER[protocol]: ports})

    def _icmp(self, version: int, op: str, right: Field) -> Conditions:
        types = self._numbers(right, lambda v: _icmp_type_values(v, version))
        everything = IntervalSet.of(0, 255)
        types = everything - types if op == "!=" else _ordered(op, types, everything, right)
        return family_conditions(version) & Conditions(services=icmp_services(version, types))

    def _meta(self, key: str, op: str, right: Field) -> Conditions:
        if key == "l4proto":
            return Conditions(services=self._protocols(op, right))
        if key == "nfproto":
            versions = {4 if name == "ipv4" else 6 for name in _strings(right, ("ipv4", "ipv6"))}
            if op == "!=":
                versions = {4, 6} - versions
            return Conditions(
                sources=IPRangeSet.union_of(FAMILY_ADDRESSES[v] for v in versions),
                destinations=IPRangeSet.union_of(FAMILY_ADDRESSES[v] for v in versions),
            )
        if key in INTERFACE_KEYS:
            negation = "not " if op == "!=" else ""
            return Conditions().with_reason(f"interface {negation}{_value_text(right.value)}")
        if key == "mark":
            return Conditions().with_reason("packet mark")
        return Conditions().with_reason(f"meta {key}")

    def _ct(self, body: Field, op: str, right: Field) -> Conditions:
        key = body.require("key").string()
        if key == "state" and body.get("dir") is None:
            states = set(_strings(right, CT_STATES))
            matches_new = ("new" in states) != (op == "!=")
            return Conditions(new_flows=matches_new)
        if key == "mark":
            return Conditions().with_reason("connection mark")
        return Conditions().with_reason(f"ct {key}")

    def _elements(self, right: Field) -> list[Field]:
        """The values ``right`` names: one (a value, range or prefix), an anonymous set's,
        or a named set's of the same table."""
        if isinstance(right.value, str) and right.value.startswith("@"):
            elements = self._named(right).get("elem")
            return [_unwrapped(e) for e in (elements.items() if elements else ())]
        if isinstance(right.value, dict) and "set" in right.value:
            return [_unwrapped(e) for e in right.require("set").items()]
        return [right]

    def _numbers(self, right: Field, parse: Callable[[Field], IntervalSet]) -> IntervalSet:
        """The union of the numbers (ports, protocols, types) ``right`` names."""
        return IntervalSet.union_of(parse(value) for value in self._elements(right))

    def _named(self, reference: Field) -> Field:
        name = reference.string()[1:]
        found = self.table.sets.get(name)
        if found is None:
            raise reference.error(
                f"set {name!r} is not declared in table {self.table.family} {self.table.name}"
            )
        return found


_VERDICTS: Final = {
    "accept": VerdictKind.ACCEPT,
    "drop": VerdictKind.DROP,
    "jump": VerdictKind.JUMP,
    "goto": VerdictKind.GOTO,
    "return": VerdictKind.RETURN,
    "continue": VerdictKind.CONTINUE,
}
"""libnftables verdict statements (``reject`` is a statement that also ends the packet)."""
_OPERATORS: Final = frozenset({"==", "!=", "in", "<", ">", "<=", ">="})
"""Match operators the model can express."""


def _uses_transport_header(match: Field) -> bool:
    left = match.require("left").value
    return isinstance(left, dict) and left.get("payload", {}).get("protocol") == "th"


def _ordered(op: str, values: IntervalSet, everything: IntervalSet, right: Field) -> IntervalSet:
    """What ``< v``, ``<= v``, ``> v`` or ``>= v`` match; ``values`` for == and in."""
    if op in ("==", "in"):
        return values
    if len(values.intervals) != 1:
        raise right.error(f"{op} needs one number")
    lo, hi = values.intervals[0]
    top = everything.intervals[-1][1]
    bounds = {"<": (0, lo - 1), "<=": (0, hi), ">": (hi + 1, top), ">=": (lo, top)}[op]
    return everything & IntervalSet.of(*bounds)


def _unwrapped(element: Field) -> Field:
    """A set element without the ``{"elem": {"val": ...}}`` wrapper of timeouts and counters."""
    if isinstance(element.value, dict) and "elem" in element.value:
        return element.require("elem").require("val")
    return element


def _address_values(value: Field, version: int) -> IPRangeSet:
    """One address, prefix or range of IP version ``version``."""
    try:
        if isinstance(value.value, str):
            return _in_family(IPRangeSet.from_addresses([value.value]), value, version)
        if isinstance(value.value, dict) and "prefix" in value.value:
            prefix = value.require("prefix")
            address = prefix.require("addr").string()
            length = prefix.require("len").integer()
            network = ipaddress.ip_network(f"{address}/{length}", strict=False)
            return _in_family(IPRangeSet.from_cidr(network), value, version)
        if isinstance(value.value, dict) and "range" in value.value:
            ends = [end.string() for end in value.require("range").items()]
            if len(ends) != 2:
                raise value.error("expected a range of two addresses")
            return _in_family(_address_range(ends[0], ends[1], value), value, version)
    except ValueError as problem:
        raise value.error(f"invalid IPv{version} address: {problem}") from None
    raise value.error(f"expected an IPv{version} address, prefix or range")


def _address_range(first: str, last: str, value: Field) -> IPRangeSet:
    lo, hi = ipaddress.ip_address(first), ipaddress.ip_address(last)
    if lo.version != hi.version or int(lo) > int(hi):
        raise value.error(f"invalid address range {first}-{last}")
    span = IntervalSet.of(int(lo), int(hi))
    return IPRangeSet(v4=span) if lo.version == 4 else IPRangeSet(v6=span)


def _in_family(addresses: IPRangeSet, value: Field, version: int) -> IPRangeSet:
    if not addresses.issubset(FAMILY_ADDRESSES[version]):
        raise value.error(f"expected an IPv{version} address, got {_value_text(value.value)}")
    return addresses


def _number(value: Field, what: str, top: int) -> int:
    raw = value.value
    number = int(raw) if isinstance(raw, str) and raw.isdigit() else raw
    if isinstance(number, bool) or not isinstance(number, int):
        raise value.error(f"expected a {what}, got {_value_text(raw)}")
    if not 0 <= number <= top:
        raise value.error(f"{what} {number} out of range (0-{top})")
    return number


def _numbers(value: Field, what: str, top: int) -> IntervalSet:
    """One number or a ``{"range": [lo, hi]}``."""
    if isinstance(value.value, dict) and "range" in value.value:
        ends = [_number(end, what, top) for end in value.require("range").items()]
        if len(ends) != 2 or ends[0] > ends[1]:
            raise value.error(f"invalid {what} range")
        return IntervalSet.of(ends[0], ends[1])
    return IntervalSet.of(_number(value, what, top))


def _port_values(value: Field) -> IntervalSet:
    return _numbers(value, "port", 65535)


def _protocol_values(value: Field) -> IntervalSet:
    if isinstance(value.value, str) and not value.value.isdigit():
        number = PROTOCOL_NAMES.get(value.value)
        if number is None:
            raise value.error(f"unknown protocol {value.value!r}")
        return IntervalSet.of(number)
    return _numbers(value, "protocol number", 255)


def _icmp_type_values(value: Field, version: int) -> IntervalSet:
    if isinstance(value.value, str) and not value.value.isdigit():
        number = ICMP_TYPE_NAMES[version].get(value.value)
        if number is None:
            raise value.error(f"unknown ICMP{'v6' if version == 6 else ''} type {value.value!r}")
        return IntervalSet.of(number)
    return _numbers(value, "ICMP type", 255)


def _strings(right: Field, known: frozenset[str] | tuple[str, ...]) -> Iterator[str]:
    """The names in a flag list: one string, a list, or an anonymous set."""
    if isinstance(right.value, dict) and "set" in right.value:
        items = list(right.require("set").items())
    elif isinstance(right.value, list):
        items = list(right.items())
    else:
        items = [right]
    for item in items:
        name = item.string()
        if name not in known:
            raise item.error(f"unknown value {name!r} (expected one of {', '.join(sorted(known))})")
        yield name


def _value_text(value: object) -> str:
    """A compact rendering of a JSON value for messages and paths."""
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, dict) and "set" in value and isinstance(value["set"], list):
        return "{" + ", ".join(_value_text(v) for v in value["set"]) + "}"
    if isinstance(value, dict) and "prefix" in value:
        return f"{value['prefix'].get('addr')}/{value['prefix'].get('len')}"
    if isinstance(value, dict) and "range" in value:
        return "-".join(_value_text(v) for v in value["range"])
    if isinstance(value, dict) and "elem" in value:
        return _value_text(value["elem"].get("val"))
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value)))
    return "an expression"


def _priority(chain: Field) -> int:
    prio = chain.get("prio")
    if prio is None:
        return 0
    if isinstance(prio.value, str):
        if prio.value not in NAMED_PRIORITIES:
            raise prio.error(f"unknown chain priority {prio.value!r}")
        return NAMED_PRIORITIES[prio.value]
    return prio.integer()


def _policy(chain: Field) -> Action:
    policy = chain.get("policy")
    text = policy.string() if policy is not None else "accept"
    if text not in ("accept", "drop"):
        raise (policy or chain).error(f"unknown chain policy {text!r} (expected accept or drop)")
    return Action.ALLOW if text == "accept" else Action.DENY


def _base_chains(table: _Table) -> Iterator[BaseChain]:
    for name, chain in table.chains.items():
        hook = chain.get("hook")
        chain_type = chain.get("type")
        if hook is None or chain_type is None or chain_type.string() != "filter":
            continue
        if hook.string() not in HOOK_ORDER:
            continue
        site = RuleSite(f"table {table.family} {table.name} chain {name}", chain.location)
        yield BaseChain(
            name, hook.string(), _priority(chain), _policy(chain), site, IP_FAMILIES[table.family]
        )


def _table_notes(table: _Table) -> Iterator[LayerNote]:
    """What a table holds that no layer models."""
    where = f"table {table.family} {table.name}"
    if table.family not in IP_FAMILIES:
        origin = next(iter(table.chains.values())).location if table.chains else None
        yield LayerNote(
            f"{where}: {table.family} tables are not modelled; what their chains drop or"
            " accept is not in any layer, so verdicts on traffic they see cannot be decided",
            origin,
        )
        return
    for name, chain in table.chains.items():
        hook, chain_type = chain.get("hook"), chain.get("type")
        if hook is None or chain_type is None:
            continue
        kind, hook_name = chain_type.string(), hook.string()
        if kind == "nat":
            yield LayerNote(
                f"{where} chain {name}: address translation on the {hook_name} hook is not"
                " modelled; the addresses the filter layers see may differ from a flow's own",
                chain.location,
            )
        elif kind != "filter" or hook_name not in HOOK_ORDER:
            yield LayerNote(
                f"{where} chain {name}: a {kind} chain on the {hook_name} hook is not"
                " modelled; what it drops cannot be decided",
                chain.location,
            )


def read_nftables(root: Field, label: str) -> list[FirewallLayer]:
    """Every filtering base chain of ``nft -j list ruleset`` as a layer, by hook and priority;
    an accept-everything forward layer with a note when no chain filters that hook."""
    ruleset = _collect(root)
    notes = [note for table in ruleset.tables.values() for note in _table_notes(table)]
    found: list[tuple[int, int, int, FirewallLayer]] = []
    for order, table in enumerate(ruleset.tables.values()):
        if table.family not in IP_FAMILIES:
            continue
        chains = _RuleReader(table, label).chains()
        for base in _base_chains(table):
            name = f"{table.family} {table.name} {base.chain} ({base.hook} hook)"
            extra = {"family": table.family, "table": table.name, "chain": base.chain}
            layer = build_layer(name, FirewallKind.NFTABLES, chains, base, notes, extra)
            found.append((HOOK_ORDER.index(base.hook), base.priority, order, layer))
    layers = [layer for *_, layer in sorted(found, key=lambda entry: entry[:3])]
    if not any(layer.settings.extra.get("hook") == "forward" for layer in layers):
        layers.insert(
            0,
            accept_all_layer(
                f"{label} (forward hook)", FirewallKind.NFTABLES, "forward", root.location, notes
            ),
        )
    return layers


class NftablesLanguage(FirewallLanguage):
    """``nft -j list ruleset`` exports."""

    kind = FirewallKind.NFTABLES
    capabilities = (
        Capability("ip saddr/daddr, ip6 saddr/daddr", True, ""),
        Capability("meta l4proto, ip protocol, ip6 nexthdr", True, ""),
        Capability("tcp/udp/sctp/udplite/th dport", True, ""),
        Capability("icmp type, icmpv6 type", True, ""),
        Capability("named and anonymous sets, verdict maps", True, ""),
        Capability("jump, goto, return", True, ""),
        Capability(
            "ct state",
            True,
            "Flows are judged by their first packet: a rule matching only established or"
            " related packets never decides one.",
        ),
        Capability(
            "interfaces, marks, source ports, other matches",
            False,
            "The rule is kept with a reason: flows it may match cannot be decided.",
        ),
        Capability(
            "nat chains, bridge/arp/netdev tables",
            False,
            "A note on every layer: address translation and non-IP filtering are not modelled.",
        ),
    )

    def recognizes(self, text: str, root: Field | None) -> bool:
        """A JSON object whose ``nftables`` entry is a list."""
        return (
            root is not None
            and isinstance(root.value, dict)
            and isinstance(root.value.get("nftables"), list)
        )

    def read(
        self, text: str, root: Field | None, label: str, context: FirewallContext
    ) -> list[FirewallLayer]:
        """Every layer of the ruleset."""
        if root is None or not self.recognizes(text, root):
            raise InputError(f"{label}: not an nftables JSON ruleset (nft -j list ruleset)")
        return read_nftables(root, label)
