"""Connectivity between endpoint classes and external address atoms, vectorized.

A connection from S to D on a port is allowed when egress from S allows it and ingress to D
allows it. Each direction is decided by the one evaluator (``engine/evaluator.py``) walking
the compiled tiers. External endpoints have no policies: their own side is always open.

The result holds, for every (source, destination) pair of classes and atoms, the id of its
allowed connection set; ids index a small table of distinct port-atom masks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import EndpointClasses
from netfence.engine.evaluator import walk_block
from netfence.model.layers import RuleId
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies, compile_layers
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
    """
    if compiled is None:
        compiled = compile_layers(classes)
    count, total = compiled.masks.count, compiled.masks.total
    words = classes.port_atoms.words
    table = MaskTable(words)
    pod_to_pod = np.zeros((count, count), dtype=np.uint32)
    ext_to_pod = np.zeros((total - count, count), dtype=np.uint32)
    pod_to_ext = np.zeros((count, total - count), dtype=np.uint32)
    block = max(1, BLOCK_BYTES // max(1, 8 * words * (total + count)))
    for start in range(0, count, block):
        stop = min(count, start + block)
        into = walk_block(compiled, Direction.INGRESS, start, stop, total, effective)
        out = walk_block(compiled, Direction.EGRESS, start, stop, count, effective)
        pod_to_pod[:, start:stop] = table.encode(out & into[:count])
        ext_to_pod[:, start:stop] = table.encode(into[count:])
        del into, out
    for start in range(count, total, block):
        stop = min(total, start + block)
        out = walk_block(compiled, Direction.EGRESS, start, stop, count, effective)
        pod_to_ext[:, start - count : stop - count] = table.encode(out)
    return ConnectivityMatrix(classes, table, pod_to_pod, pod_to_ext, ext_to_pod)
