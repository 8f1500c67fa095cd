"""Plain typed data: the cluster's namespaces, workloads, pods and policies."""

from __future__ import annotations

from netfence.model.cluster import Cluster, ContainerPort, Namespace, Node, Pod, Workload
from netfence.model.networkpolicy import (
    Direction,
    IPBlock,
    NetworkPolicy,
    Peer,
    PolicyPort,
    PolicyRule,
)
from netfence.model.selectors import LabelSelector, Operator, Requirement

__all__ = [
    "Cluster",
    "ContainerPort",
    "Direction",
    "IPBlock",
    "LabelSelector",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "Operator",
    "Peer",
    "Pod",
    "PolicyPort",
    "PolicyRule",
    "Requirement",
    "Workload",
]
