"""The semantic diff: each case names the rule whose effect it checks, and the property tests
hold the diff to the cell-by-cell difference of two separately computed connectivity maps."""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.analyses.diff import ClusterDiff, ObjectChange, diff_clusters
from netfence.analyses.diff_forbid import forbidden, parse_forbid
from netfence.model.cluster import Cluster
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet
from netfence.sources.manifests import load_cluster_from_text
from tests.analyses.builders import (
    cluster,
    deployment,
    ip_block,
    manifests,
    match,
    namespace,
    pod,
    policy,
    port,
)
from tests.engine.random_clusters import clusters
from tests.engine.random_layered import layered_clusters

TCP = "TCP"


def _shop(*extra: Any, db_ns_labels: dict[str, str] | None = None) -> list[Any]:
    return [
        namespace("shop", team="shop"),
        namespace("data", **(db_ns_labels or {"team": "data"})),
        deployment("shop", "frontend"),
        deployment("shop", "cart"),
        deployment("data", "db"),
        *extra,
    ]


def _pair(diff: ClusterDiff, src: str, dst: str) -> tuple[PortSet, PortSet]:
    return diff.pairs().get((src, dst), (PortSet.none(), PortSet.none()))


def test_identical_inputs_differ_in_nothing():
    """diff(A, A) is empty: no flow, endpoint, policy or namespace change."""
    objects = _shop(
        policy("data", "db", match(app="db"), ingress=[{"from": [{"namespaceSelector": {}}]}])
    )
    diff = diff_clusters(cluster(*objects), cluster(*objects))
    assert diff.empty
    assert diff.changes == ()


def test_networkpolicy_isolation_adding_an_ingress_policy_closes_every_other_source():
    """NetworkPolicy isolation: adding an ingress policy closes every other source."""
    before = cluster(*_shop())
    allow = {"from": [{"podSelector": match(app="cart"), "namespaceSelector": {}}]}
    after = cluster(
        *_shop(policy("data", "db", match(app="db"), ingress=[{**allow, "ports": [port(5432)]}]))
    )
    diff = diff_clusters(before, after)
    added, removed = _pair(diff, "shop/frontend", "data/db")
    assert not added and removed == PortSet.all()
    added, removed = _pair(diff, "shop/cart", "data/db")
    assert not added and removed == PortSet.all() - PortSet.of(TCP, 5432, 5432)
    assert not diff.opened
    # External sources are closed too, written as one ipBlock-shaped range.
    external = [c for c in diff.changes if c.src_addresses]
    assert external and external[0].dst == ("data/db",)
    assert external[0].src_addresses == IPRangeSet.everything()
    # The closing is explained: BEFORE not isolated, AFTER denied at the end of the tier
    # by the isolating policy.
    change = next(c for c in diff.changes if "shop/frontend" in c.src and c.dst == ("data/db",))
    explained = change.closed_by
    assert explained is not None
    assert explained.before.allowed and not explained.after.allowed
    assert explained.before.ingress.action is None  # not isolated
    assert explained.after.ingress.action is Action.DENY
    assert "NetworkPolicy/data/db" in explained.after.ingress.selecting
    assert [p.key for p in diff.policies] == ["NetworkPolicy/data/db"]
    assert diff.policies[0].change is ObjectChange.ADDED


def test_opened_flow_names_the_after_side_allowing_rule():
    """NetworkPolicy ingress rules are a union: a second rule opens a port; the AFTER side's
    deciding rule is named by kind, namespace, name, direction and rule index."""
    first = {"from": [{"podSelector": match(app="cart"), "namespaceSelector": {}}]}
    second = {"from": [{"podSelector": match(app="frontend"), "namespaceSelector": {}}],
              "ports": [port(5432)]}  # fmt: skip
    before = cluster(*_shop(policy("data", "db", match(app="db"), ingress=[first])))
    after = cluster(*_shop(policy("data", "db", match(app="db"), ingress=[first, second])))
    diff = diff_clusters(before, after)
    assert diff.pairs() == {
        ("shop/frontend", "data/db"): (PortSet.of(TCP, 5432, 5432), PortSet.none())
    }
    (change,) = diff.changes
    explained = change.opened_by
    assert explained is not None and change.closed_by is None
    assert (explained.protocol, explained.port) == (TCP, 5432)
    assert not explained.before.allowed and explained.after.allowed
    rule = explained.after.ingress.origin
    assert rule is not None
    assert (rule.kind, rule.namespace, rule.name, rule.direction, rule.rule_index) == (
        "NetworkPolicy", "data", "db", Direction.INGRESS, 1,
    )  # fmt: skip
    assert rule.location is not None and rule.location.line > 0
    assert diff.policies[0].change is ObjectChange.MODIFIED


def test_namespace_selector_relabelling_a_namespace_opens_a_flow():
    """namespaceSelector: relabelling a namespace opens a flow (no policy changed)."""
    rule = {"from": [{"namespaceSelector": match(trusted="yes")}]}
    db = policy("data", "db", match(app="db"), ingress=[rule])
    before = cluster(*_shop(db))
    after = cluster(
        *[namespace("shop", team="shop", trusted="yes") if o.get("kind") == "Namespace"
          and o["metadata"]["name"] == "shop" else o for o in _shop(db)]
    )  # fmt: skip
    diff = diff_clusters(before, after)
    assert diff.policies == ()
    assert [n.name for n in diff.namespaces] == ["shop"]
    assert _pair(diff, "shop/frontend", "data/db") == (PortSet.all(), PortSet.none())
    assert _pair(diff, "shop/cart", "data/db") == (PortSet.all(), PortSet.none())
    assert {c.src for c in diff.changes} == {("shop/cart", "shop/frontend")}


def test_an_endpoint_on_one_side_only_is_an_endpoint_change_not_a_flow_change():
    """Endpoints are identified by namespace/name: a workload only in AFTER is an added
    endpoint; its flows are not reported as opened."""
    before = cluster(*_shop())
    after = cluster(*_shop(deployment("shop", "search")))
    diff = diff_clusters(before, after)
    assert [e.name for e in diff.added_endpoints] == ["shop/search"]
    assert diff.removed_endpoints == ()
    assert diff.changes == ()
    reverse = diff_clusters(after, before)
    assert [e.name for e in reverse.removed_endpoints] == ["shop/search"]


def test_workload_granularity_follows_a_workload_whose_pods_were_renamed():
    """Workload granularity: a workload is one endpoint whatever its pods are called; at pod
    granularity the renamed pods are a removed and an added endpoint."""

    def replica(name: str, labels: dict[str, str]) -> dict[str, Any]:
        obj = pod("shop", name, labels, ip="10.1.0.5")
        obj["metadata"]["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "frontend",
             "controller": True, "uid": "u1"}
        ]  # fmt: skip
        return obj

    base = [namespace("shop"), deployment("shop", "frontend", {"app": "frontend"})]
    before = cluster(*base, replica("frontend-aaaa", {"app": "frontend"}))
    after = cluster(*base, replica("frontend-bbbb", {"app": "frontend"}))
    at_workload = diff_clusters(before, after)
    assert at_workload.added_endpoints == at_workload.removed_endpoints == ()
    assert at_workload.changes == ()
    at_pod = diff_clusters(before, after, Granularity.POD)
    assert [e.name for e in at_pod.added_endpoints] == ["shop/frontend-bbbb"]
    assert [e.name for e in at_pod.removed_endpoints] == ["shop/frontend-aaaa"]


def test_ipblock_egress_change_reports_the_address_ranges():
    """ipBlock: widening an egress ipBlock opens exactly the added addresses."""

    def egress(*blocks: dict[str, Any]) -> dict[str, Any]:
        return policy("shop", "out", match(app="frontend"), types=["Egress"],
                      egress=[{"to": list(blocks), "ports": [port(443)]}])  # fmt: skip

    before = cluster(*_shop(egress(ip_block("203.0.113.0/24"))))
    after = cluster(*_shop(egress(ip_block("203.0.113.0/24"), ip_block("198.51.100.0/24"))))
    diff = diff_clusters(before, after)
    (change,) = diff.changes
    assert change.src == ("shop/frontend",) and change.dst == ()
    assert change.dst_addresses == IPRangeSet.from_cidr("198.51.100.0/24")
    assert change.added == PortSet.of(TCP, 443, 443) and not change.removed
    assert change.opened_by is not None
    assert change.opened_by.after.egress.origin is not None


CALICO_DENY = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-db}
spec:
  order: 10
  selector: app == 'db'
  types: [Ingress]
  ingress:
  - action: Deny
    source: {selector: app == 'frontend'}
  - action: Pass
"""


def test_calico_global_deny_before_kubernetes_policies_closes_a_flow():
    """Calico tiers: a GlobalNetworkPolicy Deny at order 10 in the default tier decides before
    the Kubernetes NetworkPolicies (order 1000)."""
    before_text = manifests(*_shop())
    before = load_cluster_from_text(before_text)
    after = load_cluster_from_text(before_text + "---\n" + CALICO_DENY)
    diff = diff_clusters(before, after)
    assert _pair(diff, "shop/frontend", "data/db") == (PortSet.none(), PortSet.all())
    assert _pair(diff, "shop/cart", "data/db") == (PortSet.none(), PortSet.none())
    change = next(c for c in diff.changes if "shop/frontend" in c.src)
    assert change.closed_by is not None
    rule = change.closed_by.after.ingress.origin
    assert rule is not None and (rule.kind, rule.name, rule.rule_index) == (
        "GlobalNetworkPolicy", "deny-db", 0,
    )  # fmt: skip


ADMIN_DENY = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-shop-to-data}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {team: data}}}
  ingress:
  - name: deny-shop
    action: Deny
    from: [{namespaces: {matchLabels: {team: shop}}}]
"""


def test_admin_network_policy_deny_overrides_a_namespace_allow():
    """AdminNetworkPolicy: the Admin tier is evaluated before NetworkPolicy; its Deny wins
    over a NetworkPolicy that allows the flow."""
    allow = policy("data", "db", match(app="db"), ingress=[{"from": [{"namespaceSelector": {}}]}])
    before_text = manifests(*_shop(allow))
    diff = diff_clusters(
        load_cluster_from_text(before_text),
        load_cluster_from_text(before_text + "---\n" + ADMIN_DENY),
    )
    assert _pair(diff, "shop/frontend", "data/db") == (PortSet.none(), PortSet.all())
    change = next(c for c in diff.changes if "shop/frontend" in c.src)
    assert change.closed_by is not None
    before_rule = change.closed_by.before.ingress.origin
    after_rule = change.closed_by.after.ingress.origin
    assert before_rule is not None and before_rule.kind == "NetworkPolicy"
    assert after_rule is not None and (after_rule.kind, after_rule.rule_name) == (
        "AdminNetworkPolicy", "deny-shop",
    )  # fmt: skip


def test_moving_a_policy_to_another_file_is_no_modification():
    """Policy changes compare content: a policy that only moved (file, line) is unchanged."""
    db = policy("data", "db", match(app="db"), ingress=[{"from": [{"namespaceSelector": {}}]}])
    before = load_cluster_from_text(manifests(*_shop(db)), "a.yaml")
    after = load_cluster_from_text(manifests(db, *_shop()), "b.yaml")
    assert diff_clusters(before, after).empty


def test_namespace_filter_keeps_changes_with_an_end_in_the_namespace():
    """-n: only flow changes with an end in the namespaces asked for."""
    before = cluster(*_shop())
    after = cluster(*_shop(policy("shop", "iso", {}, ingress=[])))
    everything = diff_clusters(before, after)
    assert everything.changes
    only_data = diff_clusters(before, after, namespaces=["data"])
    for change in only_data.changes:
        names = change.src + change.dst
        assert any(n.startswith("data/") for n in names)
    assert len(only_data.pairs()) < len(everything.pairs())


def test_forbid_rules_match_globs_ports_and_cidrs():
    """--forbid: ns/name globs, an optional port, and CIDR ends that overlap."""
    rule = {"from": [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "0.0.0.0/0"}}],
            "ports": [port(5432)]}  # fmt: skip
    before = cluster(*_shop(policy("data", "db", match(app="db"), ingress=[])))
    after = cluster(*_shop(policy("data", "db", match(app="db"), ingress=[rule])))
    diff = diff_clusters(before, after)
    specs = [
        "shop/front*->data/db",
        "*/*->data/db:5432/TCP",
        "*/*->data/db:80",
        "0.0.0.0/0->data/*",
        "10.0.0.0/8->shop/*",
    ]
    marks = forbidden(diff, [parse_forbid(s) for s in specs])
    broken = {s for m in marks for s in m}
    assert broken == {"shop/front*->data/db", "*/*->data/db:5432/TCP", "0.0.0.0/0->data/*"}


def _pod_pairs(c: Cluster) -> dict[tuple[str, str], PortSet]:
    names = {p.key for p in c.pods}
    return {
        k: v
        for k, v in connectivity_map(c, Granularity.POD).pairs().items()
        if k[0] in names and k[1] in names
    }


def _expected(before: Cluster, after: Cluster) -> dict[tuple[str, str], tuple[PortSet, PortSet]]:
    old, new = _pod_pairs(before), _pod_pairs(after)
    both = {p.key for p in before.pods} & {p.key for p in after.pods}
    out = {}
    for pair in set(old) | set(new):
        if pair[0] not in both or pair[1] not in both:
            continue
        was, now = old.get(pair, PortSet.none()), new.get(pair, PortSet.none())
        if was != now:
            out[pair] = (now - was, was - now)
    return out


def _check_properties(before: Cluster, after: Cluster) -> None:
    diff = diff_clusters(before, after, Granularity.POD)
    assert diff.pairs() == _expected(before, after)
    reverse = diff_clusters(after, before, Granularity.POD)
    assert {k: (r, a) for k, (a, r) in diff.pairs().items()} == reverse.pairs()
    assert diff_clusters(before, before, Granularity.POD).changes == ()


WITH_ADDRESS = """\
apiVersion: v1
kind: Namespace
metadata: {name: ns1}
---
apiVersion: v1
kind: Pod
metadata: {name: pod0, namespace: ns1}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: pod1, namespace: ns1}
spec: {containers: [{name: c}]}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p0, namespace: ns1}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/24}}]}]
"""
WITHOUT_ADDRESS = """\
apiVersion: v1
kind: Namespace
metadata: {name: ns1}
---
apiVersion: v1
kind: Pod
metadata: {name: pod0, namespace: ns1}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: pod1, namespace: ns1}
spec: {containers: [{name: c}]}
"""


def test_a_pod_with_an_address_on_one_side_only_is_judged_by_each_side_s_address():
    """NetworkPolicyPeer ipBlock matches a pod by its IP: pod1 (10.0.0.2) reaches pod0 through
    the ipBlock before, and through no policy at all after (its IP gone with the policy), so
    nothing changed; each side's classes see that side's address (found by Hypothesis)."""
    before = load_cluster_from_text(WITH_ADDRESS, "a.yaml")
    after = load_cluster_from_text(WITHOUT_ADDRESS, "b.yaml")
    _check_properties(before, after)
    _check_properties(after, before)
    assert ("ns1/pod1", "ns1/pod0") not in diff_clusters(before, after, Granularity.POD).pairs()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), clusters())
def test_diff_is_the_cell_by_cell_difference_of_two_maps(a: str, b: str):
    """Property: added/removed = the difference of the two separately computed pod maps
    (pods on both sides); diff(A, A) is empty; diff(A, B) added = diff(B, A) removed."""
    _check_properties(load_cluster_from_text(a), load_cluster_from_text(b))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layered_clusters(), layered_clusters())
def test_diff_matches_the_maps_across_calico_and_admin_tiers(a: str, b: str):
    """Property, every family: Calico tiers, AdminNetworkPolicy and Baseline as well."""
    _check_properties(load_cluster_from_text(a), load_cluster_from_text(b))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.data())
def test_one_policy_changed_on_the_same_pods(a: str, data: st.DataObject):
    """Property on near neighbours: the same pods, one policy dropped."""
    before = load_cluster_from_text(a)
    if not before.policies:
        return
    drop = data.draw(st.integers(0, len(before.policies) - 1))
    after = dataclasses.replace(
        before, policies=before.policies[:drop] + before.policies[drop + 1 :]
    )
    _check_properties(before, after)


def _as_deployments(text: str) -> str:
    """The same cluster with every Pod written as a Deployment of its pod template."""
    docs = list(yaml.safe_load_all(text))
    for i, doc in enumerate(docs):
        if doc.get("kind") == "Pod":
            meta = doc["metadata"]
            docs[i] = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
                "spec": {
                    "selector": {"matchLabels": meta["labels"]},
                    "template": {"metadata": {"labels": meta["labels"]}, "spec": doc["spec"]},
                },
            }
    return yaml.safe_dump_all(docs, sort_keys=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), clusters())
def test_workload_diff_is_the_difference_of_two_workload_maps(a: str, b: str):
    """Property at workload granularity (pod templates): the diff is the difference of the two
    workload maps, a workload to itself included (its replicas reach each other)."""
    before = load_cluster_from_text(_as_deployments(a))
    after = load_cluster_from_text(_as_deployments(b))
    names = {p.endpoint_name for p in before.pods} & {p.endpoint_name for p in after.pods}

    def pairs(c: Cluster) -> dict[tuple[str, str], PortSet]:
        found = connectivity_map(c, Granularity.WORKLOAD).pairs().items()
        return {k: v for k, v in found if k[0] in names and k[1] in names}

    old, new = pairs(before), pairs(after)
    expected = {}
    for pair in set(old) | set(new):
        was, now = old.get(pair, PortSet.none()), new.get(pair, PortSet.none())
        if was != now:
            expected[pair] = (now - was, was - now)
    assert diff_clusters(before, after).pairs() == expected
