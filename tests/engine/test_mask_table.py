"""MaskTable: equal masks get one id, distinct masks distinct ids, however rows collide."""

from __future__ import annotations

import numpy as np
import pytest

from netfence.engine import mask_table
from netfence.engine.mask_table import MaskTable


def _masks(seed: int, distinct: int, rows: int, words: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**63, size=(distinct, words), dtype=np.uint64)
    base[0] = 0  # the empty mask is among them
    return base[rng.integers(0, distinct, size=rows)]


def _check(table: MaskTable, block: np.ndarray, ids: np.ndarray) -> None:
    # Each id decodes to its row, so equal ids mean equal masks and vice versa.
    assert np.array_equal(table.stacked[ids], block)
    assert len(table.masks) == len({row.tobytes() for row in table.masks})


@pytest.mark.parametrize("words", [1, 3, 8])
def test_ids_decode_to_the_masks_they_stand_for(words: int) -> None:
    table = MaskTable(words)
    first = _masks(1, 200, 5000, words)
    second = _masks(2, 200, 3000, words)
    ids = table.encode(first.reshape(50, 100, words))
    _check(table, first, ids.reshape(-1))
    again = table.encode(second)
    _check(table, second, again)
    assert int(table.encode(np.zeros((1, words), dtype=np.uint64))[0]) == 0


def test_colliding_hashes_fall_back_to_the_exact_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every row hashing alike is the worst collision: the ids must still tell rows apart.
    monkeypatch.setattr(mask_table, "_row_hashes", lambda rows: np.zeros(len(rows), np.uint64))
    table = MaskTable(2)
    block = _masks(3, 50, 1000, 2)
    ids = table.encode(block)
    _check(table, block, ids)
    assert len(np.unique(ids)) == len({row.tobytes() for row in block})
