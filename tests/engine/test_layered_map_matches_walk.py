"""Engine invariant over every policy family: the tiered, vectorized map agrees with the
rule-by-rule walk of ``explain`` and with the independent reference evaluator (tests/oracle) on
random clusters mixing Kubernetes NetworkPolicy, Calico (NetworkPolicy, GlobalNetworkPolicy,
Tier, NetworkSet, GlobalNetworkSet) and AdminNetworkPolicy / BaselineAdminNetworkPolicy.

``explain`` shares the engine's helpers; the oracle shares nothing with the engine, so a
mistake in a helper shows as a disagreement with the oracle."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.engine.explain import explain_flow
from netfence.sets import PortSet
from netfence.sources.manifests import load_cluster_from_text
from tests.engine.random_layered import feature_clusters, layered_clusters, network_set_clusters
from tests.engine.test_map_matches_explain import _external_lookup, assert_map_is_oracle

PROBES = ["10.0.0.200", "10.0.1.5", "192.168.3.4", "192.168.9.9", "8.8.8.8", "1.2.3.4"]
FEATURE_PROBES = [*PROBES, "fd00::99", "10.0.5.1"]
"""Also an IPv6 address and the node's (when no host-networked pod holds it)."""


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layered_clusters())
def test_layered_map_equals_walk(manifests: str):
    """Egress of the source and ingress of the destination, each the first-match walk
    through Admin, Calico tiers (with Kubernetes policies at order 1000 in the default
    tier), Baseline and the default: the same by both computations."""
    cluster = load_cluster_from_text(manifests)
    pairs = connectivity_map(cluster, Granularity.POD).pairs()
    names = [p.key for p in cluster.pods]
    pod_ips = {ip for p in cluster.pods for ip in p.ips}
    for src in names:
        for dst in names:
            if src != dst:
                walked = explain_flow(cluster, src, dst).allowed
                assert pairs.get((src, dst), PortSet.none()) == walked, (src, dst)
        for address in PROBES:
            if address in pod_ips:
                continue
            out = explain_flow(cluster, src, address).allowed
            assert _external_lookup(pairs, src, address, pods_first=True) == out, (src, address)
            inbound = explain_flow(cluster, address, src).allowed
            assert _external_lookup(pairs, src, address, pods_first=False) == inbound, (
                address,
                src,
            )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layered_clusters())
def test_layered_map_equals_oracle(manifests: str):
    """The map against the reference evaluator on random mixed clusters: every tier, every
    family, the same verdict for every flow."""
    assert_map_is_oracle(load_cluster_from_text(manifests), PROBES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_set_clusters())
def test_map_equals_oracle_where_network_sets_cover_pods(manifests: str):
    """Calico rules whose selectors match network sets covering pods' IPs (and notSelector,
    namespaceSelector, serviceAccounts beside them): the map matches the pods through the
    sets, as the oracle does."""
    assert_map_is_oracle(load_cluster_from_text(manifests), PROBES)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_set_clusters())
def test_network_set_map_equals_walk(manifests: str):
    """``explain``'s walk agrees with the map where network sets cover pods."""
    cluster = load_cluster_from_text(manifests)
    pairs = connectivity_map(cluster, Granularity.POD).pairs()
    for src in cluster.pods:
        for dst in cluster.pods:
            if src is not dst:
                walked = explain_flow(cluster, src.key, dst.key).allowed
                assert pairs.get((src.key, dst.key), PortSet.none()) == walked, (src.key, dst.key)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feature_clusters())
def test_feature_map_equals_oracle(manifests: str):
    """The less common criteria against the oracle: protocol numbers, ICMP type and code,
    ipVersion with dual-stack and IPv6 pods, service accounts, source ports, http, services,
    host-networked pods, host-endpoint-only policies, built-in tiers, ClusterNetworkPolicy
    with nodes peers."""
    assert_map_is_oracle(load_cluster_from_text(manifests), FEATURE_PROBES)
