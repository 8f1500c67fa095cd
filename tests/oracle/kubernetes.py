"""Kubernetes NetworkPolicy (networking.k8s.io/v1), from the API reference and docs/semantics.md.

- podSelector selects pods of the policy's namespace; policyTypes say which directions it
  isolates (the model holds them defaulted).
- A peer is an ipBlock (cidr minus every except, matched against external addresses and pod
  IPs), or pods chosen by podSelector (the policy's namespace) and/or namespaceSelector.
- A rule with no peers matches every peer; with no ports, every port of every protocol.
- A port entry: a protocol (TCP by default), a number (with an inclusive endPort), a name
  resolved on the destination pod by name and protocol, or nothing (every port of it).
"""

from __future__ import annotations

import ipaddress

from netfence.model.cluster import Cluster
from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyPort, PolicyRule
from netfence.sets.ports import PortSet

from .endpoints import End, namespace_labels


def selects(policy: NetworkPolicy, direction: Direction, subject: End) -> bool:
    """Whether ``policy`` isolates ``subject`` in ``direction``."""
    pod = subject.pod
    return (
        pod is not None
        and direction in policy.policy_types
        and pod.namespace == policy.namespace
        and policy.pod_selector.matches(pod.labels)
    )


def _in_block(peer: Peer, end: End) -> bool:
    assert peer.ip_block is not None
    cidr = ipaddress.ip_network(peer.ip_block.cidr)
    excepts = [ipaddress.ip_network(e) for e in peer.ip_block.excepts]
    for address in end.addresses:
        if address.version != cidr.version or address not in cidr:
            continue
        if not any(address.version == e.version and address in e for e in excepts):
            return True
    return False


def peer_matches(cluster: Cluster, policy: NetworkPolicy, peer: Peer, other: End) -> bool:
    """Whether one NetworkPolicyPeer matches the endpoint on the other side."""
    if peer.ip_block is not None:
        return _in_block(peer, other)
    pod = other.pod
    if pod is None:
        return False  # pod and namespace selectors match pods only
    if peer.namespace_selector is None:
        if pod.namespace != policy.namespace:
            return False
    elif not peer.namespace_selector.matches(namespace_labels(cluster, pod.namespace)):
        return False
    return peer.pod_selector is None or peer.pod_selector.matches(pod.labels)


def entry_ports(entry: PolicyPort, target: End) -> PortSet:
    """What one NetworkPolicyPort allows towards ``target`` (the destination)."""
    if entry.port is None:
        return PortSet.of(entry.protocol)
    if isinstance(entry.port, str):
        if target.pod is None:
            return PortSet.none()
        for container_port in target.pod.ports:
            if container_port.name == entry.port and container_port.protocol == entry.protocol:
                return PortSet.of(entry.protocol, container_port.number)
        return PortSet.none()
    last = entry.end_port if entry.end_port is not None else entry.port
    return PortSet.of(entry.protocol, entry.port, last)


def rule_ports(rule: PolicyRule, target: End) -> PortSet:
    """What a rule allows towards ``target`` once its peers match."""
    if rule.ports is None:
        return PortSet.all()
    out = PortSet.none()
    for entry in rule.ports:
        out = out | entry_ports(entry, target)
    return out


def rule_matches(cluster: Cluster, policy: NetworkPolicy, rule: PolicyRule, other: End) -> bool:
    """Whether the rule's peers (all of them when none are given) include ``other``."""
    return rule.peers is None or any(peer_matches(cluster, policy, p, other) for p in rule.peers)
