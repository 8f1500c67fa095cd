"""One direction's verdicts composed tier by tier over signatures equal the first-match walk
over every class and address atom one by one, and so do the rules found to take effect.

The rules checked (engine/evaluator.py, engine/tier_composition.py): a tier decides a value
it is handed without regard to what earlier tiers did with other values, so its outcome can
be computed once per pair of its own signatures and composed in tier order; a rule takes
effect when it is the first of its tier to decide (or pass) a value some flow reaches the
tier with undecided, wherever the walk's blocks are cut.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from netfence.engine import tier_composition
from netfence.engine.classes import EndpointClasses, build_classes
from netfence.engine.connectivity import compile_policies, compute_connectivity
from netfence.engine.evaluator import DirectionWalk
from netfence.model.layers import RuleId
from netfence.model.networkpolicy import Direction
from netfence.policy.layering import CompiledPolicies
from netfence.sources.manifests import load_cluster, load_cluster_from_text
from tests.engine.random_layered import layered_clusters
from tests.engine.test_many_ipblocks import ROOT, _generator


def _class_by_class(
    compiled: CompiledPolicies, direction: Direction, block: int
) -> tuple[np.ndarray, set[RuleId]]:
    """Allowed masks [rows, columns] of the plain walk, every class and atom its own axis."""
    walk = DirectionWalk(
        compiled,
        direction,
        np.arange(compiled.masks.count, dtype=np.intp),
        np.arange(compiled.masks.total, dtype=np.intp),
    )
    effective: set[RuleId] = set()
    parts = [
        walk.block(s, min(walk.width, s + block), effective) for s in range(0, walk.width, block)
    ]
    empty = np.zeros((walk.height, 0, compiled.space.port_atoms.words), np.uint64)
    return (np.concatenate(parts, axis=1) if parts else empty), effective


def _assert_same(classes: EndpointClasses) -> None:
    compiled = compile_policies(classes)
    effective: set[RuleId] = set()
    matrix = compute_connectivity(classes, compiled, effective)
    masks = np.stack(matrix.masks)
    count = compiled.masks.count
    out, out_effective = _class_by_class(compiled, Direction.EGRESS, 5)
    into, in_effective = _class_by_class(compiled, Direction.INGRESS, 3)
    whole = np.asarray(matrix.pod_to_pod)
    assert np.array_equal(masks[whole], out[:, :count] & into[:count]), "pod to pod"
    assert np.array_equal(masks[matrix.pod_to_ext], out[:, count:]), "pod to address"
    assert np.array_equal(masks[matrix.ext_to_pod], into[count:]), "address to pod"
    assert effective == out_effective | in_effective, "rules taking effect"
    # Without effects tracked, a tier walked over the direction's cells is walked from
    # nothing decided and composed like the others: the same verdicts.
    plain = compute_connectivity(classes, compiled)
    plain_masks = np.stack(plain.masks)
    assert np.array_equal(plain_masks[np.asarray(plain.pod_to_pod)], masks[whole])
    assert np.array_equal(plain_masks[plain.pod_to_ext], masks[matrix.pod_to_ext])
    assert np.array_equal(plain_masks[plain.ext_to_pod], masks[matrix.ext_to_pod])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layered_clusters())
def test_composed_tiers_equal_the_class_by_class_walk(manifests: str):
    """Admin, Calico tiers, the default tier and Baseline: composed or walked directly, the
    verdicts and the effective rules are those of the walk over every class."""
    _assert_same(build_classes(load_cluster_from_text(manifests)))


@pytest.mark.parametrize("share", [10**9, 0], ids=["every-tier-direct", "every-tier-composed"])
def test_generated_cluster_whichever_way_tiers_are_walked(tmp_path, monkeypatch, share):
    """The benchmark's mix of every policy family (Calico tiers with Pass and Deny, admin
    tiers, Kubernetes policies at order 1000): composing every tier, or walking every tier
    over the direction's cells, gives the class-by-class verdicts and effective rules."""
    _generator().generate(150, 60, 1, tmp_path, calico=0.2, admin=0.1)
    # A tier is composed when its cells times the share are at most the direction's.
    monkeypatch.setattr(tier_composition, "COMPOSE_SHARE", share)
    _assert_same(build_classes(load_cluster([tmp_path])))


def test_example_cluster_factors_agree():
    """The bundled example, as shipped."""
    _assert_same(build_classes(load_cluster([ROOT / "examples" / "arc-cluster"])))


def test_class_pair_ids_index_like_the_whole_matrix():
    """ClassPairIds answers each indexing the analyses use (a row, a cell, rows, slices,
    np.ix_ blocks, ``rows``) as the materialised class x class array would."""
    classes = build_classes(load_cluster([ROOT / "examples" / "arc-cluster"]))
    matrix = compute_connectivity(classes)
    pairs = matrix.pod_to_pod
    whole = np.asarray(pairs)
    count = classes.count
    assert pairs.shape == whole.shape == (count, count)
    rows, cols = np.array([2, 0, count - 1]), np.array([1, count - 1, 1])
    assert np.array_equal(pairs[3], whole[3])
    assert pairs[1, 2] == whole[1, 2]
    assert np.array_equal(pairs[[0, 2]], whole[[0, 2]])
    assert np.array_equal(pairs[1:4], whole[1:4])
    assert np.array_equal(pairs[:, 2], whole[:, 2])
    assert np.array_equal(pairs[np.ix_(rows, cols)], whole[np.ix_(rows, cols)])
    assert np.array_equal(matrix.rows(1, 3), whole[1:3])
    with pytest.raises(IndexError):
        pairs[rows, cols]
