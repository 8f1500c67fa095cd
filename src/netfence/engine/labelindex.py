"""Evaluate label selectors over many label sets at once, as numpy boolean masks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from netfence.model.selectors import LabelSelector, Operator, Requirement

BoolArray = npt.NDArray[np.bool_]


class LabelIndex:
    """Label sets in columns: for each key, the value id each label set carries (-1: absent).

    Each distinct requirement and selector is evaluated once and cached, so thousands of
    policies that repeat the same selectors cost little.
    """

    def __init__(self, label_sets: Sequence[Mapping[str, str]]) -> None:
        self.size = len(label_sets)
        self._values: dict[str, dict[str, int]] = {}
        self._columns: dict[str, npt.NDArray[np.int32]] = {}
        self._label_sets = label_sets
        self._requirements: dict[Requirement, BoolArray] = {}
        self._selectors: dict[LabelSelector, BoolArray] = {}

    def _column(self, key: str) -> npt.NDArray[np.int32]:
        column = self._columns.get(key)
        if column is None:
            ids = self._values.setdefault(key, {})
            column = np.fromiter(
                (
                    -1 if (v := labels.get(key)) is None else ids.setdefault(v, len(ids))
                    for labels in self._label_sets
                ),
                dtype=np.int32,
                count=self.size,
            )
            self._columns[key] = column
        return column

    def _requirement(self, req: Requirement) -> BoolArray:
        cached = self._requirements.get(req)
        if cached is not None:
            return cached
        column = self._column(req.key)
        ids = self._values[req.key]
        wanted = np.array([ids[v] for v in req.values if v in ids], dtype=np.int32)
        match req.operator:
            case Operator.IN:
                result = np.isin(column, wanted)
            case Operator.NOT_IN:
                result = ~np.isin(column, wanted)  # absent (-1) is never in wanted: matches
            case Operator.EXISTS:
                result = column >= 0
            case Operator.DOES_NOT_EXIST:
                result = column < 0
        self._requirements[req] = result
        return result

    def match_values(self, key: str, predicate: Callable[[str], bool], absent: bool) -> BoolArray:
        """Label sets whose value for ``key`` satisfies ``predicate``; ``absent`` for those
        without the key. Each distinct value is tested once."""
        column = self._column(key)
        ids = self._values[key]
        table = np.zeros(len(ids) + 1, dtype=np.bool_)
        table[-1] = absent  # column value -1 indexes the last entry
        for value, i in ids.items():
            table[i] = predicate(value)
        return table[column]

    def select(self, selector: LabelSelector) -> BoolArray:
        """Which label sets the selector matches."""
        cached = self._selectors.get(selector)
        if cached is not None:
            return cached
        result = np.ones(self.size, dtype=np.bool_)
        for req in selector.requirements:
            result &= self._requirement(req)
        self._selectors[selector] = result
        return result
