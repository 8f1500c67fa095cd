"""The oracle's own answers on cases the documents settle, so that it cannot drift along with
the engine it checks (the property tests only say that the two agree)."""

from __future__ import annotations

import yaml

from netfence.model.cluster import Cluster, Pod
from netfence.model.networkpolicy import Direction
from netfence.sets.ports import PortSet
from netfence.sources.manifests import load_cluster_from_text
from tests.conformance.helpers import docs, ns, pod, policy
from tests.conformance.layered_helpers import (
    allow,
    calico_gnp,
    calico_np,
    deny,
    global_network_set,
    network_set,
    pass_,
    sa_pod,
    tier,
)
from tests.oracle import direction_allowed, flow_allowed

TCP = PortSet.of("TCP")


def _load(*documents: str) -> tuple[Cluster, dict[str, Pod]]:
    cluster = load_cluster_from_text(docs(*documents))
    return cluster, {p.key: p for p in cluster.pods}


def test_network_set_covering_a_pod_matches_it() -> None:
    """NetworkSet reference: a selector's IPs include the CIDRs of the sets it matches; a
    namespaced policy sees its namespace's sets, a GlobalNetworkSet only through global()."""
    cluster, pods = _load(
        ns("a"),
        ns("b"),
        pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
        pod("in-set", "b", {}, ip="10.2.0.5"),
        pod("in-global", "b", {}, ip="10.3.0.5"),
        network_set("s", "a", {"role": "ok"}, ["10.2.0.0/24"]),
        global_network_set("g", {"role": "ok"}, ["10.3.0.0/24"]),
        calico_np(
            "in",
            "a",
            selector="app == 'api'",
            ingress=[allow(protocol="TCP", source={"selector": "role == 'ok'"})],
        ),
    )
    assert flow_allowed(cluster, pods["b/in-set"], pods["a/api"]) == TCP
    assert flow_allowed(cluster, pods["b/in-global"], pods["a/api"]) == PortSet.none()
    assert flow_allowed(cluster, "10.2.0.99", pods["a/api"]) == TCP


def test_not_selector_is_unscoped_and_service_accounts_need_the_endpoint() -> None:
    """EntityRule: notSelector is matched against every endpoint and set; serviceAccounts and
    selector hold on one endpoint, so a set covering the pod does not satisfy them."""
    cluster, pods = _load(
        ns("a"),
        pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
        sa_pod("covered", "a", {}, service_account="batch", ip="10.2.0.5"),
        pod("blocked", "a", {}, ip="10.3.0.5"),
        network_set("s", "a", {"role": "ok"}, ["10.2.0.0/24"]),
        global_network_set("g", {"role": "bad"}, ["10.3.0.0/24"]),
        calico_np(
            "in",
            "a",
            selector="app == 'api'",
            ingress=[
                allow(
                    protocol="TCP",
                    source={"selector": "role == 'ok'", "serviceAccounts": {"names": ["batch"]}},
                ),
                allow(protocol="UDP", source={"notSelector": "role == 'bad'"}),
            ],
        ),
    )
    assert flow_allowed(cluster, pods["a/covered"], pods["a/api"]) == PortSet.of("UDP")
    assert flow_allowed(cluster, pods["a/blocked"], pods["a/api"]) == PortSet.none()


def test_policy_selector_never_selects_network_sets() -> None:
    """NetworkPolicy spec.selector selects endpoints: a set with the labels changes nothing."""
    cluster, pods = _load(
        ns("a"),
        pod("web", "a", {"app": "web"}, ip="10.2.0.5"),
        network_set("s", "a", {"app": "api"}, ["10.2.0.0/24"]),
        calico_np("deny-api", "a", selector="app == 'api'", ingress=[]),
    )
    assert direction_allowed(cluster, Direction.INGRESS, pods["a/web"], "8.8.8.8").is_all()


def test_tiers_order_pass_and_kubernetes_at_order_1000() -> None:
    """Tier reference: lower order first, defaultAction Pass; Kubernetes NetworkPolicies sit
    in the default tier at order 1000, after a Calico policy of order 100."""
    cluster, pods = _load(
        ns("a"),
        pod("web", "a", {"app": "web"}, ip="10.1.0.1"),
        pod("db", "a", {"app": "db"}, ip="10.1.0.2"),
        tier("first", 10, "Pass"),
        calico_np("p", "a", tier="first", selector="app == 'db'", ingress=[pass_()]),
        calico_np("d", "a", order=100, selector="app == 'db'", ingress=[deny(protocol="UDP")]),
        policy("allow-all", "a", {"matchLabels": {"app": "db"}}, ingress=[{}]),
    )
    allowed = flow_allowed(cluster, pods["a/web"], pods["a/db"])
    assert allowed == PortSet.all() - PortSet.of("UDP")


def test_host_network_pods_and_host_endpoint_policies() -> None:
    """Host-networked pods have no workload endpoint (never selected, never matched by
    labels); doNotTrack and preDNAT policies apply to host endpoints only."""
    host = yaml.safe_load(pod("h", "a", {"app": "h"}, ip="10.0.5.1"))
    host["spec"]["hostNetwork"] = True
    untracked = yaml.safe_load(calico_gnp("untracked", order=1, selector="all()", ingress=[]))
    untracked["spec"]["doNotTrack"] = True
    cluster, pods = _load(
        ns("a"),
        pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
        pod("web", "a", {"app": "web"}, ip="10.1.0.11"),
        yaml.safe_dump(host),
        yaml.safe_dump(untracked),
        calico_gnp("isolate-h", selector="app == 'h'", ingress=[]),
        calico_np(
            "in",
            "a",
            selector="app == 'api'",
            ingress=[allow(protocol="TCP", source={"selector": "all()"})],
        ),
    )
    assert flow_allowed(cluster, pods["a/h"], pods["a/api"]) == PortSet.none()
    assert flow_allowed(cluster, pods["a/web"], pods["a/api"]) == TCP
    # Never a subject: the GlobalNetworkPolicy selecting its labels does not isolate it.
    assert direction_allowed(cluster, Direction.INGRESS, pods["a/h"], pods["a/web"]).is_all()
