"""Two connectivity matrices of one set of pods compared flow by flow.

The fixed cluster has the same pods as the original and more policies, so its classes and
address atoms refine differently. Both sides are brought onto a common refinement: pods
grouped by their (class before, class after) pair, address ranges by their (atom before,
atom after) pair. Every group pair is then one comparison of two port sets, each read from
its own matrix: the engine's verdicts, not a second reachability computation.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from netfence.engine.connectivity import ConnectivityMatrix
from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet


@dataclass(frozen=True)
class FlowChange:
    """One (source, destination) pair whose allowed ports differ between the two maps."""

    src: str
    """The source endpoint: a workload or pod (``namespace/name``), or address ranges."""
    dst: str
    """The destination endpoint, named the same way."""
    src_namespace: str | None
    """The source's namespace; None for addresses."""
    dst_namespace: str | None
    """The destination's namespace; None for addresses."""
    removed: PortSet
    """What was allowed before and is not after."""
    added: PortSet
    """What is allowed after and was not before."""


@dataclass
class MapDiff:
    """What changed between two maps, and how much stayed."""

    changes: list[FlowChange] = field(default_factory=list)
    """Every pair whose allowed ports changed."""
    kept: dict[str, int] = field(default_factory=dict)
    """Per namespace, allowed pod-to-pod and pod-to-address pairs with one end in it that are
    unchanged."""


def _class_of_pod(matrix: ConnectivityMatrix) -> npt.NDArray[np.int64]:
    out = np.empty(len(matrix.classes.cluster.pods), dtype=np.int64)
    for c, members in enumerate(matrix.classes.members):
        out[members] = c
    return out


def _atom_pieces(matrix: ConnectivityMatrix) -> dict[int, list[tuple[int, int]]]:
    """Per family, (first address, atom) of every piece, in address order."""
    atoms = matrix.classes.ip_atoms
    out: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for atom in range(len(atoms)):
        for version, lo, _hi in atoms.pieces(atom):
            out[version].append((lo, atom))
    for pieces in out.values():
        pieces.sort()
    return out


_TOP = {4: 2**32 - 1, 6: 2**128 - 1}


def _common_ranges(
    before: ConnectivityMatrix, after: ConnectivityMatrix
) -> tuple[list[tuple[int, int]], list[IPRangeSet]]:
    """The address ranges both sides treat alike: their (atom before, atom after) pairs and
    the addresses of each."""
    ours, theirs = _atom_pieces(before), _atom_pieces(after)
    spans: dict[tuple[int, int], dict[int, list[tuple[int, int]]]] = defaultdict(
        lambda: {4: [], 6: []}
    )
    for version in (4, 6):
        starts_b = [lo for lo, _ in ours[version]]
        starts_a = [lo for lo, _ in theirs[version]]
        cuts = sorted(set(starts_b) | set(starts_a))
        for i, lo in enumerate(cuts):
            hi = cuts[i + 1] - 1 if i + 1 < len(cuts) else _TOP[version]
            atom_b = ours[version][bisect.bisect_right(starts_b, lo) - 1][1]
            atom_a = theirs[version][bisect.bisect_right(starts_a, lo) - 1][1]
            spans[(atom_b, atom_a)][version].append((lo, hi))
    pairs = list(spans)
    ranges = [IPRangeSet(IntervalSet(spans[p][4]), IntervalSet(spans[p][6])) for p in pairs]
    return pairs, ranges


def _changed(
    before: ConnectivityMatrix,
    after: ConnectivityMatrix,
    ids_b: npt.NDArray[np.uint32],
    ids_a: npt.NDArray[np.uint32],
) -> npt.NDArray[np.bool_]:
    """Where the port set of ``ids_b`` (in ``before``) differs from that of ``ids_a``."""
    combined = (ids_b.astype(np.uint64) << np.uint64(32)) | ids_a.astype(np.uint64)
    unique, inverse = np.unique(combined.ravel(), return_inverse=True)
    differs = np.array(
        [before.portset(int(v) >> 32) != after.portset(int(v) & 0xFFFFFFFF) for v in unique],
        dtype=np.bool_,
    )
    return differs[inverse].reshape(ids_b.shape)


def compare_maps(before: ConnectivityMatrix, after: ConnectivityMatrix) -> MapDiff:
    """Every flow whose allowed ports differ between ``before`` and ``after`` (matrices of
    one cluster's pods under two sets of policies), and the unchanged ones counted."""
    pods = before.classes.cluster.pods
    cb, ca = _class_of_pod(before), _class_of_pod(after)
    keys = cb * (int(ca.max(initial=0)) + 1) + ca
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rb, ra = cb[first], ca[first]
    sizes = np.bincount(inverse, minlength=len(first))
    names: list[set[str]] = [set() for _ in first]
    for i, g in enumerate(inverse.tolist()):
        names[g].add(pods[i].endpoint_name)
    spaces = sorted({p.namespace for p in pods})
    group_ns = np.array([spaces.index(pods[int(i)].namespace) for i in first], dtype=np.int64)

    pairs, ranges = _common_ranges(before, after)
    xb = np.array([p[0] for p in pairs], dtype=np.int64)
    xa = np.array([p[1] for p in pairs], dtype=np.int64)
    pp_b, pp_a = before.pod_to_pod[np.ix_(rb, rb)], after.pod_to_pod[np.ix_(ra, ra)]
    pe_b, pe_a = before.pod_to_ext[np.ix_(rb, xb)], after.pod_to_ext[np.ix_(ra, xa)]
    ep_b, ep_a = before.ext_to_pod[np.ix_(xb, rb)], after.ext_to_pod[np.ix_(xa, ra)]
    pp_changed = _changed(before, after, pp_b, pp_a)
    # A pod to itself is loopback, which no policy governs: a group of one pod to itself is
    # no flow.
    lone = np.flatnonzero(sizes == 1)
    pp_changed[lone, lone] = False
    pe_changed = _changed(before, after, pe_b, pe_a)
    ep_changed = _changed(before, after, ep_b, ep_a)

    diff = MapDiff()
    merged: dict[tuple[str, str], tuple[str | None, str | None, PortSet, PortSet]] = {}

    def note(src: str, dst: str, ns: tuple[str | None, str | None], b: int, a: int) -> None:
        old = before.portset(b)
        new = after.portset(a)
        key = (src, dst)
        seen = merged.get(key)
        removed, added = old - new, new - old
        if seen is not None:
            removed, added = removed | seen[2], added | seen[3]
        merged[key] = (ns[0], ns[1], removed, added)

    for k1, k2 in zip(*np.nonzero(pp_changed), strict=True):
        n1, n2 = spaces[group_ns[k1]], spaces[group_ns[k2]]
        for s in names[k1]:
            for d in names[k2]:
                note(s, d, (n1, n2), int(pp_b[k1, k2]), int(pp_a[k1, k2]))
    for k, r in zip(*np.nonzero(pe_changed), strict=True):
        cidrs = ranges[r].describe()
        for s in names[k]:
            note(
                s,
                cidrs,
                (spaces[group_ns[k]], None),
                int(pe_b[k, r]),
                int(pe_a[k, r]),
            )
    for r, k in zip(*np.nonzero(ep_changed), strict=True):
        cidrs = ranges[r].describe()
        for d in names[k]:
            note(
                cidrs,
                d,
                (None, spaces[group_ns[k]]),
                int(ep_b[r, k]),
                int(ep_a[r, k]),
            )
    diff.changes = [
        FlowChange(src, dst, sn, dn, removed, added)
        for (src, dst), (sn, dn, removed, added) in sorted(merged.items())
        if removed or added
    ]
    diff.kept = _kept_counts(
        spaces,
        group_ns,
        sizes,
        (pp_b != 0) & ~pp_changed,
        (pe_b != 0) & ~pe_changed,
        (ep_b != 0) & ~ep_changed,
    )
    return diff


def _kept_counts(
    spaces: list[str],
    group_ns: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    pp: npt.NDArray[np.bool_],
    pe: npt.NDArray[np.bool_],
    ep: npt.NDArray[np.bool_],
) -> dict[str, int]:
    """Unchanged allowed pairs with one end in each namespace, counted pod by pod."""
    n = sizes.astype(np.int64)
    weights = pp * (n[:, None] * n[None, :] - np.diag(n))
    count = len(spaces)
    rows = np.bincount(group_ns, weights=weights.sum(axis=1), minlength=count)
    cols = np.bincount(group_ns, weights=weights.sum(axis=0), minlength=count)
    same = group_ns[:, None] == group_ns[None, :]
    inner = np.bincount(
        np.broadcast_to(group_ns[:, None], same.shape)[same], weights=weights[same], minlength=count
    )
    outward = np.bincount(group_ns, weights=(pe * n[:, None]).sum(axis=1), minlength=count)
    inward = np.bincount(group_ns, weights=(ep * n[None, :]).sum(axis=0), minlength=count)
    total = rows + cols - inner + outward + inward
    return {name: int(total[i]) for i, name in enumerate(spaces)}
