"""One direction's verdicts over its signatures, composed tier by tier.

Tiers are independent per value: what a tier decides for a value it is handed does not
depend on what earlier tiers did, only on whether they left the value undecided. So each
tier is walked over its own signatures (``tier_signatures``: a few dozen for an admin or
Calico guardrail tier) into an *outcome* per cell, the (allowed, decided) masks it would
give a cell nothing had decided yet. The direction's verdict is then the outcomes composed in
tier order, cell by cell, as small integer ids: a state (allowed, decided so far) met with an
outcome gives the next state. A tier whose own signatures are nearly as many as the
direction's (the default tier holding the Kubernetes policies) is walked directly over the
direction's cells, from the state the earlier tiers left.

Which rules take effect is exact too: a rule of a composed tier decides a value somewhere
when it decides it in a cell of the tier and some cell of the direction standing behind that
cell reached the tier with the value undecided. The tier is walked once more, from those
undecided values, to find them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.engine.evaluator import DirectionWalk
from netfence.engine.mask_table import MaskTable
from netfence.engine.signatures import (
    Signatures,
    peer_signatures,
    subject_signatures,
    tier_signatures,
)
from netfence.model.layers import RuleId
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies

IdArray = npt.NDArray[np.uint32]
Masks = npt.NDArray[np.uint64]

BLOCK_BYTES: Final = 48 * 1024 * 1024
"""Working memory for one block of destination columns."""

COMPOSE_SHARE: Final = 4
"""A tier is composed when its own cells are at most this share of the direction's."""

_UNKNOWN: Final = np.uint32(0xFFFFFFFF)


@dataclass
class _ComposedTier:
    """A tier walked over its own signatures: an outcome id per cell of the tier."""

    walk: DirectionWalk
    outcomes: IdArray
    """[tier rows, tier columns] ids into the outcome table."""
    row_of: npt.NDArray[np.intp]
    """The tier row standing for each row of the direction."""
    col_of: npt.NDArray[np.intp]
    """The tier column standing for each column of the direction."""
    compose: IdArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint32))
    """[state, outcome] -> the next state (``_UNKNOWN`` until met)."""
    reached: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.bool_))
    """[tier cell, decided id]: whether some cell of the direction standing behind the tier
    cell reached the tier with that decided mask, when rule effects are tracked."""


@dataclass
class _DirectTier:
    """A tier walked over the direction's own cells."""

    walk: DirectionWalk
    untouched: IdArray
    """Per subject, the outcome id of a cell no rule of the tier matches: everything
    denied when the tier ends in a deny and selects the subject, else nothing decided."""
    compose: IdArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint32))
    """[state, outcome] -> the next state (``_UNKNOWN`` until met)."""


def _axes(
    ingress: bool, subjects: Signatures, peers: Signatures
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(rows, columns) as signature indices of the representatives, in walk orientation."""
    if ingress:
        return peers.representatives, subjects.representatives
    return subjects.representatives, peers.representatives


class DirectionComposer:
    """Computes one direction's factor: ids [rows, columns] over the direction's signatures."""

    def __init__(
        self, compiled: CompiledPolicies, direction: Direction, effective: set[RuleId] | None
    ) -> None:
        self.compiled = compiled
        self.direction = direction
        self.effective = effective
        self.words = compiled.space.port_atoms.words
        self.subjects = subject_signatures(compiled, direction)
        self.peers = peer_signatures(compiled, direction)
        ingress = direction is Direction.INGRESS
        self.height = self.peers.count if ingress else self.subjects.count
        self.width = self.subjects.count if ingress else self.peers.count
        self.states = MaskTable(2 * self.words)
        self.outcomes = MaskTable(2 * self.words)
        # What a state has decided so far, as an id: far fewer than the states, so that which
        # (tier cell, decided mask) pairs a tier met is a small bitmap, not a set of pairs.
        self.decided = MaskTable(self.words)
        self._decided_of_state: IdArray = np.zeros(0, dtype=np.uint32)
        self.tiers: list[_ComposedTier | _DirectTier] = []
        for position, tier in enumerate(compiled.tiers):
            if not tier.rules(direction) and not tier.selected(direction).any():
                continue
            self.tiers.append(self._plan(position))

    def _plan(self, position: int) -> _ComposedTier | _DirectTier:
        ingress = self.direction is Direction.INGRESS
        subjects, peers = tier_signatures(self.compiled, position, self.direction)
        if subjects.count * peers.count * COMPOSE_SHARE > self.height * self.width:
            walk = DirectionWalk(
                self.compiled,
                self.direction,
                self.subjects.representatives,
                self.peers.representatives,
                only=(position,),
            )
            return _DirectTier(walk, self._untouched(position))
        walk = DirectionWalk(
            self.compiled,
            self.direction,
            subjects.representatives,
            peers.representatives,
            only=(position,),
        )
        outcomes = np.zeros((walk.height, walk.width), dtype=np.uint32)
        for start, stop in _column_blocks(walk.width, walk.height, self.words):
            allowed, decided = walk.run(start, stop)
            both = np.concatenate([allowed, decided], axis=-1)
            outcomes[:, start:stop] = self.outcomes.encode(both)
        subject_of = subjects.of[self.subjects.representatives]
        peer_of = peers.of[self.peers.representatives]
        row_of, col_of = (peer_of, subject_of) if ingress else (subject_of, peer_of)
        return _ComposedTier(walk, outcomes, row_of, col_of)

    def _untouched(self, position: int) -> IdArray:
        tier = self.compiled.tiers[position]
        full = self.compiled.space.port_atoms.full
        nothing = np.zeros(self.words, dtype=np.uint64)
        denied = self.outcomes.encode(np.concatenate([nothing, full])[np.newaxis, :])[0]
        selected = tier.selected(self.direction)[self.subjects.representatives]
        ends = selected if tier.end_deny else np.zeros_like(selected)
        return np.where(ends, denied, np.uint32(0)).astype(np.uint32)

    def blocks(self) -> list[tuple[int, int]]:
        """Column blocks bounded by ``BLOCK_BYTES`` of expanded state."""
        return _column_blocks(self.width, self.height, self.words)

    def verdict(self, start: int, stop: int) -> Masks:
        """Allowed masks [rows, columns start:stop, words] of the direction."""
        return self.allowed_of_states()[self.states_of(start, stop)]

    def verdict_ids(self, start: int, stop: int, table: MaskTable) -> IdArray:
        """Ids in ``table`` of the allowed masks [rows, columns start:stop]: each distinct
        walk state is encoded once, not each cell."""
        states = self.states_of(start, stop)
        return table.encode(self.allowed_of_states())[states]

    def states_of(self, start: int, stop: int) -> IdArray:
        """Walk state ids [rows, columns start:stop] after the last tier."""
        state = np.zeros((self.height, stop - start), dtype=np.uint32)
        for tier in self.tiers:
            if isinstance(tier, _ComposedTier):
                state = self._compose(tier, state, start, stop)
            else:
                state = self._direct(tier, state, start, stop)
        return state

    def allowed_of_states(self) -> Masks:
        """The allowed mask of every walk state [states, words]: what it allowed, and what
        no tier decided."""
        masks = self.states.stacked
        allowed = masks[:, : self.words] | (
            self.compiled.space.port_atoms.full & ~masks[:, self.words :]
        )
        return allowed

    def _direct(self, tier: _DirectTier, state: IdArray, start: int, stop: int) -> IdArray:
        if self.effective is None:
            return self._direct_outcome(tier, state, start, stop)
        # Effects need the walk from each cell's state; but a cell no rule matches ends as
        # the tier leaves an untouched cell (denied at its end, or passed on), which the
        # compose table gives by id: only the touched cells are encoded.
        stacked = self.states.stacked
        allowed = stacked[state, : self.words]
        decided = stacked[state, self.words :]
        touched = np.zeros(state.shape, dtype=np.bool_)
        allowed, decided = tier.walk.run(
            start, stop, self.effective, allowed, decided, touched=touched
        )
        after = self._next_states(tier, state, self._untouched_outcome(tier, state, start, stop))
        if touched.any():
            both = np.concatenate([allowed[touched], decided[touched]], axis=-1)
            after[touched] = self.states.encode(both)
        return after

    def _untouched_outcome(
        self, tier: _DirectTier, state: IdArray, start: int, stop: int
    ) -> IdArray:
        """The tier's outcome ids for cells no rule of it matches, over the block."""
        if self.direction is Direction.INGRESS:
            return np.broadcast_to(tier.untouched[start:stop], state.shape).copy()
        return np.broadcast_to(tier.untouched[:, np.newaxis], state.shape).copy()

    def _direct_outcome(self, tier: _DirectTier, state: IdArray, start: int, stop: int) -> IdArray:
        """The tier's outcome walked from nothing decided, composed with the state: only
        the cells some rule matches need their masks encoded."""
        touched = np.zeros(state.shape, dtype=np.bool_)
        allowed, decided = tier.walk.run(start, stop, touched=touched)
        outcome = self._untouched_outcome(tier, state, start, stop)
        if touched.any():
            both = np.concatenate([allowed[touched], decided[touched]], axis=-1)
            outcome[touched] = self.outcomes.encode(both)
        return self._next_states(tier, state, outcome)

    def _compose(self, tier: _ComposedTier, state: IdArray, start: int, stop: int) -> IdArray:
        rows = tier.row_of
        cols = tier.col_of[start:stop]
        outcome = tier.outcomes[rows[:, np.newaxis], cols[np.newaxis, :]]
        if self.effective is not None:
            self._note_reached(tier, rows, cols, state)
        return self._next_states(tier, state, outcome)

    def _note_reached(
        self,
        tier: _ComposedTier,
        rows: npt.NDArray[np.intp],
        cols: npt.NDArray[np.intp],
        state: IdArray,
    ) -> None:
        """Mark the (tier cell, decided mask) pairs the block's cells reach the tier with."""
        decided = self._decided_ids(state)
        cells = tier.outcomes.size
        known = len(self.decided.masks)
        if tier.reached.shape != (cells, known):
            grown = np.zeros((cells, known), dtype=np.bool_)
            grown[: tier.reached.shape[0], : tier.reached.shape[1]] = tier.reached
            tier.reached = grown
        cell = rows[:, np.newaxis] * tier.outcomes.shape[1] + cols[np.newaxis, :]
        tier.reached[cell, decided] = True

    def _decided_ids(self, state: IdArray) -> IdArray:
        """The id of each state's decided mask, in ``self.decided``."""
        count = len(self.states.masks)
        have = len(self._decided_of_state)
        if have < count:
            fresh = self.states.stacked[have:count, self.words :]
            self._decided_of_state = np.concatenate(
                [self._decided_of_state, self.decided.encode(fresh)]
            )
        return self._decided_of_state[state]

    def _next_states(
        self, tier: _ComposedTier | _DirectTier, state: IdArray, outcome: IdArray
    ) -> IdArray:
        table = tier.compose
        need = (len(self.states.masks), len(self.outcomes.masks))
        if table.shape[0] < need[0] or table.shape[1] < need[1]:
            grown = np.full(need, _UNKNOWN, dtype=np.uint32)
            grown[: table.shape[0], : table.shape[1]] = table
            tier.compose = table = grown
        found = table[state, outcome]
        missing = found == _UNKNOWN
        if missing.any():
            pairs = np.unique(
                state[missing].astype(np.uint64) << np.uint64(32)
                | outcome[missing].astype(np.uint64)
            )
            s = (pairs >> np.uint64(32)).astype(np.intp)
            o = (pairs & np.uint64(0xFFFFFFFF)).astype(np.intp)
            before = self.states.stacked[s]
            met = self.outcomes.stacked[o]
            w = self.words
            allowed = before[:, :w] | (met[:, :w] & ~before[:, w:])
            decided = before[:, w:] | met[:, w:]
            after = self.states.encode(np.concatenate([allowed, decided], axis=-1))
            if len(self.states.masks) > table.shape[0]:
                grown = np.full((len(self.states.masks), table.shape[1]), _UNKNOWN, dtype=np.uint32)
                grown[: table.shape[0]] = table
                tier.compose = table = grown
            table[s, o] = after
            found = table[state, outcome]
        return found

    def track_composed_effects(self) -> None:
        """Walk each composed tier again from the values its cells were reached with
        undecided, noting the rules that decide one of them."""
        if self.effective is None:
            return
        full = self.compiled.space.port_atoms.full
        w = self.words
        decided_masks = self.decided.stacked
        for tier in self.tiers:
            if not isinstance(tier, _ComposedTier) or not tier.reached.any():
                continue
            height, width = tier.outcomes.shape
            undecided = np.zeros((height * width, w), dtype=np.uint64)
            cells, ids = np.nonzero(tier.reached)
            np.bitwise_or.at(undecided, cells, full & ~decided_masks[ids])
            decided = (full & ~undecided).reshape(height, width, w)
            for start, stop in _column_blocks(width, height, w):
                part = np.ascontiguousarray(decided[:, start:stop])
                tier.walk.run(start, stop, self.effective, None, part)


def _column_blocks(width: int, height: int, words: int) -> list[tuple[int, int]]:
    """Blocks of columns whose working arrays (about six of [height, columns, words]
    uint64 masks) stay within ``BLOCK_BYTES``."""
    step = max(1, BLOCK_BYTES // max(1, 8 * 6 * words * height))
    return [(s, min(width, s + step)) for s in range(0, width, step)]
