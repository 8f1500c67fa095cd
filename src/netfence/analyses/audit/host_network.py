"""Findings about host-network pods get host-level advice.

A pod with ``hostNetwork: true`` shares its node's network namespace: NetworkPolicy (and
Calico's workload policy) does not apply to its traffic, so advice to isolate it with a
NetworkPolicy, or a generated policy, cannot help. What can is on the host: the node's
firewall, or a Calico HostEndpoint with its policies.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from netfence.model.cluster import Cluster
from netfence.model.findings import CheckId, Finding, Severity

HOST_LEVEL_ADVICE: Final = (
    "NetworkPolicy cannot apply to host-network pods: remove hostNetwork unless the pod is a "
    "node agent that needs it. Guard what stays at the host: the node firewall (nftables, "
    "iptables, the NSG) or a Calico HostEndpoint with a GlobalNetworkPolicy for the node's "
    "interfaces; then accept the finding in the baseline."
)
"""Advice for findings about host-network pods, whose traffic only the host can filter."""

HOST_LEVEL_CHECKS: Final = frozenset({CheckId("NF015"), CheckId("NF016"), CheckId("NF028")})
"""Checks whose own advice is already about the host (host network, host ports, host
endpoints): left as they are."""


def host_network_subjects(cluster: Cluster) -> frozenset[str]:
    """Resource keys (``Kind/namespace/name``) of the workloads and bare Pods all of whose
    pods use the host network."""
    members: dict[str, list[bool]] = {}
    for pod in cluster.pods:
        if pod.workload is not None:
            key = f"{pod.workload.kind}/{pod.namespace}/{pod.workload.name}"
        else:
            key = f"Pod/{pod.namespace}/{pod.name}"
        members.setdefault(key, []).append(pod.host_network)
    return frozenset(key for key, flags in members.items() if all(flags))


def with_host_advice(finding: Finding, subjects: frozenset[str]) -> Finding:
    """``finding`` with host-level advice, no generated NetworkPolicy and info severity when
    its subject (its primary resource) is a host-network workload; unchanged otherwise."""
    primary = finding.primary
    if primary is None or primary.key not in subjects:
        return finding
    if finding.check.check_id in HOST_LEVEL_CHECKS:
        return finding
    check = dataclasses.replace(finding.check, remediation=HOST_LEVEL_ADVICE)
    # What the model computes for such a pod is the node's own reach, which no pod policy
    # governs: NF015 reports the pod at its severity; this one informs, so that one cause is
    # not several HIGH findings.
    return dataclasses.replace(
        finding,
        check=check,
        fix=None,
        severity=Severity.INFO,
        message=f"{finding.message} (host network: the node's own traffic, which NF015 reports)",
    )
