"""Distinct masks numbered by small ids: the connection sets of the matrices and the
states and outcomes of the tier-by-tier walk are all held as ids into such a table."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from netfence.sets.atoms import Mask

IdArray = npt.NDArray[np.uint32]


class MaskTable:
    """Assigns ids to distinct masks, id 0 being the empty one."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.masks: list[Mask] = [np.zeros(words, dtype=np.uint64)]
        self.ids: dict[bytes, int] = {self.masks[0].tobytes(): 0}
        self._stacked: npt.NDArray[np.uint64] | None = None

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

    @property
    def stacked(self) -> npt.NDArray[np.uint64]:
        """Every mask, as one array [ids, words] (rebuilt when masks were added)."""
        if self._stacked is None or len(self._stacked) != len(self.masks):
            self._stacked = np.stack(self.masks)
        return self._stacked
