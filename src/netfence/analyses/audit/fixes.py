"""Generated remediations: NetworkPolicy YAML ready to apply."""

from __future__ import annotations

from typing import Any

import yaml

from netfence.model.networkpolicy import Direction

DNS_SELECTOR = {"k8s-app": "kube-dns"}
"""Labels of the cluster DNS pods (CoreDNS on AKS enabled by Azure Arc keeps the kube-dns label)."""


def _dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


def dns_egress_policy(namespace: str) -> dict[str, Any]:
    """Allow every pod of ``namespace`` to reach the cluster DNS on UDP and TCP 53."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-dns-egress", "namespace": namespace},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": dict(DNS_SELECTOR)},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    }


def default_deny(namespace: str, directions: list[Direction]) -> str:
    """A default-deny policy for ``namespace``; with egress, a DNS allowance so names resolve."""
    types = [d.value for d in (Direction.INGRESS, Direction.EGRESS) if d in directions]
    suffix = "all" if len(types) == 2 else types[0].lower()
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"default-deny-{suffix}", "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": types},
        }
    ]
    if Direction.EGRESS in directions:
        docs.append(dns_egress_policy(namespace))
    return _dump(docs)


def dns_fix(namespace: str) -> str:
    """The DNS allowance alone."""
    return _dump([dns_egress_policy(namespace)])


def policy_document(policy: dict[str, Any]) -> str:
    """One policy as YAML."""
    return _dump([policy])
