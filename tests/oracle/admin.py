"""AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy
(policy.networking.k8s.io v1alpha1 / v1alpha2), from the network-policy-api reference.

- Subjects: the pods of the namespaces a namespace selector matches (``namespaces``), or the
  pods a pod selector matches there (``pods``). Host-networked pods are never subjects and
  never pod peers.
- Peers: ``namespaces``, ``pods``; ``networks`` (CIDRs, pod IPs included); ``nodes`` (the
  addresses of the matching Node objects); ``domainNames`` (DNS answers are not in the input:
  nothing).
- Ports: a number or an inclusive range of a protocol, or a named container port of the
  destination pod (whatever its protocol); no ports: all traffic.
"""

from __future__ import annotations

from netfence.model.adminpolicy import AdminNetworkPolicy, AdminPeer, AdminPeerKind, AdminRule
from netfence.model.cluster import Cluster
from netfence.model.selectors import LabelSelector
from netfence.sets.ports import PortSet

from .endpoints import End, in_cidrs, namespace_labels


def _pod_in(
    cluster: Cluster, namespaces: LabelSelector | None, pods: LabelSelector | None, end: End
) -> bool:
    pod = end.pod
    if pod is None or pod.host_network or namespaces is None:
        return False
    if not namespaces.matches(namespace_labels(cluster, pod.namespace)):
        return False
    return pods is None or pods.matches(pod.labels)


def selects(policy: AdminNetworkPolicy, subject: End, cluster: Cluster) -> bool:
    """Whether ``subject`` is one of the policy's subjects."""
    return _pod_in(cluster, policy.subject.namespace_selector, policy.subject.pod_selector, subject)


def peer_matches(cluster: Cluster, peer: AdminPeer, other: End) -> bool:
    """Whether one peer matches the endpoint on the other side."""
    if peer.kind is AdminPeerKind.NAMESPACES:
        return _pod_in(cluster, peer.namespace_selector, None, other)
    if peer.kind is AdminPeerKind.PODS:
        return _pod_in(cluster, peer.namespace_selector, peer.pod_selector, other)
    if peer.kind is AdminPeerKind.NETWORKS:
        return in_cidrs(other, peer.networks)
    if peer.kind is AdminPeerKind.NODES:
        assert peer.node_selector is not None
        node_addresses = [
            address
            for node in cluster.nodes
            if peer.node_selector.matches(node.labels)
            for address in node.addresses
        ]
        return in_cidrs(other, node_addresses)
    return False  # domainNames


def rule_matches(cluster: Cluster, rule: AdminRule, other: End) -> bool:
    """Whether some peer of the rule matches ``other``."""
    return any(peer_matches(cluster, p, other) for p in rule.peers)


def rule_ports(rule: AdminRule, target: End) -> PortSet:
    """What the rule's ports match towards ``target`` (the destination)."""
    if rule.ports is None:
        return PortSet.all()
    out = PortSet.none()
    for entry in rule.ports:
        if entry.named is not None:
            if target.pod is not None:
                for container_port in target.pod.ports:
                    if container_port.name == entry.named:
                        out = out | PortSet.of(container_port.protocol, container_port.number)
        else:
            assert entry.protocol is not None and entry.start is not None
            last = entry.end if entry.end is not None else entry.start
            out = out | PortSet.of(entry.protocol, entry.start, last)
    return out
