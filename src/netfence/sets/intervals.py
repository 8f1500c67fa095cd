"""Sets of integers kept as sorted, disjoint, non-adjacent inclusive intervals."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final


class IntervalSet:
    """An immutable set of integers, stored canonically so that equal sets compare equal.

    Intervals are inclusive ``(lo, hi)`` pairs, sorted, disjoint and never adjacent
    (``(1, 2), (3, 4)`` is stored as ``(1, 4)``).
    """

    __slots__ = ("_intervals",)

    def __init__(self, intervals: Iterable[tuple[int, int]] = ()) -> None:
        """The set of the given inclusive intervals, in any order, overlapping or not (empty
        ones, ``lo > hi``, are dropped): sorted once and merged in one pass."""
        self._intervals: Final[tuple[tuple[int, int], ...]] = _normalize(intervals)

    @classmethod
    def union_of(cls, sets: Iterable[IntervalSet]) -> IntervalSet:
        """The union of many sets, sorted and merged once (folding ``|`` would be quadratic)."""
        return cls(span for s in sets for span in s._intervals)

    @classmethod
    def of(cls, lo: int, hi: int | None = None) -> IntervalSet:
        """The interval ``[lo, hi]`` (a single value when ``hi`` is omitted)."""
        return cls(((lo, lo if hi is None else hi),))

    @property
    def intervals(self) -> tuple[tuple[int, int], ...]:
        """The canonical intervals."""
        return self._intervals

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self._intervals)

    def __bool__(self) -> bool:
        return bool(self._intervals)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntervalSet) and self._intervals == other._intervals

    def __hash__(self) -> int:
        return hash(self._intervals)

    def __repr__(self) -> str:
        return f"IntervalSet({list(self._intervals)!r})"

    def __contains__(self, value: int) -> bool:
        lo_idx, hi_idx = 0, len(self._intervals)
        while lo_idx < hi_idx:
            mid = (lo_idx + hi_idx) // 2
            lo, hi = self._intervals[mid]
            if value < lo:
                hi_idx = mid
            elif value > hi:
                lo_idx = mid + 1
            else:
                return True
        return False

    def size(self) -> int:
        """How many integers the set holds."""
        return sum(hi - lo + 1 for lo, hi in self._intervals)

    def __or__(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet(self._intervals + other._intervals)

    def __and__(self, other: IntervalSet) -> IntervalSet:
        out: list[tuple[int, int]] = []
        a, b = self._intervals, other._intervals
        i = j = 0
        while i < len(a) and j < len(b):
            lo = max(a[i][0], b[j][0])
            hi = min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return IntervalSet(out)

    def __sub__(self, other: IntervalSet) -> IntervalSet:
        out: list[tuple[int, int]] = []
        b = other._intervals
        j = 0
        for lo, hi in self._intervals:
            cur = lo
            while j < len(b) and b[j][1] < cur:
                j += 1
            k = j
            while k < len(b) and b[k][0] <= hi:
                if b[k][0] > cur:
                    out.append((cur, b[k][0] - 1))
                cur = max(cur, b[k][1] + 1)
                k += 1
            if cur <= hi:
                out.append((cur, hi))
        return IntervalSet(out)

    def issubset(self, other: IntervalSet) -> bool:
        """Whether every integer of this set is in ``other``."""
        return not (self - other)


def _normalize(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    ordered = sorted((lo, hi) for lo, hi in intervals if lo <= hi)
    merged: list[tuple[int, int]] = []
    for lo, hi in ordered:
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)
