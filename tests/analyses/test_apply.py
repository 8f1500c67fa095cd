"""Policies applied over a cluster (``diff --live``), as ``kubectl apply`` applies objects."""

from __future__ import annotations

from netfence.analyses.apply import apply_policies
from tests.analyses.builders import cluster, deployment, match, namespace, policy, port

BASE = [namespace("shop"), deployment("shop", "web"), deployment("shop", "db")]
CLOSED_DB = policy("shop", "db-ingress", match(app="db"), ingress=[])
OPEN_DB = policy(
    "shop", "db-ingress", match(app="db"),
    ingress=[{"from": [{"podSelector": {}}], "ports": [port(5432)]}],
)  # fmt: skip
DENY_WEB = policy("shop", "web-ingress", match(app="web"), ingress=[])


def test_an_object_of_the_same_kind_namespace_and_name_is_replaced_in_place():
    """kubectl apply: an object is identified by kind, namespace and name; applying one that
    exists replaces it (here the db's ingress policy now admits 5432)."""
    live = cluster(*BASE, CLOSED_DB, DENY_WEB)
    applied = apply_policies(live, cluster(OPEN_DB))
    assert [p.name for p in applied.policies] == ["db-ingress", "web-ingress"]
    (db,) = [p for p in applied.policies if p.name == "db-ingress"]
    assert db.ingress and db.ingress[0].ports


def test_a_new_object_joins_and_the_others_stay():
    """Objects the applied manifests do not name stay as they are (apply never prunes)."""
    live = cluster(*BASE, CLOSED_DB)
    applied = apply_policies(live, cluster(DENY_WEB))
    assert [p.name for p in applied.policies] == ["db-ingress", "web-ingress"]


def test_pods_and_workloads_stay_as_they_run():
    """Workloads in the applied manifests do not replace the running pods: a rollout is not a
    policy change, and manifests carry no pod addresses."""
    live = cluster(*BASE)
    applied = apply_policies(live, cluster(namespace("shop"), deployment("shop", "other")))
    assert applied.pods == live.pods
    assert applied.workloads == live.workloads


def test_a_namespace_object_replaces_the_labels():
    """A Namespace given in the manifests replaces the running namespace's labels (which
    namespaceSelectors match); one only referenced by a policy does not."""
    live = cluster(*BASE)
    applied = apply_policies(live, cluster(namespace("shop", team="payments")))
    assert applied.namespaces["shop"].labels["team"] == "payments"
    untouched = apply_policies(live, cluster(policy("shop", "p", match(app="db"), ingress=[])))
    assert untouched.namespaces["shop"] == live.namespaces["shop"]
