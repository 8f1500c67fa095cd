"""Connectivity between endpoint classes and external address atoms, vectorized.

A connection from S to D on a port is allowed when egress from S allows it and ingress to D
allows it. Each direction is decided by the one evaluator (``engine/evaluator.py``) walking
the compiled tiers. External endpoints have no policies: their own side is always open.

The result gives, for every (source, destination) pair of classes and atoms, the id of its
allowed connection set; ids index a small table of distinct port-atom masks. Class pairs are
not stored: each direction is a factor over its signatures (``engine/signatures.py``), and a
pair's id is the meet of its two factors' ids, read a block at a time (docs/scale.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import EndpointClasses
from netfence.engine.mask_table import MaskTable
from netfence.engine.signatures import Signatures
from netfence.engine.tier_composition import DirectionComposer
from netfence.model.layers import RuleId
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies, compile_layers
from netfence.sets.atoms import Mask
from netfence.sets.ports import PortSet

IdArray = npt.NDArray[np.uint32]

BLOCK_BYTES: Final = 48 * 1024 * 1024
"""Working memory for one block of destination columns; bounds peak memory on big clusters."""


class ClassPairIds:
    """The class x class connection-set ids, computed from the two directions' factors.

    The egress verdict of (S, D) is ``egress[subject signature of S, peer signature of D]``
    and the ingress verdict ``ingress[peer signature of S, subject signature of D]``; the
    allowed set is their intersection. Only the factors are held (their size is a product
    of signature counts, not of pods or classes); cells are combined when read, a block at a
    time. Indexing follows numpy for what the analyses use: ``[i]``, ``[i, j]``,
    ``[rows]`` and ``[np.ix_(rows, cols)]``.
    """

    def __init__(
        self,
        table: MaskTable,
        egress: IdArray,
        egress_rows: npt.NDArray[np.intp],
        egress_cols: npt.NDArray[np.intp],
        ingress: IdArray,
        ingress_rows: npt.NDArray[np.intp],
        ingress_cols: npt.NDArray[np.intp],
    ) -> None:
        self.table = table
        self.egress, self.egress_rows, self.egress_cols = egress, egress_rows, egress_cols
        self.ingress, self.ingress_rows, self.ingress_cols = ingress, ingress_rows, ingress_cols
        self.count = len(egress_rows)
        self._meet = _MeetTable(table)

    @property
    def shape(self) -> tuple[int, int]:
        """(classes, classes)."""
        return (self.count, self.count)

    @property
    def nbytes(self) -> int:
        """Bytes held by the factors."""
        return int(self.egress.nbytes + self.ingress.nbytes + self._meet.nbytes)

    def block(self, rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp]) -> IdArray:
        """Ids of the cells rows x cols."""
        out = self.egress[self.egress_rows[rows]][:, self.egress_cols[cols]]
        into = self.ingress[self.ingress_rows[rows]][:, self.ingress_cols[cols]]
        return self._meet(out, into)

    def __getitem__(self, index: Any) -> Any:
        everything = np.arange(self.count, dtype=np.intp)
        if isinstance(index, tuple) and len(index) == 2:
            # Slices first: numpy counts a slice object as a scalar (ndim 0).
            rows, cols = (everything[i] if isinstance(i, slice) else np.asarray(i) for i in index)
            if rows.ndim == 0 and cols.ndim == 0:
                one = rows.reshape(1).astype(np.intp)
                return self.block(one, cols.reshape(1).astype(np.intp))[0, 0]
            if rows.ndim == 2 and cols.ndim == 2:  # np.ix_
                return self.block(rows[:, 0].astype(np.intp), cols[0].astype(np.intp))
            if rows.ndim == 0:
                return self.block(rows.reshape(1).astype(np.intp), cols.astype(np.intp))[0]
            if cols.ndim == 0:
                return self.block(rows.astype(np.intp), cols.reshape(1).astype(np.intp))[:, 0]
            raise IndexError("pairwise (fancy) indexing is not supported; use np.ix_")
        if isinstance(index, slice):
            return self.block(everything[index], everything)
        chosen = np.asarray(index)
        if chosen.ndim == 0:
            return self.block(chosen.reshape(1).astype(np.intp), everything)[0]
        return self.block(chosen.astype(np.intp), everything)

    def __array__(self, dtype: Any = None, copy: Any = None) -> IdArray:
        everything = np.arange(self.count, dtype=np.intp)
        whole = self.block(everything, everything)
        return whole if dtype is None else whole.astype(dtype)


class _MeetTable:
    """Ids of the intersection of two connection sets, by their ids.

    Each direction gives few distinct sets, so a dense table of every pair of the ids known
    when it is built answers a block with one lookup; ids added later are met directly.
    """

    DENSE = 4096
    """Up to this many ids, the pair table is dense (at most 64 MiB)."""

    def __init__(self, table: MaskTable) -> None:
        self.table = table
        self.known = len(table.masks)
        self.dense: IdArray | None = None
        if self.known <= self.DENSE:
            masks = table.stacked
            dense = np.empty((self.known, self.known), dtype=np.uint32)
            step = max(1, (4 << 20) // max(1, self.known * table.words))
            for start in range(0, self.known, step):
                part = masks[start : start + step, np.newaxis, :] & masks[np.newaxis, :, :]
                dense[start : start + step] = table.encode(part)
            self.dense = dense

    @property
    def nbytes(self) -> int:
        """Bytes held by the pair table."""
        return 0 if self.dense is None else int(self.dense.nbytes)

    def __call__(self, a: IdArray, b: IdArray) -> IdArray:
        if self.dense is not None and a.size and int(max(a.max(), b.max())) < self.known:
            return self.dense[a, b]
        masks = self.table.stacked
        return self.table.encode(masks[a] & masks[b])


@dataclass
class ConnectivityMatrix:
    """Allowed connection sets between all classes and address atoms, as ids into ``masks``."""

    classes: EndpointClasses
    """The classes and atoms the matrix is indexed by."""
    table: MaskTable
    """Distinct connection sets as port-atom masks; id 0 is always the empty set."""
    pod_to_pod: ClassPairIds
    """[source class, destination class], combined from the two directions when read."""
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

    def rows(self, start: int, stop: int) -> IdArray:
        """Ids of source classes ``start:stop`` towards every class."""
        return self.pod_to_pod.block(
            np.arange(start, stop, dtype=np.intp), np.arange(self.classes.count, dtype=np.intp)
        )


def compile_policies(classes: EndpointClasses) -> CompiledPolicies:
    """Every policy of every language compiled against the classes, in tiers."""
    return compile_layers(classes)


def compute_connectivity(
    classes: EndpointClasses,
    compiled: CompiledPolicies | None = None,
    effective: set[RuleId] | None = None,
) -> ConnectivityMatrix:
    """Allowed connection sets between every pair of classes and address atoms.

    ``effective`` (when given) collects the ids of every rule that decides or passes a bit.

    Each direction is walked over its signatures (``engine/signatures.py``), a block of
    destination columns at a time; what is held is the two factors, of
    (egress subject signatures x egress peer signatures) and (ingress peer signatures x
    ingress subject signatures) ids, 4 bytes each.
    """
    if compiled is None:
        compiled = compile_layers(classes)
    count = compiled.masks.count
    table = MaskTable(classes.port_atoms.words)
    factors = {d: _walk_direction(compiled, d, table, effective) for d in Direction}
    out, out_subjects, out_peers = factors[Direction.EGRESS]
    into, into_subjects, into_peers = factors[Direction.INGRESS]
    # Egress factor: [subject signature, peer signature]; ingress: [peer, subject].
    pairs = ClassPairIds(
        table,
        out,
        out_subjects.of,
        out_peers.of[:count],
        into,
        into_peers.of[:count],
        into_subjects.of,
    )
    pod_to_ext = out[out_subjects.of][:, out_peers.of[count:]]
    ext_to_pod = into[into_peers.of[count:]][:, into_subjects.of]
    return ConnectivityMatrix(
        classes,
        table,
        pairs,
        np.ascontiguousarray(pod_to_ext, dtype=np.uint32),
        np.ascontiguousarray(ext_to_pod, dtype=np.uint32),
    )


def _walk_direction(
    compiled: CompiledPolicies,
    direction: Direction,
    table: MaskTable,
    effective: set[RuleId] | None,
) -> tuple[IdArray, Signatures, Signatures]:
    """One direction's factor: ids [rows, columns] of its verdicts over signatures."""
    composer = DirectionComposer(compiled, direction, effective)
    # Ids are few (hundreds): two bytes each halve the largest array, until one is not.
    factor: npt.NDArray[np.unsignedinteger[Any]]
    factor = np.zeros((composer.height, composer.width), dtype=np.uint16)
    for start, stop in composer.blocks():
        ids = composer.verdict_ids(start, stop, table)
        if factor.dtype == np.uint16 and len(table.masks) > np.iinfo(np.uint16).max:
            factor = factor.astype(np.uint32)
        factor[:, start:stop] = ids
    composer.track_composed_effects()
    return factor, composer.subjects, composer.peers
