"""Which rules and policies change nothing: everything they allow is allowed by others.

Within one direction, a rule is redundant when every (peer, selected pod, port) it allows is
also allowed by another rule of a policy selecting that pod; a policy is redundant when the
same holds for the union of its rules against other policies, and every pod it isolates is
isolated by another policy too. Removing one redundant item leaves connectivity unchanged;
two items that only cover each other are both reported, and only one may go.

A namespace default deny (an empty podSelector with a type it has no rules for) is never a
redundant policy: it stands for the pods created later, which no other policy need select.

Computed per block of destination columns with two bit planes, "covered once" and "covered
at least twice": an item is redundant when its bits all lie in the second plane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies
from netfence.policy.rules import CompiledRule

KUBERNETES: Final = "NetworkPolicy"
"""The kind Kubernetes NetworkPolicy rules are named by."""
BLOCK_BYTES: Final = 32 * 1024 * 1024
"""Working memory for one block of each bit plane."""

BoolArray = npt.NDArray[np.bool_]
Masks = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Redundancy:
    """Redundant rules and policies."""

    rules: tuple[CompiledRule, ...]
    """Rules whose every allowance another rule also grants."""
    policies: tuple[int, ...]
    """Indices of policies that another policy (or several) fully cover."""


@dataclass(frozen=True)
class _Extent:
    """Where a rule allows something: its source rows and destination columns, as indices of
    the pass's compressed rows and columns (see :func:`_extents`)."""

    rows: npt.NDArray[np.intp]
    """Compressed source rows, sorted."""
    columns: npt.NDArray[np.intp]
    """Compressed destination columns, sorted."""


def _extent(rule: CompiledRule) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(sources, destinations) of a rule's cells, as class or atom indices."""
    selected = rule.subjects  # a NetworkPolicy rule's subjects are its policy's selection
    if rule.direction is Direction.INGRESS:
        return np.flatnonzero(rule.endpoints), np.flatnonzero(selected)
    return np.flatnonzero(selected), np.flatnonzero(rule.endpoints)


class _Partition:
    """Positions split into blocks that every rule treats alike (partition refinement).

    Each refinement splits the blocks its members fall in, by a value per member (whether a
    rule covers it, and which ports it grants there); untouched blocks stay whole.
    """

    def __init__(self, size: int) -> None:
        self.labels = np.zeros(size, dtype=np.int64)
        self.next = 1

    def refine(self, members: npt.NDArray[np.intp], values: npt.NDArray[np.int64]) -> None:
        """Split by ``values`` (non-negative) on ``members``; non-members keep their block."""
        key = self.labels[members] * (int(values.max(initial=0)) + 1) + values
        _, fresh = np.unique(key, return_inverse=True)
        self.labels[members] = self.next + fresh.reshape(-1)
        self.next += int(fresh.max(initial=-1)) + 1

    def blocks(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(block of each position, numbered 0..n-1; one position standing for each block)."""
        _, first, block = np.unique(self.labels, return_index=True, return_inverse=True)
        return block.reshape(-1).astype(np.intp), first.astype(np.intp)


def _extents(
    compiled: CompiledPolicies, rules: list[CompiledRule]
) -> tuple[dict[int, _Extent], npt.NDArray[np.intp], int]:
    """Each rule's extent over compressed rows and columns (rules with no cell left out),
    one class or atom index standing for each compressed column, and the row count.

    The bit planes only need one cell per group of cells that every rule treats alike: rows
    that the same rules cover, columns that the same rules cover with the same ports (a
    named port may resolve differently per destination). Which rule or policy is covered
    twice is decided cell by cell, so it is the same over the groups as over the cells.
    """
    found = {i: _extent(rule) for i, rule in enumerate(rules)}
    found = {i: (src, dst) for i, (src, dst) in found.items() if src.size and dst.size}
    empty = np.zeros(0, dtype=np.intp)
    rows = np.unique(np.concatenate([src for src, _ in found.values()] or [empty]))
    columns = np.unique(np.concatenate([dst for _, dst in found.values()] or [empty]))
    at_row, at_column = _positions(rows), _positions(columns)
    members = {
        i: (at_row[src], at_column[dst], _port_values(compiled, rules[i], dst))
        for i, (src, dst) in found.items()
    }
    row_block, column_block = _blocks_by_signature(members, rows.size, columns.size)
    extents = _whole_extents(members, row_block, column_block)
    if extents is None:  # keys collided: refine, which is exact whatever the keys
        row_block, column_block = _blocks_by_refinement(members, rows.size, columns.size)
        extents = _whole_extents(members, row_block, column_block)
        assert extents is not None, "refinement gives groups every rule holds whole"
    _, standing = np.unique(column_block, return_index=True)
    return extents, columns[standing], int(row_block.max(initial=-1) + 1)


def _positions(values: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Where each of the sorted, distinct ``values`` stands: ``out[values[k]] == k``."""
    out = np.zeros(int(values[-1]) + 1 if values.size else 0, dtype=np.intp)
    out[values] = np.arange(values.size, dtype=np.intp)
    return out


_Members = dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.int64]]]
"""Per rule: its rows, its columns and a port value per column (positions, sorted)."""
_Blocks = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]
"""The group of each row and of each column, numbered from 0."""


def _signature_keys(count: int) -> npt.NDArray[np.uint64]:
    """One random 64-bit key per rule, the same on every run (a test replaces it to force
    collisions)."""
    return np.random.default_rng(0x5EED).integers(0, 2**64, size=count, dtype=np.uint64)


def _blocks_by_signature(members: _Members, rows: int, columns: int) -> _Blocks:
    """Rows and columns grouped by a sum of random keys of the rules covering them (weighted
    by the port value on columns): one sort in all, where refinement sorts once per rule.

    Sums of random keys may collide and put apart positions in one group, so the caller
    checks the groups with :func:`_whole_extents`.
    """
    keys = _signature_keys(len(members))
    row_sum = np.zeros(rows, dtype=np.uint64)
    column_sum = np.zeros(columns, dtype=np.uint64)
    for key, (src, dst, values) in zip(keys.tolist(), members.values(), strict=True):
        row_sum[src] += np.uint64(key)
        column_sum[dst] += np.uint64(key) * (2 * values.astype(np.uint64) + np.uint64(1))
    _, row_block = np.unique(row_sum, return_inverse=True)
    _, column_block = np.unique(column_sum, return_inverse=True)
    return row_block.reshape(-1).astype(np.intp), column_block.reshape(-1).astype(np.intp)


def _blocks_by_refinement(members: _Members, rows: int, columns: int) -> _Blocks:
    """The groups that every rule treats alike, by partition refinement: exact, one sort per
    rule."""
    row_parts, column_parts = _Partition(rows), _Partition(columns)
    for src, dst, values in members.values():
        row_parts.refine(src, np.zeros(src.size, dtype=np.int64))
        column_parts.refine(dst, values)
    return row_parts.blocks()[0], column_parts.blocks()[0]


def _whole_extents(
    members: _Members, row_block: npt.NDArray[np.intp], column_block: npt.NDArray[np.intp]
) -> dict[int, _Extent] | None:
    """Each rule's extent over the groups, or None unless every rule holds its row groups
    whole and its column groups whole, with one port value in each.

    Groups that pass are exactly the groups of refinement: no rule tells apart two positions
    of one group, and positions in different groups have different sums, so some rule tells
    them apart.
    """
    row_sizes, column_sizes = np.bincount(row_block), np.bincount(column_block)
    column_value = np.zeros(column_sizes.size, dtype=np.int64)
    extents = {}
    for i, (src, dst, values) in members.items():
        row_hits = _whole_groups(row_block[src], row_sizes)
        dst_blocks = column_block[dst]
        column_hits = _whole_groups(dst_blocks, column_sizes)
        if row_hits is None or column_hits is None:
            return None
        column_value[dst_blocks] = values
        if not np.array_equal(column_value[dst_blocks], values):
            return None
        extents[i] = _Extent(row_hits, column_hits)
    return extents


def _whole_groups(
    blocks: npt.NDArray[np.intp], sizes: npt.NDArray[np.intp]
) -> npt.NDArray[np.intp] | None:
    """The groups ``blocks`` fall in, sorted, if it holds each of them whole; else None."""
    counts = np.bincount(blocks, minlength=sizes.size)
    hit = np.flatnonzero(counts)
    return hit if np.array_equal(counts[hit], sizes[hit]) else None


def _port_values(
    compiled: CompiledPolicies, rule: CompiledRule, targets: npt.NDArray[np.intp]
) -> npt.NDArray[np.int64]:
    """One number per target for the ports the rule grants there: all alike unless a named
    port (allowed or excluded) resolves per destination."""
    if not rule.named and not rule.named_not:
        return np.zeros(targets.size, dtype=np.int64)
    masks = np.ascontiguousarray(compiled.masks.target_masks(rule, targets))
    keys = masks.view(np.dtype((np.void, masks.shape[1] * 8))).reshape(-1)
    _, values = np.unique(keys, return_inverse=True)
    return values.reshape(-1).astype(np.int64)


def _direction(
    compiled: CompiledPolicies, direction: Direction, rules: list[CompiledRule]
) -> tuple[set[int], set[int]]:
    """Rules (by position in ``rules``) and policies that are NOT redundant in one direction.

    A rule that allows nothing anywhere (a named port that resolves nowhere, peers that match
    nothing) counts as needed here: it is vacuous, which other checks report.
    """
    compiler = compiled.masks
    words = compiled.space.port_atoms.words
    extents, column_index, rows = _extents(compiled, rules)
    columns = column_index.size
    needed_rules: set[int] = set()
    needed_policies: set[int] = set()
    effective: set[int] = set()
    block = max(1, BLOCK_BYTES // max(1, 8 * words * rows))
    by_policy: dict[int, list[int]] = {}
    for i in extents:
        by_policy.setdefault(rules[i].policy_index, []).append(i)

    def cells_in(
        i: int, start: int, stop: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None:
        extent = extents[i]
        low, high = np.searchsorted(extent.columns, (start, stop))
        if low == high:
            return None
        return extent.rows, extent.columns[low:high] - start

    def contribution(
        rule: CompiledRule, dst: npt.NDArray[np.intp], start: int
    ) -> npt.NDArray[np.uint64]:
        return compiler.target_masks(rule, column_index[dst + start])[np.newaxis, :, :]

    for start in range(0, columns, block):
        stop = min(columns, start + block)
        shape = (rows, stop - start, words)
        once_r, twice_r = np.zeros(shape, np.uint64), np.zeros(shape, np.uint64)
        once_p, twice_p = np.zeros(shape, np.uint64), np.zeros(shape, np.uint64)
        cells: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Masks]] = {}
        for members in by_policy.values():
            mine = []
            for i in members:
                found = cells_in(i, start, stop)
                if found is None:
                    continue
                src, dst = found
                m = contribution(rules[i], dst, start)
                if not m.any():
                    continue
                effective.add(i)
                cells[i] = (src, dst, m)
                mine.append(i)
                view = np.ix_(src, dst)
                twice_r[view] |= once_r[view] & m
                once_r[view] |= m
            if not mine:
                continue
            # The policy's union, over just the rows and columns its rules touch.
            rows_u = np.unique(np.concatenate([cells[i][0] for i in mine]))
            cols_u = np.unique(np.concatenate([cells[i][1] for i in mine]))
            union = np.zeros((rows_u.size, cols_u.size, words), np.uint64)
            for i in mine:
                src, dst, m = cells[i]
                union[np.ix_(np.searchsorted(rows_u, src), np.searchsorted(cols_u, dst))] |= m
            view = np.ix_(rows_u, cols_u)
            twice_p[view] |= once_p[view] & union
            once_p[view] |= union
        for i, (src, dst, m) in cells.items():
            view = np.ix_(src, dst)
            if (m & ~twice_r[view]).any():
                needed_rules.add(i)
            if rules[i].policy_index not in needed_policies and (m & ~twice_p[view]).any():
                needed_policies.add(rules[i].policy_index)
    needed_rules |= set(range(len(rules))) - effective
    return needed_rules, needed_policies


def find_redundancy(compiled: CompiledPolicies, cluster_policies: int) -> Redundancy:
    """Redundant rules (with effect today) and redundant policies (that select some pod)."""
    redundant_rules: list[CompiledRule] = []
    needed_policies: set[int] = set()
    isolating: dict[Direction, npt.NDArray[np.int32]] = {}
    for direction, rules in (
        (Direction.INGRESS, compiled.kubernetes_rules(Direction.INGRESS)),
        (Direction.EGRESS, compiled.kubernetes_rules(Direction.EGRESS)),
    ):
        needed_rules, needed = _direction(compiled, direction, rules)
        needed_policies |= needed
        for i, rule in enumerate(rules):
            if i not in needed_rules:
                redundant_rules.append(rule)
        counts = np.zeros(compiled.space.count, dtype=np.int32)
        for p in range(cluster_policies):
            if _has_type(compiled, p, direction):
                counts += compiled.selected[p]
        isolating[direction] = counts
    redundant_policies = []
    for p in range(cluster_policies):
        selected = compiled.selected[p]
        if p in needed_policies or not selected.any() or is_default_deny(compiled, p):
            continue
        # Removing the policy must not un-isolate any pod it isolates.
        if all(
            (isolating[d][selected] >= 2).all()
            for d in (Direction.INGRESS, Direction.EGRESS)
            if _has_type(compiled, p, d)
        ):
            redundant_policies.append(p)
    return Redundancy(tuple(redundant_rules), tuple(redundant_policies))


def find_redundant_allows(compiled: CompiledPolicies) -> tuple[CompiledRule, ...]:
    """Calico and admin Allow rules that the other Allow rules of their run cover.

    A run is a maximal sequence of Allow rules of one tier and direction with no Deny or
    Pass between them (Log rules decide nothing, so they do not end a run). Allow rules of a
    run commute: what one of them allows, removed, is allowed by another at the same point of
    the walk. Kubernetes NetworkPolicy rules take part as coverers, but are judged by
    :func:`find_redundancy` (their own union tier).
    """
    out: list[CompiledRule] = []
    for tier in compiled.tiers:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            run: list[CompiledRule] = []
            for rule in [*tier.rules(direction), None]:
                if rule is not None and rule.action is Action.LOG:
                    continue
                if rule is not None and rule.action is Action.ALLOW:
                    run.append(rule)
                    continue
                if len(run) > 1 and any(r.origin.kind != KUBERNETES for r in run):
                    needed, _ = _direction(compiled, direction, run)
                    out.extend(
                        r
                        for i, r in enumerate(run)
                        if i not in needed and r.origin.kind != KUBERNETES
                    )
                run = []
    return tuple(out)


def is_default_deny(compiled: CompiledPolicies, p: int) -> bool:
    """Whether NetworkPolicy ``p`` is a namespace default deny: an empty podSelector with a
    policy type it has no rules for. It is never redundant: it isolates the pods created
    later, which no other policy may select, so removing it changes what a new pod may do
    (and NF004/NF005 would report its absence)."""
    policy = compiled.space.cluster.policies[p]
    return policy.pod_selector.selects_all and any(not policy.rules(d) for d in policy.policy_types)


def _has_type(compiled: CompiledPolicies, p: int, direction: Direction) -> bool:
    return direction in compiled.space.cluster.policies[p].policy_types
