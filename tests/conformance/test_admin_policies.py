"""The AdminNetworkPolicy family of policy.networking.k8s.io: AdminNetworkPolicy (ANP) and
BaselineAdminNetworkPolicy (BANP) in v1alpha1, ClusterNetworkPolicy (CNP) in v1alpha2, and
their place among Kubernetes NetworkPolicy and Calico tiers.

Each test names the rule it checks and where SIG Network documents it: the v1alpha1 API
reference (AdminNetworkPolicy / BaselineAdminNetworkPolicy types), the NPEPs (NPEP-126 egress
traffic control: the networks peer) and the v1alpha2 ClusterNetworkPolicy types with the
project's "API Object Overview" (tiers, actions, priorities, no implicit isolation); for
Calico's placement, Calico's "Get started with policy tiers" and reference section E.
"""

from __future__ import annotations

from .helpers import (
    ALL,
    Allowed,
    connectivity,
    docs,
    from_ip,
    labels,
    ns,
    pod,
    policy,
    tcp,
    to_ip,
    udp,
)
from .layered_helpers import (
    admin_rule,
    all_but_tcp,
    anp,
    banp,
    calico_gnp,
    cnp,
    cnp_named_port,
    cnp_port,
    host_pod,
    match,
    named_port,
    networks_peer,
    ns_peer,
    ns_subject,
    pods_peer,
    pods_subject,
    port_number,
    port_range,
    tier,
)


def three_namespaces() -> list[str]:
    """Namespaces a (team=blue), b (team=red, the servers) and c (team=green), a pod in each."""
    return [
        ns("a", {"team": "blue"}),
        ns("b", {"team": "red"}),
        ns("c", {"team": "green"}),
        pod("x", "a", {"app": "x"}),
        pod("y", "b", {"app": "y"}),
        pod("z", "c", {"app": "z"}),
    ]


def deny_all_ingress(namespace: str) -> str:
    """A Kubernetes NetworkPolicy isolating every pod of ``namespace`` for ingress."""
    return policy("deny-all", namespace, None, types=["Ingress"])


B = ns_subject(team="red")
FROM_A = [ns_peer(team="blue")]
FROM_ALL = [ns_peer()]


# --------------------------------------------------------------------------------------------
# AdminNetworkPolicy against NetworkPolicy
# --------------------------------------------------------------------------------------------


def test_anp_allow_wins_over_networkpolicy_default_deny() -> None:
    """AdminNetworkPolicy Allow (v1alpha1 API reference, AdminNetworkPolicyRuleAction):
    traffic an ANP allows is allowed whatever NetworkPolicies say; it cannot be blocked by
    them."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            deny_all_ingress("b"),
            anp("allow-a", 10, B, ingress=[admin_rule("Allow", FROM_A, ports=[port_number(80)])]),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert ("c/z", "b/y") not in conn


def test_anp_deny_wins_over_networkpolicy_allow() -> None:
    """AdminNetworkPolicy Deny (v1alpha1 API reference, AdminNetworkPolicyRuleAction):
    traffic an ANP denies is dropped before any NetworkPolicy is consulted."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            policy("allow-all", "b", None, ingress=[{}]),
            anp("deny-ssh", 10, B, ingress=[admin_rule("Deny", FROM_A, ports=[port_number(22)])]),
        )
    )
    assert conn[("a/x", "b/y")] == all_but_tcp(22)
    assert conn[("c/z", "b/y")] == ALL


def test_anp_pass_defers_to_networkpolicy() -> None:
    """AdminNetworkPolicy Pass (v1alpha1 API reference, AdminNetworkPolicyRuleAction): Pass
    skips the remaining ANP rules and lets the NetworkPolicies decide."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            policy(
                "from-a-80",
                "b",
                None,
                ingress=[
                    {
                        "from": [{"namespaceSelector": labels(team="blue")}],
                        "ports": [{"port": 80}],
                    }
                ],
            ),
            anp("pass-a", 10, B, ingress=[admin_rule("Pass", FROM_A)]),
            anp("deny-all", 20, B, ingress=[admin_rule("Deny", FROM_ALL)]),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert ("c/z", "b/y") not in conn


def test_anp_lower_priority_number_first() -> None:
    """AdminNetworkPolicy spec.priority (v1alpha1 API reference): 0-1000, a lower value is
    evaluated first, whatever order the policies are written in."""

    def run(deny_priority: int, allow_priority: int) -> Allowed:
        conn = connectivity(
            docs(
                *three_namespaces(),
                deny_all_ingress("b"),
                anp("allow", allow_priority, B, ingress=[admin_rule("Allow", FROM_A)]),
                anp(
                    "deny",
                    deny_priority,
                    B,
                    ingress=[admin_rule("Deny", FROM_A, ports=[port_number(80)])],
                ),
            )
        )
        return conn.get(("a/x", "b/y"), {})

    assert run(10, 50) == all_but_tcp(80)
    assert run(50, 10) == ALL


def test_anp_rules_apply_in_written_order() -> None:
    """AdminNetworkPolicy ingress/egress (v1alpha1 API reference): rules are ordered, the first
    one matching decides."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            pod("w", "b", {"app": "w"}),
            anp(
                "y",
                10,
                pods_subject(match(team="red"), match(app="y")),
                ingress=[
                    admin_rule("Allow", FROM_ALL, ports=[port_number(80)]),
                    admin_rule("Deny", FROM_ALL),
                ],
            ),
            anp(
                "w",
                20,
                pods_subject(match(team="red"), match(app="w")),
                ingress=[
                    admin_rule("Deny", FROM_ALL, ports=[port_number(80)]),
                    admin_rule("Allow", FROM_ALL),
                ],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert conn[("a/x", "b/w")] == all_but_tcp(80)


def test_anp_has_no_implicit_isolation() -> None:
    """AdminNetworkPolicy (v1alpha1 API reference; "API Object Overview"): rules are read as-is;
    a pod an ANP selects with one Allow rule stays open to everything else, and a policy
    without egress rules does not affect egress."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            anp("allow-a", 10, B, ingress=[admin_rule("Allow", FROM_A, ports=[port_number(80)])]),
        )
    )
    assert conn[("a/x", "b/y")] == ALL
    assert conn[("c/z", "b/y")] == ALL
    assert conn[("b/y", "c/z")] == ALL


def test_anp_subject_pods_form() -> None:
    """AdminNetworkPolicySubject pods (v1alpha1 API reference): the policy applies to the pods
    the podSelector matches in the namespaces the namespaceSelector matches."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            pod("w", "b", {"app": "w"}),
            pod("y", "c", {"app": "y"}),
            anp(
                "y-in-b",
                10,
                pods_subject(match(team="red"), match(app="y")),
                ingress=[admin_rule("Deny", FROM_A)],
            ),
        )
    )
    assert ("a/x", "b/y") not in conn
    assert conn[("a/x", "b/w")] == ALL
    assert conn[("a/x", "c/y")] == ALL


def test_host_network_pods_are_neither_subjects_nor_peers() -> None:
    """AdminNetworkPolicySubject and AdminNetworkPolicyIngressPeer (v1alpha1 API reference):
    host-networked pods are never selected as subjects, nor matched by namespaces/pods peers;
    pod-network pods of the same namespaces still are, whatever order the pods are listed in."""
    regular = [
        ns("a", {"team": "blue"}),
        ns("b", {"team": "red"}),
        pod("x", "a"),
        pod("y", "b"),
    ]
    hosts = [host_pod("h", "a"), host_pod("h", "b")]
    guard = anp("deny-a", 10, B, ingress=[admin_rule("Deny", FROM_A)])
    for manifests in (docs(*regular, *hosts, guard), docs(*hosts, *regular, guard)):
        conn = connectivity(manifests)
        assert ("a/x", "b/y") not in conn
        assert conn[("a/x", "b/h")] == ALL
        assert conn[("a/h", "b/y")] == ALL


# --------------------------------------------------------------------------------------------
# BaselineAdminNetworkPolicy
# --------------------------------------------------------------------------------------------


def test_banp_deny_applies_only_when_no_networkpolicy_decides() -> None:
    """BaselineAdminNetworkPolicy Deny (v1alpha1 API reference): the BANP applies only to
    traffic no ANP and no NetworkPolicy decided; a NetworkPolicy selecting the pod overrides
    it."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            pod("w", "b", {"app": "w"}),
            policy(
                "y-80",
                "b",
                labels(app="y"),
                ingress=[{"ports": [{"port": 80}]}],
            ),
            banp(B, ingress=[admin_rule("Deny", FROM_ALL)]),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert conn[("c/z", "b/y")] == tcp(80)
    assert ("a/x", "b/w") not in conn


def test_banp_allow_in_order() -> None:
    """BaselineAdminNetworkPolicy Allow (v1alpha1 API reference): BANP rules are ordered; an
    Allow before a Deny admits what it matches."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            banp(
                B,
                ingress=[
                    admin_rule("Allow", FROM_A, ports=[port_number(80)]),
                    admin_rule("Deny", FROM_ALL),
                ],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert ("c/z", "b/y") not in conn


def test_anp_pass_reaches_banp_when_no_networkpolicy_selects() -> None:
    """AdminNetworkPolicy Pass (v1alpha1 API reference): passed traffic goes to the
    NetworkPolicies, then to the BANP when no NetworkPolicy selects the pod."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            anp("pass-a", 10, B, ingress=[admin_rule("Pass", FROM_A, ports=[port_number(22)])]),
            anp("allow-a", 20, B, ingress=[admin_rule("Allow", FROM_A)]),
            banp(B, ingress=[admin_rule("Deny", FROM_ALL, ports=[port_number(22)])]),
        )
    )
    assert conn[("a/x", "b/y")] == all_but_tcp(22)
    assert conn[("c/z", "b/y")] == all_but_tcp(22)


# --------------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------------


def test_networks_peer_matches_pod_ips() -> None:
    """AdminNetworkPolicyEgressPeer networks (v1alpha1 API reference; NPEP-126): CIDRs match
    any destination address, in-cluster pod IPs included."""
    conn = connectivity(
        docs(
            ns("a", {"team": "blue"}),
            ns("b", {"team": "red"}),
            pod("x", "a", ip="172.16.0.2"),
            pod("y", "b", ip="10.1.0.7"),
            pod("z", "b", ip="10.2.0.7"),
            anp(
                "no-10-1",
                10,
                ns_subject(team="blue"),
                egress=[admin_rule("Deny", [networks_peer("10.1.0.0/16")], egress=True)],
            ),
        )
    )
    assert ("a/x", "b/y") not in conn
    assert conn[("a/x", "b/z")] == ALL
    assert to_ip(conn, "a/x", "10.1.3.3") == {}
    assert to_ip(conn, "a/x", "8.8.8.8") == ALL


def test_networks_peer_allow_to_external() -> None:
    """AdminNetworkPolicyEgressPeer networks (NPEP-126): an egress Allow to a CIDR admits that
    range over an egress default-deny NetworkPolicy."""
    conn = connectivity(
        docs(
            ns("a", {"team": "blue"}),
            pod("x", "a"),
            policy("no-egress", "a", None, types=["Egress"]),
            anp(
                "registry",
                10,
                ns_subject(team="blue"),
                egress=[
                    admin_rule(
                        "Allow",
                        [networks_peer("203.0.113.0/24")],
                        egress=True,
                        ports=[port_number(443)],
                    )
                ],
            ),
        )
    )
    assert to_ip(conn, "a/x", "203.0.113.10") == tcp(443)
    assert to_ip(conn, "a/x", "198.51.100.10") == {}


def test_namespaces_peer() -> None:
    """AdminNetworkPolicyIngressPeer namespaces (v1alpha1 API reference): every pod of the
    namespaces the label selector matches."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            pod("x2", "a", {"app": "x2"}),
            anp("no-blue", 10, B, ingress=[admin_rule("Deny", [ns_peer(team="blue")])]),
        )
    )
    assert ("a/x", "b/y") not in conn
    assert ("a/x2", "b/y") not in conn
    assert conn[("c/z", "b/y")] == ALL


def test_pods_peer() -> None:
    """AdminNetworkPolicyIngressPeer pods (v1alpha1 API reference): the pods the podSelector
    matches in the namespaces the namespaceSelector matches."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            pod("w", "a", {"app": "w"}),
            pod("x", "c", {"app": "x"}),
            anp(
                "no-x-of-blue",
                10,
                B,
                ingress=[admin_rule("Deny", [pods_peer(match(team="blue"), match(app="x"))])],
            ),
        )
    )
    assert ("a/x", "b/y") not in conn
    assert conn[("a/w", "b/y")] == ALL
    assert conn[("c/x", "b/y")] == ALL


def test_egress_pods_peer() -> None:
    """AdminNetworkPolicyEgressPeer pods (v1alpha1 API reference): egress rules match the
    destination pods."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            anp(
                "a-out",
                10,
                ns_subject(team="blue"),
                egress=[
                    admin_rule("Deny", [pods_peer(match(team="red"), match(app="y"))], egress=True)
                ],
            ),
        )
    )
    assert ("a/x", "b/y") not in conn
    assert conn[("a/x", "c/z")] == ALL


# --------------------------------------------------------------------------------------------
# Ports
# --------------------------------------------------------------------------------------------


def test_port_number_protocol_defaults_to_tcp() -> None:
    """AdminNetworkPolicyPort portNumber (v1alpha1 API reference): a protocol (TCP by default)
    and one port."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            deny_all_ingress("b"),
            anp(
                "ports",
                10,
                B,
                ingress=[
                    admin_rule("Allow", FROM_A, ports=[port_number(80), port_number(53, "UDP")])
                ],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == {**tcp(80), **udp(53)}


def test_port_range_is_inclusive() -> None:
    """AdminNetworkPolicyPort portRange (v1alpha1 API reference): every port from start to end
    inclusive, of the given protocol."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            deny_all_ingress("b"),
            anp(
                "range",
                10,
                B,
                ingress=[
                    admin_rule(
                        "Allow",
                        FROM_A,
                        ports=[port_range(8000, 8080, "TCP"), port_range(3868, 3869, "SCTP")],
                    )
                ],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == {"TCP": [(8000, 8080)], "SCTP": [(3868, 3869)]}


def test_named_port_resolved_on_the_destination_pod() -> None:
    """AdminNetworkPolicyPort namedPort (v1alpha1 API reference): the port number and protocol
    are those of the named container port of each destination pod."""
    conn = connectivity(
        docs(
            ns("a", {"team": "blue"}),
            ns("b", {"team": "red"}),
            pod("x", "a"),
            pod("s1", "b", {"app": "s"}, ports=[("http", 8080, "TCP")]),
            pod("s2", "b", {"app": "s"}, ports=[("http", 9090, "TCP")]),
            pod("s3", "b", {"app": "s"}),
            pod("dns", "b", {"app": "dns"}, ports=[("http", 53, "UDP")]),
            deny_all_ingress("b"),
            anp("http", 10, B, ingress=[admin_rule("Allow", FROM_A, ports=[named_port("http")])]),
        )
    )
    assert conn[("a/x", "b/s1")] == tcp(8080)
    assert conn[("a/x", "b/s2")] == tcp(9090)
    assert ("a/x", "b/s3") not in conn
    assert conn[("a/x", "b/dns")] == udp(53)


# --------------------------------------------------------------------------------------------
# v1alpha2 ClusterNetworkPolicy
# --------------------------------------------------------------------------------------------


def test_cnp_admin_accept_wins_over_networkpolicy_deny() -> None:
    """ClusterNetworkPolicy tier Admin, action Accept (v1alpha2 types): accepted traffic is
    allowed before NetworkPolicy is consulted."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            deny_all_ingress("b"),
            cnp(
                "accept-a",
                "Admin",
                10,
                B,
                ingress=[admin_rule("Accept", FROM_A, protocols=[cnp_port("TCP", 80)])],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert ("c/z", "b/y") not in conn


def test_cnp_admin_deny_wins_over_networkpolicy_allow() -> None:
    """ClusterNetworkPolicy tier Admin, action Deny (v1alpha2 types): denied traffic is dropped
    before NetworkPolicy."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            policy("allow-all", "b", None, ingress=[{}]),
            cnp(
                "deny-a",
                "Admin",
                10,
                B,
                ingress=[admin_rule("Deny", FROM_A, protocols=[cnp_port("TCP", 22)])],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == all_but_tcp(22)
    assert conn[("c/z", "b/y")] == ALL


def test_cnp_admin_pass_goes_to_networkpolicy() -> None:
    """ClusterNetworkPolicy tier Admin, action Pass (v1alpha2 types): Pass skips to the next
    tier, NetworkPolicy."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            policy("only-443", "b", None, ingress=[{"ports": [{"port": 443}]}]),
            cnp("pass-a", "Admin", 10, B, ingress=[admin_rule("Pass", FROM_A)]),
            cnp("accept-rest", "Admin", 20, B, ingress=[admin_rule("Accept", FROM_ALL)]),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(443)
    assert conn[("c/z", "b/y")] == ALL


def test_cnp_baseline_applies_after_networkpolicy() -> None:
    """ClusterNetworkPolicy tier Baseline (v1alpha2 types): evaluated after NetworkPolicy, so
    it decides only for pods no NetworkPolicy selects."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            pod("w", "b", {"app": "w"}),
            policy("y-80", "b", labels(app="y"), ingress=[{"ports": [{"port": 80}]}]),
            cnp("baseline-deny", "Baseline", 10, B, ingress=[admin_rule("Deny", FROM_ALL)]),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert ("a/x", "b/w") not in conn


def test_cnp_baseline_priorities_and_pass() -> None:
    """ClusterNetworkPolicy tier Baseline (v1alpha2 types): several Baseline policies are
    ordered by priority; Pass is valid there and leaves the traffic to the default (allow)."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            cnp(
                "baseline-deny",
                "Baseline",
                20,
                B,
                ingress=[admin_rule("Deny", FROM_ALL)],
            ),
            cnp(
                "baseline-pass-a",
                "Baseline",
                5,
                B,
                ingress=[admin_rule("Pass", FROM_A, protocols=[cnp_port("TCP", 80)])],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert ("c/z", "b/y") not in conn


def test_cnp_protocols_forms() -> None:
    """ClusterNetworkPolicy protocols (v1alpha2 types): tcp/udp/sctp with destinationPort number
    or range, and destinationNamedPort resolved on the destination pod."""
    conn = connectivity(
        docs(
            ns("a", {"team": "blue"}),
            ns("b", {"team": "red"}),
            pod("x", "a"),
            pod("y", "b", {"app": "y"}, ports=[("metrics", 9100, "TCP")]),
            deny_all_ingress("b"),
            cnp(
                "forms",
                "Admin",
                10,
                B,
                ingress=[
                    admin_rule(
                        "Accept",
                        FROM_A,
                        protocols=[
                            cnp_port("TCP", 443),
                            cnp_port("UDP", start=5000, end=5010),
                            cnp_port("SCTP", 9),
                            cnp_named_port("metrics"),
                        ],
                    )
                ],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == {
        "TCP": [(443, 443), (9100, 9100)],
        "UDP": [(5000, 5010)],
        "SCTP": [(9, 9)],
    }


# --------------------------------------------------------------------------------------------
# With Calico: the Admin tier among Calico's tiers
# --------------------------------------------------------------------------------------------


def test_admin_tier_at_order_1000_among_calico_tiers() -> None:
    """Calico "Get started with policy tiers" (the admin network policy tier) and reference
    section D: the Admin tier sits at order 1,000, so a Calico tier of order 500 is evaluated
    before it and a tier of order 1,500 after it."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            tier("early", 500),
            tier("late", 1500),
            calico_gnp(
                "early",
                tier="early",
                selector="app == 'y'",
                ingress=[
                    {"action": "Deny", "protocol": "TCP", "destination": {"ports": [80]}},
                    {"action": "Pass"},
                ],
            ),
            calico_gnp(
                "late",
                tier="late",
                selector="app == 'y'",
                ingress=[
                    {"action": "Deny", "protocol": "TCP", "destination": {"ports": [443]}},
                    {"action": "Allow"},
                ],
            ),
            anp(
                "allow-a",
                10,
                B,
                ingress=[admin_rule("Allow", FROM_A, ports=[port_number(80), port_number(443)])],
            ),
        )
    )
    # 80: denied by tier "early" before the ANP; 443: allowed by the ANP before tier "late".
    assert conn[("a/x", "b/y")] == all_but_tcp(80)
    assert conn[("c/z", "b/y")] == all_but_tcp(80, 443)


def test_baseline_tier_after_calico_default_tier() -> None:
    """Calico "Get started with policy tiers" (the baseline admin network policy tier): the
    Baseline tier sits at order 10,000,000, after the default tier; a pod a default-tier
    policy selects is decided there and never reaches the BANP."""
    conn = connectivity(
        docs(
            *three_namespaces(),
            pod("w", "b", {"app": "w"}),
            calico_gnp(
                "y",
                selector="app == 'y'",
                ingress=[{"action": "Allow", "protocol": "TCP", "destination": {"ports": [80]}}],
            ),
            banp(B, ingress=[admin_rule("Deny", FROM_ALL)]),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert ("a/x", "b/w") not in conn
    assert from_ip(conn, "192.0.2.1", "b/w") == ALL


def test_calico_policy_in_admin_tier_is_ordered_with_anps_by_priority() -> None:
    """Calico "Get started with policy tiers" (the admin network policy tier): Calico policies
    can be placed in the tier that holds AdminNetworkPolicies, whose priority maps to Calico's
    order so both kinds are ordered together; a Calico policy of order 5 comes before an ANP
    of priority 10. (Reference section D: ``kube-admin``, order 1,000, defaultAction Pass.)"""
    conn = connectivity(
        docs(
            *three_namespaces(),
            tier("kube-admin", 1000, "Pass"),
            calico_gnp(
                "deny-80",
                tier="kube-admin",
                order=5,
                selector="app == 'y'",
                ingress=[{"action": "Deny", "protocol": "TCP", "destination": {"ports": [80]}}],
            ),
            anp("allow-a", 10, B, ingress=[admin_rule("Allow", FROM_A)]),
        )
    )
    assert conn[("a/x", "b/y")] == all_but_tcp(80)
    assert conn[("c/z", "b/y")] == all_but_tcp(80)
