"""What nftables and iptables share: chains of rules, inlined into one first-match list.

Both languages are Linux netfilter: a *base chain* hangs on a hook (forward, input, output)
with a policy, and its rules may jump to (or go to) user chains, which may return. netfence's
layer is one flat, ordered rule list, so each base chain is compiled by *inlining*:

- ``jump T`` under match ``m``: the rules of ``T``, each conjoined with ``m``; packets that
  fall off the end of ``T`` go on with the rule after the jump, which the flat order gives for
  free;
- ``goto T`` under ``m``: the rules of ``T`` conjoined with ``m``, then, for what falls off
  its end, the rest of the chain that *called* the goto-ing chain (ending in the policy);
- ``return`` under ``m``: the rest of the calling chain, then of its caller, ..., then the
  base chain's policy, all conjoined with ``m``.

A return or goto thus copies the rest of its callers under its own match, which makes what
follows it in its chain unreachable for the packets it took: first match gives exactly the
kernel's walk, conditional or not. A loop of jumps is refused, as the kernel refuses it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from netfence.errors import InputError
from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    FirewallLayer,
    FirewallMatch,
    FirewallRule,
    FirewallRuleOrigin,
    LayerNote,
    LayerSettings,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.model.origin import Origin
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PORT_PROTOCOLS, PortSet

MAX_INLINED_RULES: Final = 100_000
"""Most rules one base chain may expand to once jumps are inlined; beyond it the export is
refused rather than read for minutes (returns copy the rest of their callers)."""

MAX_JUMP_DEPTH: Final = 64
"""Most chains one path of jumps and gotos may pass through (the kernel allows fewer)."""

IPV4_ALL: Final = IPRangeSet.from_cidr("0.0.0.0/0")
"""Every IPv4 address."""
IPV6_ALL: Final = IPRangeSet.from_cidr("::/0")
"""Every IPv6 address."""
FAMILY_ADDRESSES: Final = {4: IPV4_ALL, 6: IPV6_ALL}
"""Every address of each IP version."""

PORT_PROTOCOL_SET: Final = PortSet({p: IntervalSet.of(1, 65535) for p in PORT_PROTOCOLS})
"""Every port of every protocol that has ports."""


PROTOCOL_NAMES: Final = {
    "tcp": 6,
    "udp": 17,
    "icmp": 1,
    "icmpv6": 58,
    "ipv6-icmp": 58,
    "sctp": 132,
    "udplite": 136,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "ipip": 4,
    "igmp": 2,
    "ospf": 89,
    "vrrp": 112,
    "dccp": 33,
}
"""IANA numbers of the protocol names nft and iptables print (``/etc/protocols`` names)."""

ICMP_TYPE_NAMES: Final = {
    4: {
        "echo-reply": 0,
        "destination-unreachable": 3,
        "source-quench": 4,
        "redirect": 5,
        "echo-request": 8,
        "router-advertisement": 9,
        "router-solicitation": 10,
        "time-exceeded": 11,
        "parameter-problem": 12,
        "timestamp-request": 13,
        "timestamp-reply": 14,
    },
    6: {
        "destination-unreachable": 1,
        "packet-too-big": 2,
        "time-exceeded": 3,
        "parameter-problem": 4,
        "echo-request": 128,
        "echo-reply": 129,
        "mld-listener-query": 130,
        "mld-listener-report": 131,
        "nd-router-solicit": 133,
        "nd-router-advert": 134,
        "nd-neighbor-solicit": 135,
        "nd-neighbor-advert": 136,
        "nd-redirect": 137,
    },
}
"""ICMP (4) and ICMPv6 (6) type names as nft and iptables print them."""

_MODEL_PROTOCOLS: Final = {
    6: "TCP",
    17: "UDP",
    1: "ICMP",
    58: "ICMPv6",
    132: "SCTP",
    136: "UDPLite",
}


def protocol_services(numbers: IntervalSet) -> PortSet:
    """Every value of each IP protocol whose number is in ``numbers``."""
    named = {
        name: PortSet.of(name) for number, name in _MODEL_PROTOCOLS.items() if number in numbers
    }
    others = numbers - IntervalSet((n, n) for n in _MODEL_PROTOCOLS)
    result = PortSet({"OTHER": others})
    for services in named.values():
        result = result | services
    return result


def icmp_services(version: int, types: IntervalSet) -> PortSet:
    """Every code of each ICMP (or ICMPv6) type in ``types``."""
    protocol = "ICMP" if version == 4 else "ICMPv6"
    return PortSet({protocol: IntervalSet((lo * 256, hi * 256 + 255) for lo, hi in types)})


_EVERYWHERE: Final = IPRangeSet.everything()
"""Every address: the default of a match that does not constrain addresses (shared, so that
conjoining with it is recognized without computing an intersection)."""
_EVERY_SERVICE: Final = PortSet.all()
"""Every protocol and port, shared likewise."""


def _both_addresses(first: IPRangeSet, second: IPRangeSet) -> IPRangeSet:
    return first if second is _EVERYWHERE else second if first is _EVERYWHERE else first & second


def _both_services(first: PortSet, second: PortSet) -> PortSet:
    if second is _EVERY_SERVICE:
        return first
    return second if first is _EVERY_SERVICE else first & second


def _merged(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """Both tuples' items, in order, each once."""
    return first + tuple(item for item in second if item not in first)


@dataclass(frozen=True)
class Conditions:
    """What one rule (or a rule with the jumps that lead to it) matches: the intersection of
    its match expressions, with what the model cannot express kept as reasons."""

    sources: IPRangeSet = _EVERYWHERE
    """Source addresses."""
    destinations: IPRangeSet = _EVERYWHERE
    """Destination addresses."""
    services: PortSet = _EVERY_SERVICE
    """Protocols and destination ports."""
    source_sets: tuple[str, ...] = ()
    """Source sets whose members are unknown (an ipset the export does not carry)."""
    destination_sets: tuple[str, ...] = ()
    """Destination sets whose members are unknown."""
    undecidable: tuple[str, ...] = ()
    """What the rule also matches on that the model cannot express."""
    new_flows: bool = True
    """Whether a new connection can match (false for ``ct state established,related``:
    netfence judges the first packet of each flow)."""

    def __and__(self, other: Conditions) -> Conditions:
        return Conditions(
            _both_addresses(self.sources, other.sources),
            _both_addresses(self.destinations, other.destinations),
            _both_services(self.services, other.services),
            _merged(self.source_sets, other.source_sets),
            _merged(self.destination_sets, other.destination_sets),
            _merged(self.undecidable, other.undecidable),
            self.new_flows and other.new_flows,
        )

    def is_empty(self) -> bool:
        """Whether no new flow can match."""
        return not self.new_flows or not self.sources or not self.destinations or not self.services

    def is_unconditional(self) -> bool:
        """Whether every new flow matches (so what follows in the chain is unreachable)."""
        return self == Conditions()

    def with_reason(self, reason: str) -> Conditions:
        """The same match, with one more thing the model cannot express."""
        return replace(self, undecidable=_merged(self.undecidable, (reason,)))


def family_conditions(version: int) -> Conditions:
    """Packets of one IP version only (what an ``ip`` or ``ip6`` match implies)."""
    addresses = FAMILY_ADDRESSES[version]
    return Conditions(sources=addresses, destinations=addresses)


class VerdictKind(enum.Enum):
    """What a rule does with the packets it matches."""

    ACCEPT = "accept"
    """Accept: ends this base chain (the next base chain on the hook still runs)."""
    DROP = "drop"
    """Drop or reject: ends the packet."""
    JUMP = "jump"
    """Run a user chain, then go on with the next rule."""
    GOTO = "goto"
    """Run a user chain instead of the rest of this one."""
    RETURN = "return"
    """Go back to the calling chain (the policy, in a base chain)."""
    CONTINUE = "continue"
    """No verdict: a counter, a log, or an explicit ``continue``."""


@dataclass(frozen=True)
class Verdict:
    """A verdict and, for a jump or goto, its target chain."""

    kind: VerdictKind
    """The verdict."""
    target: str | None = None
    """The chain jumped to, for JUMP and GOTO."""


@dataclass(frozen=True)
class RuleSite:
    """Where a rule is, for its origin and for error messages."""

    path: str
    """The rule's place, in the language's words (``chain forward rule 3 (handle 7)``)."""
    origin: Origin | None = None
    """The file (and line) it was read from."""
    description: str | None = None
    """Its comment."""


@dataclass(frozen=True)
class ChainRule:
    """One rule of a chain: its match, its verdict, and where it is."""

    conditions: Conditions
    """What it matches."""
    verdict: Verdict
    """What it does."""
    site: RuleSite
    """Where it is."""


@dataclass(frozen=True)
class Chain:
    """A chain: its rules in order."""

    name: str
    """Its name."""
    rules: tuple[ChainRule, ...]
    """Its rules."""
    site: RuleSite
    """Where it is declared."""


@dataclass(frozen=True)
class BaseChain:
    """A chain on a hook, with its policy: what becomes one layer."""

    chain: str
    """The chain's name."""
    hook: str
    """The hook (``forward``, ``input``, ``output``, ...)."""
    priority: int
    """Its priority on the hook (lower runs first)."""
    policy: Action
    """What it does with what no rule decides."""
    site: RuleSite
    """Where it is declared (the policy's origin)."""
    family: int | None = None
    """The one IP version its table sees (4 or 6), or None for both."""


@dataclass(frozen=True)
class _Frame:
    """Where a calling chain goes on once the chain it jumped to returns."""

    chain: Chain
    next_index: int
    via: tuple[str, ...]
    active: frozenset[str]


@dataclass(frozen=True)
class FlatRule:
    """One rule of the inlined list: a match, a terminal action, and the sites behind it."""

    conditions: Conditions
    """What it matches (the rule's own match conjoined with the jumps to it)."""
    action: Action
    """Allow or Deny."""
    site: RuleSite
    """The rule that decides (or the base chain, for its policy)."""
    via: tuple[str, ...] = ()
    """The jumps and gotos that lead to it, outermost first."""
    is_policy: bool = False
    """Whether this is the base chain's policy, reached by a return or the end of a goto."""


_LEAVE_CHAIN: Final = frozenset({VerdictKind.GOTO, VerdictKind.RETURN})
"""Verdicts after which a chain's later rules never see the packets they matched."""


class _Inliner:
    """Inlines one base chain's jumps, gotos and returns into a first-match list."""

    def __init__(self, chains: Mapping[str, Chain], base: BaseChain) -> None:
        self.chains = chains
        self.base = base
        self.out: list[FlatRule] = []

    def run(self, start: Conditions) -> list[FlatRule]:
        chain = self.chains[self.base.chain]
        # What the base chain leaves undecided falls to the layer's default, its policy,
        # which also makes policy copies at the very end (after a last return) redundant.
        self._body(chain, 0, start, (), (), frozenset({chain.name}))
        while self.out and self.out[-1].is_policy and not self.out[-1].conditions.undecidable:
            self.out.pop()
        return self.out

    def _emit(self, rule: FlatRule) -> None:
        if len(self.out) >= MAX_INLINED_RULES:
            raise InputError(
                f"chain {self.base.chain} expands to more than {MAX_INLINED_RULES} rules once"
                " its jumps and returns are inlined",
                self.base.site.origin,
                self.base.site.path,
            )
        self.out.append(rule)

    def _body(
        self,
        chain: Chain,
        start: int,
        context: Conditions,
        stack: tuple[_Frame, ...],
        via: tuple[str, ...],
        active: frozenset[str],
    ) -> bool:
        """Every rule of ``chain`` from ``start``, for the packets in ``context``; whether
        every one of them got its verdict (so that nothing after can match them)."""
        for index in range(start, len(chain.rules)):
            rule = chain.rules[index]
            matched = context & rule.conditions
            if matched.is_empty():
                continue
            kind = rule.verdict.kind
            decided = True
            ends_chain = matched == context or index == len(chain.rules) - 1
            if kind in (VerdictKind.ACCEPT, VerdictKind.DROP):
                action = Action.ALLOW if kind is VerdictKind.ACCEPT else Action.DENY
                self._emit(FlatRule(matched, action, rule.site, via))
            elif kind is VerdictKind.JUMP:
                target = self._target(rule, active)
                frame = _Frame(chain, index + 1, via, active)
                decided = self._body(
                    target,
                    0,
                    matched,
                    (*stack, frame),
                    (*via, rule.site.path),
                    active | {target.name},
                )
            elif kind is VerdictKind.GOTO:
                target = self._target(rule, active)
                decided = self._body(
                    target, 0, matched, stack, (*via, rule.site.path), active | {target.name}
                )
                if not decided and not ends_chain:
                    self._leave(matched, stack)
                    decided = True
            elif kind is VerdictKind.RETURN:
                # A return that ends the chain for its packets is falling off its end.
                decided = not ends_chain
                if decided:
                    self._leave(matched, stack)
            else:
                decided = False
            if matched == context and (decided or kind in _LEAVE_CHAIN):
                # Nothing of the context is left for the chain's later rules.
                return decided
        return False

    def _leave(self, matched: Conditions, stack: tuple[_Frame, ...]) -> None:
        """Packets in ``matched`` leave their chain: the callers' rest, then the policy."""
        for depth in range(len(stack) - 1, -1, -1):
            frame = stack[depth]
            if self._body(
                frame.chain, frame.next_index, matched, stack[:depth], frame.via, frame.active
            ):
                return
        self._emit(FlatRule(matched, self.base.policy, self.base.site, is_policy=True))

    def _target(self, rule: ChainRule, active: frozenset[str]) -> Chain:
        name = rule.verdict.target
        assert name is not None
        target = self.chains.get(name)
        if target is None:
            raise InputError(f"jump to undefined chain {name!r}", rule.site.origin, rule.site.path)
        if len(active) > MAX_JUMP_DEPTH:
            raise InputError(
                f"jumps nest deeper than {MAX_JUMP_DEPTH} chains", rule.site.origin, rule.site.path
            )
        if name in active:
            raise InputError(
                f"chain loop: {name!r} jumps back into itself", rule.site.origin, rule.site.path
            )
        return target


def inline_base_chain(chains: Mapping[str, Chain], base: BaseChain) -> list[FlatRule]:
    """The base chain as one first-match list; the policy decides what it leaves undecided.

    A table of one IP version lets the other version through untouched: that comes first,
    as an accept the base chain's own site stands for.
    """
    start = Conditions()
    out: list[FlatRule] = []
    if base.family is not None:
        other = 6 if base.family == 4 else 4
        passes = RuleSite(
            f"chain {base.chain}: IPv{other} packets do not traverse an IPv{base.family} table",
            base.site.origin,
        )
        out.append(FlatRule(family_conditions(other), Action.ALLOW, passes))
        start = family_conditions(base.family)
    return out + _Inliner(chains, base).run(start)


def _match_of(conditions: Conditions) -> FirewallMatch:
    """The model's match for a rule's conditions. A set whose members are unknown is a tag
    (and a reason the model cannot decide): the addresses it is further limited to are then
    left to the reason, since a tag stands for its members alone."""
    destinations = Destinations(
        IPRangeSet() if conditions.destination_sets else conditions.destinations,
        tags=conditions.destination_sets,
    )
    sources = IPRangeSet() if conditions.source_sets else conditions.sources
    return FirewallMatch(sources, destinations, conditions.services, conditions.source_sets)


def _reasons(conditions: Conditions) -> tuple[str, ...]:
    sets = tuple(
        f"set {name} (its members are not in the export)"
        for name in (*conditions.source_sets, *conditions.destination_sets)
    )
    return _merged(conditions.undecidable, sets)


def _rule_path(rule: FlatRule, base: BaseChain) -> str:
    if rule.is_policy:
        return f"chain {base.chain} policy {'accept' if rule.action is Action.ALLOW else 'drop'}"
    if not rule.via:
        return rule.site.path
    return f"{rule.site.path}, reached by {' then '.join(rule.via)}"


def firewall_rules(
    flat: Sequence[FlatRule], base: BaseChain, layer: str, kind: FirewallKind
) -> tuple[FirewallRule, ...]:
    """The model's rules: each inlined rule for both directions, since a forward chain sees
    flows either way and only its address matches tell which ones a rule is about."""
    return tuple(
        FirewallRule(
            direction,
            rule.action,
            _match_of(rule.conditions),
            FirewallRuleOrigin(layer, kind, _rule_path(rule, base), None, rule.site.origin),
            priority=(base.priority, index),
            undecidable=_reasons(rule.conditions),
            description=rule.site.description,
        )
        for index, rule in enumerate(flat)
        for direction in (TrafficDirection.OUTBOUND, TrafficDirection.INBOUND)
    )


def build_layer(
    name: str,
    kind: FirewallKind,
    chains: Mapping[str, Chain],
    base: BaseChain,
    notes: Sequence[LayerNote],
    extra: Mapping[str, str],
) -> FirewallLayer:
    """One base chain as a layer whose default, both ways, is the chain's policy."""
    rules = firewall_rules(inline_base_chain(chains, base), base, name, kind)
    return FirewallLayer(
        name,
        kind,
        rules,
        default_outbound=base.policy,
        default_inbound=base.policy,
        origin=base.site.origin,
        settings=LayerSettings(extra={"hook": base.hook, "priority": str(base.priority), **extra}),
        notes=tuple(notes),
    )


def accept_all_layer(
    name: str, kind: FirewallKind, hook: str, origin: Origin | None, notes: Sequence[LayerNote]
) -> FirewallLayer:
    """The layer of a hook no base chain filters: everything passes, and a note says why."""
    why = LayerNote(f"no filtering chain on the {hook} hook: every packet passes it", origin)
    return FirewallLayer(
        name,
        kind,
        (),
        default_outbound=Action.ALLOW,
        default_inbound=Action.ALLOW,
        origin=origin,
        settings=LayerSettings(extra={"hook": hook}),
        notes=(why, *notes),
    )
