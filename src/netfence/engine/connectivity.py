"""Connectivity between endpoint classes and external address atoms, vectorized.

A connection from S to D on a port is allowed when egress from S allows it and ingress to D
allows it. Each direction is decided by walking the compiled tiers in order (see
``_walk_tiers``); Kubernetes NetworkPolicy is one union tier in which a selected pod gets the
union of the rules of the policies selecting it, and a pod no policy selects is open.
External endpoints have no policies: their own side is always open.

The result holds, for every (source, destination) pair of classes and atoms, the id of its
allowed connection set; ids index a small table of distinct port-atom masks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import EndpointClasses
from netfence.engine.compiler import (
    BoolArray,
    CompiledPolicies,
    CompiledRule,
    CompiledTier,
    PolicyCompiler,
    compile_policies,
)
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.sets.atoms import Mask
from netfence.sets.ports import PortSet

IdArray = npt.NDArray[np.uint32]

BLOCK_BYTES: Final = 48 * 1024 * 1024
"""Working memory for one block of destination columns; bounds peak memory on big clusters."""


@dataclass
class ConnectivityMatrix:
    """Allowed connection sets between all classes and address atoms, as ids into ``masks``."""

    classes: EndpointClasses
    """The classes and atoms the matrix is indexed by."""
    table: MaskTable
    """Distinct connection sets as port-atom masks; id 0 is always the empty set."""
    pod_to_pod: IdArray
    """[source class, destination class]."""
    pod_to_ext: IdArray
    """[source class, destination address atom]."""
    ext_to_pod: IdArray
    """[source address atom, destination class]."""
    _portsets: dict[int, PortSet] = field(default_factory=dict)

    @property
    def masks(self) -> list[Mask]:
        """The masks, indexed by id."""
        return self.table.masks

    def portset(self, mask_id: int) -> PortSet:
        """The PortSet of a connection-set id."""
        found = self._portsets.get(mask_id)
        if found is None:
            found = self._portsets[mask_id] = self.classes.port_atoms.to_portset(
                self.masks[mask_id]
            )
        return found


class MaskTable:
    """Assigns ids to distinct masks, id 0 being the empty one."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.masks: list[Mask] = [np.zeros(words, dtype=np.uint64)]
        self.ids: dict[bytes, int] = {self.masks[0].tobytes(): 0}

    def encode(self, block: npt.NDArray[np.uint64]) -> IdArray:
        """Ids for an array of masks shaped (..., words)."""
        shape = block.shape[:-1]
        flat = np.ascontiguousarray(block.reshape(-1, self.words))
        if flat.shape[0] == 0:
            return np.zeros(shape, dtype=np.uint32)
        keys = flat.view(np.dtype((np.void, 8 * self.words))).reshape(-1)
        unique, inverse = np.unique(keys, return_inverse=True)
        local = np.empty(len(unique), dtype=np.uint32)
        for i, key in enumerate(unique):
            raw = key.tobytes()
            mask_id = self.ids.get(raw)
            if mask_id is None:
                mask_id = self.ids[raw] = len(self.masks)
                self.masks.append(np.frombuffer(raw, dtype=np.uint64).copy())
            local[i] = mask_id
        return local[inverse.reshape(-1)].reshape(shape)


def _walk_tiers(
    compiled: CompiledPolicies,
    direction: Direction,
    start: int,
    stop: int,
    rows: int,
    effective: set[int] | None = None,
) -> npt.NDArray[np.uint64]:
    """Allowed masks for one direction over a block of peer (egress) or subject (ingress)
    columns ``start:stop``: rows are peers for ingress, subject classes for egress.

    ``effective`` (when given) collects ``id()`` of each rule that decides or passes a bit.

    Tiers are walked in order. Within a tier, rules are walked in order and each bit of a cell
    is decided by the first rule that matches it (Allow, Deny) or handed to the next tier
    (Pass); at the end of a tier with ``end_deny``, undecided bits of the classes it selects
    are denied. Bits no tier decides are allowed (no policy selects the endpoint).
    """
    compiler = compiled.compiler
    words = compiled.classes.port_atoms.words
    full = compiled.classes.port_atoms.full
    width = stop - start
    ingress = direction is Direction.INGRESS
    allowed = np.zeros((rows, width, words), dtype=np.uint64)
    decided = np.zeros((rows, width, words), dtype=np.uint64)
    for tier in compiled.tiers:
        selected = tier.selected(direction)
        rules = tier.rules(direction)
        if not rules and (selected is None or not selected.any()):
            continue
        if tier.allow_only:
            # A union tier (Kubernetes NetworkPolicy): order does not matter.
            union = np.zeros_like(allowed)
            for rule in rules:
                cells = _cells(compiler, rule, ingress, start, stop)
                if cells is not None:
                    src, dst, masks = cells
                    view = _view(src, dst, union.shape[0])
                    union[view] |= masks
                    if effective is not None and (masks & ~decided[view]).any():
                        effective.add(id(rule))
            if tier.end_deny and selected is not None:
                chosen = _subject_slice(selected, ingress, start, stop)
                _apply_union(allowed, decided, union, chosen, ingress, full)
            else:
                allowed |= union & ~decided
                decided |= union
            continue
        passed = np.zeros_like(allowed)
        # Consecutive Allow rules commute: gather them into one union and apply it once
        # (the Kubernetes policies at order 1000 form one long run). Per-rule effect
        # tracking needs them one by one.
        run = _AllowRun(effective)
        for rule in rules:
            cells = _cells(compiler, rule, ingress, start, stop)
            if cells is None or rule.action is Action.LOG:
                continue
            src, dst, masks = cells
            if rule.action is Action.ALLOW:
                run.add(rule, src, dst, masks)
                continue
            run.apply(allowed, decided, passed)
            view = _view(src, dst, allowed.shape[0])
            fresh = masks & ~(decided[view] | passed[view])
            if effective is not None and fresh.any():
                effective.add(id(rule))
            if rule.action is Action.DENY:
                decided[view] |= fresh
            else:
                passed[view] |= fresh
        run.apply(allowed, decided, passed)
        if tier.end_deny and selected is not None:
            chosen = _subject_slice(selected, ingress, start, stop)
            if ingress:
                decided[:, chosen] |= full & ~passed[:, chosen]
            else:
                decided[chosen] |= full & ~passed[chosen]
    allowed |= full & ~decided
    return allowed


class _AllowRun:
    """Consecutive Allow rules of a tier, applied together.

    Allow rules commute with each other. A long run (the Kubernetes policies at order 1000
    in Calico's default tier) is cheaper as one union applied over the whole block; a short
    one is applied rule by rule, touching only its own cells.
    """

    LONG = 32
    """From this many rules on, one union over the block beats rule-by-rule updates."""

    def __init__(self, effective: set[int] | None) -> None:
        self.effective = effective
        self.cells: list[
            tuple[CompiledRule, npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.uint64]]
        ] = []

    def add(
        self,
        rule: CompiledRule,
        rows: npt.NDArray[np.intp],
        cols: npt.NDArray[np.intp],
        masks: npt.NDArray[np.uint64],
    ) -> None:
        """Add one Allow rule's cells."""
        self.cells.append((rule, rows, cols, masks))

    def apply(
        self,
        allowed: npt.NDArray[np.uint64],
        decided: npt.NDArray[np.uint64],
        passed: npt.NDArray[np.uint64],
    ) -> None:
        """Allow what the run matches and no earlier rule decided or passed; then reset.

        Rules that allow something are noted in ``effective`` (once known, not checked again).
        """
        if len(self.cells) >= self.LONG:
            union = np.zeros_like(allowed)
            for rule, rows, cols, masks in self.cells:
                view = _view(rows, cols, union.shape[0])
                union[view] |= masks
                if self.effective is not None and id(rule) not in self.effective:
                    if (masks & ~(decided[view] | passed[view])).any():
                        self.effective.add(id(rule))
            fresh = union & ~(decided | passed)
            allowed |= fresh
            decided |= fresh
        else:
            for rule, rows, cols, masks in self.cells:
                view = _view(rows, cols, allowed.shape[0])
                fresh = masks & ~(decided[view] | passed[view])
                if self.effective is not None and fresh.any():
                    self.effective.add(id(rule))
                allowed[view] |= fresh
                decided[view] |= fresh
        self.cells = []


def _subject_slice(
    selected: BoolArray, ingress: bool, start: int, stop: int
) -> npt.NDArray[np.intp]:
    """Indices, in the block's layout, of the selected subjects."""
    return np.flatnonzero(selected[start:stop] if ingress else selected)


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


def _view(rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp], height: int) -> Any:
    """An index for rows x cols; all rows as a slice, which numpy serves far faster."""
    if rows.size == height:
        return (slice(None), cols)
    return np.ix_(rows, cols)


def _cells(
    compiler: PolicyCompiler, rule: CompiledRule, ingress: bool, start: int, stop: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.uint64]] | None:
    """(rows, block columns, masks) of the cells a rule matches in the block."""
    subjects = rule.subjects
    if subjects is None:
        return None
    if ingress:
        rows = np.flatnonzero(rule.endpoints)
        cols = np.flatnonzero(subjects[start:stop])
    else:
        rows = np.flatnonzero(subjects)
        cols = np.flatnonzero(rule.endpoints[start:stop])
    if rows.size == 0 or cols.size == 0:
        return None
    masks = compiler.target_masks(rule, cols + start)[np.newaxis, :, :]
    return rows, cols, masks


def effective_rules(compiled: CompiledPolicies) -> set[int]:
    """``id()`` of every compiled rule that decides or passes at least one bit somewhere."""
    found: set[int] = set()
    compute_connectivity(compiled.classes, compiled, found)
    return found


def compute_connectivity(
    classes: EndpointClasses,
    compiled: CompiledPolicies | None = None,
    effective: set[int] | None = None,
) -> ConnectivityMatrix:
    """Allowed connection sets between every pair of classes and address atoms.

    ``effective`` (when given) collects ``id()`` of every rule that decides or passes a bit.
    """
    if compiled is None:
        compiled = compile_policies(classes)
    count, total = compiled.compiler.count, compiled.compiler.total
    words = classes.port_atoms.words
    table = MaskTable(words)
    pod_to_pod = np.zeros((count, count), dtype=np.uint32)
    ext_to_pod = np.zeros((total - count, count), dtype=np.uint32)
    pod_to_ext = np.zeros((count, total - count), dtype=np.uint32)
    block = max(1, BLOCK_BYTES // max(1, 8 * words * (total + count)))
    for start in range(0, count, block):
        stop = min(count, start + block)
        into = _walk_tiers(compiled, Direction.INGRESS, start, stop, total, effective)
        out = _walk_tiers(compiled, Direction.EGRESS, start, stop, count, effective)
        pod_to_pod[:, start:stop] = table.encode(out & into[:count])
        ext_to_pod[:, start:stop] = table.encode(into[count:])
        del into, out
    for start in range(count, total, block):
        stop = min(total, start + block)
        out = _walk_tiers(compiled, Direction.EGRESS, start, stop, count, effective)
        pod_to_ext[:, start - count : stop - count] = table.encode(out)
    return ConnectivityMatrix(classes, table, pod_to_pod, pod_to_ext, ext_to_pod)


__all__ = [
    "CompiledPolicies",
    "CompiledRule",
    "CompiledTier",
    "ConnectivityMatrix",
    "MaskTable",
    "PolicyCompiler",
    "compile_policies",
    "compute_connectivity",
    "effective_rules",
]
