"""The grouped connectivity map and its pairs (docs/json-connectivity.md, version 3).

Each form, read back, must mean exactly what ``ConnectivityMap.pairs`` says: on the bundled
example and on generated clusters with Calico and admin policies, at both granularities,
whole and for one namespace, and whatever the block of source classes computed at a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netfence.analyses.connectivity_groups import compute, connectivity_groups, iter_pairs
from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.model.cluster import Cluster
from netfence.report.connectivity_groups import render_groups_json, render_pairs_json
from netfence.sources.manifests import load_cluster, load_cluster_from_text
from tests.support.connectivity_pairs import (
    canonical,
    expand_groups,
    flat_pairs,
    workload_pairs,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "arc-cluster"


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cluster]:
    """The example, and a generated cluster of 200 pods and 80 policies (Calico, admin)."""
    out = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "generate_cluster.py"),
            *("--pods", "200", "--policies", "80", "--calico", "0.2", "--admin", "0.1"),
            *("--out", str(out)),
        ],
        check=True,
        capture_output=True,
    )
    manifests = [str(p) for p in sorted(EXAMPLE.rglob("*.yaml")) if "kubernetes" in str(p)]
    return {
        "example": load_cluster(manifests or [str(EXAMPLE)]),
        "generated": load_cluster([str(out)]),
    }


def _grouped(cluster: Cluster, granularity: Granularity, **kw: object) -> str:
    groups = connectivity_groups(cluster, granularity, **kw)  # type: ignore[arg-type]
    return "".join(render_groups_json(groups))


def _flat(cluster: Cluster, granularity: Granularity, **kw: object) -> str:
    runs = iter_pairs(cluster, granularity, **kw)  # type: ignore[arg-type]
    return "".join(render_pairs_json(granularity, runs))


CASES = [
    (name, granularity, namespaces)
    for name in ("example", "generated")
    for granularity in Granularity
    for namespaces in (None, "one")
]


def _map_pairs(cluster: Cluster, granularity: Granularity, namespaces: list[str] | None):
    """The map's pairs; at workload granularity, made from its pod pairs (what all of a
    workload's pods get, a workload to itself its pods to one another)."""
    pairs = connectivity_map(cluster, Granularity.POD, namespaces).pairs()
    return pairs if granularity is Granularity.POD else workload_pairs(pairs, cluster)


def _namespaces(cluster: Cluster, which: str | None) -> list[str] | None:
    if which is None:
        return None
    return [sorted({p.namespace for p in cluster.pods})[0]]


@pytest.mark.parametrize(("name", "granularity", "which"), CASES)
def test_expanding_the_groups_gives_the_map_pairs(clusters, name, granularity, which):
    """Groups form: every source group with every destination group of a connection, a
    group to itself its pods to each other (never a pod to itself), a workload what all its
    pods get, is exactly ``ConnectivityMap.pairs``; with ``-n``, of the connections with an
    end in those namespaces."""
    cluster = clusters[name]
    namespaces = _namespaces(cluster, which)
    expected = _map_pairs(cluster, granularity, namespaces)
    document = json.loads(_grouped(cluster, granularity, namespaces=namespaces))
    got = canonical(expand_groups(document))
    assert got == canonical(expected)
    assert got[0], "the case has in-cluster connections"


@pytest.mark.parametrize(("name", "granularity", "which"), CASES)
def test_flat_pairs_are_the_expansion(clusters, name, granularity, which):
    """Pairs form (--flat): the same pairs as the grouped form expanded, and as
    ``ConnectivityMap.pairs``; no pair is written twice."""
    cluster = clusters[name]
    namespaces = _namespaces(cluster, which)
    document = json.loads(_flat(cluster, granularity, namespaces=namespaces))
    listed = [(p["src"], p["dst"]) for p in document["pairs"]]
    assert len(listed) == len(set(listed))
    grouped = json.loads(_grouped(cluster, granularity, namespaces=namespaces))
    assert canonical(flat_pairs(document)) == canonical(expand_groups(grouped))
    expected = _map_pairs(cluster, granularity, namespaces)
    assert canonical(flat_pairs(document)) == canonical(expected)


@pytest.mark.parametrize("granularity", list(Granularity))
def test_block_size_does_not_change_the_output(clusters, granularity):
    """Blocks of source classes: rows are merged across blocks by their digest, so one class
    at a time, seven, and the default budget give the same text, in both forms."""
    cluster = clusters["generated"]
    computed = compute(cluster)
    grouped = {_grouped(cluster, granularity, block=b, computed=computed) for b in (1, 7, None)}
    assert len(grouped) == 1
    flat = {_flat(cluster, granularity, block=b, computed=computed) for b in (1, 7, None)}
    assert len(flat) == 1


def test_sources_with_equal_rows_are_one_connection(clusters):
    """Groups form: sources whose rows are identical are merged, so no two connections have
    the same destinations and allowed set, and each pair of groups is named once."""
    document = json.loads(_grouped(clusters["generated"], Granularity.POD))
    by_source: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = {}
    for entry in document["connections"]:
        by_source.setdefault(tuple(entry["src"]), []).append(
            (tuple(entry["dst"]), json.dumps(entry["allowed"]))
        )
    rows = [tuple(sorted(row)) for row in by_source.values()]
    assert len(rows) == len(set(rows))
    assert any(len(src) > 1 for src in by_source)


SELF = """
apiVersion: v1
kind: Pod
metadata: {name: lonely, namespace: ns, labels: {app: lonely}}
---
apiVersion: v1
kind: Pod
metadata: {name: twin-a, namespace: ns, labels: {app: twin}}
---
apiVersion: v1
kind: Pod
metadata: {name: twin-b, namespace: ns, labels: {app: twin}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}}
"""
# One policy per app, allowing everything in: each app is a group of its own.
SELF += "".join(
    f"""---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {app}, namespace: ns}}
spec:
  podSelector: {{matchLabels: {{app: {app}}}}}
  ingress: [{{}}]
"""
    for app in ("lonely", "twin", "web")
)


def test_a_one_pod_group_never_lists_itself():
    """Groups form, a group to itself: pods of a group reach each other, never a pod itself,
    so a group of one Pod is never its own destination, while two Pods alike are; a
    workload's pod template stands for its replicas, which may reach each other."""
    cluster = load_cluster_from_text(SELF)
    document = json.loads(_grouped(cluster, Granularity.POD))
    groups = {g["members"][0]: g for g in document["groups"]}
    to_self = {g for entry in document["connections"] for g in entry["src"] if g in entry["dst"]}
    assert groups["ns/lonely"]["id"] not in to_self
    assert groups["ns/lonely"]["size"] == 1
    assert groups["ns/twin-a"]["id"] in to_self
    assert groups["ns/twin-a"]["members"] == ["ns/twin-a", "ns/twin-b"]
    assert groups["ns/web"]["id"] in to_self
    assert groups["ns/web"]["replicated"] == ["ns/web"]
    pairs = expand_groups(document)
    assert ("ns/twin-a", "ns/twin-b") in pairs
    assert ("ns/twin-a", "ns/twin-a") not in pairs
    assert ("ns/lonely", "ns/lonely") not in pairs
    assert ("ns/web", "ns/web") in pairs


def test_groups_say_what_makes_them(clusters):
    """Groups form: a group's labels are those every member has, its size its pods, and
    selected_by the policies that select it for each direction."""
    cluster = clusters["example"]
    document = json.loads(_grouped(cluster, Granularity.WORKLOAD))
    pods = {p.key: p for p in cluster.pods}
    for group in document["groups"]:
        assert group["size"] == sum(m["pods"] for m in group["members"])
        for member in group["members"]:
            assert member["name"].split("/")[0] == group["namespace"]
    policies = {p["id"]: (p["kind"], p["namespace"], p["name"]) for p in document["policies"]}
    frontend = next(g for g in document["groups"] if g["labels"].get("app") == "frontend")
    ingress = {policies[p] for p in frontend["selected_by"]["ingress"]}
    assert ("NetworkPolicy", "shop", "default-deny-all") in ingress
    egress = {policies[p][2] for p in frontend["selected_by"]["egress"]}
    assert "frontend-egress-to-backend" in egress
    assert "frontend-allow-ingress-nginx" not in egress
    assert {m["name"] for m in frontend["members"]} == {"shop/frontend"}
    assert pods["shop/frontend-7d9c5b8f6d-abcde"].labels.items() >= frontend["labels"].items()


def test_classes_no_policy_tells_apart_are_one_group(clusters):
    """Groups form: classes of one namespace with the same policy signatures (selected by the
    same policies, and selected alike as peers, both directions) are one group, so there are
    fewer groups than label sets; every pod is in exactly one group."""
    cluster = clusters["generated"]
    matrix, _ = compute(cluster)
    document = json.loads(_grouped(cluster, Granularity.POD, computed=(matrix, _)))
    assert len(document["groups"]) < matrix.classes.count
    members = [m for g in document["groups"] for m in g["members"]]
    assert sorted(members) == sorted(p.key for p in cluster.pods)
