"""Distinct masks numbered by small ids: the connection sets of the matrices and the
states and outcomes of the tier-by-tier walk are all held as ids into such a table."""

from __future__ import annotations

from typing import Final

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
        # Rows are told apart by a 64-bit hash, sorted as integers: several times faster than
        # sorting them as byte strings. Each row is then compared with its hash's
        # representative, so that a collision falls back to the exact sort.
        unique_hashes, inverse = np.unique(_row_hashes(flat), return_inverse=True)
        inverse = inverse.reshape(-1)
        representative = np.empty(len(unique_hashes), dtype=np.intp)
        representative[inverse] = np.arange(len(inverse))
        distinct = flat[representative]
        if not np.array_equal(distinct[inverse], flat):
            keys = flat.view(np.dtype((np.void, 8 * self.words))).reshape(-1)
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            inverse = inverse.reshape(-1)
            distinct = flat[first]
        local = np.empty(len(distinct), dtype=np.uint32)
        for i, row in enumerate(distinct):
            raw = row.tobytes()
            mask_id = self.ids.get(raw)
            if mask_id is None:
                mask_id = self.ids[raw] = len(self.masks)
                self.masks.append(row.copy())
            local[i] = mask_id
        return local[inverse].reshape(shape)

    @property
    def stacked(self) -> npt.NDArray[np.uint64]:
        """Every mask, as one array [ids, words] (rebuilt when masks were added)."""
        if self._stacked is None or len(self._stacked) != len(self.masks):
            self._stacked = np.stack(self.masks)
        return self._stacked


_HASH_FACTORS: Final = 0x9E3779B97F4A7C15
"""Multiplier of the row hash (the 64-bit golden ratio, odd): spreads every bit of a word."""


def _row_hashes(rows: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per row of ``rows`` [n, words], from every word in order."""
    factor = np.uint64(_HASH_FACTORS)
    with np.errstate(over="ignore"):
        hashes = rows[:, 0] * factor
        for k in range(1, rows.shape[1]):
            hashes = (hashes << np.uint64(7)) | (hashes >> np.uint64(57))
            hashes ^= rows[:, k] * (factor + np.uint64(2 * k))
    return hashes
