"""The connectivity map grouped by behaviour, and its pairs produced a block at a time.

In-cluster groups are pods that no policy tells apart: the engine's classes of one namespace
whose policy signatures (what selects them, and what they are selected by as peers, in each
direction) are the same, which makes their rows and columns of the matrix the same. External
groups are address atoms that every group treats alike. A connection says that every source group
it lists may reach every destination group it lists on ``allowed``; a group to itself means
its pods may reach each other (never a pod itself), so a group of one pod never lists itself
(unless that pod stands for a workload's replicas). The size of this form grows with the
number of distinct behaviours, not with pods squared.

Everything is computed from the class matrix a block of source classes at a time, so what is
held is bounded by the distinct rows (at most classes plus atoms of them), never all pairs.
The pair form (``iter_pairs``) is produced the same way and yielded as it is found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.analyses.connectivity_map import Granularity, endpoint_units, meet_rows
from netfence.engine.classes import build_classes
from netfence.engine.connectivity import (
    ConnectivityMatrix,
    IdArray,
    compile_policies,
    compute_connectivity,
)
from netfence.model.cluster import Cluster, Pod
from netfence.policy.layering import CompiledPolicies
from netfence.sets.ipranges import AddressTerm, IPRangeSet
from netfence.sets.ports import PortSet

BLOCK_BYTES: Final = 64 * 1024 * 1024
"""Working memory for one block of source rows (ids, their masks and digests)."""


@dataclass(frozen=True)
class PolicyRef:
    """A policy that selects a group."""

    kind: str
    """The policy's kind (``NetworkPolicy``, ``GlobalNetworkPolicy``, ...)."""
    namespace: str | None
    """Its namespace; None for cluster-scoped kinds."""
    name: str
    """Its name."""


@dataclass(frozen=True)
class GroupMember:
    """One endpoint of a group at the chosen granularity."""

    name: str
    """``namespace/name`` of the pod or workload."""
    kind: str
    """The workload kind, or ``Pod``."""
    pods: int
    """How many of its pods are in the group."""
    replicated: bool = False
    """Whether it stands for a workload's replicas (its pod template, no Pod of it given):
    then it may reach itself in a connection of its group to itself."""


@dataclass(frozen=True)
class PodGroup:
    """Pods that no policy tells apart (one engine class)."""

    id: str
    """``g`` and the class index."""
    namespace: str
    """The namespace of every member."""
    labels: dict[str, str]
    """The labels every member has."""
    size: int
    """How many pods the group holds."""
    members: tuple[GroupMember, ...]
    """Its pods or workloads, sorted by name."""
    selected_in: tuple[PolicyRef, ...]
    """Policies that select it for ingress."""
    selected_out: tuple[PolicyRef, ...]
    """Policies that select it for egress."""


@dataclass(frozen=True)
class ExternalGroup:
    """External addresses that every class treats alike."""

    id: str
    """``e`` and a number, in address order."""
    addresses: IPRangeSet
    """The addresses."""
    terms: tuple[AddressTerm, ...]
    """The addresses as ipBlock-shaped terms (pairwise disjoint, in address order)."""


@dataclass(frozen=True)
class GroupConnection:
    """Every source group may reach every destination group on at least ``allowed``."""

    src: tuple[str, ...]
    """Source group ids."""
    dst: tuple[str, ...]
    """Destination group ids."""
    allowed: PortSet
    """Allowed protocols and ports."""


@dataclass(frozen=True)
class ConnectivityGroups:
    """The grouped connectivity map."""

    granularity: Granularity
    """What the members of a group are: pods or workloads."""
    groups: tuple[PodGroup, ...]
    """In-cluster groups, by id."""
    external: tuple[ExternalGroup, ...]
    """External groups named by some connection, in address order."""
    connections: tuple[GroupConnection, ...]
    """Grouped connections, sources in class order."""


@dataclass(frozen=True)
class PairRun:
    """Pairs of one source and several destinations (or the reverse) with one allowed set."""

    src: tuple[str, ...]
    """Source names: pods, workloads or address terms."""
    dst: tuple[str, ...]
    """Destination names; every source with every destination is a pair."""
    allowed: PortSet
    """What each pair is allowed."""


@dataclass
class _Context:
    """The matrix with the groups, and what the grouped and pair forms both need."""

    matrix: ConnectivityMatrix
    classes_of: list[list[int]]
    """The classes of each group, ascending; groups in order of their first pod's name."""
    reps: npt.NDArray[np.intp]
    """One class of each group (they all behave alike)."""
    class_inside: npt.NDArray[np.bool_] | None
    """Per class: whether it lies in a namespace of the filter (None: no filter)."""
    inside: npt.NDArray[np.bool_] | None
    """The same per group."""
    ext_groups: list[list[int]]
    """Atoms of each external group, groups in address order."""
    first_atom: npt.NDArray[np.intp]
    """One atom of each external group (they all behave alike)."""
    replicas: npt.NDArray[np.bool_]
    """Per group: whether its pods may reach each other (more than one pod, or a template)."""
    terms: dict[int, tuple[AddressTerm, ...]] = field(default_factory=dict)
    unions: dict[tuple[int, ...], tuple[str, ...]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Number of in-cluster groups."""
        return len(self.classes_of)

    def group_terms(self, group: int) -> tuple[AddressTerm, ...]:
        """The terms of an external group, computed once."""
        found = self.terms.get(group)
        if found is None:
            addresses = self.matrix.classes.ip_atoms.range_set(self.ext_groups[group])
            found = self.terms[group] = tuple(addresses.terms())
        return found

    def union_terms(self, groups: npt.NDArray[np.int32]) -> tuple[str, ...]:
        """Names of the terms of the addresses of several external groups together."""
        key = tuple(groups.tolist())
        found = self.unions.get(key)
        if found is None:
            atoms = [a for g in key for a in self.ext_groups[g]]
            addresses = self.matrix.classes.ip_atoms.range_set(atoms)
            found = self.unions[key] = tuple(str(t) for t in addresses.terms())
        return found

    def pod_ext(self, start: int, stop: int) -> IdArray:
        """Ids from groups start:stop to each external group, filtered."""
        ids = self.matrix.pod_to_ext[self.reps[start:stop]][:, self.first_atom]
        if self.inside is not None:
            ids = np.where(self.inside[start:stop, None], ids, 0).astype(np.uint32)
        return ids

    def ext_pod(self) -> IdArray:
        """Ids from each external group to every group, filtered."""
        ids = self.matrix.ext_to_pod[self.first_atom][:, self.reps]
        if self.inside is not None:
            ids = np.where(self.inside[None, :], ids, 0).astype(np.uint32)
        return ids

    def pod_pod(self, start: int, stop: int) -> IdArray:
        """Ids from groups start:stop to every group, filtered, with no pod to itself."""
        ids = np.array(self.matrix.pod_to_pod.block(self.reps[start:stop], self.reps))
        local = np.arange(stop - start)
        alone = ~self.replicas[start:stop]
        ids[local[alone], (local + start)[alone]] = 0
        if self.inside is not None:
            keep = self.inside[start:stop, None] | self.inside[None, :]
            ids = np.where(keep, ids, 0).astype(np.uint32)
        return ids.astype(np.uint32)


def _behaviour_groups(matrix: ConnectivityMatrix) -> list[list[int]]:
    """Classes of one namespace with the same signatures in both directions and both roles:
    every cell of their rows and columns is the same, so no policy tells their pods apart."""
    pairs = matrix.pod_to_pod
    keys = np.stack(
        [
            matrix.classes.class_ns.astype(np.int64),
            pairs.egress_rows.astype(np.int64),
            pairs.egress_cols.astype(np.int64),
            pairs.ingress_rows.astype(np.int64),
            pairs.ingress_cols.astype(np.int64),
        ],
        axis=1,
    )
    found: dict[bytes, list[int]] = {}
    for c in range(matrix.classes.count):
        found.setdefault(keys[c].tobytes(), []).append(c)
    # Ordered by their first pod's name: the same cluster read in another order (files, the
    # API) gives the same groups under the same ids.
    pods = matrix.classes.cluster.pods
    members = matrix.classes.members

    def first_name(group: list[int]) -> str:
        return min(pods[i].key for c in group for i in members[c])

    return sorted(found.values(), key=first_name)


def _context(matrix: ConnectivityMatrix, namespaces: Iterable[str] | None) -> _Context:
    classes = matrix.classes
    classes_of = _behaviour_groups(matrix)
    reps = np.array([g[0] for g in classes_of], dtype=np.intp)
    class_inside: npt.NDArray[np.bool_] | None = None
    inside: npt.NDArray[np.bool_] | None = None
    if namespaces is not None:
        wanted = set(namespaces)
        in_ns = np.array([ns in wanted for ns in classes.namespaces], dtype=np.bool_)
        class_inside = in_ns[classes.class_ns] if classes.count else np.zeros(0, np.bool_)
        inside = class_inside[reps]
    pe = matrix.pod_to_ext[reps]
    ep = matrix.ext_to_pod[:, reps]
    if inside is not None:
        pe = np.where(inside[:, None], pe, 0).astype(np.uint32)
        ep = np.where(inside[None, :], ep, 0).astype(np.uint32)
    # Atoms that every group treats alike, both ways, are one external group: disjoint
    # address sets as large as the policies allow.
    by_behaviour: dict[bytes, list[int]] = {}
    for atom in range(pe.shape[1]):
        by_behaviour.setdefault(pe[:, atom].tobytes() + ep[atom, :].tobytes(), []).append(atom)
    ext_groups = list(by_behaviour.values())
    pods = classes.cluster.pods
    replicas = np.array(
        [
            sum(len(classes.members[c]) for c in group) > 1
            or any(pods[i].is_template for c in group for i in classes.members[c])
            for group in classes_of
        ],
        dtype=np.bool_,
    )
    return _Context(
        matrix,
        classes_of,
        reps,
        class_inside,
        inside,
        ext_groups,
        np.array([g[0] for g in ext_groups], dtype=np.intp),
        replicas,
    )


def default_block(matrix: ConnectivityMatrix) -> int:
    """Source rows per block within ``BLOCK_BYTES``: each cell is an id, a mask being met
    and its share of the digest input."""
    words = matrix.classes.port_atoms.words
    width = matrix.classes.count + len(matrix.classes.ip_atoms)
    return max(1, BLOCK_BYTES // max(1, width * (8 + 8 * words)))


def _digest(row: IdArray) -> bytes:
    return hashlib.blake2b(row.tobytes(), digest_size=16).digest()


def _by_allowed(row: IdArray) -> list[tuple[int, npt.NDArray[np.int32]]]:
    """(id, destination indices) per nonzero id of a row, ids ascending."""
    nonzero = np.flatnonzero(row)
    if not nonzero.size:
        return []
    values = row[nonzero]
    order = np.argsort(values, kind="stable")
    ids, starts = np.unique(values[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    return [
        (int(i), nonzero[order[bounds[k] : bounds[k + 1]]].astype(np.int32))
        for k, i in enumerate(ids.tolist())
    ]


class _Rows:
    """Distinct rows, merged by digest: each with its sources and its destinations."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self.sources: list[list[int]] = []
        self.dests: list[list[tuple[int, npt.NDArray[np.int32]]]] = []

    def add(self, source: int, row: IdArray) -> None:
        """Count ``source`` among the sources of ``row`` (all-zero rows say nothing)."""
        if not row.any():
            return
        key = _digest(row)
        found = self.index.get(key)
        if found is None:
            self.index[key] = len(self.sources)
            self.sources.append([source])
            self.dests.append(_by_allowed(row))
        else:
            self.sources[found].append(source)


def _selected_by(
    compiled: CompiledPolicies, ctx: _Context
) -> tuple[list[list[PolicyRef]], list[list[PolicyRef]]]:
    """Per group, the policies that select it for ingress and for egress (the same for
    every class of a group: their signatures are)."""
    into: list[list[PolicyRef]] = [[] for _ in range(ctx.count)]
    out: list[list[PolicyRef]] = [[] for _ in range(ctx.count)]
    for policy in compiled.policies:
        ref = PolicyRef(policy.kind, policy.namespace, policy.name)
        for selected, lists in ((policy.selected_in, into), (policy.selected_out, out)):
            if selected is not None:
                for g in np.flatnonzero(selected[ctx.reps]).tolist():
                    lists[g].append(ref)
    return into, out


def _members(pods: list[Pod], granularity: Granularity) -> tuple[GroupMember, ...]:
    counts: dict[str, int] = {}
    kinds: dict[str, str] = {}
    replicated: set[str] = set()
    for pod in pods:
        kind = pod.workload.kind if pod.workload is not None else "Pod"
        if granularity is Granularity.POD:
            name = pod.key
            kind = kind if pod.is_template else "Pod"
        else:
            name = pod.endpoint_name
        counts[name] = counts.get(name, 0) + 1
        kinds[name] = kind
        if pod.is_template:
            replicated.add(name)
    return tuple(GroupMember(n, kinds[n], c, n in replicated) for n, c in sorted(counts.items()))


def _shared_labels(pods: list[Pod]) -> dict[str, str]:
    shared = dict(pods[0].labels) if pods else {}
    for pod in pods[1:]:
        shared = {k: v for k, v in shared.items() if pod.labels.get(k) == v}
    return dict(sorted(shared.items()))


def _group_pods(ctx: _Context, group: int) -> list[Pod]:
    classes = ctx.matrix.classes
    pods = classes.cluster.pods
    return [pods[i] for c in ctx.classes_of[group] for i in classes.members[c]]


def _pod_groups(
    ctx: _Context, compiled: CompiledPolicies, granularity: Granularity
) -> list[PodGroup]:
    into, out = _selected_by(compiled, ctx)
    classes = ctx.matrix.classes
    groups = []
    for g in range(ctx.count):
        members = _group_pods(ctx, g)
        groups.append(
            PodGroup(
                f"g{g}",
                classes.namespaces[int(classes.class_ns[ctx.reps[g]])],
                _shared_labels(members),
                len(members),
                _members(members, granularity),
                tuple(into[g]),
                tuple(out[g]),
            )
        )
    return groups


def connectivity_groups(
    cluster: Cluster,
    granularity: Granularity = Granularity.WORKLOAD,
    namespaces: Iterable[str] | None = None,
    block: int | None = None,
    computed: tuple[ConnectivityMatrix, CompiledPolicies] | None = None,
) -> ConnectivityGroups:
    """The grouped map of a cluster, from ``block`` source classes at a time.

    ``namespaces`` keeps only connections with at least one end in those namespaces (and the
    groups of those namespaces or named by a kept connection).
    """
    matrix, compiled = computed if computed is not None else compute(cluster)
    ctx = _context(matrix, namespaces)
    count = ctx.count
    step = block or default_block(matrix)
    rows = _Rows()
    for start in range(0, count, step):
        stop = min(count, start + step)
        ids = np.concatenate([ctx.pod_pod(start, stop), ctx.pod_ext(start, stop)], axis=1)
        for i in range(stop - start):
            rows.add(start + i, ids[i])
    ext_rows = ctx.ext_pod()
    no_ext = np.zeros(len(ctx.ext_groups), dtype=np.uint32)
    for g in range(len(ctx.ext_groups)):
        rows.add(count + g, np.concatenate([ext_rows[g], no_ext]))
    return _assemble(matrix, compiled, ctx, rows, granularity)


def compute(cluster: Cluster) -> tuple[ConnectivityMatrix, CompiledPolicies]:
    """The class matrix of a cluster, with the compiled policies it was computed from."""
    classes = build_classes(cluster)
    compiled = compile_policies(classes)
    return compute_connectivity(classes, compiled), compiled


def _by_content(
    item: tuple[tuple[int, bytes], tuple[list[int], npt.NDArray[np.int32]]],
) -> tuple[int, list[int], int]:
    """Connections in order of their first source, then destinations: never by the ids the
    engine numbered the port sets with, which depend on how its work was cut."""
    (mask_id, _), (src, dst) = item
    return (min(src), dst.tolist(), mask_id)


def _assemble(
    matrix: ConnectivityMatrix,
    compiled: CompiledPolicies,
    ctx: _Context,
    rows: _Rows,
    granularity: Granularity,
) -> ConnectivityGroups:
    count = ctx.count
    used_ext = sorted(
        {i - count for src in rows.sources for i in src if i >= count}
        | {int(i) - count for d in rows.dests for _, dst in d for i in dst.tolist() if i >= count}
    )
    ext_id = {g: f"e{k}" for k, g in enumerate(used_ext)}

    def name(index: int) -> str:
        return f"g{index}" if index < count else ext_id[index - count]

    # Sources that reach the same destinations on the same ports share one entry, though
    # their rows differ elsewhere: an entry per (destinations, ports), not per row.
    merged: dict[tuple[int, bytes], tuple[list[int], npt.NDArray[np.int32]]] = {}
    for src, dests in zip(rows.sources, rows.dests, strict=True):
        for mask_id, dst in dests:
            entry = merged.setdefault((mask_id, dst.tobytes()), ([], dst))
            entry[0].extend(src)
    connections = [
        GroupConnection(
            tuple(name(s) for s in sorted(src)),
            tuple(name(int(d)) for d in dst.tolist()),
            matrix.portset(mask_id),
        )
        for (mask_id, _), (src, dst) in sorted(merged.items(), key=_by_content)
    ]
    groups = _pod_groups(ctx, compiled, granularity)
    if ctx.inside is not None:
        named = {n for c in connections for n in (*c.src, *c.dst)}
        groups = [g for c, g in enumerate(groups) if ctx.inside[c] or g.id in named]
    external = [
        ExternalGroup(
            ext_id[g],
            matrix.classes.ip_atoms.range_set(ctx.ext_groups[g]),
            ctx.group_terms(g),
        )
        for g in used_ext
    ]
    return ConnectivityGroups(granularity, tuple(groups), tuple(external), tuple(connections))


def iter_pairs(
    cluster: Cluster,
    granularity: Granularity = Granularity.WORKLOAD,
    namespaces: Iterable[str] | None = None,
    block: int | None = None,
    computed: tuple[ConnectivityMatrix, CompiledPolicies] | None = None,
) -> Iterator[PairRun]:
    """Every allowed (source, destination) pair, as runs, a block of sources at a time.

    Pairs mean what ``ConnectivityMap.pairs`` means: a workload gets what all its pods get,
    a pod never pairs with itself. External ends are address terms: the addresses an
    endpoint reaches (or is reached from) on the same ports as one set, one pair per term.
    """
    matrix, _ = computed if computed is not None else compute(cluster)
    ctx = _context(matrix, namespaces)
    if granularity is Granularity.POD:
        yield from _pod_pairs(ctx, block or default_block(matrix))
    else:
        yield from _workload_pairs(ctx, block or default_block(matrix))


def _from_outside(ctx: _Context, ids: IdArray, names: list[list[str]]) -> Iterator[PairRun]:
    """Pairs from external addresses: for each destination (column of ``ids``, external
    groups by endpoints), the addresses that reach it on the same ports as one set."""
    for d in range(ids.shape[1]):
        for mask_id, sources in _by_allowed(np.ascontiguousarray(ids[:, d])):
            yield PairRun(ctx.union_terms(sources), tuple(names[d]), ctx.matrix.portset(mask_id))


def _pod_pairs(ctx: _Context, step: int) -> Iterator[PairRun]:
    matrix = ctx.matrix
    members = [_group_pods(ctx, g) for g in range(ctx.count)]
    names = [[p.key for p in m] for m in members]
    templates = [[p.is_template for p in m] for m in members]
    count = ctx.count
    for start in range(0, count, step):
        stop = min(count, start + step)
        pp, pe = ctx.pod_pod(start, stop), ctx.pod_ext(start, stop)
        for i in range(stop - start):
            c = start + i
            to_pods = _by_allowed(pp[i])
            to_ext = _by_allowed(pe[i])
            for k, src in enumerate(names[c]):
                for mask_id, dst in to_pods:
                    dsts = tuple(
                        n
                        for d in dst.tolist()
                        for j, n in enumerate(names[d])
                        if not (d == c and j == k and not templates[c][k])
                    )
                    if dsts:
                        yield PairRun((src,), dsts, matrix.portset(mask_id))
                for mask_id, dst in to_ext:
                    yield PairRun((src,), ctx.union_terms(dst), matrix.portset(mask_id))
    yield from _from_outside(ctx, ctx.ext_pod(), names)


def _self_allowed(matrix: ConnectivityMatrix) -> dict[str, PortSet]:
    """What each workload's pods get towards each other (its replicas to one another): the
    cells of every pair of its distinct pods. A workload of one pod gets nothing (it has no
    replica to reach); a pod template stands for several."""
    classes = matrix.classes
    per_class: dict[str, dict[int, int]] = {}
    for c, members in enumerate(classes.members):
        for i in members:
            pod = classes.cluster.pods[i]
            counts = per_class.setdefault(pod.endpoint_name, {})
            counts[c] = counts.get(c, 0) + (2 if pod.is_template else 1)
    found: dict[str, PortSet] = {}
    for name, counts in per_class.items():
        cells = [(c, d) for c in counts for d in counts if c != d or counts[c] > 1]
        allowed = PortSet.all() if cells else PortSet.none()
        for c, d in cells:
            allowed = allowed & matrix.portset(int(matrix.pod_to_pod[c, d]))
        found[name] = allowed
    return found


def _workload_pairs(ctx: _Context, step: int) -> Iterator[PairRun]:
    matrix = ctx.matrix
    units = endpoint_units(matrix, Granularity.WORKLOAD)
    count = len(units.classes)
    inside: npt.NDArray[np.bool_] | None = None
    if ctx.class_inside is not None:
        inside = np.array([bool(ctx.class_inside[list(sig)].any()) for sig in units.classes])
    to_itself = _self_allowed(matrix)
    ep_all = matrix.ext_to_pod[ctx.first_atom]
    ep_classes = meet_rows(matrix, np.ascontiguousarray(ep_all.T), units.classes).T
    if inside is not None:
        ep_classes = np.where(inside[None, :], ep_classes, 0).astype(np.uint32)
    for start in range(0, count, step):
        stop = min(count, start + step)
        part = units.classes[start:stop]
        needed = sorted({c for sig in part for c in sig})
        local = {c: k for k, c in enumerate(needed)}
        everything = np.arange(matrix.classes.count, dtype=np.intp)
        class_rows = matrix.pod_to_pod.block(np.array(needed, dtype=np.intp), everything)
        local_sigs = [tuple(local[c] for c in sig) for sig in part]
        unit_rows = meet_rows(matrix, class_rows, local_sigs)
        pp = meet_rows(matrix, np.ascontiguousarray(unit_rows.T), units.classes).T
        pe_all = matrix.pod_to_ext[:, ctx.first_atom]
        pe = meet_rows(matrix, pe_all[needed], local_sigs)
        if inside is not None:
            keep = inside[start:stop, None] | inside[None, :]
            pp = np.where(keep, pp, 0).astype(np.uint32)
            pe = np.where(inside[start:stop, None], pe, 0).astype(np.uint32)
        for i in range(stop - start):
            for src in units.names[start + i]:
                # To itself, a workload gets what its pods get from one another.
                itself = to_itself[src] if inside is None or inside[start + i] else None
                for mask_id, dst in _by_allowed(pp[i]):
                    dsts = tuple(n for d in dst.tolist() for n in units.names[d] if n != src)
                    if dsts:
                        yield PairRun((src,), dsts, matrix.portset(mask_id))
                if itself:
                    yield PairRun((src,), (src,), itself)
                for mask_id, dst in _by_allowed(pe[i]):
                    yield PairRun((src,), ctx.union_terms(dst), matrix.portset(mask_id))
    yield from _from_outside(ctx, ep_classes, units.names)
