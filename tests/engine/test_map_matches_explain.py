"""Engine invariant: the vectorized map and the rule-by-rule explanation always agree.

The two compute the same semantics (NetworkPolicy, networking.k8s.io/v1) by different means:
the map over classes and atoms with numpy masks, explain by walking each policy for one flow.
Any disagreement on a random cluster is a bug in one of them. Both also agree with the
independent reference evaluator (tests/oracle), which shares no code with the engine.
"""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.engine.explain import explain_flow
from netfence.model.cluster import Cluster
from netfence.sets import PortSet
from netfence.sources.manifests import load_cluster_from_text
from tests.engine.random_clusters import PROBE_ADDRESSES, clusters
from tests.oracle import flow_allowed


def _external_lookup(pairs, src_or_dst_name, address, pods_first):
    """The allowed set between a pod and the external CIDR of the map that holds ``address``."""
    ip = ipaddress.ip_address(address)
    found = PortSet.none()
    for (s, d), allowed in pairs.items():
        other = d if pods_first else s
        mine = s if pods_first else d
        if mine != src_or_dst_name or "/" not in other or other.count("/") != 1:
            continue
        try:
            net = ipaddress.ip_network(other)
        except ValueError:
            continue
        if net.version == ip.version and ip in net:
            found = found | allowed
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_map_equals_explain_for_every_pair(manifests: str):
    """Connectivity = egress(src) AND ingress(dst), the same by both computations."""
    cluster = load_cluster_from_text(manifests)
    pairs = connectivity_map(cluster, Granularity.POD).pairs()
    pods = [p.key for p in cluster.pods]
    pod_ips = {ip for p in cluster.pods for ip in p.ips}
    for src in pods:
        for dst in pods:
            if src == dst:
                continue
            explained = explain_flow(cluster, src, dst).allowed
            assert pairs.get((src, dst), PortSet.none()) == explained, (src, dst)
        for address in PROBE_ADDRESSES:
            if address in pod_ips:
                continue
            out = explain_flow(cluster, src, address).allowed
            assert _external_lookup(pairs, src, address, pods_first=True) == out, (src, address)
            inbound = explain_flow(cluster, address, src).allowed
            assert _external_lookup(pairs, src, address, pods_first=False) == inbound, (
                address,
                src,
            )


@settings(max_examples=60, deadline=None)
@given(clusters())
def test_workload_map_of_bare_pods_equals_pod_map(manifests: str):
    """A Pod with no owner is its own workload, so both granularities agree."""
    cluster = load_cluster_from_text(manifests)
    assert (
        connectivity_map(cluster, Granularity.POD).pairs()
        == connectivity_map(cluster, Granularity.WORKLOAD).pairs()
    )
    assert all(s != d for s, d in connectivity_map(cluster, Granularity.WORKLOAD).pairs())


@settings(max_examples=60, deadline=None)
@given(clusters())
def test_external_ranges_are_disjoint(manifests: str):
    """External endpoints are disjoint ranges: no address is named by two of them."""
    cluster = load_cluster_from_text(manifests)
    cmap = connectivity_map(cluster, Granularity.POD)
    nets = [ipaddress.ip_network(e.name) for e in cmap.endpoints if e.kind == "IPRange"]
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert a.version != b.version or not a.overlaps(b), (a, b)


def assert_map_is_oracle(cluster: Cluster, probes: list[str]) -> None:
    """Every pod pair, and every pod with each probe address both ways: the map's verdict is
    the oracle's."""
    pairs = connectivity_map(cluster, Granularity.POD).pairs()
    pod_ips = {ip for p in cluster.pods for ip in p.ips}
    for src in cluster.pods:
        for dst in cluster.pods:
            if src is not dst:
                expected = flow_allowed(cluster, src, dst)
                assert pairs.get((src.key, dst.key), PortSet.none()) == expected, (src.key, dst.key)
        for address in probes:
            if address in pod_ips:
                continue
            out = flow_allowed(cluster, src, address)
            assert _external_lookup(pairs, src.key, address, pods_first=True) == out, (
                src.key,
                address,
            )
            inbound = flow_allowed(cluster, address, src)
            assert _external_lookup(pairs, src.key, address, pods_first=False) == inbound, (
                address,
                src.key,
            )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_map_equals_oracle_for_every_pair(manifests: str):
    """The map against the reference evaluator: pod pairs, and pods with external addresses
    both ways (IPv6 included)."""
    assert_map_is_oracle(load_cluster_from_text(manifests), PROBE_ADDRESSES)
