"""Kubernetes-shaped documents for the fuzzer: valid seeds and the ways to spoil them.

Each seed is a small, valid object of a kind netfence models (Namespace, Pod, Deployment,
Service (the API server's and a LoadBalancer), Ingress, HTTPRoute, Node, NetworkPolicy,
Calico Tier, NetworkSet, NetworkPolicy and GlobalNetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy). A mutation walks to one place in a document
and spoils it: a value of the wrong type, a boundary number, a hostile string, an unknown
field, a deleted key. ``Raw`` marks a scalar written unquoted into YAML, so that the YAML 1.1
resolver sees it as it would in a hand-written manifest (``1:20``, ``2024-02-30``, ``.nan``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st


class Raw(str):
    """A scalar written as is (unquoted) into YAML; a plain string in JSON."""


SEEDS: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"team": "a"}},
    },
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {"name": "c", "image": "nginx", "ports": [{"name": "http", "containerPort": 80}]}
            ],
            "hostNetwork": False,
        },
        "status": {"podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}]},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {
                    "serviceAccountName": "api",
                    "containers": [
                        {
                            "name": "api",
                            "image": "api:1",
                            "ports": [{"name": "grpc", "containerPort": 9090, "protocol": "TCP"}],
                        }
                    ],
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default"},
        "spec": {
            "clusterIP": "10.96.0.1",
            "ports": [{"name": "https", "port": 443, "targetPort": 6443}],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "https", "port": 443, "targetPort": 8443, "nodePort": 30443},
            ],
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"name": "http"}}},
                            }
                        ]
                    }
                }
            ],
        },
    },
    {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "gateways"}],
            "rules": [{"backendRefs": [{"name": "web", "port": 80, "weight": 1}]}],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"kubernetes.io/os": "linux"}},
        "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.10"}]},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {"key": "team", "operator": "In", "values": ["a", "b"]}
                                ]
                            },
                            "podSelector": {"matchLabels": {"app": "api"}},
                        },
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                    ],
                    "ports": [{"protocol": "TCP", "port": 80, "endPort": 90}, {"port": "http"}],
                }
            ],
            "egress": [{"to": [{"podSelector": {}}], "ports": [{"protocol": "UDP", "port": 53}]}],
        },
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "Tier",
        "metadata": {"name": "security"},
        "spec": {"order": 100},
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkSet",
        "metadata": {"name": "partners", "namespace": "shop", "labels": {"role": "partner"}},
        "spec": {"nets": ["198.51.100.0/24", "2001:db8::/32"]},
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "security.deny-meta"},
        "spec": {
            "tier": "security",
            "order": 10.5,
            "selector": "all()",
            "types": ["Egress"],
            "egress": [
                {"action": "Deny", "destination": {"nets": ["169.254.169.254/32"]}},
                {"action": "Pass"},
            ],
        },
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {
            "selector": "app == 'api' && has(role)",
            "order": 200,
            "types": ["Ingress"],
            "ingress": [
                {
                    "action": "Allow",
                    "protocol": "TCP",
                    "source": {
                        "selector": "role in {'partner', 'web'}",
                        "namespaceSelector": "all()",
                    },
                    "destination": {"ports": [5432, "6000:6010", "grpc"]},
                }
            ],
        },
    },
    {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "guard"},
        "spec": {
            "priority": 7,
            "subject": {"namespaces": {"matchLabels": {"team": "a"}}},
            "ingress": [
                {
                    "name": "from-mon",
                    "action": "Allow",
                    "from": [{"namespaces": {"matchLabels": {"team": "b"}}}],
                    "ports": [
                        {"portNumber": {"port": 9090}},
                        {"portRange": {"protocol": "UDP", "start": 5000, "end": 5010}},
                        {"namedPort": "http"},
                    ],
                }
            ],
            "egress": [
                {"action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}]},
                {
                    "action": "Pass",
                    "to": [{"nodes": {"matchLabels": {"kubernetes.io/os": "linux"}}}],
                },
            ],
        },
    },
    {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "BaselineAdminNetworkPolicy",
        "metadata": {"name": "default"},
        "spec": {
            "subject": {
                "pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}
            },
            "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}],
        },
    },
]
"""One valid object of each modelled kind; together they load as one cluster."""


HOSTILE_SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    65535,
    65536,
    2**31,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    0.5,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    " ",
    "x" * 300,
    "y" * 70_000,
    "a\u0301",
    "\u202eevil",
    "a\x00b",
    "a\nb",
    "\t",
    "\ud800",
    "\udcff",
    "UPPER",
    "../../etc/x",
    "-",
    "a_b",
    "*",
    "all()",
    "0",
    "80",
    "-1",
    "TCP",
    "Ingress",
    "\U0001f600",
    "10.0.0.0/33",
    "fe80::1%eth0/64",
    "::/0",
    "0.0.0.0/0",
    "a" * 64,
    "!!python/object",
    "${HOME}",
    "{a}",
    "[]",
    Raw("1:20"),
    Raw("2024-02-30"),
    Raw("2024-02-10"),
    Raw("2027-13-45"),
    Raw(".nan"),
    Raw(".inf"),
    Raw("0x1F"),
    Raw("0o17"),
    Raw("017"),
    Raw("yes"),
    Raw("~"),
    Raw("1_000"),
    Raw("2001-12-14t21:59:43.10-05:00"),
    Raw("1e400"),
    Raw("9" * 4400),
    Raw("-0"),
]
"""Boundary numbers, type confusions, hostile strings and YAML 1.1 plain-scalar traps."""

UNKNOWN_KEYS = ["ingres", "matchLabel", "extra", "", "metadata", "spec", "x" * 300, "a\nb", "0"]

strings = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from(["\x00", "\n", "\u0301", "\u202e", "-", ".", "/", "a", "Z", "0", ":", "%"]),
    max_size=40,
)
SELECTOR_TOKENS = [
    "a",
    "b",
    "app",
    "==",
    "!=",
    " in ",
    " not in ",
    "has(",
    "all()",
    "global()",
    "(",
    ")",
    "!",
    " && ",
    " || ",
    "'x'",
    '"y"',
    "{",
    "}",
    ",",
    " contains ",
    " starts with ",
    " ends with ",
    "projectcalico.org/namespace",
    "\\",
    "'",
    " ",
]
selectors = st.lists(st.sampled_from(SELECTOR_TOKENS), max_size=12).map("".join)
"""Calico selector text: mostly well-formed pieces put together in any order."""
scalars = st.one_of(
    st.sampled_from(HOSTILE_SCALARS),
    st.sampled_from(HOSTILE_SCALARS),
    strings,
    selectors,
    st.integers(-(2**65), 2**65),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3),
    max_leaves=6,
)


def paths(doc: Any) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a value in ``doc``."""
    out: list[tuple[Any, ...]] = [()]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend((key, *p) for p in paths(value))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.extend((index, *p) for p in paths(value))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with one to three places spoiled."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p in paths(doc) if p]
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = _parent(doc, path)
        how = draw(st.sampled_from(["replace", "replace", "delete", "unknown", "wrap", "empty"]))
        key = path[-1]
        if how == "replace":
            parent[key] = draw(values)
        elif how == "delete":
            del parent[key]
        elif how == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(UNKNOWN_KEYS) | strings)] = draw(values)
        elif how == "wrap":
            parent[key] = [parent[key]]
        else:
            parent[key] = draw(st.sampled_from([{}, [], "", None]))
    return doc


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ("-" if value < 0 else "") + ".inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    # A JSON string is a YAML double-quoted scalar; lone surrogates become \u escapes.
    return json.dumps(value)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML, with Raw scalars unquoted (a hand-written manifest's style)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for key, item in value.items():
            head = f"{pad}{_yaml_scalar(key) if not isinstance(key, str) or not key.isidentifier() else key}:"
            if isinstance(item, dict | list) and item:
                lines.append(head + "\n" + to_yaml(item, indent + 2))
            else:
                lines.append(head + " " + to_yaml(item, indent + 2))
        return "\n".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]"
        lines = []
        for item in value:
            if isinstance(item, dict | list) and item:
                body = to_yaml(item, indent + 2).lstrip()
                lines.append(f"{pad}- {body}")
            else:
                lines.append(f"{pad}- {to_yaml(item, indent + 2)}")
        return "\n".join(lines)
    return _yaml_scalar(value)


def _json_default(value: Any) -> Any:  # pragma: no cover - every value is JSON-typed
    raise TypeError(type(value).__name__)


def to_json(value: Any, ascii_only: bool) -> str:
    """JSON text; NaN and the infinities as Python writes them (not JSON: to be refused)."""
    return json.dumps(value, ensure_ascii=ascii_only, default=_json_default)


def duplicate_key(text: str, key: str = "kind") -> str:
    """JSON text with a second ``key`` member at the top (a duplicate the decoder must refuse)."""
    return text.replace("{", '{"' + key + '": "Pod", ', 1)
