"""Calico (projectcalico.org/v3) policy: NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet
and GlobalNetworkSet, evaluated as ordered tiers with Kubernetes NetworkPolicy in the default
tier.

Each test names the rule it checks and where Calico documents it: the resource references
("NetworkPolicy", "GlobalNetworkPolicy", "Tier", "NetworkSet", "GlobalNetworkSet", with their
shared Rule, EntityRule, Selectors and Ports sections) and the guide "Get started with policy
tiers". The map reports TCP, UDP and SCTP only, so ICMP never shows.
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
    all_but_tcp,
    allow,
    calico_gnp,
    calico_np,
    deny,
    global_network_set,
    log,
    network_set,
    pass_,
    sa_pod,
    service_account,
    tier,
    to_ports,
)


def tcp_rule(action: str, *ports: int | str, **fields: object) -> dict[str, object]:
    """A rule with ``action`` on TCP destination ``ports``."""
    return {"action": action, "protocol": "TCP", "destination": to_ports(*ports), **fields}


# --------------------------------------------------------------------------------------------
# Which endpoints a policy applies to
# --------------------------------------------------------------------------------------------


def test_np_selector_defaults_to_all_in_its_namespace() -> None:
    """NetworkPolicy spec.selector (resource reference "NetworkPolicy"): the default is all(),
    and a NetworkPolicy applies only to workload endpoints in its own namespace."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("web", "a", {"app": "web"}),
            pod("db", "a", {"app": "db"}),
            pod("web", "b", {"app": "web"}),
            calico_np("only-80", "a", ingress=[tcp_rule("Allow", 80)]),
        )
    )
    assert conn[("b/web", "a/web")] == tcp(80)
    assert conn[("b/web", "a/db")] == tcp(80)
    assert conn[("a/web", "b/web")] == ALL


def test_np_selector_matches_only_its_namespace() -> None:
    """Selectors, scopes (resource reference "NetworkPolicy"): the top-level selector of a
    NetworkPolicy selects over the workloads in the same namespace as the policy."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("web", "a", {"app": "web"}),
            pod("db", "a", {"app": "db"}),
            pod("web", "b", {"app": "web"}),
            calico_np("web", "a", selector="app == 'web'", ingress=[tcp_rule("Allow", 443)]),
        )
    )
    assert conn[("a/db", "a/web")] == tcp(443)
    assert conn[("a/web", "a/db")] == ALL
    assert conn[("a/db", "b/web")] == ALL


def test_gnp_selector_spans_all_namespaces() -> None:
    """GlobalNetworkPolicy spec.selector (resource reference "GlobalNetworkPolicy", selector
    scopes): the top-level selector selects endpoints in every namespace."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("web", "a", {"app": "web"}),
            pod("web", "b", {"app": "web"}),
            pod("db", "b", {"app": "db"}),
            calico_gnp("web", selector="app == 'web'", ingress=[tcp_rule("Allow", 443)]),
        )
    )
    assert conn[("b/db", "a/web")] == tcp(443)
    assert conn[("b/db", "b/web")] == tcp(443)
    assert conn[("a/web", "b/db")] == ALL


def test_gnp_without_selector_applies_to_every_endpoint() -> None:
    """GlobalNetworkPolicy spec.selector (resource reference "GlobalNetworkPolicy"): omitted,
    it defaults to all() and the policy applies to every endpoint of every namespace."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("x", "a"),
            pod("y", "b"),
            calico_gnp("all-80", ingress=[tcp_rule("Allow", 80)]),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(80)
    assert conn[("b/y", "a/x")] == tcp(80)


def test_gnp_namespace_selector_limits_the_endpoints() -> None:
    """GlobalNetworkPolicy spec.namespaceSelector (resource reference "GlobalNetworkPolicy"):
    the policy applies only to endpoints in the namespaces the selector matches, combined with
    spec.selector."""
    conn = connectivity(
        docs(
            ns("prod", {"env": "prod"}),
            ns("dev", {"env": "dev"}),
            pod("web", "prod", {"app": "web"}),
            pod("db", "prod", {"app": "db"}),
            pod("web", "dev", {"app": "web"}),
            calico_gnp(
                "prod-web",
                selector="app == 'web'",
                namespace_selector="env == 'prod'",
                ingress=[tcp_rule("Allow", 443)],
            ),
        )
    )
    assert conn[("dev/web", "prod/web")] == tcp(443)
    assert conn[("prod/web", "prod/db")] == ALL
    assert conn[("prod/web", "dev/web")] == ALL


def test_gnp_namespace_selector_by_calico_name_label() -> None:
    """Calico automatic labels: a namespace carries ``projectcalico.org/name`` set to its
    name, so a GlobalNetworkPolicy namespaceSelector can pick a namespace by name."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("x", "a"),
            pod("y", "b"),
            calico_gnp(
                "only-b",
                namespace_selector="projectcalico.org/name == 'b'",
                ingress=[tcp_rule("Allow", 22)],
            ),
        )
    )
    assert conn[("a/x", "b/y")] == tcp(22)
    assert conn[("b/y", "a/x")] == ALL


def test_endpoint_namespace_label_in_policy_selector() -> None:
    """Resource reference "GlobalNetworkPolicy": every workload endpoint carries the label
    ``projectcalico.org/namespace`` (its namespace), which the policy selector can match."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("x", "a"),
            pod("y", "b"),
            calico_gnp(
                "ns-a",
                selector="projectcalico.org/namespace == 'a'",
                ingress=[tcp_rule("Allow", 8080)],
            ),
        )
    )
    assert conn[("b/y", "a/x")] == tcp(8080)
    assert conn[("a/x", "b/y")] == ALL


def test_policy_service_account_selector() -> None:
    """NetworkPolicy spec.serviceAccountSelector (resource reference "NetworkPolicy"): the
    policy applies only to endpoints running as a service account the selector matches; a
    service account's name is its ``projectcalico.org/name`` label."""
    conn = connectivity(
        docs(
            ns("a"),
            service_account("api", "a"),
            service_account("batch", "a"),
            sa_pod("api", "a", {"app": "x"}, service_account="api"),
            sa_pod("batch", "a", {"app": "x"}, service_account="batch"),
            calico_np(
                "api-only",
                "a",
                service_account_selector="projectcalico.org/name == 'api'",
                ingress=[tcp_rule("Allow", 443)],
            ),
        )
    )
    assert conn[("a/batch", "a/api")] == tcp(443)
    assert conn[("a/api", "a/batch")] == ALL


# --------------------------------------------------------------------------------------------
# Rules and actions
# --------------------------------------------------------------------------------------------


def test_rules_first_match_deny_before_allow() -> None:
    """Rule (resource reference "NetworkPolicy"): rules are executed in order and Allow and
    Deny are final, so a Deny listed before an Allow-all blocks what it matches."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "p",
                "a",
                selector="app == 'y'",
                ingress=[tcp_rule("Deny", 22), allow()],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == all_but_tcp(22)


def test_rules_first_match_allow_before_deny() -> None:
    """Rule (resource reference "NetworkPolicy"): an Allow listed before a Deny-all admits
    what it matches; the Deny takes the rest."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "p",
                "a",
                selector="app == 'y'",
                ingress=[tcp_rule("Allow", 80), deny()],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(80)


def test_log_continues_to_the_next_rule() -> None:
    """Rule (resource reference "NetworkPolicy"): after a Log action processing continues with
    the next rule; Log neither allows nor denies."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            pod("z", "a", {"app": "z"}),
            calico_np("y", "a", selector="app == 'y'", ingress=[log(), tcp_rule("Allow", 80)]),
            calico_np(
                "z",
                "a",
                selector="app == 'z'",
                ingress=[log(protocol="TCP"), tcp_rule("Deny", 22), allow()],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(80)
    assert conn[("a/x", "a/z")] == all_but_tcp(22)


def test_pass_skips_the_rest_of_the_tier() -> None:
    """Tier (resource reference "Tier", "How policy is evaluated"): a Pass skips the remaining
    policies of the tier and the next tier that applies to the endpoint decides."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            tier("security", 100),
            tier("app", 200),
            calico_np(
                "pass-web",
                "a",
                tier="security",
                order=10,
                selector="app == 'y'",
                ingress=[tcp_rule("Pass", 80)],
            ),
            calico_np(
                "rest",
                "a",
                tier="security",
                order=20,
                selector="app == 'y'",
                ingress=[tcp_rule("Deny", 80), tcp_rule("Allow", 443)],
            ),
            calico_np(
                "web",
                "a",
                tier="app",
                selector="app == 'y'",
                ingress=[tcp_rule("Allow", 80, 8080)],
            ),
        )
    )
    # 80: passed by security (its later Deny is skipped), allowed by app.
    # 443: allowed by security. 8080: undecided in security, denied at its end.
    assert conn[("a/x", "a/y")] == tcp(80, 443)


def test_pass_defers_to_kubernetes_networkpolicy_in_default_tier() -> None:
    """Get started with policy tiers ("Policy action rules", "The default tier"): Pass goes to
    the next tier with a policy for the endpoint; Kubernetes NetworkPolicies live in the
    default tier and decide passed traffic."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"role": "client"}),
            pod("y", "a", {"app": "y"}),
            tier("platform", 100),
            calico_gnp(
                "hand-off",
                tier="platform",
                selector="app == 'y'",
                ingress=[tcp_rule("Deny", 22), pass_()],
            ),
            policy(
                "y-ingress",
                "a",
                labels(app="y"),
                ingress=[{"ports": [{"port": 22}, {"port": 8443}]}],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(8443)


def test_end_of_tier_denies_selected_endpoints_only() -> None:
    """Tier (resource reference "Tier"): a tier that applies to an endpoint but takes no action
    on a packet drops it (implicit deny, the default defaultAction Deny); endpoints that no
    policy of the tier selects are not affected."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("web", "a", {"app": "web"}),
            pod("other", "a", {"app": "other"}),
            tier("security", 100),
            calico_np(
                "web",
                "a",
                tier="security",
                selector="app == 'web'",
                ingress=[tcp_rule("Allow", 80)],
            ),
        )
    )
    assert conn[("a/x", "a/web")] == tcp(80)
    assert conn[("a/x", "a/other")] == ALL
    assert conn[("a/web", "a/other")] == ALL


def test_tier_that_selects_no_policy_for_endpoint_is_skipped() -> None:
    """Get started with policy tiers ("Policy endpoint matching across tiers"): if no policy of
    a tier applies to an endpoint the tier is skipped, end-of-tier deny included; a later
    tier decides."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("web", "a", {"app": "web"}),
            pod("db", "a", {"app": "db"}),
            tier("security", 100),
            tier("app", 200),
            calico_np("web", "a", tier="security", selector="app == 'web'", ingress=[deny()]),
            calico_np(
                "db", "a", tier="app", selector="app == 'db'", ingress=[tcp_rule("Allow", 5432)]
            ),
        )
    )
    assert ("a/x", "a/web") not in conn
    assert conn[("a/x", "a/db")] == tcp(5432)


def test_tier_default_action_pass() -> None:
    """Tier spec.defaultAction (resource reference "Tier"): with Pass, traffic the tier leaves
    undecided goes on to the next tier instead of being dropped."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("web", "a", {"app": "web"}),
            pod("db", "a", {"app": "db"}),
            tier("open", 100, "Pass"),
            tier("closed", 150, "Deny"),
            calico_np(
                "web", "a", tier="open", selector="app == 'web'", ingress=[tcp_rule("Allow", 80)]
            ),
            calico_np(
                "db", "a", tier="closed", selector="app == 'db'", ingress=[tcp_rule("Allow", 80)]
            ),
            calico_np("rest", "a", order=100, ingress=[tcp_rule("Allow", 443)]),
        )
    )
    # web: 80 from tier "open", the rest passed to the default tier, which allows 443.
    assert conn[("a/x", "a/web")] == tcp(80, 443)
    # db: tier "closed" drops what it leaves undecided.
    assert conn[("a/x", "a/db")] == tcp(80)


def test_tiers_are_evaluated_by_order_lower_first() -> None:
    """Tier spec.order (resource reference "Tier"): tiers are sorted by order, smallest first,
    whatever order they are written in."""

    def run(first: float, second: float) -> Allowed:
        conn = connectivity(
            docs(
                ns("a"),
                pod("x", "a"),
                pod("y", "a", {"app": "y"}),
                tier("second", second),
                tier("first", first),
                calico_np("allow", "a", tier="second", selector="app == 'y'", ingress=[allow()]),
                calico_np(
                    "deny-22",
                    "a",
                    tier="first",
                    selector="app == 'y'",
                    ingress=[tcp_rule("Deny", 22), pass_()],
                ),
            )
        )
        return conn.get(("a/x", "a/y"), {})

    assert run(100, 200) == all_but_tcp(22)
    assert run(300, 200) == ALL


def test_tier_without_order_is_last() -> None:
    """Tier spec.order (resource reference "Tier"): no value means the highest order (lowest
    precedence), after every ordered tier, the default tier (order 1,000,000) included."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            tier("unordered"),
            calico_np("deny", "a", tier="unordered", selector="app == 'y'", ingress=[deny()]),
            calico_np("dflt", "a", selector="app == 'y'", ingress=[tcp_rule("Deny", 22), allow()]),
        )
    )
    assert conn[("a/x", "a/y")] == all_but_tcp(22)


def test_default_tier_has_order_one_million() -> None:
    """Get started with policy tiers ("The default tier"): the default tier has the fixed
    order 1,000,000, so a tier ordered above it is evaluated after it."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            tier("before", 999_999),
            tier("after", 2_000_000),
            calico_np(
                "before",
                "a",
                tier="before",
                selector="app == 'y'",
                ingress=[tcp_rule("Deny", 21), pass_()],
            ),
            calico_np("after", "a", tier="after", selector="app == 'y'", ingress=[deny()]),
            calico_np("dflt", "a", selector="app == 'y'", ingress=[tcp_rule("Deny", 22), allow()]),
        )
    )
    assert conn[("a/x", "a/y")] == all_but_tcp(21, 22)


def test_policy_order_within_a_tier_lower_first() -> None:
    """NetworkPolicy spec.order (resource reference "NetworkPolicy"): the policy with the
    lowest order is applied first, whatever order the policies are written in."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            pod("z", "a", {"app": "z"}),
            calico_np("y-late", "a", order=200, selector="app == 'y'", ingress=[allow()]),
            calico_np(
                "y-early", "a", order=100, selector="app == 'y'", ingress=[tcp_rule("Deny", 80)]
            ),
            calico_np(
                "z-late", "a", order=200, selector="app == 'z'", ingress=[tcp_rule("Deny", 80)]
            ),
            calico_np("z-early", "a", order=100, selector="app == 'z'", ingress=[allow()]),
        )
    )
    assert conn[("a/x", "a/y")] == all_but_tcp(80)
    assert conn[("a/x", "a/z")] == ALL


def test_policy_without_order_is_last_in_its_tier() -> None:
    """Policy spec.order left out: evaluated after every ordered policy of its tier. The
    policy references do not state it (reference section D notes the gap); the expectation
    mirrors the Tier reference's rule for a missing order (highest order, lowest
    precedence)."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np("unordered", "a", selector="app == 'y'", ingress=[allow()]),
            calico_np("big", "a", order=1e9, selector="app == 'y'", ingress=[tcp_rule("Deny", 80)]),
        )
    )
    assert conn[("a/x", "a/y")] == all_but_tcp(80)


def test_calico_policy_order_100_deny_precedes_kubernetes_allow() -> None:
    """Reference section D (Ordering): Kubernetes NetworkPolicies sit in the default tier at
    order 1000, so a default-tier Calico policy of order 100 that Denies is evaluated first."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "early", "a", order=100, selector="app == 'y'", ingress=[tcp_rule("Deny", 80)]
            ),
            policy("y", "a", labels(app="y"), ingress=[{"ports": [{"port": 80}, {"port": 443}]}]),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(443)


def test_calico_policy_order_2000_comes_after_kubernetes_allow() -> None:
    """Reference section D (Ordering): a default-tier Calico policy of order 2000 comes after
    the Kubernetes NetworkPolicies (order 1000); what they allow stays allowed."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "late",
                "a",
                order=2000,
                selector="app == 'y'",
                ingress=[tcp_rule("Deny", 80), allow()],
            ),
            policy("y", "a", labels(app="y"), ingress=[{"ports": [{"port": 80}, {"port": 443}]}]),
        )
    )
    assert conn[("a/x", "a/y")] == ALL


def test_types_inferred_egress_only_when_only_egress_rules() -> None:
    """NetworkPolicy spec.types (resource reference "NetworkPolicy"): omitted, with egress
    rules and no ingress rules, it is Egress only; ingress is not governed."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("y", "a", {"app": "y"}),
            calico_np("x-out", "a", selector="app == 'x'", egress=[tcp_rule("Allow", 53)]),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(53)
    assert conn[("a/y", "a/x")] == ALL


def test_types_inferred_ingress_when_no_rules() -> None:
    """NetworkPolicy spec.types (resource reference "NetworkPolicy"): omitted, with no rules at
    all, it is Ingress: the selected endpoints are isolated for ingress only."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("y", "a", {"app": "y"}),
            calico_np("x-closed", "a", selector="app == 'x'"),
        )
    )
    assert ("a/y", "a/x") not in conn
    assert conn[("a/x", "a/y")] == ALL


def test_explicit_types_egress_with_no_rules_isolates_egress() -> None:
    """NetworkPolicy spec.types (resource reference "NetworkPolicy"): types Egress with no
    egress rules selects the endpoints for egress and the tier denies their egress."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("y", "a", {"app": "y"}),
            calico_np("x-closed", "a", selector="app == 'x'", types=["Egress"]),
        )
    )
    assert ("a/x", "a/y") not in conn
    assert conn[("a/y", "a/x")] == ALL


def test_types_inferred_from_rules_not_from_empty_lists() -> None:
    """NetworkPolicy spec.types (resource reference "NetworkPolicy", defaults table): the
    default depends on whether ingress/egress rules are present; an empty list holds no rule,
    so ``ingress: []`` with egress rules is Egress only and ``egress: []`` with ingress rules
    is Ingress only."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("y", "a", {"app": "y"}),
            pod("w", "a", {"app": "w"}),
            calico_np("x", "a", selector="app == 'x'", ingress=[], egress=[tcp_rule("Allow", 53)]),
            calico_np("y", "a", selector="app == 'y'", ingress=[tcp_rule("Allow", 80)], egress=[]),
        )
    )
    assert conn[("a/w", "a/x")] == ALL  # x is not isolated for ingress
    assert conn[("a/y", "a/w")] == ALL  # y is not isolated for egress
    assert conn[("a/x", "a/w")] == tcp(53)  # x's egress rules apply
    assert conn[("a/w", "a/y")] == tcp(80)  # y's ingress rules apply
    assert ("a/x", "a/y") not in conn  # TCP 53 out of x, only TCP 80 into y


def test_explicit_types_ignore_the_other_rule_list() -> None:
    """NetworkPolicy spec.types (resource reference "NetworkPolicy"): the policy applies only
    to the directions listed; egress rules of a policy whose types is Ingress have no effect."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "x",
                "a",
                selector="app == 'x'",
                types=["Ingress"],
                ingress=[tcp_rule("Allow", 80)],
                egress=[deny()],
            ),
        )
    )
    assert conn[("a/y", "a/x")] == tcp(80)
    assert conn[("a/x", "a/y")] == ALL


def test_egress_and_ingress_must_both_allow() -> None:
    """Reference section D: a connection needs the source's egress and the destination's
    ingress to allow it; a Calico egress Deny blocks what the destination admits."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("y", "a", {"app": "y"}),
            calico_np("x-out", "a", selector="app == 'x'", egress=[tcp_rule("Deny", 80), allow()]),
            calico_np("y-in", "a", selector="app == 'y'", ingress=[tcp_rule("Allow", 80, 443)]),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(443)


# --------------------------------------------------------------------------------------------
# EntityRule: nets, selectors, namespaces, service accounts, network sets
# --------------------------------------------------------------------------------------------


def test_entity_nets_matches_external_addresses() -> None:
    """EntityRule nets (resource reference "NetworkPolicy"): matches packets whose address is
    in one of the listed CIDRs."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            calico_np(
                "x-out",
                "a",
                selector="app == 'x'",
                egress=[allow(protocol="TCP", destination={"nets": ["203.0.113.0/24"]})],
            ),
        )
    )
    assert to_ip(conn, "a/x", "203.0.113.9") == tcp((1, 65535))
    assert to_ip(conn, "a/x", "203.0.114.1") == {}


def test_entity_nets_matches_pod_ips() -> None:
    """EntityRule nets (resource reference "NetworkPolicy"): rules match packets by address,
    so nets also match pods whose IP falls in the CIDRs."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("x", "b", ip="10.1.0.5"),
            pod("w", "b", ip="10.2.0.5"),
            pod("y", "a", {"app": "y"}, ip="10.3.0.5"),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"nets": ["10.1.0.0/16"]})],
            ),
        )
    )
    assert conn[("b/x", "a/y")] == ALL
    assert ("b/w", "a/y") not in conn
    assert from_ip(conn, "10.1.200.1", "a/y") == ALL
    assert from_ip(conn, "192.0.2.1", "a/y") == {}


def test_entity_not_nets() -> None:
    """EntityRule notNets (resource reference "NetworkPolicy"): matches packets whose address
    is in none of the listed CIDRs, pods and external addresses alike."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", ip="10.1.0.5"),
            pod("w", "a", ip="10.2.0.5"),
            pod("y", "a", {"app": "y"}, ip="10.3.0.5"),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"notNets": ["10.1.0.0/16"]})],
            ),
        )
    )
    assert ("a/x", "a/y") not in conn
    assert conn[("a/w", "a/y")] == ALL
    assert from_ip(conn, "10.1.9.9", "a/y") == {}
    assert from_ip(conn, "192.0.2.1", "a/y") == ALL


def test_entity_selector_same_namespace_in_np() -> None:
    """EntityRule selector with no namespaceSelector (resource reference "NetworkPolicy",
    selector scopes): in a NetworkPolicy it matches endpoints of the policy's namespace."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("client", "a", {"role": "client"}),
            pod("other", "a", {"role": "other"}),
            pod("client", "b", {"role": "client"}),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"selector": "role == 'client'"})],
            ),
        )
    )
    assert conn[("a/client", "a/y")] == ALL
    assert ("a/other", "a/y") not in conn
    assert ("b/client", "a/y") not in conn


def test_entity_selector_all_namespaces_in_gnp() -> None:
    """EntityRule selector (resource reference "GlobalNetworkPolicy", selector scopes): in a
    GlobalNetworkPolicy it matches endpoints of every namespace."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("client", "a", {"role": "client"}),
            pod("client", "b", {"role": "client"}),
            pod("other", "b", {"role": "other"}),
            pod("y", "a", {"app": "y"}),
            calico_gnp(
                "y-in",
                selector="app == 'y'",
                ingress=[allow(source={"selector": "role == 'client'"})],
            ),
        )
    )
    assert conn[("a/client", "a/y")] == ALL
    assert conn[("b/client", "a/y")] == ALL
    assert ("b/other", "a/y") not in conn


def test_entity_selector_matches_only_known_endpoints() -> None:
    """EntityRule (resource reference "NetworkPolicy"): selectors match known endpoints and
    network sets, not packets; ``selector: all()`` does not match outside addresses."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", ip="10.0.0.1"),
            pod("y", "a", {"app": "y"}, ip="10.0.0.2"),
            calico_np(
                "y-in", "a", selector="app == 'y'", ingress=[allow(source={"selector": "all()"})]
            ),
        )
    )
    assert conn[("a/x", "a/y")] == ALL
    assert from_ip(conn, "192.0.2.1", "a/y") == {}


def test_entity_not_selector() -> None:
    """EntityRule notSelector (resource reference "GlobalNetworkPolicy", "Understanding
    notSelector"): matches packets from anywhere, outside the cluster included, except from
    endpoints the selector matches."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("ok", "a", {"role": "ok"}),
            pod("blocked", "a", {"role": "blocked"}),
            pod("blocked", "b", {"role": "blocked"}),
            pod("y", "a", {"app": "y"}),
            calico_gnp(
                "y-in",
                selector="app == 'y'",
                ingress=[allow(source={"notSelector": "role == 'blocked'"})],
            ),
        )
    )
    assert conn[("a/ok", "a/y")] == ALL
    assert ("a/blocked", "a/y") not in conn
    assert ("b/blocked", "a/y") not in conn
    assert from_ip(conn, "192.0.2.1", "a/y") == ALL


def test_entity_not_selector_in_np_excludes_same_namespace_matches() -> None:
    """EntityRule notSelector in a NetworkPolicy (resource reference "NetworkPolicy"): the
    endpoints the selector matches in the policy's namespace are excluded."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("ok", "a", {"role": "ok"}),
            pod("blocked", "a", {"role": "blocked"}),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"notSelector": "role == 'blocked'"})],
            ),
        )
    )
    assert conn[("a/ok", "a/y")] == ALL
    assert ("a/blocked", "a/y") not in conn


def test_entity_namespace_selector_all() -> None:
    """EntityRule namespaceSelector (resource reference "NetworkPolicy"): ``all()`` widens the
    scope of a NetworkPolicy rule to endpoints of every namespace (and nothing outside)."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("x", "b"),
            pod("w", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"namespaceSelector": "all()"})],
            ),
        )
    )
    assert conn[("b/x", "a/y")] == ALL
    assert conn[("a/w", "a/y")] == ALL
    assert from_ip(conn, "192.0.2.1", "a/y") == {}


def test_entity_namespace_selector_by_label() -> None:
    """EntityRule namespaceSelector (resource reference "NetworkPolicy"): matches endpoints in
    namespaces whose labels match."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("ops", {"team": "ops"}),
            ns("dev", {"team": "dev"}),
            pod("x", "ops"),
            pod("x", "dev"),
            pod("w", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"namespaceSelector": "team == 'ops'"})],
            ),
        )
    )
    assert conn[("ops/x", "a/y")] == ALL
    assert ("dev/x", "a/y") not in conn
    assert ("a/w", "a/y") not in conn


def test_entity_namespace_selector_by_calico_name() -> None:
    """EntityRule namespaceSelector (resource reference "NetworkPolicy"): a namespace is
    matched by name with the ``projectcalico.org/name`` label."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            ns("c"),
            pod("x", "b"),
            pod("x", "c"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"namespaceSelector": "projectcalico.org/name == 'b'"})],
            ),
        )
    )
    assert conn[("b/x", "a/y")] == ALL
    assert ("c/x", "a/y") not in conn


def test_entity_namespace_selector_scopes_selector() -> None:
    """EntityRule selector with namespaceSelector (resource reference "NetworkPolicy"): the
    selector is evaluated over the endpoints of the selected namespaces only."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b", {"team": "ops"}),
            ns("c", {"team": "dev"}),
            pod("client", "b", {"role": "client"}),
            pod("other", "b", {"role": "other"}),
            pod("client", "c", {"role": "client"}),
            pod("client", "a", {"role": "client"}),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[
                    allow(
                        source={
                            "namespaceSelector": "team == 'ops'",
                            "selector": "role == 'client'",
                        }
                    )
                ],
            ),
        )
    )
    assert conn[("b/client", "a/y")] == ALL
    assert ("b/other", "a/y") not in conn
    assert ("c/client", "a/y") not in conn
    assert ("a/client", "a/y") not in conn


def test_entity_service_account_names() -> None:
    """EntityRule serviceAccounts.names (resource reference "NetworkPolicy", ServiceAccountMatch;
    how-to "Use service accounts rules in policy"): matches endpoints running as a service
    account of that name."""
    conn = connectivity(
        docs(
            ns("a"),
            sa_pod("api", "a", service_account="api-service"),
            sa_pod("other", "a", service_account="default"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"serviceAccounts": {"names": ["api-service"]}})],
            ),
        )
    )
    assert conn[("a/api", "a/y")] == ALL
    assert ("a/other", "a/y") not in conn


def test_entity_service_account_names_scoped_to_policy_namespace() -> None:
    """EntityRule serviceAccounts in a NetworkPolicy (resource reference "NetworkPolicy",
    EntityRule namespaceSelector): with no namespaceSelector, selection applies to the
    policy's namespace, so a same-named service account of another namespace is not matched."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            sa_pod("api", "a", service_account="api-service"),
            sa_pod("api", "b", service_account="api-service"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"serviceAccounts": {"names": ["api-service"]}})],
            ),
        )
    )
    assert conn[("a/api", "a/y")] == ALL
    assert ("b/api", "a/y") not in conn


def test_entity_service_account_selector() -> None:
    """EntityRule serviceAccounts.selector (ServiceAccountMatch; how-to "Use service accounts
    rules in policy"): matches endpoints whose service account's labels match."""
    conn = connectivity(
        docs(
            ns("a"),
            service_account("frontend", "a", {"app": "web-frontend"}),
            service_account("batch", "a", {"app": "batch"}),
            sa_pod("fe", "a", service_account="frontend"),
            sa_pod("batch", "a", service_account="batch"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(source={"serviceAccounts": {"selector": "app == 'web-frontend'"}})],
            ),
        )
    )
    assert conn[("a/fe", "a/y")] == ALL
    assert ("a/batch", "a/y") not in conn


def test_network_set_matched_by_selector_in_same_namespace() -> None:
    """NetworkSet (resource reference "NetworkSet"): a rule selector matches the CIDRs of the
    network sets it selects, and a namespaced set serves only policies of its namespace."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("x", "a", {"app": "x"}),
            network_set("db", "a", {"role": "ext-db"}, ["198.51.100.0/28"]),
            network_set("db", "b", {"role": "ext-db"}, ["192.0.2.0/24"]),
            calico_np(
                "x-out",
                "a",
                selector="app == 'x'",
                egress=[
                    allow(
                        protocol="TCP",
                        destination={"selector": "role == 'ext-db'", "ports": [5432]},
                    )
                ],
            ),
        )
    )
    assert to_ip(conn, "a/x", "198.51.100.1") == tcp(5432)
    assert to_ip(conn, "a/x", "198.51.100.16") == {}
    assert to_ip(conn, "a/x", "192.0.2.1") == {}


def test_global_network_set_via_namespace_selector_global() -> None:
    """GlobalNetworkSet (resource reference "GlobalNetworkSet", selector scopes): a namespaced
    NetworkPolicy reaches a GlobalNetworkSet only through ``namespaceSelector: global()``."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("w", "a", {"app": "w"}),
            global_network_set("registry", {"role": "registry"}, ["203.0.113.0/24"]),
            calico_np(
                "x-out",
                "a",
                selector="app == 'x'",
                egress=[
                    allow(
                        destination={
                            "namespaceSelector": "global()",
                            "selector": "role == 'registry'",
                        }
                    )
                ],
            ),
            calico_np(
                "w-out",
                "a",
                selector="app == 'w'",
                egress=[allow(destination={"selector": "role == 'registry'"})],
            ),
        )
    )
    assert to_ip(conn, "a/x", "203.0.113.7") == ALL
    assert to_ip(conn, "a/x", "198.51.100.7") == {}
    assert to_ip(conn, "a/w", "203.0.113.7") == {}


def test_global_network_set_in_gnp_selector() -> None:
    """GlobalNetworkSet (resource reference "GlobalNetworkSet"): a GlobalNetworkPolicy rule
    selector matches GlobalNetworkSets directly (its scope is all endpoints and sets)."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            global_network_set("registry", {"role": "registry"}, ["203.0.113.0/24"]),
            calico_gnp(
                "x-out",
                selector="app == 'x'",
                egress=[allow(destination={"selector": "role == 'registry'"})],
            ),
        )
    )
    assert to_ip(conn, "a/x", "203.0.113.7") == ALL
    assert to_ip(conn, "a/x", "198.51.100.7") == {}


def test_network_set_covering_a_pod_ip_matches_the_pod_in_a_namespaced_policy() -> None:
    """NetworkSet (resource reference "NetworkSet"): when Calico computes the IPs that match a
    rule selector, it includes the CIDRs of the network sets the selector matches, pods' IPs
    included (felix fv netsets_test: workloads allowed because their IPs are in a selected
    set). A namespaced NetworkPolicy's selector sees the sets of its namespace; the pod itself
    may live anywhere, and need not carry the label."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
            pod("batch", "b", {"app": "batch"}, ip="10.2.0.5"),
            pod("other", "b", {"app": "other"}, ip="10.3.0.5"),
            network_set("batch-nets", "a", {"role": "trusted"}, ["10.2.0.0/24"]),
            calico_np(
                "api-in",
                "a",
                selector="app == 'api'",
                ingress=[allow(protocol="TCP", source={"selector": "role == 'trusted'"})],
            ),
        )
    )
    assert conn[("b/batch", "a/api")] == tcp((1, 65535))
    assert ("b/other", "a/api") not in conn


def test_network_set_covering_a_pod_ip_matches_the_pod_in_a_global_policy() -> None:
    """GlobalNetworkSet (resource reference "GlobalNetworkSet"): a GlobalNetworkPolicy rule
    selector includes the CIDRs of every matching set, GlobalNetworkSets and NetworkSets of any
    namespace, so the pods those CIDRs cover match on either side of the rule (felix fv
    netsets_test: source and destination selectors matched through network sets)."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("web", "a", {"app": "web"}, ip="10.1.0.10"),
            pod("db", "b", {"app": "db"}, ip="10.2.0.5"),
            pod("cache", "b", {"app": "cache"}, ip="10.3.0.5"),
            global_network_set("web-nets", {"role": "front"}, ["10.1.0.0/24"]),
            network_set("db-nets", "b", {"role": "store"}, ["10.2.0.5/32"]),
            calico_gnp(
                "stores",
                selector="has(app)",
                types=["Ingress"],
                ingress=[
                    allow(
                        protocol="TCP",
                        source={"selector": "role == 'front'"},
                        destination={"selector": "role == 'store'", "ports": [5432]},
                    )
                ],
            ),
        )
    )
    assert conn[("a/web", "b/db")] == tcp(5432)
    assert ("a/web", "b/cache") not in conn  # the destination selector: no set covers it
    assert ("b/cache", "b/db") not in conn  # the source selector: no set covers it


def test_not_selector_excludes_pods_a_matching_network_set_covers() -> None:
    """EntityRule notSelector (resource reference "NetworkPolicy", Selectors): it negates the
    set of addresses the selector stands for, network-set CIDRs included, so a pod whose IP a
    matching set covers is excluded although its own labels do not match."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
            pod("quarantined", "a", {"app": "worker"}, ip="10.2.0.5"),
            pod("worker", "a", {"app": "worker"}, ip="10.3.0.5"),
            network_set("quarantine", "a", {"role": "blocked"}, ["10.2.0.0/24"]),
            calico_np(
                "api-in",
                "a",
                selector="app == 'api'",
                ingress=[allow(protocol="TCP", source={"notSelector": "role == 'blocked'"})],
            ),
        )
    )
    assert conn[("a/worker", "a/api")] == tcp((1, 65535))
    assert ("a/quarantined", "a/api") not in conn


def test_not_selector_is_matched_against_every_network_set() -> None:
    """EntityRule notSelector (resource reference "NetworkPolicy", Selectors): in a namespaced
    NetworkPolicy a notSelector limits the rule to the policy's namespace, but the selector it
    negates is Calico's as written, unscoped: a GlobalNetworkSet or another namespace's
    NetworkSet that it matches excludes the pods it covers (Calico passes notSelector on
    without the namespace term it adds to selector)."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b"),
            pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
            pod("quarantined", "a", {"app": "worker"}, ip="10.2.0.5"),
            pod("suspect", "a", {"app": "worker"}, ip="10.3.0.5"),
            pod("worker", "a", {"app": "worker"}, ip="10.4.0.5"),
            global_network_set("quarantine", {"role": "blocked"}, ["10.2.0.0/24"]),
            network_set("suspects", "b", {"role": "blocked"}, ["10.3.0.0/24"]),
            calico_np(
                "api-in",
                "a",
                selector="app == 'api'",
                ingress=[allow(protocol="TCP", source={"notSelector": "role == 'blocked'"})],
            ),
        )
    )
    assert conn[("a/worker", "a/api")] == tcp((1, 65535))
    assert ("a/quarantined", "a/api") not in conn
    assert ("a/suspect", "a/api") not in conn


def test_service_accounts_and_selector_hold_on_one_endpoint() -> None:
    """EntityRule serviceAccounts with selector (resource reference "NetworkPolicy"): both
    criteria hold on the same endpoint (Calico joins them into one selector), so a pod running
    as the service account whose IP a network set with the selected labels covers does not
    match: the set has no service account, the pod not the labels."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
            sa_pod("covered", "a", {"app": "batch"}, service_account="batch", ip="10.2.0.5"),
            sa_pod("labelled", "a", {"role": "trusted"}, service_account="batch", ip="10.3.0.5"),
            network_set("batch-nets", "a", {"role": "trusted"}, ["10.2.0.0/24"]),
            calico_np(
                "api-in",
                "a",
                selector="app == 'api'",
                ingress=[
                    allow(
                        protocol="TCP",
                        source={
                            "selector": "role == 'trusted'",
                            "serviceAccounts": {"names": ["batch"]},
                        },
                    )
                ],
            ),
        )
    )
    assert conn[("a/labelled", "a/api")] == tcp((1, 65535))
    assert ("a/covered", "a/api") not in conn


def test_network_set_covering_a_pod_ip_follows_set_visibility() -> None:
    """Selector scopes (resource references "NetworkSet", "GlobalNetworkSet"; EntityRule
    namespaceSelector): a namespaced NetworkPolicy sees the NetworkSets of its own namespace,
    those of other namespaces only through a namespaceSelector, and GlobalNetworkSets only
    through ``namespaceSelector: global()``; a covered pod matches only through a set the rule
    can see."""
    conn = connectivity(
        docs(
            ns("a"),
            ns("b", {"team": "b"}),
            pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
            pod("own", "b", {"app": "x"}, ip="10.2.0.5"),
            pod("elsewhere", "b", {"app": "x"}, ip="10.3.0.5"),
            pod("global", "b", {"app": "x"}, ip="10.4.0.5"),
            network_set("own", "a", {"role": "ok"}, ["10.2.0.0/24"]),
            network_set("elsewhere", "b", {"role": "ok"}, ["10.3.0.0/24"]),
            global_network_set("everywhere", {"role": "ok"}, ["10.4.0.0/24"]),
            calico_np(
                "api-in",
                "a",
                selector="app == 'api'",
                ingress=[
                    allow(
                        protocol="TCP", source={"selector": "role == 'ok'"}, destination=to_ports(1)
                    ),
                    allow(
                        protocol="TCP",
                        source={"selector": "role == 'ok'", "namespaceSelector": "team == 'b'"},
                        destination=to_ports(2),
                    ),
                    allow(
                        protocol="TCP",
                        source={"selector": "role == 'ok'", "namespaceSelector": "global()"},
                        destination=to_ports(3),
                    ),
                ],
            ),
        )
    )
    assert conn[("b/own", "a/api")] == tcp(1)
    assert conn[("b/elsewhere", "a/api")] == tcp(2)
    assert conn[("b/global", "a/api")] == tcp(3)


def test_policy_selector_never_selects_network_sets() -> None:
    """NetworkPolicy spec.selector (resource reference "NetworkPolicy"): a policy applies to
    endpoints; a network set covering a pod's IP with labels the policy selects does not make
    the policy apply to that pod."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("api", "a", {"app": "api"}, ip="10.1.0.10"),
            pod("web", "a", {"app": "web"}, ip="10.2.0.5"),
            network_set("web-nets", "a", {"app": "api"}, ["10.2.0.0/24"]),
            calico_np("api-only", "a", selector="app == 'api'", ingress=[]),
        )
    )
    assert ("a/web", "a/api") not in conn
    assert conn[("a/api", "a/web")] == ALL


# --------------------------------------------------------------------------------------------
# Ports and protocols
# --------------------------------------------------------------------------------------------


def test_ports_numbers_and_ranges() -> None:
    """Ports (resource reference "NetworkPolicy"): an integer is that port, a string
    ``"start:end"`` is every port start <= x <= end."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in", "a", selector="app == 'y'", ingress=[tcp_rule("Allow", 80, "8000:8080")]
            ),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(80, (8000, 8080))


def test_named_port_resolved_on_destination() -> None:
    """Ports, named ports (resource reference "NetworkPolicy"): a named port maps to each
    destination endpoint's own port number of that name, for the rule's protocol."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}),
            pod("s1", "a", {"app": "s"}, ports=[("http", 8080, "TCP")]),
            pod("s2", "a", {"app": "s"}, ports=[("http", 9090, "TCP"), ("metrics", 9100, "TCP")]),
            pod("s3", "a", {"app": "s"}),
            pod("u", "a", {"app": "u"}, ports=[("http", 8080, "UDP")]),
            calico_np("x-out", "a", selector="app == 'x'", egress=[tcp_rule("Allow", "http")]),
            calico_np(
                "s-in", "a", selector="app == 's'", ingress=[tcp_rule("Allow", "metrics", "http")]
            ),
        )
    )
    assert conn[("a/x", "a/s1")] == tcp(8080)
    assert conn[("a/x", "a/s2")] == tcp(9090)
    assert ("a/x", "a/s3") not in conn
    assert ("a/x", "a/u") not in conn
    assert conn[("a/s1", "a/s2")] == tcp(9090, 9100)


def test_source_ports_match_the_source_port() -> None:
    """EntityRule ports on the source side (resource reference "NetworkPolicy", EntityRule:
    packets are matched on source/destination IP, protocol and port): a Deny of TCP from source
    port 5000 hits only connections from that source port, so every destination port stays
    reachable from other source ports."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[deny(protocol="TCP", source={"ports": [5000]}), allow()],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == ALL


HTTP_GET = {"methods": ["GET"], "paths": [{"exact": "/admin"}]}
"""An application layer policy match (Rule ``http``): some requests of a connection only."""


def test_deny_with_http_match_does_not_deny_the_connection() -> None:
    """Rule http (resource reference "NetworkPolicy", HTTPMatch; application layer policy):
    a Deny with HTTP criteria refuses matching requests, not the TCP connection, so the map
    (which asserts what holds for a connection whatever its requests) leaves it out: the
    later Allow decides, and every TCP port stays reachable. NF029 reports the rule."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[deny(protocol="TCP", http=HTTP_GET), allow()],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == ALL


def test_allow_with_http_match_lets_the_connection_through() -> None:
    """Rule http (resource reference "NetworkPolicy", HTTPMatch): an Allow with HTTP criteria
    admits the connection (some of its requests pass), so it counts as an Allow of its
    layer-4 criteria; the end of the tier denies the rest."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(protocol="TCP", destination={"ports": [80]}, http=HTTP_GET)],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == tcp(80)


def test_not_ports() -> None:
    """EntityRule notPorts (resource reference "NetworkPolicy"): matches every port of the
    protocol except the listed numbers and ranges."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[allow(protocol="TCP", destination={"notPorts": [22, "6000:6999"]})],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == tcp((1, 21), (23, 5999), (7000, 65535))


def test_protocol_udp_and_sctp() -> None:
    """Rule protocol (resource reference "NetworkPolicy"): a rule matches only its protocol;
    ports are that protocol's ports."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np(
                "y-in",
                "a",
                selector="app == 'y'",
                ingress=[
                    allow(protocol="UDP", destination={"ports": [53]}),
                    allow(protocol="SCTP", destination={"ports": ["3868:3869"]}),
                ],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == {**udp(53), "SCTP": [(3868, 3869)]}


def test_not_protocol() -> None:
    """Rule notProtocol (resource reference "NetworkPolicy"): matches every protocol except
    the one named."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            calico_np("y-in", "a", selector="app == 'y'", ingress=[allow(notProtocol="TCP")]),
        )
    )
    assert conn[("a/x", "a/y")] == {k: v for k, v in ALL.items() if k != "TCP"}


def test_icmp_only_rule_does_not_affect_tcp() -> None:
    """Rule protocol (resource reference "NetworkPolicy"): an ICMP rule matches ICMP packets
    only; a Deny of ICMP before an Allow leaves every other protocol allowed, and an Allow of
    ICMP echo (type 8) alone admits exactly that."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a"),
            pod("y", "a", {"app": "y"}),
            pod("z", "a", {"app": "z"}),
            calico_np("y-in", "a", selector="app == 'y'", ingress=[deny(protocol="ICMP"), allow()]),
            calico_np(
                "z-in",
                "a",
                selector="app == 'z'",
                ingress=[allow(protocol="ICMP", icmp={"type": 8})],
            ),
        )
    )
    assert conn[("a/x", "a/y")] == {k: v for k, v in ALL.items() if k != "ICMP"}
    assert conn[("a/x", "a/z")] == {"ICMP": [(8 * 256, 8 * 256 + 255)]}


def test_egress_deny_nets_before_allow_all() -> None:
    """Rule order with EntityRule nets (resource reference "NetworkPolicy"): an egress Deny to
    a CIDR followed by Allow-all blocks that CIDR, pods with addresses in it included, and
    admits everything else."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("x", "a", {"app": "x"}, ip="172.16.0.2"),
            pod("inside", "a", ip="10.20.0.3"),
            pod("outside", "a", ip="172.16.0.3"),
            calico_np(
                "x-out",
                "a",
                selector="app == 'x'",
                egress=[deny(destination={"nets": ["10.0.0.0/8"]}), allow()],
            ),
        )
    )
    assert to_ip(conn, "a/x", "10.9.9.9") == {}
    assert to_ip(conn, "a/x", "8.8.8.8") == ALL
    assert ("a/x", "a/inside") not in conn
    assert conn[("a/x", "a/outside")] == ALL


def test_ip_version_limits_rule_to_one_family() -> None:
    """Rule ipVersion (resource reference "NetworkPolicy"): a positive IP version match; a rule
    with ipVersion 6 matches no IPv4 packet."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("y", "a", {"app": "y"}, ip="10.0.0.2"),
            calico_np("y-in", "a", selector="app == 'y'", ingress=[allow(ipVersion=6)]),
        )
    )
    assert from_ip(conn, "2001:db8::1", "a/y") == ALL
    assert from_ip(conn, "192.0.2.1", "a/y") == {}
