"""Label selectors: which pods a policy applies to, and which peers a rule admits."""

from __future__ import annotations

from .helpers import ALL, connectivity, docs, expr, from_ip, labels, ns, pod, policy, tcp

CLIENT = labels(role="client")


def test_pod_selector_selects_pods_in_policy_namespace_only() -> None:
    """NetworkPolicySpec.podSelector (API reference): the selector picks pods in the policy's
    own namespace; same-labelled pods elsewhere are not isolated by it."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("web", "a", {"app": "web"}),
            pod("web", "b", {"app": "web"}),
            pod("client", "a", {"role": "client"}),
            policy("deny-web", "a", labels(app="web"), ingress=[]),
        )
    )
    assert ("a/client", "a/web") not in conn
    assert conn[("a/client", "b/web")] == ALL
    assert conn[("a/web", "b/web")] == ALL  # no egress isolation from an Ingress-only policy


def test_empty_pod_selector_selects_all_pods_of_namespace() -> None:
    """NetworkPolicySpec.podSelector (API reference): an empty podSelector selects every pod in
    the policy's namespace (and only that namespace)."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("web", "a", {"app": "web"}),
            pod("db", "a", {"app": "db"}),
            pod("client", "a", {"role": "client"}),
            pod("web", "b", {"app": "web"}),
            policy(
                "from-clients",
                "a",
                {},
                ingress=[{"from": [{"podSelector": CLIENT}], "ports": [{"port": 80}]}],
            ),
        )
    )
    assert conn[("a/client", "a/web")] == tcp(80)
    assert conn[("a/client", "a/db")] == tcp(80)
    assert ("a/web", "a/db") not in conn
    assert ("a/web", "a/client") not in conn
    assert ("b/web", "a/web") not in conn
    assert conn[("a/client", "b/web")] == ALL


def test_namespace_selector_match_labels_selects_namespaces() -> None:
    """NetworkPolicyPeer.namespaceSelector (API reference): a namespaceSelector alone admits
    every pod in the namespaces whose labels match it."""
    conn = connectivity(
        docs(
            ns("a", {"team": "alpha"}),
            ns("b", {"team": "beta"}),
            ns("c", {"team": "gamma"}),
            pod("server", "a", {"app": "server"}),
            pod("client", "a", {"role": "client"}),
            pod("client", "b", {"role": "client"}),
            pod("other", "b", {"role": "other"}),
            pod("client", "c", {"role": "client"}),
            policy(
                "from-beta",
                "a",
                labels(app="server"),
                ingress=[{"from": [{"namespaceSelector": labels(team="beta")}]}],
            ),
        )
    )
    assert conn[("b/client", "a/server")] == ALL
    assert conn[("b/other", "a/server")] == ALL
    assert ("c/client", "a/server") not in conn
    assert ("a/client", "a/server") not in conn


def test_empty_namespace_selector_selects_all_namespaces() -> None:
    """NetworkPolicyPeer.namespaceSelector (API reference): an empty namespaceSelector ({})
    matches all namespaces, hence all pods; it does not match external addresses."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b", {"team": "beta"}),
            pod("server", "a", {"app": "server"}),
            pod("client", "a", {"role": "client"}),
            pod("client", "b", {"role": "client"}),
            pod("client", "undeclared", {"role": "client"}),
            policy(
                "from-any-namespace",
                "a",
                labels(app="server"),
                ingress=[{"from": [{"namespaceSelector": {}}], "ports": [{"port": 80}]}],
            ),
        )
    )
    assert conn[("a/client", "a/server")] == tcp(80)
    assert conn[("b/client", "a/server")] == tcp(80)
    assert conn[("undeclared/client", "a/server")] == tcp(80)
    assert from_ip(conn, "198.51.100.7", "a/client") == ALL  # externals exist as sources
    assert from_ip(conn, "198.51.100.7", "a/server") == {}


def test_match_labels_requires_every_label() -> None:
    """LabelSelector.matchLabels (API reference): each key/value pair must be present on the
    pod; the pairs are AND-ed."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}),
            pod("c-both", "a", {"role": "client", "env": "prod"}),
            pod("c-dev", "a", {"role": "client", "env": "dev"}),
            pod("c-role", "a", {"role": "client"}),
            pod("c-env", "a", {"env": "prod"}),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[{"from": [{"podSelector": labels(role="client", env="prod")}]}],
            ),
        )
    )
    assert conn[("a/c-both", "a/server")] == ALL
    assert ("a/c-dev", "a/server") not in conn
    assert ("a/c-role", "a/server") not in conn
    assert ("a/c-env", "a/server") not in conn


def _env_clients() -> list[str]:
    return [
        ns("a"),
        pod("server", "a", {"app": "server"}),
        pod("c-prod", "a", {"role": "client", "env": "prod"}),
        pod("c-staging", "a", {"role": "client", "env": "staging"}),
        pod("c-dev", "a", {"role": "client", "env": "dev"}),
        pod("c-empty", "a", {"role": "client", "env": ""}),
        pod("c-none", "a", {"role": "client"}),
    ]


def _admitted_env_clients(requirement: dict[str, object]) -> set[str]:
    conn = connectivity(
        docs(
            *_env_clients(),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[{"from": [{"podSelector": {"matchExpressions": [requirement]}}]}],
            ),
        )
    )
    admitted = set()
    for client in ("c-prod", "c-staging", "c-dev", "c-empty", "c-none"):
        allowed = conn.get((f"a/{client}", "a/server"))
        if allowed is not None:
            assert allowed == ALL
            admitted.add(client)
    return admitted


def test_match_expressions_in() -> None:
    """LabelSelectorRequirement operator In (API reference): the pod must carry the key with
    one of the listed values; a pod without the key does not match."""
    assert _admitted_env_clients(expr("env", "In", "prod", "staging")) == {
        "c-prod",
        "c-staging",
    }


def test_match_expressions_not_in_matches_pods_lacking_the_key() -> None:
    """LabelSelectorRequirement operator NotIn (API reference, labels concept page): matches
    pods whose value is not listed, including pods that do not have the key at all."""
    assert _admitted_env_clients(expr("env", "NotIn", "prod", "staging")) == {
        "c-dev",
        "c-empty",
        "c-none",
    }


def test_match_expressions_exists() -> None:
    """LabelSelectorRequirement operator Exists (API reference): matches any pod carrying the
    key, whatever its value (the empty string included)."""
    assert _admitted_env_clients(expr("env", "Exists")) == {
        "c-prod",
        "c-staging",
        "c-dev",
        "c-empty",
    }


def test_match_expressions_does_not_exist() -> None:
    """LabelSelectorRequirement operator DoesNotExist (API reference): matches exactly the pods
    that do not carry the key."""
    assert _admitted_env_clients(expr("env", "DoesNotExist")) == {"c-none"}


def test_match_expressions_in_spec_pod_selector() -> None:
    """NetworkPolicySpec.podSelector is a LabelSelector (API reference): matchExpressions there
    choose which pods the policy isolates."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("tiered", "a", {"tier": "back"}),
            pod("untiered", "a", {"app": "x"}),
            pod("client", "a", {"role": "client"}),
            policy(
                "isolate-tiered", "a", {"matchExpressions": [expr("tier", "Exists")]}, ingress=[]
            ),
        )
    )
    assert ("a/client", "a/tiered") not in conn
    assert conn[("a/client", "a/untiered")] == ALL


def test_match_labels_and_match_expressions_are_anded() -> None:
    """LabelSelector (API reference): matchLabels and matchExpressions are ANDed; a pod must
    satisfy both."""
    conn = connectivity(
        docs(
            *_env_clients(),
            pod("o-prod", "a", {"role": "other", "env": "prod"}),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchLabels": {"role": "client"},
                                    "matchExpressions": [expr("env", "In", "prod")],
                                }
                            }
                        ]
                    }
                ],
            ),
        )
    )
    assert conn[("a/c-prod", "a/server")] == ALL
    assert ("a/c-dev", "a/server") not in conn
    assert ("a/c-none", "a/server") not in conn
    assert ("a/o-prod", "a/server") not in conn


def test_peers_in_one_rule_are_ored() -> None:
    """NetworkPolicyIngressRule.from (API reference): items of the from list are combined with
    a logical OR; a source matching any one peer is admitted."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}),
            pod("x", "a", {"role": "x"}),
            pod("y", "a", {"role": "y"}),
            pod("z", "a", {"role": "z"}),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[
                    {
                        "from": [
                            {"podSelector": labels(role="x")},
                            {"podSelector": labels(role="y")},
                        ],
                        "ports": [{"port": 8080}],
                    }
                ],
            ),
        )
    )
    assert conn[("a/x", "a/server")] == tcp(8080)
    assert conn[("a/y", "a/server")] == tcp(8080)
    assert ("a/z", "a/server") not in conn


def _ns_pod_fixture() -> list[str]:
    return [
        ns("a", {"team": "alpha"}),
        ns("b", {"team": "beta"}),
        pod("server", "a", {"app": "server"}),
        pod("client", "a", {"role": "client"}),
        pod("other", "a", {"role": "other"}),
        pod("client", "b", {"role": "client"}),
        pod("other", "b", {"role": "other"}),
    ]


def test_namespace_and_pod_selector_in_one_peer_are_anded() -> None:
    """NetworkPolicyPeer (API reference): namespaceSelector and podSelector in one peer are
    AND-ed: pods matching podSelector inside namespaces matching namespaceSelector."""
    conn = connectivity(
        docs(
            *_ns_pod_fixture(),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[
                    {"from": [{"namespaceSelector": labels(team="beta"), "podSelector": CLIENT}]}
                ],
            ),
        )
    )
    assert conn[("b/client", "a/server")] == ALL
    assert ("b/other", "a/server") not in conn
    assert ("a/client", "a/server") not in conn
    assert ("a/other", "a/server") not in conn


def test_namespace_and_pod_selector_as_two_peers_are_ored() -> None:
    """NetworkPolicyIngressRule.from (API reference, concepts page "Behavior of to and from
    selectors"): the same selectors written as two peers are OR-ed."""
    conn = connectivity(
        docs(
            *_ns_pod_fixture(),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[
                    {"from": [{"namespaceSelector": labels(team="beta")}, {"podSelector": CLIENT}]}
                ],
            ),
        )
    )
    assert conn[("b/client", "a/server")] == ALL
    assert conn[("b/other", "a/server")] == ALL
    assert conn[("a/client", "a/server")] == ALL
    assert ("a/other", "a/server") not in conn


def test_pod_selector_only_peer_is_namespace_local() -> None:
    """NetworkPolicyPeer.podSelector (API reference): without namespaceSelector it selects
    pods in the policy's own namespace only."""
    conn = connectivity(
        docs(
            *_ns_pod_fixture(),
            policy("p", "a", labels(app="server"), ingress=[{"from": [{"podSelector": CLIENT}]}]),
        )
    )
    assert conn[("a/client", "a/server")] == ALL
    assert ("b/client", "a/server") not in conn


def test_pod_selector_only_peer_is_namespace_local_for_egress() -> None:
    """NetworkPolicyEgressRule.to / NetworkPolicyPeer.podSelector (API reference): a
    podSelector-only destination peer is namespace-local as well."""
    conn = connectivity(
        docs(
            *_ns_pod_fixture(),
            policy(
                "p",
                "a",
                labels(app="server"),
                egress=[{"to": [{"podSelector": CLIENT}], "ports": [{"port": 443}]}],
                types=["Egress"],
            ),
        )
    )
    assert conn[("a/server", "a/client")] == tcp(443)
    assert ("a/server", "b/client") not in conn
    assert ("a/server", "a/other") not in conn


def test_undeclared_namespace_gets_metadata_name_label() -> None:
    """Namespaces concept page, "Automatic labelling": every namespace carries
    kubernetes.io/metadata.name = its name. A namespace referenced by a pod but not declared is
    still a namespace with that label (and no other)."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}),
            pod("client", "b", {"role": "client"}),
            pod("client", "c", {"role": "client"}),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[
                    {
                        "from": [
                            {"namespaceSelector": labels(**{"kubernetes.io/metadata.name": "b"})},
                            {"namespaceSelector": labels(team="gamma")},
                        ]
                    }
                ],
            ),
        )
    )
    assert conn[("b/client", "a/server")] == ALL
    assert ("c/client", "a/server") not in conn


def test_declared_namespace_gets_metadata_name_label() -> None:
    """Namespaces concept page, "Automatic labelling": a declared Namespace gets the label
    kubernetes.io/metadata.name set to its name, whatever labels the manifest lists."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b", {"team": "beta"}),
            ns("c"),
            pod("server", "a", {"app": "server"}),
            pod("client", "a", {"role": "client"}),
            pod("client", "b", {"role": "client"}),
            pod("client", "c", {"role": "client"}),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        expr("kubernetes.io/metadata.name", "In", "b", "c")
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        )
    )
    assert conn[("b/client", "a/server")] == ALL
    assert conn[("c/client", "a/server")] == ALL
    assert ("a/client", "a/server") not in conn


def test_namespace_metadata_name_label_cannot_be_overridden() -> None:
    """Namespaces concept page, "Automatic labelling": the control plane sets the immutable
    label kubernetes.io/metadata.name to the namespace's name, so a manifest claiming another
    value still ends up labelled with its own name."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("c", {"kubernetes.io/metadata.name": "b"}),
            pod("server", "a", {"app": "server"}),
            pod("client", "c", {"role": "client"}),
            policy(
                "p",
                "a",
                labels(app="server"),
                ingress=[
                    {
                        "from": [
                            {"namespaceSelector": labels(**{"kubernetes.io/metadata.name": "c"})}
                        ],
                        "ports": [{"port": 80}],
                    },
                    {
                        "from": [
                            {"namespaceSelector": labels(**{"kubernetes.io/metadata.name": "b"})}
                        ],
                        "ports": [{"port": 81}],
                    },
                ],
            ),
        )
    )
    assert conn[("c/client", "a/server")] == tcp(80)
