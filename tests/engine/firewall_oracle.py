"""An independent oracle for firewall layers: a plain first-match walk over one concrete flow.

It shares no code with netfence.engine: it reads the model's rules and tests one source
address, one destination (an address or a name), one protocol and one value, with its own
name matching. The semantics it writes down, from DESIGN ("Layers and paths", "Names"):

- a rule surely matches when the flow is in its sources, destinations and services; an
  unexpanded tag may hold what the rule's own sets do not (maybe); an ``undecidable`` rule
  may match whatever it would otherwise match;
- a name is in a rule's destinations when a pattern matches it, or when the rule's
  addresses are every address; against other address rules only a *listed* name (one some
  rule or flow names exactly) is resolved: all its addresses inside matches, none does not,
  anything else is maybe, counting only the addresses of the families the rule's sources
  hold (a name with none of them is never reached by the rule's packets; a resolver's empty
  answer is a name that resolves to nothing); an address alone never matches a name pattern;
- a tag documented to cover names (``tag_covers``) surely matches those names;
- the first sure match decides (else the default); the verdict is undecided when a maybe
  rule before it has the other action.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from netfence.model.firewall import FirewallLayer, FirewallRule, TrafficDirection
from netfence.sets.ipranges import IPRangeSet

SURE, MAYBE, NO = "sure", "maybe", "no"


def oracle_name_matches(pattern: str, name: str) -> bool:
    """``*`` is every name, ``*.s`` every name of one or more labels before ``.s``."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and len(name) > len(pattern) - 1
    return pattern == name


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class OracleDecision:
    """The oracle's verdict and the rules behind it."""

    verdict: str
    """``Allow``, ``Deny`` or ``Undecided``."""
    rule: int | None
    """The first sure match's index in the layer's rules; None for the default."""
    undecided_by: frozenset[int]
    """Maybe rules before it with the other action."""
    possibly_by: frozenset[int]
    """Maybe rules before it with the same action."""


class Oracle:
    """Decides concrete flows through layers, one rule at a time."""

    def __init__(
        self,
        listed: set[str],
        resolve: Callable[[str], IPRangeSet | None] | None,
        tag_covers: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.listed = listed
        self.resolve = resolve
        self.tag_covers = tag_covers or {}

    def destination_status(self, rule: FirewallRule, destination: str) -> str:
        """Whether the rule's destinations hold ``destination`` (sure, maybe, no)."""
        dest = rule.match.destinations
        if _is_address(destination):
            status = SURE if dest.addresses.contains(destination) else NO
        else:
            status = self._name_status(rule, destination)
        if status == NO and dest.tags:
            return MAYBE
        return status

    def _name_status(self, rule: FirewallRule, name: str) -> str:
        dest = rule.match.destinations
        if any(oracle_name_matches(p, name) for p in dest.names.patterns):
            return SURE
        covered = [p for tag in dest.tags for p in self.tag_covers.get(tag, [])]
        if any(oracle_name_matches(p, name) for p in covered):
            return SURE
        if not dest.addresses:
            return NO
        families = _families(rule)
        if dest.addresses in (IPRangeSet.everything(), families):
            return SURE
        if self.resolve is None or name not in self.listed:
            return MAYBE
        found = self.resolve(name)
        if found is None:
            return MAYBE
        # The rule's packets are of its sources' families: they reach the name only at
        # its addresses of those families (none of them: never).
        found = found & families
        if not found:
            return NO
        inside = found & dest.addresses
        if inside == found:
            return SURE
        return NO if not inside else MAYBE

    def rule_status(
        self, rule: FirewallRule, source: str, destination: str, protocol: str, port: int
    ) -> str:
        """Whether the rule matches the flow."""
        if not rule.match.services.contains(protocol, port):
            return NO
        if rule.match.sources.contains(source):
            src = SURE
        elif rule.match.source_tags:
            src = MAYBE
        else:
            return NO
        dst = self.destination_status(rule, destination)
        if dst == NO:
            return NO
        if rule.undecidable:
            return MAYBE
        return SURE if src == SURE and dst == SURE else MAYBE

    def decide(
        self,
        layer: FirewallLayer,
        direction: TrafficDirection,
        source: str,
        destination: str,
        protocol: str,
        port: int,
        skip: int | None = None,
    ) -> OracleDecision:
        """Walk the rules of ``direction`` in order (leaving out rule ``skip``)."""
        maybes: list[int] = []
        decider: int | None = None
        for index, rule in enumerate(layer.rules):
            if rule.direction is not direction or index == skip:
                continue
            status = self.rule_status(rule, source, destination, protocol, port)
            if status == SURE:
                decider = index
                break
            if status == MAYBE:
                maybes.append(index)
        action = layer.rules[decider].action if decider is not None else layer.default(direction)
        undecided = frozenset(m for m in maybes if layer.rules[m].action is not action)
        possibly = frozenset(m for m in maybes if layer.rules[m].action is action)
        return OracleDecision(
            "Undecided" if undecided else action.value, decider, undecided, possibly
        )

    def reaches(
        self,
        layer: FirewallLayer,
        rule_index: int,
        source: str,
        destination: str,
        protocol: str,
        port: int,
    ) -> bool:
        """Whether the walk gets to ``rule_index`` and it matches (surely or maybe)."""
        rule = layer.rules[rule_index]
        for index, other in enumerate(layer.rules[:rule_index]):
            if other.direction is rule.direction and index != rule_index:
                if self.rule_status(other, source, destination, protocol, port) == SURE:
                    return False
        return self.rule_status(rule, source, destination, protocol, port) != NO


def _families(rule: FirewallRule) -> IPRangeSet:
    """Every address of each family the rule's sources hold (both, with source tags)."""
    if rule.match.source_tags:
        return IPRangeSet.everything()
    wholes = {4: "0.0.0.0/0", 6: "::/0"}
    return IPRangeSet.from_cidrs([wholes[v] for v in (4, 6) if rule.match.sources.family(v)])


def path_verdict(decisions: list[OracleDecision]) -> tuple[str, int | None]:
    """Deny at the first denying layer, else Undecided at the first undecided one, else
    Allow at the last: (verdict, the layer's position)."""
    for position, decision in enumerate(decisions):
        if decision.verdict == "Deny":
            return "Deny", position
    for position, decision in enumerate(decisions):
        if decision.verdict == "Undecided":
            return "Undecided", position
    return "Allow", (len(decisions) - 1 if decisions else None)


def mapping_resolver(table: Mapping[str, IPRangeSet]) -> Callable[[str], IPRangeSet | None]:
    """A resolver over a fixed table (names not in it are unknown)."""
    return table.get
