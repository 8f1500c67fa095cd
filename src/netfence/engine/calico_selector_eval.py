"""Evaluate Calico selectors over a LabelIndex: one boolean mask over all label sets at once.

Each label test becomes one ``LabelIndex.match_values`` call, which tests every distinct value
of the key once; ``!``, ``&&`` and ``||`` are numpy operations on the masks. Masks of label
tests and of the selectors asked for are cached per index, so the many policies that repeat a
test (``projectcalico.org/namespace == 'prod'``) pay for it once.
"""

from __future__ import annotations

import weakref

import numpy as np

from netfence.engine.labelindex import BoolArray, LabelIndex
from netfence.model.calico_selector import All, And, Global, LabelTest, Not, Or, Selector

# Label tests are keyed by the node alone (``namespaced`` cannot change them); the selectors
# asked for by (node, namespaced).
_Memo = dict[Selector | tuple[Selector, bool], BoolArray]

# Keyed weakly so that a memo lives exactly as long as its index.
_MEMOS: weakref.WeakKeyDictionary[LabelIndex, _Memo] = weakref.WeakKeyDictionary()


def evaluate(selector: Selector, index: LabelIndex, *, namespaced: bool = True) -> BoolArray:
    """Which of the index's label sets ``selector`` matches; agrees with ``selector.matches``.

    ``namespaced`` says whether the labelled objects live in a namespace (it only changes
    ``global()``). The mask is cached and shared, hence read-only: copy it before changing it.
    """
    memo = _MEMOS.get(index)
    if memo is None:
        memo = _MEMOS[index] = {}
    return _mask(selector, index, namespaced, memo, keep=True)


def _mask(
    node: Selector, index: LabelIndex, namespaced: bool, memo: _Memo, keep: bool
) -> BoolArray:
    memo_key: Selector | tuple[Selector, bool] = (
        node if isinstance(node, LabelTest) else (node, namespaced)
    )
    cached = memo.get(memo_key)
    if cached is not None:
        return cached
    result: BoolArray
    match node:
        case All():
            result = np.ones(index.size, dtype=np.bool_)
        case Global():
            result = np.full(index.size, not namespaced, dtype=np.bool_)
        case LabelTest():
            result = index.match_values(node.key, node.test, node.absent_matches)
            keep = True  # scanning a column is the costly part; compound nodes are cheap
        case Not(operand=operand):
            result = ~_mask(operand, index, namespaced, memo, keep=False)
        case And(operands=operands) | Or(operands=operands):
            masks = [_mask(op, index, namespaced, memo, keep=False) for op in operands]
            combine = np.logical_and if isinstance(node, And) else np.logical_or
            result = masks[0].copy()  # masks[0] may be a cached, read-only mask
            for mask in masks[1:]:
                combine(result, mask, out=result)
        case _:
            raise TypeError(f"not a Calico selector node: {node!r}")
    if keep:
        result.flags.writeable = False
        memo[memo_key] = result
    return result
