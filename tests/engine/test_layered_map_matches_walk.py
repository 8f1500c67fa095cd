"""Engine invariant over every policy family: the tiered, vectorized map and the rule-by-rule
walk through the layers agree on random clusters mixing Kubernetes NetworkPolicy, Calico
(NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet, GlobalNetworkSet) and
AdminNetworkPolicy / BaselineAdminNetworkPolicy (engine/tiers.py, engine/explain_layers.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.engine.explain import explain_flow
from netfence.sets import PortSet
from netfence.sources.manifests import load_cluster_from_text
from tests.engine.random_layered import layered_clusters
from tests.engine.test_map_matches_explain import _external_lookup

PROBES = ["10.0.0.200", "10.0.1.5", "192.168.3.4", "192.168.9.9", "8.8.8.8", "1.2.3.4"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
