"""The one rule model: compiled rules with actions and origins, policies, and ordered tiers.

A rule is a mask of the classes it applies to (its subjects), a mask of the peers it matches
(classes, then address atoms), the ports it matches (fixed, or named and resolved on each
destination; less excluded ones) and an action. A tier holds rules in evaluation order and
the classes its policies select: a class a tier selects that no rule of the tier decided is
denied at the end of the tier when ``end_deny`` is set, and passed on otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, overload

import numpy as np

from netfence.errors import Location
from netfence.model.layers import Action, RuleId, RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.policy.space import BoolArray, NamedPort
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet


class Placement(enum.StrEnum):
    """Where a compiled policy goes in the layered walk."""

    ADMIN = "Admin"
    """The AdminNetworkPolicy tier, before every other."""
    KUBERNETES = "NetworkPolicy"
    """Kubernetes NetworkPolicy: its own tier, or Calico's ``default`` tier at order 1000."""
    CALICO = "Calico"
    """A Calico tier, named by the policy."""
    BASELINE = "Baseline"
    """The BaselineAdminNetworkPolicy tier, after every other."""


@dataclass(frozen=True)
class PortEntry:
    """One port entry of a rule, kept for provenance (which entry matched a flow)."""

    static: Mask
    """Values matched whatever the destination."""
    named: tuple[NamedPort, ...] = ()
    """Named ports, resolved on the destination."""
    location: Location | None = None
    """Where the entry is written."""


class LazyMasks(Sequence[BoolArray]):
    """Per-entry endpoint masks, each computed only when asked for.

    Provenance (which peer entry of a rule matched a flow) is needed by explain and a few
    checks only, while a rule may list thousands of ipBlocks: keeping one mask per entry
    for every rule would cost entries x endpoints bytes for nothing.
    """

    def __init__(self, count: int, build: Callable[[int], BoolArray]) -> None:
        self._count = count
        self._build = build

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> BoolArray: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[BoolArray]: ...

    def __getitem__(self, index: int | slice) -> BoolArray | Sequence[BoolArray]:
        if isinstance(index, slice):
            return [self._build(i) for i in range(*index.indices(self._count))]
        if not -self._count <= index < self._count:
            raise IndexError(index)
        return self._build(index % self._count)


class PackedBools:
    """A boolean-array attribute stored as packed bits, one eighth of the bytes.

    Compiled rules and policies hold masks over every class and address atom; at 100,000
    pods that is tens of thousands of masks of tens of thousands of entries, gigabytes as
    bytes. Reading the attribute unpacks a fresh array: write it whole, never in place.
    None is kept as None.
    """

    def __init__(self, name: str) -> None:
        self.slot = "_packed_" + name

    def __get__(self, instance: object | None, owner: type) -> Any:
        if instance is None:
            return self
        stored = instance.__dict__[self.slot]
        if stored is None:
            return None
        packed, length = stored
        return np.unpackbits(packed, count=length).view(np.bool_)

    def __set__(self, instance: object, value: BoolArray | None) -> None:
        instance.__dict__[self.slot] = None if value is None else (np.packbits(value), len(value))


def _pack_fields(cls: type, *names: str) -> None:
    """Store the named dataclass fields of ``cls`` as packed bits."""
    for name in names:
        setattr(cls, name, PackedBools(name))


NO_PEERS: Final[Sequence[BoolArray]] = ()
"""The peers of a rule without a peer list."""


@dataclass(eq=False)
class CompiledRule:
    """A rule as masks, with what it does and where it comes from."""

    origin: RuleOrigin
    """The policy and rule it was compiled from."""
    action: Action
    """What it does with what it matches."""
    subjects: BoolArray
    """The classes it applies to (its policy's selection, narrowed by the rule)."""
    endpoints: BoolArray
    """Peers matched, over classes then address atoms."""
    static: Mask
    """Ports matched whatever the destination."""
    named: list[NamedPort] = field(default_factory=list)
    """Named ports matched, resolved on each destination class."""
    static_not: Mask | None = None
    """Ports excluded whatever the destination (Calico notPorts, notProtocol)."""
    named_not: list[NamedPort] = field(default_factory=list)
    """Named ports excluded, resolved on each destination class."""
    peers: Sequence[BoolArray] = NO_PEERS
    """Per peer entry, the endpoints it matches, computed when asked (empty when the rule has
    no peer list). Address atoms do not split the address sets of one rule, so an address
    peer's mask stands for all of the rule's address peers together; ``peer_sets`` tells
    them apart for a concrete address."""
    peer_sets: Sequence[IPRangeSet | None] = ()
    """Per peer entry, its address set for an address peer (ipBlock, networks, nodes), None
    for a selector peer."""
    peer_locations: tuple[Location | None, ...] = ()
    """Per peer entry, where it is written."""
    port_entries: tuple[PortEntry, ...] = ()
    """Per port entry, what it matches (empty when the rule has no port list)."""
    policy_index: int = -1
    """Index of the policy in its language's list in the cluster."""
    rule_id: RuleId = RuleId(-1)
    """The rule's number in the compilation (set when tiers are laid out)."""

    @property
    def direction(self) -> Direction:
        """Which rule list the rule is in."""
        return self.origin.direction

    @property
    def rule_index(self) -> int:
        """0-based index in that list."""
        return self.origin.rule_index

    @property
    def location(self) -> Location | None:
        """Where the rule is written."""
        return self.origin.location


@dataclass(eq=False)
class CompiledPolicy:
    """One policy's compiled rules and selections, with where it is placed in the walk."""

    kind: str
    """The policy's kind, as :class:`RuleOrigin` names it."""
    namespace: str | None
    """Its namespace, for namespaced kinds."""
    name: str
    """Its name."""
    placement: Placement
    """Which tier it goes in."""
    order: float
    """Order within its tier (lower first)."""
    tie_break: str
    """Orders policies of equal order."""
    ingress: list[CompiledRule]
    """Ingress rules in order."""
    egress: list[CompiledRule]
    """Egress rules in order."""
    selected_in: BoolArray | None
    """Classes it selects for ingress (None when it does not govern ingress)."""
    selected_out: BoolArray | None
    """Classes it selects for egress."""
    tier: str = ""
    """The Calico tier's name, for ``Placement.CALICO``."""
    policy_index: int = -1
    """Index of the policy in its language's list in the cluster."""

    @property
    def policy(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped kinds)."""
        key = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind}/{key}"

    def selected(self, direction: Direction) -> BoolArray | None:
        """The classes selected for one direction."""
        return self.selected_in if direction is Direction.INGRESS else self.selected_out

    def selection(self) -> BoolArray | None:
        """The classes selected for either direction; None when it governs neither."""
        chosen = [s for s in (self.selected_in, self.selected_out) if s is not None]
        if not chosen:
            return None
        return chosen[0] | chosen[1] if len(chosen) == 2 else chosen[0]

    def rules(self, direction: Direction) -> list[CompiledRule]:
        """The rules of one direction."""
        return self.ingress if direction is Direction.INGRESS else self.egress


_pack_fields(CompiledRule, "subjects", "endpoints")
_pack_fields(CompiledPolicy, "selected_in", "selected_out")


@dataclass(eq=False)
class CompiledTier:
    """One tier: its policies and rules in evaluation order, and the classes they select."""

    name: str
    """The tier's name, for explanations."""
    end_deny: bool
    """Whether undecided traffic of selected classes is denied at the end of the tier."""
    policies: list[CompiledPolicy]
    """Its policies, in evaluation order."""
    ingress: list[CompiledRule]
    """Ingress rules, in order."""
    egress: list[CompiledRule]
    """Egress rules, in order."""
    selected_in: BoolArray
    """Classes some policy of the tier selects for ingress."""
    selected_out: BoolArray
    """Classes some policy of the tier selects for egress."""

    @property
    def allow_only(self) -> bool:
        """Whether every rule allows: the tier is a union, order does not matter."""
        return all(r.action is Action.ALLOW for r in self.ingress + self.egress)

    def rules(self, direction: Direction) -> list[CompiledRule]:
        """The rules of one direction."""
        return self.ingress if direction is Direction.INGRESS else self.egress

    def selected(self, direction: Direction) -> BoolArray:
        """The classes selected for one direction."""
        return self.selected_in if direction is Direction.INGRESS else self.selected_out


def make_tier(name: str, end_deny: bool, members: list[CompiledPolicy], count: int) -> CompiledTier:
    """A tier holding ``members`` in (order, tie-break) order."""
    # Kind and namespace last, so that no tie is broken by input order.
    members = sorted(members, key=lambda m: (m.order, m.tie_break, m.kind, m.namespace or ""))
    tier = CompiledTier(
        name, end_deny, members, [], [], np.zeros(count, np.bool_), np.zeros(count, np.bool_)
    )
    for m in members:
        tier.ingress.extend(m.ingress)
        tier.egress.extend(m.egress)
        if m.selected_in is not None:
            tier.selected_in |= m.selected_in
        if m.selected_out is not None:
            tier.selected_out |= m.selected_out
    return tier
