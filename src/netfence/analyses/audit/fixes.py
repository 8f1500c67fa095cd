"""Generated remediations: the NetworkPolicy documents a fix is made of, and which findings
ask for one.

Checks do not write fixes themselves: a default deny that is right for a namespace depends on
every flow its workloads have today, which one check cannot see. A check's finding names what
it needs (:func:`request_of`); the fix planner (``netfence.analyses.remediation``) merges the
needs of one namespace into one set, derives its allowances from today's map and proves it
before any finding carries it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import yaml

from netfence.model.findings import Finding
from netfence.model.networkpolicy import Direction

DNS_SELECTOR: Final = {"k8s-app": "kube-dns"}
"""Labels of the cluster DNS pods (CoreDNS on AKS enabled by Azure Arc keeps the kube-dns label)."""

NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
"""The label the API server sets on every namespace to its name."""


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter where present: the same YAML, many times faster, which counts when a
cluster of thousands of namespaces gets a fix for each."""


def dump_documents(documents: Sequence[Mapping[str, Any]]) -> str:
    """Policies as one YAML stream, keys in the order given."""
    return yaml.dump_all(
        [dict(d) for d in documents], Dumper=_Dumper, sort_keys=False, default_flow_style=False
    )


@dataclass(frozen=True)
class FixRequest:
    """What one finding asks of its namespace's fix set."""

    namespace: str
    """The namespace the fix goes into."""
    deny: frozenset[Direction] = frozenset()
    """Directions a default deny must cover."""
    dns_for: str | None = None
    """A workload that must be allowed to reach the cluster DNS, by its resource key
    (``Deployment/namespace/name``, ``Pod/namespace/name``)."""


_DENY_CHECKS: Final = {
    "NF001": frozenset({Direction.INGRESS, Direction.EGRESS}),
    "NF004": frozenset({Direction.INGRESS}),
    "NF005": frozenset({Direction.EGRESS}),
}
"""Checks whose findings a namespace default deny resolves, with the directions it covers."""

DNS_CHECK: Final = "NF012"
"""The check whose findings a DNS allowance resolves."""


def requests_of(finding: Finding) -> list[FixRequest]:
    """What a finding asks of the fix sets: a default deny of its namespace, or for each
    workload it names (a finding grouped by cause lists them as affected) the cluster DNS;
    empty when no generated fix resolves it."""
    check_id = finding.check.check_id
    if check_id in _DENY_CHECKS:
        namespace = str(finding.evidence["namespace"])
        return [FixRequest(namespace, deny=_DENY_CHECKS[check_id])]
    if check_id != DNS_CHECK or not finding.evidence.get("blocked_by_egress", True):
        return []  # the DNS server's ingress blocks: an egress allowance would not help
    subjects = finding.affected or finding.resources[:1]
    return [FixRequest(s.namespace, dns_for=s.key) for s in subjects if s.namespace is not None]


def request_of(finding: Finding) -> FixRequest | None:
    """The first of ``requests_of``: the namespace whose set a finding's fix belongs to (the
    workloads of one finding share it), or None when no generated fix resolves it."""
    requests = requests_of(finding)
    return requests[0] if requests else None


def _policy(
    namespace: str, name: str, pod_selector: Mapping[str, Any], spec: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": dict(pod_selector), **spec},
    }


def default_deny_policy(
    namespace: str, name: str, directions: frozenset[Direction]
) -> dict[str, Any]:
    """A policy selecting every pod of ``namespace``, present and future, with no rule: they
    become isolated in ``directions`` and are allowed only what other policies allow."""
    types = [d.value for d in (Direction.INGRESS, Direction.EGRESS) if d in directions]
    return _policy(namespace, name, {}, {"policyTypes": types})


def dns_egress_policy(namespace: str, name: str, pod_selector: Mapping[str, Any]) -> dict[str, Any]:
    """Allow the pods ``pod_selector`` picks in ``namespace`` to reach the cluster DNS on UDP
    and TCP 53."""
    return _policy(
        namespace,
        name,
        pod_selector,
        {
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}
                            },
                            "podSelector": {"matchLabels": dict(DNS_SELECTOR)},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    )


def allowance_policy(
    namespace: str,
    name: str,
    pod_selector: Mapping[str, Any],
    direction: Direction,
    rules: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Allow the pods ``pod_selector`` (a LabelSelector as the API writes it) picks what
    ``rules`` (ingress or egress rules, as the API writes them) say, in one direction."""
    key = "ingress" if direction is Direction.INGRESS else "egress"
    return _policy(
        namespace,
        name,
        pod_selector,
        {"policyTypes": [direction.value], key: [dict(r) for r in rules]},
    )


def workload_peer(namespace: str, pod_labels: Mapping[str, str]) -> dict[str, Any]:
    """A peer naming one workload: its namespace by name and its pods by their labels."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(sorted(pod_labels.items()))},
    }
