"""The one evaluator of the layered rule model: a direction's verdict for many endpoints at
once (vectorized, for the map) or for one flow (for explain), over the same compiled tiers.

Tiers are walked in order. Within a tier, rules are walked in order and each value (port
atom) of a connection is decided by the first rule that matches it (Allow, Deny) or handed
to the next tier (Pass); Log rules decide nothing. At the end of a tier with ``end_deny``,
what is still undecided for a class the tier selects is denied (unless it was passed).
A tier whose rules all allow is a union: order does not matter in it. Values no tier
decides are allowed (no policy selects the endpoint for that direction).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from netfence.model.layers import Action, RuleId, RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies
from netfence.policy.masks import MaskBuilder
from netfence.policy.rules import CompiledPolicy, CompiledRule, CompiledTier
from netfence.policy.space import BoolArray
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet


class StepKind(enum.StrEnum):
    """What made a step's decision."""

    RULE = "rule"
    """A rule matched."""
    END_OF_TIER = "end-of-tier"
    """A tier that selects the endpoint denied what its rules left undecided."""
    DEFAULT = "default"
    """No tier decided: allowed."""


LAYER = "policy"
"""The name of the enforcement layer the pod policies form (firewalls will add others)."""


@dataclass(frozen=True)
class _RuleCells:
    """One rule over the walk's axes: the rows and (sorted) columns it matches."""

    rule: CompiledRule
    rows: npt.NDArray[np.intp]
    cols: npt.NDArray[np.intp]
    fixed: npt.NDArray[np.uint64] | None
    """The ports matched towards every column, shaped to broadcast over a block's cells, when
    they do not depend on the destination (no named ports): nothing to resolve per block."""


@dataclass
class _TierCells:
    """One tier over the walk's axes: the subjects it selects and its rules' cells."""

    tier: CompiledTier
    selected: npt.NDArray[np.intp]
    """The subjects the tier selects, as rows (egress) or columns (ingress)."""
    rules: list[_RuleCells]
    first_cols: npt.NDArray[np.intp] = field(init=False)
    """Each rule's first column."""
    last_cols: npt.NDArray[np.intp] = field(init=False)
    """Each rule's last column."""

    def __post_init__(self) -> None:
        self.first_cols = np.array([c.cols[0] for c in self.rules], dtype=np.intp)
        self.last_cols = np.array([c.cols[-1] for c in self.rules], dtype=np.intp)

    def rules_in(self, start: int, stop: int) -> list[_RuleCells]:
        """The rules, in order, whose columns reach into ``start:stop``: most rules of an
        ingress walk select pods of one namespace, which lie in few blocks."""
        inside = np.flatnonzero((self.first_cols < stop) & (self.last_cols >= start))
        return [self.rules[i] for i in inside]


@dataclass
class DirectionWalk:
    """One direction's walk laid out over two axes, ready to be run block by block.

    For egress, rows are subjects and columns peers; for ingress, rows are peers and columns
    subjects: columns are always the destination. An axis may stand for classes and atoms
    one by one, or for their signatures (``engine/signatures.py``): ``subjects`` and
    ``peers`` pick the endpoint that stands for each row or column, and ``targets`` the
    endpoint a column's named ports resolve on.
    """

    compiled: CompiledPolicies
    direction: Direction
    subjects: npt.NDArray[np.intp]
    """The class standing for each subject position."""
    peers: npt.NDArray[np.intp]
    """The endpoint (class, or address atom past the classes) standing for each peer."""
    only: tuple[int, ...] | None = None
    """The positions of the tiers to walk (all of them when None)."""
    tiers: list[_TierCells] = field(default_factory=list)

    def __post_init__(self) -> None:
        ingress = self.direction is Direction.INGRESS
        positions = range(len(self.compiled.tiers)) if self.only is None else self.only
        for position in positions:
            tier = self.compiled.tiers[position]
            cells = []
            for rule in tier.rules(self.direction):
                subjects = np.flatnonzero(rule.subjects[self.subjects])
                peers = np.flatnonzero(rule.endpoints[self.peers])
                if subjects.size and peers.size:
                    rows, cols = (peers, subjects) if ingress else (subjects, peers)
                    cells.append(_RuleCells(rule, rows, cols, _fixed_ports(rule)))
            selected = np.flatnonzero(tier.selected(self.direction)[self.subjects])
            self.tiers.append(_TierCells(tier, selected, cells))

    @property
    def ingress(self) -> bool:
        """Whether columns are subjects."""
        return self.direction is Direction.INGRESS

    @property
    def height(self) -> int:
        """Number of rows."""
        return len(self.peers if self.ingress else self.subjects)

    @property
    def width(self) -> int:
        """Number of columns."""
        return len(self.subjects if self.ingress else self.peers)

    @property
    def targets(self) -> npt.NDArray[np.intp]:
        """The endpoint a column's named ports resolve on."""
        return self.subjects if self.ingress else self.peers

    def block(
        self, start: int, stop: int, effective: set[RuleId] | None = None
    ) -> npt.NDArray[np.uint64]:
        """Allowed masks [rows, columns start:stop, words].

        ``effective`` (when given) collects the ids of the rules that decide or pass a bit.

        Tiers are walked in order. Within a tier, rules are walked in order and each bit of a
        cell is decided by the first rule that matches it (Allow, Deny) or handed to the next
        tier (Pass); at the end of a tier with ``end_deny``, undecided bits of the subjects it
        selects are denied. Bits no tier decides are allowed (no policy selects the endpoint).
        """
        allowed, decided = self.run(start, stop, effective)
        allowed |= self.compiled.space.port_atoms.full & ~decided
        return allowed

    def run(
        self,
        start: int,
        stop: int,
        effective: set[RuleId] | None = None,
        allowed: npt.NDArray[np.uint64] | None = None,
        decided: npt.NDArray[np.uint64] | None = None,
        touched: npt.NDArray[np.bool_] | None = None,
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """The tiers' outcome over columns ``start:stop``: (allowed, decided) masks, before
        what no tier decides is allowed. ``allowed`` and ``decided`` (updated in place) are
        what earlier tiers left; nothing by default. ``touched`` (when given, [rows,
        columns]) is set where some rule matches."""
        full = self.compiled.space.port_atoms.full
        words = self.compiled.space.port_atoms.words
        shape = (self.height, stop - start, words)
        if allowed is None:
            allowed = np.zeros(shape, dtype=np.uint64)
        if decided is None:
            decided = np.zeros(shape, dtype=np.uint64)
        for tier in self.tiers:
            chosen = self._chosen(tier.selected, start, stop)
            rules = [
                c for c in (self._cells(r, start, stop) for r in tier.rules_in(start, stop)) if c
            ]
            if touched is not None:
                for _, view, _ in rules:
                    touched[view] = True
            if not rules and not chosen.size:
                continue
            if tier.tier.allow_only:
                # A union tier (Kubernetes NetworkPolicy): order does not matter.
                union = np.zeros_like(allowed)
                for rule, view, masks in rules:
                    union[view] |= masks
                    if (
                        effective is not None
                        and rule.rule_id not in effective  # known: no need to look again
                        and (masks & ~decided[view]).any()
                    ):
                        effective.add(rule.rule_id)
                if tier.tier.end_deny:
                    _apply_union(allowed, decided, union, chosen, self.ingress, full)
                else:
                    allowed |= union & ~decided
                    decided |= union
                continue
            passed = np.zeros_like(allowed)
            # Consecutive Allow rules commute: gather them into one union and apply it once
            # (the Kubernetes policies at order 1000 form one long run).
            run = _AllowRun(effective)
            for rule, view, masks in rules:
                if rule.action is Action.LOG:
                    continue
                if rule.action is Action.ALLOW:
                    run.add(rule, view, masks)
                    continue
                run.apply(allowed, decided, passed)
                fresh = masks & ~(decided[view] | passed[view])
                if effective is not None and rule.rule_id not in effective and fresh.any():
                    effective.add(rule.rule_id)
                if rule.action is Action.DENY:
                    decided[view] |= fresh
                else:
                    passed[view] |= fresh
            run.apply(allowed, decided, passed)
            if tier.tier.end_deny:
                if self.ingress:
                    decided[:, chosen] |= full & ~passed[:, chosen]
                else:
                    decided[chosen] |= full & ~passed[chosen]
        return allowed, decided

    def _chosen(
        self, selected: npt.NDArray[np.intp], start: int, stop: int
    ) -> npt.NDArray[np.intp]:
        """The selected subjects in the block's layout."""
        if not self.ingress:
            return selected
        lo, hi = np.searchsorted(selected, (start, stop))
        return selected[lo:hi] - start

    def _cells(
        self, cells: _RuleCells, start: int, stop: int
    ) -> tuple[CompiledRule, Any, npt.NDArray[np.uint64]] | None:
        """(rule, index into the block, masks) of what the rule matches in the block."""
        lo, hi = cells.cols.searchsorted((start, stop))
        if lo == hi:
            return None
        cols = cells.cols[lo:hi]
        view = _view(cells.rows, cols - start, self.height)
        if cells.fixed is not None:
            return cells.rule, view, cells.fixed
        ports = self.compiled.masks.target_masks(cells.rule, self.targets[cols])
        return cells.rule, view, ports[np.newaxis, :, :]


class _AllowRun:
    """Consecutive Allow rules of a tier, applied together.

    Allow rules commute with each other. A long run (the Kubernetes policies at order 1000
    in Calico's default tier) is cheaper as one union applied over the whole block; a short
    one is applied rule by rule, touching only its own cells. When rules' effects are
    tracked, the run is always applied rule by rule: a rule takes effect when it allows what
    no earlier rule decided, which does not depend on how the walk is cut into blocks.
    """

    LONG = 32
    """From this many rules on, one union over the block beats rule-by-rule updates."""

    def __init__(self, effective: set[RuleId] | None) -> None:
        self.effective = effective
        self.cells: list[tuple[CompiledRule, Any, npt.NDArray[np.uint64]]] = []

    def add(self, rule: CompiledRule, view: Any, masks: npt.NDArray[np.uint64]) -> None:
        """Add one Allow rule's cells (``view`` indexes them in the block)."""
        self.cells.append((rule, view, masks))

    def apply(
        self,
        allowed: npt.NDArray[np.uint64],
        decided: npt.NDArray[np.uint64],
        passed: npt.NDArray[np.uint64],
    ) -> None:
        """Allow what the run matches and no earlier rule decided or passed; then reset."""
        if len(self.cells) >= self.LONG and self.effective is None:
            union = np.zeros_like(allowed)
            for _, view, masks in self.cells:
                union[view] |= masks
            fresh = union & ~(decided | passed)
            allowed |= fresh
            decided |= fresh
        else:
            for rule, view, masks in self.cells:
                fresh = masks & ~(decided[view] | passed[view])
                if (
                    self.effective is not None
                    and rule.rule_id not in self.effective
                    and fresh.any()
                ):
                    self.effective.add(rule.rule_id)
                allowed[view] |= fresh
                decided[view] |= fresh
        self.cells = []


def _apply_union(
    allowed: npt.NDArray[np.uint64],
    decided: npt.NDArray[np.uint64],
    union: npt.NDArray[np.uint64],
    chosen: npt.NDArray[np.intp],
    ingress: bool,
    full: Mask,
) -> None:
    """Selected subjects get the union of the tier's allows; the rest is denied."""
    if ingress:
        allowed[:, chosen] |= union[:, chosen] & ~decided[:, chosen]
        decided[:, chosen] = full
    else:
        allowed[chosen] |= union[chosen] & ~decided[chosen]
        decided[chosen] = full


def _fixed_ports(rule: CompiledRule) -> npt.NDArray[np.uint64] | None:
    """A rule's ports as [1, 1, words] when they are the same towards every destination."""
    if rule.named or rule.named_not:
        return None
    ports = rule.static if rule.static_not is None else rule.static & ~rule.static_not
    return np.ascontiguousarray(ports, dtype=np.uint64)[np.newaxis, np.newaxis, :]


def _view(rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp], height: int) -> Any:
    """An index for rows x cols; all rows as a slice, which numpy serves far faster."""
    if rows.size == height:
        return (slice(None), cols)
    return np.ix_(rows, cols)


# One flow ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowStep:
    """One decision of the walk for one flow."""

    kind: StepKind
    """What decided: a rule, a tier's end, or the default."""
    layer: str
    """The enforcement layer (``policy``: the pod's network policies)."""
    tier: str
    """The tier's name; empty for the default."""
    origin: RuleOrigin | None
    """The rule (with the peer and port entry that matched, where known); None for a
    tier's end-of-tier deny and for the default."""
    action: Action
    """What happened to ``ports``."""
    ports: Mask
    """The values this step decided, passed or (Log) recorded."""

    @property
    def what(self) -> str:
        """What decided, when no rule did: ``end of tier`` or ``no policy decided``."""
        if self.origin is not None:
            return str(self.origin)
        return "no policy decided" if self.kind is StepKind.DEFAULT else "end of tier"


@dataclass(frozen=True)
class FlowWalk:
    """One direction's verdict for one flow and the steps that led to it."""

    allowed: Mask
    """The values allowed."""
    steps: tuple[FlowStep, ...]
    """Every decision, in walk order."""
    selecting: tuple[CompiledPolicy, ...]
    """The policies that select the subject for this direction, in walk order."""


def walk_flow(
    compiled: CompiledPolicies,
    direction: Direction,
    subject: int | None,
    peer: int,
    target: int,
    asked: Mask,
    peer_addresses: IPRangeSet | None = None,
) -> FlowWalk:
    """Walk one direction for one flow through the compiled tiers.

    ``subject`` is the class whose policies decide (the source for egress, the destination
    for ingress), None for an external endpoint (nothing governs its side); ``peer`` the
    other end and ``target`` the destination, as endpoint indices (a class, or an address
    atom past the classes); ``asked`` the values asked about; ``peer_addresses`` the other
    end's concrete addresses (an address, or the pod's IPs), which name the address peer
    entry that matched, where atoms cannot tell a rule's address peers apart.
    """
    if subject is None:
        return FlowWalk(asked.copy(), (), ())
    masks = compiled.masks
    targets = np.array([target], dtype=np.intp)
    remaining = asked.copy()
    allowed = np.zeros_like(asked)
    steps: list[FlowStep] = []
    selecting: list[CompiledPolicy] = []
    for position, tier in enumerate(compiled.tiers):
        lookup = _tier_lookup(compiled, position, direction)
        selecting.extend(tier.policies[i] for i in np.flatnonzero(lookup.policies[subject]))
        selected = bool(tier.selected(direction)[subject])
        found = np.flatnonzero(lookup.subjects[subject] & lookup.endpoints[peer])
        rules = [tier.rules(direction)[i] for i in found]
        if not rules and not selected:
            continue
        if tier.allow_only:
            union = np.zeros_like(asked)
            for rule in rules:
                ports = masks.target_masks(rule, targets)[0] & remaining
                if ports.any():
                    union |= ports
                    steps.extend(
                        _rule_steps(masks, tier, rule, peer, peer_addresses, targets, ports)
                    )
            allowed |= union
            remaining &= ~union
            passed = np.zeros_like(asked)
        else:
            passed = np.zeros_like(asked)
            for rule in rules:
                ports = masks.target_masks(rule, targets)[0] & remaining & ~passed
                if not ports.any():
                    continue
                steps.extend(_rule_steps(masks, tier, rule, peer, peer_addresses, targets, ports))
                if rule.action is Action.ALLOW:
                    allowed |= ports
                    remaining &= ~ports
                elif rule.action is Action.DENY:
                    remaining &= ~ports
                elif rule.action is Action.PASS:
                    passed |= ports
        if tier.end_deny and selected:
            denied = remaining & ~passed
            if denied.any():
                steps.append(
                    FlowStep(StepKind.END_OF_TIER, LAYER, tier.name, None, Action.DENY, denied)
                )
            remaining &= passed
    if remaining.any():
        steps.append(FlowStep(StepKind.DEFAULT, LAYER, "", None, Action.ALLOW, remaining.copy()))
        allowed |= remaining
    return FlowWalk(allowed, tuple(steps), tuple(selecting))


def _peer_index(rule: CompiledRule, peer: int, peer_addresses: IPRangeSet | None) -> int | None:
    """The first peer entry of ``rule`` that matches the other end."""
    for i in range(len(rule.peers)):
        addresses = rule.peer_sets[i] if i < len(rule.peer_sets) else None
        if addresses is not None:
            if peer_addresses is not None and addresses & peer_addresses:
                return i
        elif rule.peers[i][peer]:
            return i
    return None


@dataclass(frozen=True)
class _TierLookup:
    """One tier's rules and policies of one direction as matrices, so that a one-flow walk
    finds the rules that apply to a subject and match a peer without a Python loop."""

    subjects: BoolArray
    """[class, rule]: whether the rule applies to the class."""
    endpoints: BoolArray
    """[endpoint, rule]: whether the rule matches the endpoint as a peer."""
    policies: BoolArray
    """[class, policy]: whether the policy selects the class for the direction."""


def _tier_lookup(compiled: CompiledPolicies, position: int, direction: Direction) -> _TierLookup:
    key = (position, direction)
    found = compiled.lookups.get(key)
    if isinstance(found, _TierLookup):
        return found
    tier = compiled.tiers[position]
    rules = tier.rules(direction)
    count, total = compiled.masks.count, compiled.masks.total
    none = np.zeros(count, dtype=np.bool_)

    def stack(columns: list[BoolArray], height: int) -> BoolArray:
        if not columns:
            return np.zeros((height, 0), dtype=np.bool_)
        return np.ascontiguousarray(np.stack(columns, axis=1))

    lookup = _TierLookup(
        stack([r.subjects for r in rules], count),
        stack([r.endpoints for r in rules], total),
        stack(
            [s if (s := p.selected(direction)) is not None else none for p in tier.policies],
            count,
        ),
    )
    compiled.lookups[key] = lookup
    return lookup


def _rule_steps(
    masks: MaskBuilder,
    tier: CompiledTier,
    rule: CompiledRule,
    peer: int,
    peer_addresses: IPRangeSet | None,
    targets: npt.NDArray[np.intp],
    ports: Mask,
) -> list[FlowStep]:
    """The steps of one rule deciding ``ports``: one per port entry that holds some of them
    (each value named by the first entry holding it), naming the first matching peer."""
    origin = rule.origin
    peer_index = _peer_index(rule, peer, peer_addresses)
    if peer_index is not None:
        located = rule.peer_locations[peer_index] or origin.location
        origin = replace(origin, peer_index=peer_index, location=located)
    if not rule.port_entries:
        return [FlowStep(StepKind.RULE, LAYER, tier.name, origin, rule.action, ports)]
    steps = []
    left = ports.copy()
    for k, entry in enumerate(rule.port_entries):
        values = np.broadcast_to(entry.static, (1, len(entry.static))).copy()
        masks.add_named(values, entry.named, targets)
        share = values[0] & left
        if share.any():
            steps.append(
                FlowStep(
                    StepKind.RULE,
                    LAYER,
                    tier.name,
                    replace(origin, port_index=k, location=entry.location or origin.location),
                    rule.action,
                    share,
                )
            )
            left &= ~share
    return steps
