"""Policy types, rule shapes, isolation and how policies combine."""

from __future__ import annotations

from .helpers import ALL, connectivity, docs, from_ip, labels, ns, pod, policy, tcp, to_ip, udp

CLIENT = labels(role="client")
SERVER = labels(app="server")


def _trio() -> list[str]:
    return [
        ns("a"),
        pod("server", "a", {"app": "server"}),
        pod("client", "a", {"role": "client"}),
        pod("other", "a", {"role": "other"}),
    ]


def test_policy_types_omitted_with_only_ingress_rules_is_ingress_only() -> None:
    """NetworkPolicySpec.policyTypes (API reference): when omitted, every policy affects
    Ingress, and Egress only if it has egress rules; so the selected pod's egress stays open."""
    conn = connectivity(
        docs(*_trio(), policy("p", "a", SERVER, ingress=[{"from": [{"podSelector": CLIENT}]}]))
    )
    assert conn[("a/client", "a/server")] == ALL
    assert ("a/other", "a/server") not in conn
    assert conn[("a/server", "a/other")] == ALL
    assert to_ip(conn, "a/server", "8.8.8.8") == ALL


def test_policy_types_omitted_with_egress_rules_also_isolates_ingress() -> None:
    """NetworkPolicySpec.policyTypes (API reference): with policyTypes omitted a policy that has
    egress rules affects Egress AND Ingress; having no ingress rules, it denies all ingress."""
    conn = connectivity(
        docs(
            *_trio(),
            pod("db", "a", {"app": "db"}),
            policy(
                "p",
                "a",
                SERVER,
                egress=[{"to": [{"podSelector": labels(app="db")}], "ports": [{"port": 5432}]}],
            ),
        )
    )
    assert conn[("a/server", "a/db")] == tcp(5432)
    assert ("a/server", "a/client") not in conn
    assert ("a/client", "a/server") not in conn
    assert from_ip(conn, "8.8.8.8", "a/server") == {}


def test_explicit_egress_policy_type_leaves_ingress_open() -> None:
    """NetworkPolicySpec.policyTypes (API reference): policyTypes [Egress] isolates egress only;
    ingress to the selected pod is unaffected by this policy."""
    conn = connectivity(docs(*_trio(), policy("p", "a", SERVER, egress=[], types=["Egress"])))
    assert conn[("a/client", "a/server")] == ALL
    assert from_ip(conn, "8.8.8.8", "a/server") == ALL
    assert ("a/server", "a/client") not in conn
    assert to_ip(conn, "a/server", "8.8.8.8") == {}


def test_explicit_both_policy_types_without_rules_deny_everything() -> None:
    """NetworkPolicySpec.policyTypes (API reference): [Ingress, Egress] with no rules isolates
    the pod both ways (the usual default-deny-all)."""
    conn = connectivity(docs(*_trio(), policy("deny-all", "a", {}, types=["Ingress", "Egress"])))
    touching_a = [pair for pair in conn if any(name.startswith("a/") for name in pair)]
    assert touching_a == []
    assert ("a/client", "a/server") not in conn
    assert from_ip(conn, "8.8.8.8", "a/server") == {}
    assert to_ip(conn, "a/server", "8.8.8.8") == {}


def test_empty_ingress_list_denies_all_ingress() -> None:
    """NetworkPolicySpec.ingress (API reference): an empty (or missing) list with Ingress in
    policyTypes admits no traffic; the policy only isolates."""
    conn = connectivity(
        docs(
            *_trio(),
            pod("server2", "a", {"app": "server2"}),
            policy("empty-list", "a", SERVER, ingress=[], types=["Ingress"]),
            policy("missing", "a", labels(app="server2"), types=["Ingress"]),
        )
    )
    assert ("a/client", "a/server") not in conn
    assert ("a/client", "a/server2") not in conn
    assert from_ip(conn, "8.8.8.8", "a/server") == {}
    assert conn[("a/server", "a/client")] == ALL


def test_empty_egress_list_denies_all_egress() -> None:
    """NetworkPolicySpec.egress (API reference): an empty list with Egress in policyTypes
    allows no outgoing traffic, to pods or to external addresses."""
    conn = connectivity(docs(*_trio(), policy("p", "a", CLIENT, egress=[], types=["Egress"])))
    assert ("a/client", "a/server") not in conn
    assert to_ip(conn, "a/client", "8.8.8.8") == {}
    assert conn[("a/server", "a/client")] == ALL


def test_empty_ingress_rule_allows_everything() -> None:
    """NetworkPolicyIngressRule (API reference): a rule {} has neither from nor ports, so it
    matches all sources (pods of every namespace and external addresses) on all ports."""
    conn = connectivity(
        docs(
            *_trio(),
            pod("client", "b", {"role": "client"}),
            policy("allow-all", "a", SERVER, ingress=[{}]),
        )
    )
    assert conn[("a/client", "a/server")] == ALL
    assert conn[("b/client", "a/server")] == ALL
    assert from_ip(conn, "8.8.8.8", "a/server") == ALL


def test_empty_egress_rule_allows_everything() -> None:
    """NetworkPolicyEgressRule (API reference): a rule {} matches all destinations on all
    ports."""
    conn = connectivity(
        docs(
            *_trio(),
            pod("client", "b", {"role": "client"}),
            policy("allow-all", "a", SERVER, egress=[{}], types=["Egress"]),
        )
    )
    assert conn[("a/server", "a/client")] == ALL
    assert conn[("a/server", "b/client")] == ALL
    assert to_ip(conn, "a/server", "8.8.8.8") == ALL


def test_from_without_ports_allows_all_ports_and_protocols() -> None:
    """NetworkPolicyIngressRule.ports (API reference): missing ports means all ports of every
    protocol, but only from the listed peers."""
    conn = connectivity(
        docs(*_trio(), policy("p", "a", SERVER, ingress=[{"from": [{"podSelector": CLIENT}]}]))
    )
    assert conn[("a/client", "a/server")] == ALL
    assert ("a/other", "a/server") not in conn


def test_ports_without_from_allows_all_sources() -> None:
    """NetworkPolicyIngressRule.from (API reference): missing from means every source,
    external addresses included, restricted to the listed ports."""
    conn = connectivity(
        docs(
            *_trio(),
            pod("client", "b", {"role": "client"}),
            policy("p", "a", SERVER, ingress=[{"ports": [{"port": 443}]}]),
        )
    )
    assert conn[("a/client", "a/server")] == tcp(443)
    assert conn[("a/other", "a/server")] == tcp(443)
    assert conn[("b/client", "a/server")] == tcp(443)
    assert from_ip(conn, "8.8.8.8", "a/server") == tcp(443)


def test_empty_from_and_to_lists_match_all_peers() -> None:
    """NetworkPolicyIngressRule.from / NetworkPolicyEgressRule.to (API reference): an empty
    list, like a missing one, matches all sources / destinations."""
    conn = connectivity(
        docs(
            *_trio(),
            policy("in", "a", SERVER, ingress=[{"from": [], "ports": [{"port": 80}]}]),
            policy(
                "out",
                "a",
                CLIENT,
                egress=[{"to": [], "ports": [{"port": 53, "protocol": "UDP"}]}],
                types=["Egress"],
            ),
        )
    )
    assert conn[("a/other", "a/server")] == tcp(80)
    assert from_ip(conn, "8.8.8.8", "a/server") == tcp(80)
    assert conn[("a/client", "a/other")] == udp(53)
    assert to_ip(conn, "a/client", "8.8.8.8") == udp(53)
    assert ("a/client", "a/server") not in conn  # client sends only UDP 53, server takes TCP 80


def test_allows_are_unioned_over_all_policies_selecting_a_pod() -> None:
    """NetworkPolicySpec.podSelector / ingress (API reference): when several policies select a
    pod, its allowed ingress is the union of what each of them allows (additive)."""
    conn = connectivity(
        docs(
            *_trio(),
            policy(
                "p1",
                "a",
                SERVER,
                ingress=[{"from": [{"podSelector": CLIENT}], "ports": [{"port": 80}]}],
            ),
            policy(
                "p2",
                "a",
                {},
                ingress=[
                    {"from": [{"podSelector": CLIENT}], "ports": [{"port": 8080}]},
                    {"from": [{"podSelector": labels(role="other")}], "ports": [{"port": 443}]},
                ],
            ),
        )
    )
    assert conn[("a/client", "a/server")] == tcp(80, 8080)
    assert conn[("a/other", "a/server")] == tcp(443)


def test_rules_within_one_policy_are_unioned() -> None:
    """NetworkPolicySpec.ingress (API reference): traffic is allowed if it matches at least one
    rule; rules of one policy add up."""
    conn = connectivity(
        docs(
            *_trio(),
            policy(
                "p",
                "a",
                SERVER,
                ingress=[
                    {"from": [{"podSelector": CLIENT}], "ports": [{"port": 80}]},
                    {"from": [{"podSelector": CLIENT}], "ports": [{"port": 81, "endPort": 90}]},
                    {"from": [{"podSelector": labels(role="other")}], "ports": [{"port": 22}]},
                ],
            ),
        )
    )
    assert conn[("a/client", "a/server")] == tcp((80, 90))
    assert conn[("a/other", "a/server")] == tcp(22)


def test_connection_needs_egress_of_source_and_ingress_of_destination() -> None:
    """Network Policies concept page ("The two sorts of pod isolation"): a connection from a
    source pod to a destination pod is allowed only if the source's egress AND the
    destination's ingress both allow it."""
    conn = connectivity(
        docs(
            *_trio(),
            policy(
                "client-out",
                "a",
                CLIENT,
                egress=[
                    {
                        "to": [{"podSelector": SERVER}],
                        "ports": [{"port": 80, "endPort": 90}, {"port": 53, "protocol": "UDP"}],
                    }
                ],
                types=["Egress"],
            ),
            policy(
                "server-in",
                "a",
                SERVER,
                ingress=[
                    {
                        "from": [{"podSelector": CLIENT}, {"podSelector": labels(role="other")}],
                        "ports": [{"port": 85, "endPort": 100}],
                    }
                ],
            ),
        )
    )
    assert conn[("a/client", "a/server")] == tcp((85, 90))
    assert conn[("a/other", "a/server")] == tcp((85, 100))
    assert ("a/client", "a/other") not in conn


def test_pod_selected_by_no_policy_is_open() -> None:
    """NetworkPolicySpec.ingress/egress (API reference): traffic is allowed when no policy
    selects the pod in that direction; an unselected pod is open both ways."""
    conn = connectivity(
        docs(
            *_trio(),
            pod("free", "b", {"app": "free"}),
            policy("p", "a", SERVER, ingress=[], egress=[], types=["Ingress", "Egress"]),
        )
    )
    assert conn[("a/client", "a/other")] == ALL
    assert conn[("a/other", "b/free")] == ALL
    assert conn[("b/free", "a/client")] == ALL
    assert to_ip(conn, "b/free", "8.8.8.8") == ALL
    assert from_ip(conn, "8.8.8.8", "b/free") == ALL
    assert ("a/client", "a/server") not in conn


def test_udp_only_rule_still_isolates_tcp() -> None:
    """NetworkPolicyPort (API reference): once a pod is isolated, only listed traffic passes; a
    rule naming UDP does not keep TCP (or SCTP) open."""
    conn = connectivity(
        docs(
            *_trio(),
            policy(
                "dns-only",
                "a",
                SERVER,
                ingress=[
                    {"from": [{"podSelector": CLIENT}], "ports": [{"port": 53, "protocol": "UDP"}]}
                ],
            ),
        )
    )
    assert conn[("a/client", "a/server")] == {"UDP": [(53, 53)]}
