"""Endpoints: bare pods, workload pod templates, owned pods folding into their workload."""

from __future__ import annotations

import pytest

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.engine.explain import explain_flow
from netfence.sets import PortSet
from netfence.sources.manifests import load_cluster_from_text

from .helpers import ALL, connectivity, docs, endpoints, labels, ns, pod, policy, tcp, workload

WORKLOAD_KINDS = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
]


@pytest.mark.parametrize("granularity", ["pod", "workload"])
@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
def test_workload_pod_template_is_an_endpoint(kind: str, granularity: str) -> None:
    """Workload resources (Deployment, StatefulSet, DaemonSet, ReplicaSet,
    ReplicationController, Job; CronJob via jobTemplate): the pod template's labels and
    container ports describe the pods the workload runs; netfence names that endpoint
    namespace/<workload name>, and policies select it and resolve its named ports."""
    name = f"wl-{kind.lower()}"
    conn = connectivity(
        docs(
            ns("a"),
            workload(
                kind, name, "a", {"app": "target", "tier": "t"}, ports=[("http", 8080, "TCP")]
            ),
            pod("client", "a", {"role": "client"}),
            pod("other", "a", {"role": "other"}),
            policy(
                "target-ingress",
                "a",
                labels(app="target"),
                ingress=[
                    {"from": [{"podSelector": labels(role="client")}], "ports": [{"port": "http"}]}
                ],
            ),
        ),
        granularity=granularity,
    )
    assert conn[("a/client", f"a/{name}")] == tcp(8080)
    assert ("a/other", f"a/{name}") not in conn
    assert conn[(f"a/{name}", "a/other")] == ALL  # template pods are sources too


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
def test_workload_pod_template_is_a_selectable_source(kind: str) -> None:
    """NetworkPolicyPeer.podSelector (API reference) applied to workload pods: a peer selector
    matching the pod template's labels admits the workload as a source."""
    name = f"src-{kind.lower()}"
    conn = connectivity(
        docs(
            ns("a"),
            workload(kind, name, "a", {"role": "client"}),
            pod("server", "a", {"app": "server"}),
            policy(
                "server-ingress",
                "a",
                labels(app="server"),
                ingress=[
                    {"from": [{"podSelector": labels(role="client")}], "ports": [{"port": 443}]}
                ],
            ),
        )
    )
    assert conn[(f"a/{name}", "a/server")] == tcp(443)


FRONTEND_LABELS = {"app": "frontend", "tier": "web"}
HASH = "7d9c5b8f6d"


def _owned_frontend_pods() -> list[str]:
    pod_labels = {**FRONTEND_LABELS, "pod-template-hash": HASH}
    return [
        pod(
            f"frontend-{HASH}-abcde",
            "a",
            pod_labels,
            ports=[("http", 8080, "TCP")],
            ip="10.244.1.12",
            owner=("ReplicaSet", f"frontend-{HASH}"),
        ),
        pod(
            f"frontend-{HASH}-fghij",
            "a",
            pod_labels,
            ports=[("http", 8080, "TCP")],
            ip="10.244.2.13",
            owner=("ReplicaSet", f"frontend-{HASH}"),
        ),
    ]


def _frontend_policy() -> str:
    return policy(
        "frontend-ingress",
        "a",
        labels(app="frontend"),
        ingress=[{"from": [{"podSelector": labels(role="client")}], "ports": [{"port": "http"}]}],
    )


def _assert_folded(conn: dict[tuple[str, str], dict[str, list[tuple[int, int]]]]) -> None:
    names = endpoints(conn)
    assert "a/frontend" in names
    assert f"a/frontend-{HASH}-abcde" not in names
    assert f"a/frontend-{HASH}-fghij" not in names
    assert f"a/frontend-{HASH}" not in names
    assert conn[("a/client", "a/frontend")] == tcp(8080)


def test_pods_owned_through_replicaset_fold_into_deployment() -> None:
    """ownerReferences (Owners and Dependents concept page): a Pod owned by a ReplicaSet that a
    Deployment owns belongs to that Deployment; in workload granularity netfence folds it into
    the endpoint a/<deployment name> instead of listing it separately."""
    conn = connectivity(
        docs(
            ns("a"),
            workload("Deployment", "frontend", "a", FRONTEND_LABELS, ports=[("http", 8080, "TCP")]),
            workload(
                "ReplicaSet",
                f"frontend-{HASH}",
                "a",
                {**FRONTEND_LABELS, "pod-template-hash": HASH},
                ports=[("http", 8080, "TCP")],
                owner=("Deployment", "frontend"),
            ),
            *_owned_frontend_pods(),
            pod("client", "a", {"role": "client"}),
            _frontend_policy(),
        ),
        granularity="workload",
    )
    _assert_folded(conn)


def test_pods_owned_by_hash_named_replicaset_fold_into_deployment() -> None:
    """Deployments concept page (pod-template-hash label): a ReplicaSet created by a Deployment
    is named <deployment>-<pod-template-hash>; in workload granularity a Pod owned by such a
    ReplicaSet folds into the Deployment even when the ReplicaSet is not among the manifests."""
    conn = connectivity(
        docs(
            ns("a"),
            workload("Deployment", "frontend", "a", FRONTEND_LABELS, ports=[("http", 8080, "TCP")]),
            *_owned_frontend_pods(),
            pod("client", "a", {"role": "client"}),
            _frontend_policy(),
        ),
        granularity="workload",
    )
    _assert_folded(conn)


def test_owned_pods_are_their_own_endpoints_in_pod_granularity() -> None:
    """Pod granularity: each Pod object given is an endpoint named namespace/<pod name>, owned
    or not; policies select those pods by their own labels and resolve their own ports."""
    conn = connectivity(
        docs(
            ns("a"),
            workload("Deployment", "frontend", "a", FRONTEND_LABELS, ports=[("http", 8080, "TCP")]),
            *_owned_frontend_pods(),
            pod("client", "a", {"role": "client"}),
            _frontend_policy(),
        ),
        granularity="pod",
    )
    assert conn[("a/client", f"a/frontend-{HASH}-abcde")] == tcp(8080)
    assert conn[("a/client", f"a/frontend-{HASH}-fghij")] == tcp(8080)


@pytest.mark.parametrize("granularity", ["pod", "workload"])
def test_bare_pod_is_named_namespace_slash_name(granularity: str) -> None:
    """Pod (API reference): a Pod without an owning workload is its own endpoint, named
    namespace/name."""
    conn = connectivity(
        docs(
            ns("shop"),
            pod("debug", "shop", {"app": "debug"}, ip="10.244.3.50"),
            pod("debug", "other", {"app": "debug"}),
        ),
        granularity=granularity,
    )
    assert conn[("shop/debug", "other/debug")] == ALL
    assert conn[("other/debug", "shop/debug")] == ALL


SHARED_NAME = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: web
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: pg}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: bare}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
"""


def test_workloads_sharing_a_name_stay_apart():
    """Object names are unique per kind and namespace only (Kubernetes object names and IDs):
    a Deployment, a StatefulSet and a bare Pod may all be called ``web``. Each stays its own
    endpoint, the workloads keyed ``namespace/Kind/name``; only the Deployment (app=web) may
    reach the StatefulSet (app=db), whatever the file order."""
    docs = SHARED_NAME.strip().split("\n---\n")
    for order in (docs, list(reversed(docs))):
        cluster = load_cluster_from_text("\n---\n".join(order))
        pairs = connectivity_map(cluster, Granularity.WORKLOAD).pairs()
        db = "shop/StatefulSet/web"
        assert pairs[("shop/Deployment/web", db)] == PortSet.all()
        assert ("shop/web", db) not in pairs
        assert pairs[("shop/web", "shop/Deployment/web")] == PortSet.all()
        assert explain_flow(cluster, "shop/Deployment/web", db).verdict is True
        assert explain_flow(cluster, "shop/web", db).verdict is False
