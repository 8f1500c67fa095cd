"""Exact, vectorized first-match evaluation of firewall layers over one shared space.

The space has three dimensions, each split into the classes no rule or required flow can
tell apart:

- sources: address atoms of every rule's sources and every flow's sources;
- destinations: address atoms of every rule's and flow's addresses (and of what the
  resolver says listed names resolve to), then the name classes of ``engine.names``;
- services: port atoms grouped by which service sets hold them.

A layer's rules of one direction are walked once, in order, over the grid of cells
(source class x destination class x service class). Each rule touches only its own block
of the grid (``np.ix_`` over its classes), so the cost follows the rules' sizes. Per cell
the walk records the deciding rule (the first that surely matches, or the default), the
first rule of each action that *may* match before it (a rule netfence cannot decide for
that cell), and, for redundancy, the rule that would decide were the winner removed.

What "may match" means:

- a rule with ``undecidable`` reasons may match every cell of its match;
- unexpanded ``source_tags`` or destination ``tags`` may hold any source or destination
  outside the rule's own addresses, but for the names a tag is documented to cover
  (``tag_covers``), which it matches surely;
- a name meets a rule's addresses only through what it resolves to. A rule whose
  addresses are every IPv4 and IPv6 address matches every name. Otherwise, with no
  :class:`Resolver` (or one that does not know the name), the cell is undecided; a listed
  name whose addresses all lie in the rule's matches, none of them does not, some of them
  is undecided. Wildcard classes stand for names never resolved: undecided.
- the reverse does not hold: a flow known by its address alone carries no name, so a rule
  that matches names only (an application rule) never matches it.

A cell is *undecided* only when a rule that may match it, before its decider, has the other
action: if it matched, the verdict would differ. Undecided cells are counted apart, never as
allowed or denied.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from netfence.engine.names import NameClasses, NameClassKind
from netfence.model.firewall import (
    Destinations,
    FirewallLayer,
    FirewallRule,
    RequiredFlow,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.sets.atoms import IPAtoms, PortAtoms
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet

Grid = npt.NDArray[np.int32]
"""Per cell (source class, destination class, service class), a rule index or a marker."""
Cells = npt.NDArray[np.bool_]
"""A set of cells of the grid."""
Index = npt.NDArray[np.intp]
"""Class indices along one dimension."""
Block = tuple[Index, Index, Index]
"""The classes of a block of the grid along each dimension."""

NONE: Final = -1
"""No rule: the default decides (or, for the other grids, nothing recorded)."""

_DENY, _ALLOW, _UNDECIDED = 0, 1, 2


class Verdict(enum.StrEnum):
    """What a layer does with a flow."""

    ALLOW = "Allow"
    """Let through."""
    DENY = "Deny"
    """Blocked."""
    UNDECIDED = "Undecided"
    """netfence cannot tell: a rule it cannot evaluate may match with the other action."""


_VERDICTS: Final = (Verdict.DENY, Verdict.ALLOW, Verdict.UNDECIDED)


NameBound = Callable[[str], IPRangeSet | None]
"""For a name or a ``*.`` pattern, addresses all its names are known to lie within; None
when nothing is known."""


class Resolver(Protocol):
    """What names resolve to: a DNS answer file, a real resolver, service-tag data."""

    def addresses(self, name: str) -> IPRangeSet | None:
        """Every address ``name`` resolves to; None when not known."""
        ...


def _code(action: Action) -> int:
    if action is Action.ALLOW:
        return _ALLOW
    if action is Action.DENY:
        return _DENY
    raise ValueError(f"a firewall rule's action is Allow or Deny, not {action.value}")


@dataclass(frozen=True)
class MaybeRule:
    """A rule that may match a flow, and why netfence cannot tell."""

    rule: int
    """Its index in ``FirewallLayer.rules``."""
    reason: str
    """What is not known (an unmodelled match, an unexpanded tag, an unresolved name)."""


@dataclass(frozen=True)
class LayerDecision:
    """A layer's verdict on one flow, and the rules behind it."""

    layer: int
    """The layer's index in the space."""
    verdict: Verdict
    """Allow, Deny, or Undecided."""
    rule: int | None
    """The first rule that surely matches (index in ``FirewallLayer.rules``); None when
    the default decides."""
    action: Action
    """What that rule (or the default) does."""
    undecided_by: tuple[MaybeRule, ...] = ()
    """Earlier rules of the other action that may match: the verdict is undecided by them."""
    possibly_by: tuple[MaybeRule, ...] = ()
    """Earlier rules of the same action that may match: the verdict stands, but one of them,
    not ``rule``, may be what decides."""


@dataclass(frozen=True)
class PathDecision:
    """The verdict of several layers in order on one flow."""

    verdict: Verdict
    """Deny when a layer denies, else Undecided when one is undecided, else Allow."""
    deciding: LayerDecision | None
    """The first layer that denies, or the first undecided one, or the last that allows;
    None for an empty path (which allows)."""
    decisions: tuple[LayerDecision, ...]
    """Each layer's decision, in path order."""


class _Dimension:
    """Indices of the destination dimension: address atoms first, then name classes."""

    def __init__(self, atoms: IPAtoms, names: NameClasses) -> None:
        self.atoms = atoms
        self.names = names
        self.address_count = len(atoms)
        self.size = len(atoms) + len(names)


class Match(enum.Enum):
    """How a rule matches a block of cells."""

    SURE = "sure"
    """It matches every flow of the cells."""
    MAYBE = "maybe"
    """It may: an unmodelled condition or an unexpanded tag decides."""
    THROUGH = "through"
    """It may, through what names resolve to: a name meets its addresses. Whether it does
    follows the rule's address cells, so shadowing looks at those alone."""


@dataclass(frozen=True)
class RuleCells:
    """A rule's classes along each dimension: where it surely matches and where it may."""

    sources: Cells
    """Source classes inside the rule's sources."""
    maybe_sources: Cells
    """Other source classes its unexpanded source tags may hold."""
    destinations: Cells
    """Destination classes it surely matches: its address atoms, the names of its
    patterns, and names meeting its addresses (every address, or all resolved inside)."""
    maybe_names: Cells
    """Name classes that may meet its addresses (not resolved, or resolved across them)."""
    maybe_tagged: Cells
    """Other destination classes its unexpanded destination tags may hold."""
    services: Cells
    """Service classes inside its services."""
    undecidable: bool
    """Whether it matches on something the model cannot express: every match is maybe."""

    def boxes(self) -> list[tuple[Match, Block]]:
        """Disjoint (kind of match, (sources, destinations, services)) blocks of the rule."""
        services = np.flatnonzero(self.services)
        sure = Match.MAYBE if self.undecidable else Match.SURE
        parts = [
            (sure, self.sources, self.destinations),
            (Match.MAYBE, self.sources, self.maybe_tagged),
            (Match.MAYBE, self.maybe_sources, self.destinations | self.maybe_tagged),
            (Match.THROUGH, self.sources | self.maybe_sources, self.maybe_names),
        ]
        out: list[tuple[Match, Block]] = []
        for kind, src, dst in parts:
            s, d = np.flatnonzero(src), np.flatnonzero(dst)
            if len(s) and len(d) and len(services):
                out.append((kind, (s, d, services)))
        return out

    def status(self, s: int, d: int, p: int) -> int:
        """1 when the rule surely matches the cell, 0 when it may, -1 when it does not."""
        if not self.services[p]:
            return -1
        in_src, maybe_src = bool(self.sources[s]), bool(self.maybe_sources[s])
        in_dst = bool(self.destinations[d])
        maybe_dst = bool(self.maybe_names[d] or self.maybe_tagged[d])
        if not (in_src or maybe_src) or not (in_dst or maybe_dst):
            return -1
        return 1 if in_src and in_dst and not self.undecidable else 0


@dataclass
class LayerEvaluation:
    """The first-match walk of one layer's rules of one direction over every cell."""

    layer: int
    """The layer's index in the space."""
    direction: TrafficDirection
    """The direction walked."""
    rules: tuple[int, ...]
    """The rules walked (indices in ``FirewallLayer.rules``), in order."""
    default: Action
    """The layer's default for the direction."""
    decider: Grid
    """The first rule that surely matches each cell; ``NONE`` for the default."""
    first_maybe: dict[Action, Grid]
    """Per action, the first rule of it that may match the cell before its decider."""
    runner_up: Grid
    """After the decider, the first rule that surely matches (its index), or that may match
    with the other action (``-2 - index``); ``NONE`` when the default would decide."""
    verdict: npt.NDArray[np.int8]
    """0 deny, 1 allow, 2 undecided, per cell."""
    actions: npt.NDArray[np.int8]
    """Per rule of the layer (both directions), 0 deny or 1 allow; one more entry, so that
    indexing with ``NONE`` stays in bounds (its value is never used)."""
    _by_verdict: dict[Verdict, Cells] = field(default_factory=dict)
    reach: dict[int, dict[Match, int]] = field(default_factory=dict)
    """Per rule and kind of match, how many cells it matches with no rule before it surely
    matching (for ``SURE``: the cells it decides)."""

    def verdict_cells(self, verdict: Verdict) -> Cells:
        """The cells with ``verdict`` (computed once per verdict)."""
        if verdict not in self._by_verdict:
            self._by_verdict[verdict] = self.verdict == _VERDICTS.index(verdict)
        return self._by_verdict[verdict]


@dataclass(frozen=True)
class RuleStanding:
    """Whether a rule ever decides anything, and whether it changes any verdict."""

    layer: int
    """The layer's index in the space."""
    rule: int
    """Its index in ``FirewallLayer.rules``."""
    shadowed: bool
    """It decides nothing: earlier rules decide every flow it matches (or it matches none)."""
    covering: tuple[int, ...] = ()
    """For a shadowed rule, the earlier rules that decide the flows it matches."""
    different_action: tuple[int, ...] = ()
    """Those of ``covering`` whose action differs from its own (a likely mistake)."""
    redundant: bool = False
    """It decides some flows, but removing it changes no verdict: the rules after it (or
    the default) would decide the same."""


class Region:
    """A set of cells of the space (within one direction), with its projections.

    Held either as a mask over the whole grid or, for what one rule decides, as a mask
    over the rule's block alone, so that a region per rule costs the rule's size.
    """

    def __init__(self, space: FirewallSpace, cells: Cells, block: Block | None = None) -> None:
        self.space = space
        """The space the cells belong to."""
        self._cells = cells
        self._block = block

    @property
    def cells(self) -> Cells:
        """Which cells (sources x destinations x services), over the whole grid."""
        if self._block is None:
            return self._cells
        full = np.zeros(self.space.shape, dtype=np.bool_)
        full[np.ix_(*self._block)] = self._cells
        return full

    def __bool__(self) -> bool:
        return bool(self._cells.any())

    def __and__(self, other: Region) -> Region:
        return Region(self.space, self.cells & other.cells)

    def __or__(self, other: Region) -> Region:
        return Region(self.space, self.cells | other.cells)

    def __sub__(self, other: Region) -> Region:
        return Region(self.space, self.cells & ~other.cells)

    def _used(self, dimension: int) -> Index:
        """The classes along ``dimension`` (0 sources, 1 destinations, 2 services) of
        some cell."""
        others = tuple(a for a in range(3) if a != dimension)
        used = self._cells.any(axis=others)
        if self._block is None:
            return np.flatnonzero(used)
        return self._block[dimension][used]

    def sources(self) -> IPRangeSet:
        """Every source address of some cell."""
        return self.space.source_atoms.range_set(self._used(0).tolist())

    def addresses(self) -> IPRangeSet:
        """Every destination address of some cell (flows known by address)."""
        used = self._used(1)
        count = self.space.destination.address_count
        return self.space.destination.atoms.range_set(used[used < count].tolist())

    def names(self) -> tuple[str, ...]:
        """The name patterns of the cells' name classes (a wildcard for the names under it
        that no narrower pattern lists)."""
        used = self._used(1)
        count = self.space.destination.address_count
        return self.space.destination.names.describe((used[used >= count] - count).tolist())

    def services(self) -> PortSet:
        """Every protocol and port of some cell."""
        return self.space.services_of(self._used(2).tolist())


@dataclass(frozen=True)
class FlowCheck:
    """What a layer does with a required flow, over every part of it."""

    flow: RequiredFlow
    """The flow."""
    layer: int
    """The layer's index in the space."""
    verdict: Verdict
    """Deny when some part is blocked, else Undecided when some part is, else Allow."""
    rules: tuple[int | None, ...]
    """The rules deciding the verdict's parts (the blocking ones for Deny, the allowing
    ones for Allow), None for the default."""
    undecided_by: tuple[int, ...]
    """Rules that leave parts of the flow undecided."""
    blocked: Region
    """The parts denied."""
    undecided: Region
    """The parts undecided."""


@dataclass(frozen=True)
class PathCheck:
    """What several layers in order do with a required flow."""

    flow: RequiredFlow
    """The flow."""
    verdict: Verdict
    """Deny when some part is blocked by some layer, else Undecided when some part is, else
    Allow."""
    checks: tuple[FlowCheck, ...]
    """Each layer's check, in path order."""
    blocking: tuple[tuple[int, int | None], ...]
    """(layer, rule or None for its default) that first blocks some part of the flow."""


class FirewallSpace:
    """Firewall layers and required flows over one shared, exactly partitioned space."""

    def __init__(
        self,
        layers: Sequence[FirewallLayer],
        flows: Sequence[RequiredFlow],
        resolver: Resolver | None,
        sources: Sequence[IPRangeSet],
        tag_covers: Mapping[str, DomainPatternSet],
        name_bound: NameBound | None = None,
    ) -> None:
        self.layers = tuple(layers)
        """The layers, by index."""
        self.flows = tuple(flows)
        """The required flows the space was built for."""
        self.resolver = resolver
        """Where listed names' addresses come from, if anywhere."""
        self.tag_covers = dict(tag_covers)
        """Per service tag, the names it is documented to cover: a rule on the tag matches
        them surely, whether or not the tag's ranges are known."""
        rules = [r for layer in layers for r in layer.rules]
        patterns = [p for d in _destinations(rules, flows) for p in d.names.patterns]
        patterns.extend(p for names in self.tag_covers.values() for p in names.patterns)
        names = NameClasses(patterns)
        self.resolved: dict[int, IPRangeSet | None] = {}
        """Per exact name class, what the resolver says it resolves to (None: unknown)."""
        if resolver is not None:
            for index, name_class in enumerate(names.classes):
                if name_class.kind is NameClassKind.EXACT:
                    # Empty: the name resolves to nothing, so no flow reaches it.
                    self.resolved[index] = resolver.addresses(name_class.representative)
        self._impossible: Cells | None = None
        self.bounded: set[int] = set()
        """Name classes whose addresses are known only to lie within a bound (a public
        endpoint's addresses are public), not resolved."""
        if name_bound is not None:
            for index, name_class in enumerate(names.classes):
                known = self.resolved.get(index) is not None
                bound = None if known else name_bound(name_class.pattern)
                if bound:
                    self.resolved[index] = bound
                    self.bounded.add(index)
        self.source_atoms = IPAtoms(
            [
                *(r.match.sources for r in rules),
                *(f.sources for f in flows if f.sources is not None),
                *sources,
            ]
        )
        """The source classes."""
        destination_sets = [d.addresses for d in _destinations(rules, flows)]
        destination_sets.extend(a for a in self.resolved.values() if a is not None)
        self.destination = _Dimension(IPAtoms(destination_sets), names)
        """The destination classes: address atoms, then name classes."""
        self._index_resolved()
        self._build_services([r.match.services for r in rules] + [f.services for f in flows])
        self._source_masks: dict[IPRangeSet, Cells] = {}
        self._address_masks: dict[IPRangeSet, Cells] = {}
        self._name_rule_masks: dict[tuple[int, TrafficDirection], tuple[Cells, Cells, Cells]] = {}
        self._name_masks: dict[DomainPatternSet, Cells] = {}
        self._service_masks: dict[PortSet, Cells] = {}
        self._cells: dict[tuple[int, int], RuleCells] = {}
        self._evaluations: dict[tuple[int, TrafficDirection], LayerEvaluation] = {}

    @classmethod
    def build(
        cls,
        layers: Sequence[FirewallLayer],
        flows: Sequence[RequiredFlow] = (),
        *,
        resolver: Resolver | None = None,
        sources: Iterable[IPRangeSet] = (),
        tag_covers: Mapping[str, DomainPatternSet] | None = None,
        name_bound: NameBound | None = None,
    ) -> FirewallSpace:
        """The space of ``layers`` and ``flows``; ``sources`` adds address sets queries will
        restrict to (the cluster's addresses), so they are unions of source classes;
        ``tag_covers`` gives, per service tag, the names it is documented to cover (the Arc
        catalog says ``MicrosoftContainerRegistry`` covers ``mcr.microsoft.com``);
        ``name_bound`` gives, for a name or pattern the resolver cannot answer, addresses its
        names are known to lie within (a rule holding all of them matches surely, one
        holding none of them does not)."""
        return cls(layers, flows, resolver, list(sources), tag_covers or {}, name_bound)

    # Dimensions ------------------------------------------------------------------------

    def _build_services(self, sets: list[PortSet]) -> None:
        unique = list(dict.fromkeys(sets))
        spans = [(p, lo, hi) for s in unique for p in s.protocols() for lo, hi in s.ports(p)]
        self.port_atoms = PortAtoms.collect(spans)
        """The port atoms the service classes group."""
        count = len(self.port_atoms.atoms)
        member = np.zeros((len(unique), count), dtype=np.bool_)
        for row, ports in enumerate(unique):
            member[row] = _bits(self.port_atoms.mask_of_portset(ports), count)
        _, first, inverse = np.unique(member.T, axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(first), dtype=np.intp)
        rank[order] = np.arange(len(first))
        self._atom_class: npt.NDArray[np.intp] = rank[inverse.reshape(-1)]
        self.service_count = len(first)
        """How many service classes."""

    def services_of(self, classes: Iterable[int]) -> PortSet:
        """The protocols and ports of the given service classes."""
        wanted = np.zeros(self.service_count, dtype=np.bool_)
        wanted[np.fromiter(classes, dtype=np.intp)] = True
        atoms = np.flatnonzero(wanted[self._atom_class])
        return self.port_atoms.to_portset(self.port_atoms.mask_of_atoms(atoms.tolist()))

    def service_mask(self, ports: PortSet) -> Cells:
        """The service classes of a set the space was built with (or any union of them)."""
        if ports not in self._service_masks:
            bits = _bits(self.port_atoms.mask_of_portset(ports), len(self.port_atoms.atoms))
            mask = np.zeros(self.service_count, dtype=np.bool_)
            mask[self._atom_class[bits]] = True
            self._service_masks[ports] = mask
        return self._service_masks[ports]

    def source_mask(self, addresses: IPRangeSet) -> Cells:
        """The source classes inside ``addresses`` (a set the space was built with)."""
        if addresses not in self._source_masks:
            self._source_masks[addresses] = self.source_atoms.atoms_in(addresses)
        return self._source_masks[addresses]

    def address_mask(self, addresses: IPRangeSet) -> Cells:
        """The destination classes (over the whole dimension) inside ``addresses``."""
        if addresses not in self._address_masks:
            mask = np.zeros(self.destination.size, dtype=np.bool_)
            mask[: self.destination.address_count] = self.destination.atoms.atoms_in(addresses)
            self._address_masks[addresses] = mask
        return self._address_masks[addresses]

    def name_mask(self, names: DomainPatternSet) -> Cells:
        """The destination classes (over the whole dimension) of the names in ``names``."""
        if names not in self._name_masks:
            mask = np.zeros(self.destination.size, dtype=np.bool_)
            mask[self.destination.address_count :] = self.destination.names.mask(names)
            self._name_masks[names] = mask
        return self._name_masks[names]

    def destination_of(self, destination: str) -> int:
        """The destination class of an address or a name."""
        try:
            ipaddress.ip_address(destination)
        except ValueError:
            return self.destination.address_count + self.destination.names.class_of(destination)
        return self.destination.atoms.atom_of(destination)

    def service_of(self, protocol: str, port: int) -> int:
        """The service class of one protocol value (a port, an ICMP type*256+code, a
        protocol number for OTHER)."""
        return int(self._atom_class[self.port_atoms.atom_of(protocol, port)])

    @property
    def shape(self) -> tuple[int, int, int]:
        """(source classes, destination classes, service classes)."""
        return (len(self.source_atoms), self.destination.size, self.service_count)

    # Rules -------------------------------------------------------------------------------

    def rule_cells(self, layer: int, rule: int) -> RuleCells:
        """Where one rule surely and maybe matches, along each dimension."""
        key = (layer, rule)
        if key not in self._cells:
            self._cells[key] = self._compute_cells(self.layers[layer].rules[rule])
        return self._cells[key]

    def _compute_cells(self, rule: FirewallRule) -> RuleCells:
        match = rule.match
        sources = self.source_mask(match.sources)
        maybe_sources = ~sources if match.source_tags else np.zeros_like(sources)
        destinations = self.address_mask(match.destinations.addresses) | self.name_mask(
            match.destinations.names
        )
        for tag in match.destinations.tags:
            if tag in self.tag_covers:
                destinations = destinations | self.name_mask(self.tag_covers[tag])
        maybe_names = np.zeros_like(destinations)
        families = _source_families(match.sources, bool(match.source_tags))
        self._meet_names(match.destinations.addresses, destinations, maybe_names, families)
        known = destinations | maybe_names
        maybe_tagged = ~known if match.destinations.tags else np.zeros_like(known)
        return RuleCells(
            sources=sources,
            maybe_sources=maybe_sources,
            destinations=destinations,
            maybe_names=maybe_names,
            maybe_tagged=maybe_tagged,
            services=self.service_mask(match.services),
            undecidable=bool(rule.undecidable),
        )

    def _meet_names(
        self, addresses: IPRangeSet, sure: Cells, maybe: Cells, families: IPRangeSet
    ) -> None:
        """Mark the name classes an address rule matches (sure) or may match (maybe): all
        of a resolved name's addresses inside is sure, none is no match, else maybe.

        Only the addresses of the families the rule's sources have count (``families``): a
        rule from IPv4 sources sees IPv4 packets, which reach a name at its A records."""
        if not addresses:
            return
        count = self.destination.address_count
        if addresses == IPRangeSet.everything() or addresses == families:
            sure[count:] = True
            return
        open_names = ~sure[count:]
        inside = self.address_mask(addresses)[self._resolved_columns]
        relevant = self._resolved_atoms & self.address_mask(families)[self._resolved_columns]
        held = (relevant & inside).sum(axis=1)
        reachable = relevant.sum(axis=1)
        # A name without an address of the rule's families is one its packets never reach.
        all_in = self._resolved_known & (held == reachable) & (reachable > 0)
        none_in = self._resolved_known & (held == 0)
        sure[count:] |= open_names & all_in
        maybe[count:] |= open_names & ~all_in & ~none_in

    def _index_resolved(self) -> None:
        """Per name class, the address atoms it resolves to, over the atoms some name
        resolves to (so that meeting a rule's addresses is one small matrix product)."""
        names = len(self.destination.names)
        rows = np.zeros((names, self.destination.address_count), dtype=np.bool_)
        self._resolved_known: Cells = np.zeros(names, dtype=np.bool_)
        for index, addresses in self.resolved.items():
            if addresses is not None:
                rows[index] = self.destination.atoms.atoms_in(addresses)
                self._resolved_known[index] = True
        self._resolved_columns: Index = np.flatnonzero(rows.any(axis=0))
        self._resolved_atoms: Cells = rows[:, self._resolved_columns]

    def maybe_reason(self, layer: int, rule: int, source: int, destination: int) -> str:
        """Why netfence cannot tell whether ``rule`` matches a cell it may match."""
        firewall_rule = self.layers[layer].rules[rule]
        cells = self.rule_cells(layer, rule)
        if firewall_rule.undecidable:
            return (
                f"it matches on {', '.join(firewall_rule.undecidable)}, which netfence cannot model"
            )
        if not cells.sources[source]:
            return f"its source tags {', '.join(firewall_rule.match.source_tags)} are not expanded"
        if cells.maybe_names[destination]:
            return self._name_reason(destination - self.destination.address_count)
        return f"its destination tags {', '.join(firewall_rule.match.destinations.tags)} are not expanded"

    def _name_reason(self, name_class: int) -> str:
        described = self.destination.names.classes[name_class]
        if described.kind is not NameClassKind.EXACT and name_class not in self.bounded:
            return (
                f"it matches addresses, and names {described.pattern} are never resolved: "
                "netfence cannot tell which addresses they reach"
            )
        name = described.pattern
        if name_class in self.bounded:
            return (
                f"it matches some public addresses, and {name} is known only to be a public"
                " endpoint: netfence cannot tell which of them it reaches without --resolver"
                " (or, for service tags, --service-tags)"
            )
        if self.resolver is None:
            return (
                f"it matches addresses, and {name} reaches addresses only as resolved: no resolver"
            )
        if self.resolved.get(name_class) is None:
            return f"it matches addresses, and the resolver does not know {name}"
        return f"it matches some of {name}'s addresses, not all"

    # The walk ----------------------------------------------------------------------------

    def evaluation(self, layer: int, direction: TrafficDirection) -> LayerEvaluation:
        """The walk of ``layer``'s rules of ``direction`` (computed once)."""
        key = (layer, direction)
        if key not in self._evaluations:
            self._evaluations[key] = self._walk(layer, direction)
        return self._evaluations[key]

    def _walk(self, layer: int, direction: TrafficDirection) -> LayerEvaluation:
        firewall = self.layers[layer]
        order = tuple(i for i, r in enumerate(firewall.rules) if r.direction is direction)
        actions = np.array([_code(r.action) for r in firewall.rules] + [0], dtype=np.int8)
        shape = self.shape
        ev = LayerEvaluation(
            layer=layer,
            direction=direction,
            rules=order,
            default=firewall.default(direction),
            decider=np.full(shape, NONE, dtype=np.int32),
            first_maybe={
                a: np.full(shape, NONE, dtype=np.int32) for a in (Action.ALLOW, Action.DENY)
            },
            runner_up=np.full(shape, NONE, dtype=np.int32),
            verdict=np.zeros(shape, dtype=np.int8),
            actions=actions,
        )
        for index in order:
            action = firewall.rules[index].action
            reach = dict.fromkeys(Match, 0)
            for kind, block in self.rule_cells(layer, index).boxes():
                flat = _flat(block, shape)
                if kind is Match.SURE:
                    reach[kind] += _step_sure(ev, flat, index)
                else:
                    reach[kind] += _step_maybe(ev, flat, index, action)
            ev.reach[index] = reach
        default = _code(ev.default)
        decided = np.where(ev.decider >= 0, actions[ev.decider], np.int8(default))
        opposite = np.where(
            decided == _ALLOW, ev.first_maybe[Action.DENY] >= 0, ev.first_maybe[Action.ALLOW] >= 0
        )
        ev.verdict = np.where(opposite, np.int8(_UNDECIDED), decided).astype(np.int8)
        return ev

    # Queries -----------------------------------------------------------------------------

    def decide(
        self,
        layer: int,
        direction: TrafficDirection,
        source: str,
        destination: str,
        protocol: str,
        port: int,
    ) -> LayerDecision:
        """The layer's verdict on one flow: a source address, a destination address or name,
        a protocol and its value. A name the space was not built with stands for its class
        (the names under the same wildcards)."""
        cell = (
            self.source_atoms.atom_of(source),
            self.destination_of(destination),
            self.service_of(protocol, port),
        )
        return self.decide_cell(layer, direction, cell)

    def decide_cell(
        self, layer: int, direction: TrafficDirection, cell: tuple[int, int, int]
    ) -> LayerDecision:
        """The layer's verdict on one cell, with the rules that may match before it."""
        ev = self.evaluation(layer, direction)
        rule = int(ev.decider[cell])
        firewall = self.layers[layer]
        action = firewall.rules[rule].action if rule >= 0 else ev.default
        undecided: list[MaybeRule] = []
        possibly: list[MaybeRule] = []
        for index in ev.rules:
            if index == rule:
                break
            if self.rule_cells(layer, index).status(*cell) == 0:
                maybe = MaybeRule(index, self.maybe_reason(layer, index, cell[0], cell[1]))
                (possibly if firewall.rules[index].action is action else undecided).append(maybe)
        return LayerDecision(
            layer=layer,
            verdict=_VERDICTS[int(ev.verdict[cell])],
            rule=rule if rule >= 0 else None,
            action=action,
            undecided_by=tuple(undecided),
            possibly_by=tuple(possibly),
        )

    def decide_path(
        self,
        layers: Sequence[int],
        direction: TrafficDirection,
        source: str,
        destination: str,
        protocol: str,
        port: int,
    ) -> PathDecision:
        """Several layers in order on one flow: allowed when every one allows."""
        decisions = tuple(
            self.decide(i, direction, source, destination, protocol, port) for i in layers
        )
        return combine_path(decisions)

    def everything(self) -> Region:
        """Every cell."""
        return Region(self, np.ones(self.shape, dtype=np.bool_))

    def box(self, sources: Cells, destinations: Cells, services: Cells) -> Region:
        """The cells of the product of class masks along each dimension."""
        return Region(self, sources[:, None, None] & destinations[None, :, None] & services)

    def permitted(
        self, layer: int, direction: TrafficDirection, sources: IPRangeSet | None = None
    ) -> Region:
        """The cells the layer surely allows, within ``sources`` (every source when None;
        else a set the space was built with)."""
        ev = self.evaluation(layer, direction)
        cells = ev.verdict_cells(Verdict.ALLOW)
        if sources is not None:
            cells = cells & self.source_mask(sources)[:, None, None]
        return Region(self, cells)

    def undecided(self, layer: int, direction: TrafficDirection) -> Region:
        """The cells whose verdict netfence cannot tell."""
        return Region(self, self.evaluation(layer, direction).verdict_cells(Verdict.UNDECIDED))

    def rule_match(self, layer: int, rule: int) -> Region:
        """The cells a rule surely matches (whatever rules come before it)."""
        cells = np.zeros(self.shape, dtype=np.bool_)
        for kind, block in self.rule_cells(layer, rule).boxes():
            if kind is Match.SURE:
                cells[np.ix_(*block)] = True
        return Region(self, cells)

    def decided_by(
        self, layer: int, rule: int, allowed_only: bool = False, minus: Cells | None = None
    ) -> Region:
        """The cells a rule decides: it surely matches them and no rule before it does;
        with ``allowed_only``, those whose verdict is Allow (no earlier rule may deny
        them); less ``minus``. Held on the rule's block."""
        direction = self.layers[layer].rules[rule].direction
        ev = self.evaluation(layer, direction)
        for kind, block in self.rule_cells(layer, rule).boxes():
            if kind is Match.SURE:
                flat = _flat(block, self.shape)
                cells = ev.decider.reshape(-1)[flat] == rule
                if allowed_only:
                    cells &= ev.verdict.reshape(-1)[flat] == _ALLOW
                if minus is not None:
                    cells &= ~minus.reshape(-1)[flat]
                return Region(self, cells.reshape([len(b) for b in block]), block)
        return Region(self, np.zeros(self.shape, dtype=np.bool_))

    def standing(self, layer: int, rule: int) -> RuleStanding:
        """Whether ``rule`` is shadowed (and by what) or redundant.

        Shadowing looks at the cells the rule matches surely or maybe, not at names meeting
        its addresses: a name reaches one of its addresses, and an earlier rule that surely
        matches that address matches the name's flow too. Redundancy is claimed only when
        sure: no maybe cell of the rule is open, and no later rule of the other action
        matches names that could reach the rule's addresses.
        """
        firewall = self.layers[layer]
        own = firewall.rules[rule]
        ev = self.evaluation(layer, own.direction)
        reach = ev.reach[rule]
        boxes: list[tuple[Match, Block]] = [
            (k, b) for k, b in self.rule_cells(layer, rule).boxes() if k is not Match.THROUGH
        ]
        if reach[Match.SURE] + reach[Match.MAYBE] == 0:
            covering = sorted(
                {int(v) for _, block in boxes for v in np.unique(ev.decider[np.ix_(*block)])}
            )
            return RuleStanding(
                layer,
                rule,
                shadowed=True,
                covering=tuple(covering),
                different_action=tuple(
                    c for c in covering if firewall.rules[c].action is not own.action
                ),
            )
        redundant = (
            reach[Match.MAYBE] == 0
            and self._same_after(ev, rule, boxes)
            and (reach[Match.THROUGH] == 0 or not self._names_after(ev, rule))
        )
        return RuleStanding(layer, rule, shadowed=False, redundant=redundant)

    def _same_after(self, ev: LayerEvaluation, rule: int, boxes: list[tuple[Match, Block]]) -> bool:
        """Whether every cell ``rule`` decides would get the same verdict from the rule
        after it that surely matches (or the default), with no rule of the other action
        that may match in between."""
        firewall = self.layers[ev.layer]
        action = firewall.rules[rule].action
        for kind, block in boxes:
            if kind is not Match.SURE:
                continue
            flat = _flat(block, self.shape)
            decided = ev.decider.reshape(-1)[flat] == rule
            runners = np.unique(ev.runner_up.reshape(-1)[flat[decided]])
            for runner in runners.tolist():
                if runner <= -2:
                    return False
                next_action = ev.default if runner == NONE else firewall.rules[runner].action
                if next_action is not action:
                    return False
        return True

    def _names_after(self, ev: LayerEvaluation, rule: int) -> bool:
        """Whether a later rule of the other action matches names on the rule's sources and
        services: removing the rule could hand such a name's flow, at one of the rule's
        addresses, to it."""
        names, sources, services = self._name_rules(ev)
        position = ev.rules.index(rule)
        own = self.rule_cells(ev.layer, rule)
        later = np.arange(len(ev.rules)) > position
        other = ev.actions[np.array(ev.rules, dtype=np.intp)] != ev.actions[rule]
        candidates = np.flatnonzero(later & other & names)
        if not len(candidates):
            return False
        meets = (sources[candidates] & (own.sources | own.maybe_sources)).any(axis=1) & (
            services[candidates] & own.services
        ).any(axis=1)
        return bool(meets.any())

    def _name_rules(self, ev: LayerEvaluation) -> tuple[Cells, Cells, Cells]:
        """Per rule walked, in order: whether it matches names by pattern or tag, its
        sources (sure or maybe), its services."""
        key = (ev.layer, ev.direction)
        if key not in self._name_rule_masks:
            count = self.destination.address_count
            cells = [self.rule_cells(ev.layer, r) for r in ev.rules]
            rows = len(cells)
            self._name_rule_masks[key] = (
                np.array([(c.destinations | c.maybe_tagged)[count:].any() for c in cells], bool),
                np.array([c.sources | c.maybe_sources for c in cells], bool).reshape(
                    rows, len(self.source_atoms)
                ),
                np.array([c.services for c in cells], bool).reshape(rows, self.service_count),
            )
        return self._name_rule_masks[key]

    def standings(self, layer: int) -> list[RuleStanding]:
        """The standing of every rule of a layer, in order."""
        return [self.standing(layer, i) for i in range(len(self.layers[layer].rules))]

    # Required flows ----------------------------------------------------------------------

    def flow_region(self, flow: RequiredFlow, cluster_sources: IPRangeSet | None = None) -> Region:
        """The cells of a required flow: its sources (or the cluster's, or every source),
        its destination addresses and names, its services. Unexpanded tags are not cells."""
        sources = flow.sources if flow.sources is not None else cluster_sources
        origin = IPRangeSet.everything() if sources is None else sources
        services = self.service_mask(flow.services)
        names = self.name_mask(flow.destinations.names)
        cells = np.zeros(self.shape, dtype=np.bool_)
        # A packet has one family: sources of each family reach destinations of the same
        # (and names at their addresses of that family, when the resolver gives them).
        for whole in _FAMILIES:
            destinations = self.address_mask(flow.destinations.addresses & whole) | (
                names & ~self._names_without(whole)
            )
            cells |= self.box(self.source_mask(origin & whole), destinations, services).cells
        return Region(self, cells)

    def impossible(self) -> Cells:
        """The cells no packet is: a source of one family with a destination address of the
        other, or with a name the resolver answers with no address of the source's family."""
        if self._impossible is None:
            cells = np.zeros(self.shape, dtype=np.bool_)
            everything = np.ones(self.service_count, dtype=np.bool_)
            for whole, other in (_FAMILIES, _FAMILIES[::-1]):
                sources = self.source_mask(whole)
                destinations = self.address_mask(other) | self._names_without(whole)
                cells |= self.box(sources, destinations, everything).cells
            self._impossible = cells
        return self._impossible

    def _names_without(self, family: IPRangeSet) -> Cells:
        """The name classes the resolver answers with no address of ``family``."""
        mask = np.zeros(self.destination.size, dtype=np.bool_)
        count = self.destination.address_count
        for index, addresses in self.resolved.items():
            if addresses is not None and not addresses & family:
                mask[count + index] = True
        return mask

    def check_flow(
        self, flow: RequiredFlow, layer: int, cluster_sources: IPRangeSet | None = None
    ) -> FlowCheck:
        """What ``layer`` does with every part of ``flow``."""
        region = self.flow_region(flow, cluster_sources).cells
        ev = self.evaluation(layer, flow.direction)
        blocked = region & ev.verdict_cells(Verdict.DENY)
        undecided = region & ev.verdict_cells(Verdict.UNDECIDED)
        allowed = region & ev.verdict_cells(Verdict.ALLOW)
        if blocked.any():
            verdict, deciding = Verdict.DENY, blocked
        elif undecided.any():
            verdict, deciding = Verdict.UNDECIDED, np.zeros_like(region)
        else:
            verdict, deciding = Verdict.ALLOW, allowed
        return FlowCheck(
            flow=flow,
            layer=layer,
            verdict=verdict,
            rules=tuple(None if r < 0 else r for r in np.unique(ev.decider[deciding]).tolist()),
            undecided_by=tuple(sorted(_opposite_of(ev, undecided))),
            blocked=Region(self, blocked),
            undecided=Region(self, undecided),
        )

    def check_path(
        self, flow: RequiredFlow, layers: Sequence[int], cluster_sources: IPRangeSet | None = None
    ) -> PathCheck:
        """What several layers in order do with ``flow``: a part is blocked when a layer
        denies it, named by the first layer that does."""
        checks = tuple(self.check_flow(flow, i, cluster_sources) for i in layers)
        still = self.flow_region(flow, cluster_sources).cells.copy()
        blocking: set[tuple[int, int | None]] = set()
        undecided = np.zeros_like(still)
        for check in checks:
            ev = self.evaluation(check.layer, flow.direction)
            first = still & check.blocked.cells
            for r in np.unique(ev.decider[first]).tolist():
                blocking.add((check.layer, None if r < 0 else r))
            still &= ~first
            undecided |= check.undecided.cells
        if blocking:
            verdict = Verdict.DENY
        elif (undecided & still).any():
            verdict = Verdict.UNDECIDED
        else:
            verdict = Verdict.ALLOW
        return PathCheck(flow, verdict, checks, tuple(sorted(blocking, key=_blocking_key)))


_FAMILIES: Final = (IPRangeSet.whole_family(4), IPRangeSet.whole_family(6))
"""Every IPv4 address, every IPv6 address."""


def _source_families(sources: IPRangeSet, tagged: bool) -> IPRangeSet:
    """Every address of the families a rule's sources hold (both when unexpanded source
    tags may hold either): the destinations its packets can have."""
    if tagged:
        return IPRangeSet.everything()
    return IPRangeSet.union_of(
        whole for version, whole in zip((4, 6), _FAMILIES, strict=True) if sources.family(version)
    )


def combine_path(decisions: Sequence[LayerDecision]) -> PathDecision:
    """The path's verdict from its layers' decisions, in order."""
    for decision in decisions:
        if decision.verdict is Verdict.DENY:
            return PathDecision(Verdict.DENY, decision, tuple(decisions))
    for decision in decisions:
        if decision.verdict is Verdict.UNDECIDED:
            return PathDecision(Verdict.UNDECIDED, decision, tuple(decisions))
    last = decisions[-1] if decisions else None
    return PathDecision(Verdict.ALLOW, last, tuple(decisions))


def _blocking_key(item: tuple[int, int | None]) -> tuple[int, int]:
    return (item[0], -1 if item[1] is None else item[1])


def _opposite_of(ev: LayerEvaluation, cells: Cells) -> set[int]:
    """The rules that make ``cells`` undecided: those that may match before the decider
    with the other action than the decider's (or the default's)."""
    decider = ev.decider[cells]
    decided = np.where(decider >= 0, ev.actions[decider], np.int8(_code(ev.default)))
    deny_maybe = ev.first_maybe[Action.DENY][cells]
    allow_maybe = ev.first_maybe[Action.ALLOW][cells]
    makers = np.where(decided == _ALLOW, deny_maybe, allow_maybe)
    return {int(v) for v in np.unique(makers[makers >= 0])}


def _flat(block: Block, shape: tuple[int, int, int]) -> Index:
    """The positions of a block's cells in the flattened grid: one gather and one scatter
    per grid then cost less than indexing the three dimensions apart."""
    sources, destinations, services = block
    rows = (sources[:, None] * shape[1] + destinations[None, :]) * shape[2]
    flat: Index = (rows[:, :, None] + services[None, None, :]).reshape(-1)
    return flat


def _step_sure(ev: LayerEvaluation, flat: Index, rule: int) -> int:
    """One sure block: decide the cells still open, note the runner-up of decided ones."""
    deciders, runners = ev.decider.reshape(-1), ev.runner_up.reshape(-1)
    decider = deciders[flat]
    unset = decider < 0
    fill = ~unset
    fill &= runners[flat] == NONE
    if fill.any():
        runners[flat[fill]] = rule
    opened = flat[unset]
    deciders[opened] = rule
    return len(opened)


def _step_maybe(ev: LayerEvaluation, flat: Index, rule: int, action: Action) -> int:
    """One maybe block: note it as first maybe of its action on open cells, and as an
    undecided runner-up where it has the other action than the decider."""
    deciders, runners = ev.decider.reshape(-1), ev.runner_up.reshape(-1)
    firsts = ev.first_maybe[action].reshape(-1)
    decider = deciders[flat]
    unset = decider < 0
    mark = unset & (firsts[flat] < 0)
    if mark.any():
        firsts[flat[mark]] = rule
    fill = ~unset & (runners[flat] == NONE) & (ev.actions[decider] != _code(action))
    if fill.any():
        runners[flat[fill]] = -2 - rule
    return int(unset.sum())


def _bits(mask: npt.NDArray[np.uint64], count: int) -> Cells:
    """A word mask of ``PortAtoms`` as one boolean per atom."""
    little = mask.astype("<u8").view(np.uint8)
    return np.unpackbits(little, bitorder="little")[:count].astype(np.bool_)


def _destinations(
    rules: Sequence[FirewallRule], flows: Sequence[RequiredFlow]
) -> list[Destinations]:
    """Every destination the rules and flows name."""
    return [*(r.match.destinations for r in rules), *(f.destinations for f in flows)]
