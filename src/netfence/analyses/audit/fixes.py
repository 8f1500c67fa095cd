"""Generated remediations: NetworkPolicy YAML ready to apply."""

from __future__ import annotations

import functools
import re
from typing import Any, Final

import yaml

from netfence.model.networkpolicy import Direction

DNS_SELECTOR = {"k8s-app": "kube-dns"}
"""Labels of the cluster DNS pods (CoreDNS on AKS enabled by Azure Arc keeps the kube-dns label)."""


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter where present: the same YAML, many times faster, which counts when a
cluster of thousands of namespaces gets a fix for each."""


def _dump(documents: list[dict[str, Any]]) -> str:
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, default_flow_style=False)


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
    """A default-deny policy for ``namespace``; with egress, a DNS allowance so names resolve.

    The YAML is dumped once per set of directions, with a placeholder for the namespace that
    is then replaced by the namespace as a YAML scalar: a cluster of many namespaces gets a fix
    for each, and dumping each whole is slow.
    """
    types = tuple(d for d in (Direction.INGRESS, Direction.EGRESS) if d in directions)
    return _default_deny_template(types).replace(_PLACEHOLDER, _yaml_scalar(namespace))


_PLACEHOLDER: Final = "netfence-namespace-placeholder"
"""A plain YAML scalar standing for the namespace in a dumped template."""


@functools.cache
def _default_deny_template(types: tuple[Direction, ...]) -> str:
    names = [d.value for d in types]
    suffix = "all" if len(names) == 2 else names[0].lower()
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"default-deny-{suffix}", "namespace": _PLACEHOLDER},
            "spec": {"podSelector": {}, "policyTypes": names},
        }
    ]
    if Direction.EGRESS in types:
        docs.append(dns_egress_policy(_PLACEHOLDER))
    text = _dump(docs)
    assert text.count(_PLACEHOLDER) == len(docs)
    return text


_DNS_LABEL: Final = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_RESOLVER: Final[Any] = yaml.resolver.Resolver()


def _yaml_scalar(value: str) -> str:
    """``value`` as the YAML dumper writes a string scalar in a block mapping: plain when it
    reads back as a string, else quoted (``'123'``, ``'true'``, ``'null'``)."""
    plain = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str"
    if plain and _DNS_LABEL.fullmatch(value):
        return value
    return _dump([{"k": value}]).removeprefix("k: ").rstrip("\n")


def dns_fix(namespace: str) -> str:
    """The DNS allowance alone."""
    return _dump([dns_egress_policy(namespace)])


def policy_document(policy: dict[str, Any]) -> str:
    """One policy as YAML."""
    return _dump([policy])
