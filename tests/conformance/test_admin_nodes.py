"""AdminNetworkPolicy ``nodes`` egress peers (network-policy-api v1alpha1 AdminNetworkPolicyEgressPeer.nodes):
a label selector over Node objects, matching the nodes' addresses (status.addresses)."""

from __future__ import annotations

from tests.conformance.helpers import ALL, connectivity, docs, ns, pod, to_ip

NODES = """
apiVersion: v1
kind: Node
metadata: {name: cp1, labels: {node-role.kubernetes.io/control-plane: ""}}
status: {addresses: [{type: InternalIP, address: 10.240.0.4}, {type: Hostname, address: cp1}]}
---
apiVersion: v1
kind: Node
metadata: {name: worker1, labels: {pool: apps}}
status: {addresses: [{type: InternalIP, address: 10.240.0.10}]}
"""

DENY_CONTROL_PLANE = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: protect-control-plane}
spec:
  priority: 1
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{nodes: {matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: Exists}]}}]
"""


def test_nodes_peer_matches_the_selected_nodes_addresses():
    """AdminNetworkPolicyEgressPeer.nodes: a Deny to control-plane nodes blocks their
    InternalIP and leaves other nodes and addresses alone."""
    conn = connectivity(docs(ns("a"), pod("x", "a"), NODES, DENY_CONTROL_PLANE))
    assert to_ip(conn, "a/x", "10.240.0.4") == {}
    assert to_ip(conn, "a/x", "10.240.0.10") == ALL
    assert to_ip(conn, "a/x", "8.8.8.8") == ALL


def test_nodes_peer_without_node_objects_matches_nothing():
    """AdminNetworkPolicyEgressPeer.nodes: with no Node objects in the input, no address is
    known to be a node's, so the Deny changes nothing."""
    conn = connectivity(docs(ns("a"), pod("x", "a"), DENY_CONTROL_PLANE))
    assert to_ip(conn, "a/x", "10.240.0.4") == ALL
