"""Connectivity assertions evaluated against clusters (docs/connectivity-tests.md, "What an
assertion means"): every matched pair must hold, an end that matches nothing is an error, and
a failure carries the explain walk of a failing pair with the rules that decided it."""

from __future__ import annotations

import time

import pytest

from netfence.analyses.assertions import Outcome, evaluate_assertions
from netfence.analyses.assertions_init import initial_assertions, parse_must_hold
from netfence.errors import QueryError
from netfence.model.networkpolicy import Direction
from netfence.report.assertions import render_spec
from netfence.sources.connectivity_tests import parse_connectivity_tests
from tests.analyses.builders import (
    TCP,
    UDP,
    cluster,
    container_port,
    deployment,
    ip_block,
    match,
    namespace,
    pod,
    policy,
    port,
)

HEADER = "format: netfence.connectivity-tests\nversion: 1\ntests:\n"


def spec(*items: str):
    """A spec of the given one-line assertions (YAML flow mappings)."""
    return parse_connectivity_tests(HEADER + "".join(f"  - {i}\n" for i in items), "spec.yaml")


def results(objects, *items: str):
    return evaluate_assertions(cluster(*objects), spec(*items)).results


def shop() -> list:
    """shop: web (2 replicas as pods of one Deployment template), api and db; db admits only
    api on 5432 (isolated for ingress); api's egress is limited to db and 10.0.0.0/8 except
    10.1.0.0/16 on 443; web is selected by no egress policy."""
    return [
        namespace("shop", team="shop"),
        namespace("ops", team="ops"),
        deployment("shop", "web", {"app": "web"}, ports=[container_port(8080, "http")]),
        deployment("shop", "api", {"app": "api"}, ports=[container_port(9090, "api")]),
        deployment("shop", "db", {"app": "db"}, ports=[container_port(5432, "postgres")]),
        deployment("ops", "toolbox", {"app": "toolbox"}),
        policy(
            "shop",
            "db-from-api",
            match(app="db"),
            ingress=[{"from": [{"podSelector": match(app="api")}], "ports": [port(5432, TCP)]}],
            types=["Ingress"],
        ),
        policy(
            "shop",
            "api-egress",
            match(app="api"),
            egress=[
                {"to": [{"podSelector": match(app="db")}], "ports": [port(5432, TCP)]},
                {"to": [ip_block("10.0.0.0/8", "10.1.0.0/16")], "ports": [port(443, TCP)]},
            ],
            types=["Egress"],
        ),
    ]


def test_networkpolicy_an_isolated_pod_admits_only_what_some_policy_allows():
    """NetworkPolicy: a pod selected for Ingress admits only what some policy's rule allows;
    the failure names the policy that isolates it, with its file and line."""
    allowed, denied, wrong = results(
        shop(),
        "{name: api to db, from: shop/api, to: shop/db, port: postgres, expect: allow}",
        "{name: web not to db, from: shop/web, to: shop/db, expect: deny}",
        "{name: web to db, from: shop/web, to: shop/db, port: 5432, expect: allow}",
    )
    assert allowed.outcome is Outcome.PASSED and allowed.pairs == 1
    assert denied.outcome is Outcome.PASSED
    assert wrong.outcome is Outcome.FAILED
    assert wrong.explanation is not None and not wrong.explanation.verdict
    assert wrong.explanation.port == ("TCP", 5432)
    assert [(p.src, p.dst) for p in wrong.failing] == [("shop/web", "shop/db")]
    isolating = [d for d in wrong.deciding if d.direction is Direction.INGRESS]
    assert [d.what for d in isolating] == [
        "NetworkPolicy/shop/db-from-api isolates shop/db for Ingress"
    ]
    assert isolating[0].location is not None and isolating[0].location.line > 1


def test_networkpolicy_a_pod_no_policy_selects_is_not_isolated():
    """NetworkPolicy: traffic to and from a pod no policy selects is allowed."""
    (result,) = results(
        shop(), "{name: toolbox to web, from: ops/toolbox, to: shop/web, port: 8080, expect: allow}"
    )
    assert result.outcome is Outcome.PASSED


def test_a_deny_that_is_allowed_names_the_allowing_rules():
    (result,) = results(
        shop(), "{name: api never to db, from: shop/api, to: shop/db, port: 5432, expect: deny}"
    )
    assert result.outcome is Outcome.FAILED and result.explanation.verdict
    assert {(d.direction, d.what) for d in result.deciding} == {
        (Direction.EGRESS, "NetworkPolicy/shop/api-egress spec.egress[0].to[0].ports[0]"),
        (Direction.INGRESS, "NetworkPolicy/shop/db-from-api spec.ingress[0].from[0].ports[0]"),
    }


def test_every_matched_pair_must_hold():
    """A selector matching several pods stands for every one: one allowed pod fails a deny,
    and the failure lists that pod's pair only (db to itself is no pair)."""
    (result,) = results(
        shop(),
        "{name: nobody to db, from: {namespace: shop}, to: shop/db, port: 5432, expect: deny}",
    )
    assert result.outcome is Outcome.FAILED
    assert (result.pairs, result.failing_count) == (2, 1)
    assert [(p.src, p.dst) for p in result.failing] == [("shop/api", "shop/db")]
    assert result.explanation.src.name == "shop/api" and result.explanation.verdict


def test_peer_semantics_namespace_selector_and_pod_selector_in_one_peer():
    """Peer semantics: namespaceSelector AND podSelector in one peer select the pods that
    match the pod selector in the namespaces that match the namespace selector, not the union."""
    objects = [
        namespace("a", team="web"),
        namespace("b", team="web"),
        namespace("c", team="data"),
        pod("a", "front", {"app": "front"}),
        pod("a", "other", {"app": "other"}),
        pod("b", "front", {"app": "front"}),
        pod("c", "front", {"app": "front"}),
        pod("c", "db", {"app": "db"}),
        policy(
            "c",
            "db-ingress",
            match(app="db"),
            ingress=[
                {
                    "from": [
                        {"namespaceSelector": match(team="web"), "podSelector": match(app="front")}
                    ]
                }
            ],
            types=["Ingress"],
        ),
    ]
    both = (
        "{namespaceSelector: {matchLabels: {team: web}}, podSelector: {matchLabels: {app: front}}}"
    )
    selected, others = results(
        objects,
        f"{{name: web fronts, from: {both}, to: c/db, expect: allow}}",
        "{name: the rest, from: {namespaceSelector: {},"
        " podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}},"
        " to: c/db, expect: allow}",
    )
    assert selected.outcome is Outcome.PASSED and selected.pairs == 2
    assert others.outcome is Outcome.FAILED
    assert sorted(p.src for p in others.failing) == ["a/other", "c/front"]
    assert others.failing_count == 2 and others.pairs == 4


def test_an_end_that_matches_nothing_is_an_error_not_a_pass():
    nothing, selector, external, itself = results(
        shop(),
        "{name: typo, from: shop/wbe, to: shop/db, expect: deny}",
        "{name: no pod, from: {namespace: shop, podSelector: {matchLabels: {app: gone}}},"
        " to: shop/db, expect: deny}",
        "{name: outside, from: {cidr: 10.0.0.0/8}, to: 192.0.2.1, expect: deny}",
        "{name: itself, from: shop/db, to: shop/db, expect: deny}",
    )
    assert (
        nothing.outcome is Outcome.ERROR and "from: shop/wbe matches no endpoint" in nothing.message
    )
    assert selector.outcome is Outcome.ERROR and "matches no endpoint" in selector.message
    assert external.outcome is Outcome.ERROR and "outside the cluster" in external.message
    assert itself.outcome is Outcome.ERROR and "same single pod" in itself.message


def test_a_named_port_is_resolved_on_each_destination_pod():
    """NetworkPolicy named ports resolve per destination pod: pods giving the name different
    numbers are each judged on their own; a pod without the name is an error."""
    objects = [
        namespace("n"),
        pod("n", "client", {"app": "client"}),
        pod("n", "s1", {"app": "server"}, ports=[container_port(8080, "http")]),
        pod("n", "s2", {"app": "server"}, ports=[container_port(9090, "http")]),
        pod("n", "bare", {"app": "bare"}),
        policy(
            "n",
            "servers",
            match(app="server"),
            ingress=[{"ports": [port(8080, TCP)]}],
            types=["Ingress"],
        ),
    ]
    servers = "{namespace: n, podSelector: {matchLabels: {app: server}}}"
    result, missing = results(
        objects,
        f"{{name: http, from: n/client, to: {servers}, port: http, expect: allow}}",
        "{name: no such port, from: n/client, to: n/bare, port: http, expect: allow}",
    )
    assert result.outcome is Outcome.FAILED
    assert [(p.src, p.dst) for p in result.failing] == [("n/client", "n/s2")]
    assert result.explanation.port == ("TCP", 9090)
    assert missing.outcome is Outcome.ERROR
    assert "named port not found: n/bare declares no TCP port named 'http'" in missing.message


def test_without_a_port_allow_needs_one_port_and_deny_needs_none():
    """Without a port: allow holds when at least one port is allowed, deny when none is; a
    protocol narrows both to its ports."""
    some, none, tcp_only, udp_denied = results(
        shop(),
        "{name: some, from: shop/api, to: shop/db, expect: allow}",
        "{name: none, from: shop/api, to: shop/db, expect: deny}",
        "{name: tcp, from: shop/api, to: shop/db, protocol: TCP, expect: allow}",
        "{name: udp, from: shop/api, to: shop/db, protocol: UDP, expect: deny}",
    )
    assert some.outcome is Outcome.PASSED
    assert none.outcome is Outcome.FAILED and none.failing[0].allowed.describe() == "TCP 5432"
    assert tcp_only.outcome is Outcome.PASSED
    assert udp_denied.outcome is Outcome.PASSED


def test_address_ranges_are_judged_per_address_atom():
    """NetworkPolicy ipBlock: cidr minus except; a range end holds for every address in it."""
    inside, excepted, across = results(
        shop(),
        "{name: inside, from: shop/api, to: {cidr: 10.2.0.0/16}, port: 443, expect: allow}",
        "{name: excepted, from: shop/api, to: {cidr: 10.1.0.0/16}, port: 443, expect: deny}",
        "{name: across, from: shop/api, to: {cidr: 10.0.0.0/8}, port: 443, expect: allow}",
    )
    assert inside.outcome is Outcome.PASSED
    assert excepted.outcome is Outcome.PASSED
    assert across.outcome is Outcome.FAILED
    assert [p.dst for p in across.failing] == ["10.1.0.0"]
    assert across.explanation.dst.address is not None and not across.explanation.verdict


def test_udp_dns_egress_by_selector():
    objects = [
        *shop(),
        namespace("kube-system"),
        pod(
            "kube-system",
            "coredns",
            {"k8s-app": "kube-dns"},
            ports=[container_port(53, "dns", UDP)],
        ),
    ]
    (result,) = results(
        objects,
        "{name: dns, from: {namespace: shop}, to: kube-system/coredns, port: 53, protocol: UDP,"
        " expect: allow}",
    )
    # api's egress is limited to db and 10.0.0.0/8: it cannot resolve names.
    assert result.outcome is Outcome.FAILED
    assert [p.src for p in result.failing] == ["shop/api"]


def test_a_selector_over_many_pods_is_evaluated_on_classes():
    """Five hundred pods of two classes: every ordered pair of distinct pods is counted, and
    the evaluation stays well under a second per assertion."""
    objects: list = [namespace("big")]
    objects += [pod("big", f"p{i}", {"app": "a" if i % 2 else "b"}) for i in range(500)]
    objects.append(
        policy(
            "big",
            "b-isolated",
            match(app="b"),
            ingress=[{"from": [{"podSelector": match(app="a")}]}],
            types=["Ingress"],
        )
    )
    every = "{namespace: big}"
    started = time.perf_counter()
    (result,) = results(objects, f"{{name: all, from: {every}, to: {every}, expect: allow}}")
    assert time.perf_counter() - started < 10
    assert result.pairs == 500 * 499
    # b pods admit only a pods: b -> b pairs (250 * 249) are denied.
    assert result.failing_count == 250 * 249


# --- a starting spec from the map -----------------------------------------------------------


def test_init_spec_passes_on_its_inputs_and_fails_once_a_marked_flow_breaks():
    objects = shop()
    planned = initial_assertions(
        cluster(*objects), [parse_must_hold("shop/*->shop/db")], deny_others=True
    )
    names = [p.name for p in planned]
    assert "shop/api -> shop/db TCP 5432" in names
    assert "shop/db -> shop/api denied" not in names  # db may reach api: it is not isolated
    assert all(p.source.startswith("shop/") for p in planned)
    written = parse_connectivity_tests(render_spec(planned, every_connection=False), "init.yaml")
    report = evaluate_assertions(cluster(*objects), written)
    assert report.all_passed, [r.message for r in report.results if r.outcome is not Outcome.PASSED]
    broken = [
        *objects,
        policy("shop", "db-lockdown", match(app="db"), ingress=[], types=["Ingress"]),
    ]
    # An empty ingress list beside db-from-api adds nothing: policies are additive.
    assert evaluate_assertions(cluster(*broken), written).all_passed
    objects[6] = policy("shop", "db-from-api", match(app="db"), ingress=[], types=["Ingress"])
    failed = evaluate_assertions(cluster(*objects), written)
    assert [r.assertion.name for r in failed.results if r.outcome is Outcome.FAILED] == [
        "shop/api -> shop/db TCP 5432"
    ]


def test_init_without_patterns_marks_every_workload_connection():
    planned = initial_assertions(cluster(*shop()))
    assert any(p.name == "ops/toolbox -> shop/web" and p.port is None for p in planned)
    assert all(p.source != p.destination for p in planned)


def test_must_hold_patterns_mark_workload_pairs_only():
    """--must-hold speaks the flow-pattern language of diff --forbid, with workload ends and
    no port: it marks pairs; the ports written are those the map allows."""
    assert parse_must_hold("shop/* -> shop/db").matches_names("shop/web", "shop/db")
    for bad in ("shop/*", "->shop/db", "a->b->c", "shop/*->10.0.0.0/8", "shop/*->shop/db:5432"):
        with pytest.raises(QueryError, match="^--must-hold "):
            parse_must_hold(bad)


def test_a_failure_over_many_classes_names_ten_pairs_and_counts_the_rest():
    """Three hundred pods no selector groups (each its own class), all isolated: every pair
    fails; ten are named, the rest counted, without looking into every failing cell."""
    objects: list = [namespace("iso")]
    objects += [pod("iso", f"p{i}", {"app": f"a{i}"}) for i in range(300)]
    objects += [
        policy("iso", f"only-{i}", match(app=f"a{i}"), ingress=[], types=["Ingress"])
        for i in range(300)
    ]
    started = time.perf_counter()
    (result,) = results(
        objects, "{name: all, from: {namespace: iso}, to: {namespace: iso}, expect: allow}"
    )
    assert time.perf_counter() - started < 10
    assert result.outcome is Outcome.FAILED
    assert result.failing_count == result.pairs == 300 * 299
    assert len(result.failing) == 10 and result.more_failing


def test_a_verdict_that_leans_on_missing_pod_addresses_says_so():
    """ipBlock (API reference: it "may or may not" apply to cluster-internal traffic) and
    manifests without pod IPs: a deny that holds by selectors alone may not hold in the
    cluster, where the ipBlock may match the destination's address; the result says so
    instead of passing silently."""
    objects = [
        namespace("n"),
        deployment("n", "client", {"app": "client"}),
        deployment("n", "server", {"app": "server"}),
        policy(
            "n",
            "client-egress",
            match(app="client"),
            egress=[{"to": [ip_block("10.0.0.0/8")]}],
            types=["Egress"],
        ),
    ]
    leaning, plain = results(
        objects,
        "{name: client never to server, from: n/client, to: n/server, expect: deny}",
        "{name: server to client, from: n/server, to: n/client, expect: allow}",
    )
    assert leaning.outcome is Outcome.PASSED
    assert leaning.lacking == (
        "Egress: NetworkPolicy/n/client-egress spec.egress[0] matches 10.0.0.0/8 (the private"
        " ranges; no pod CIDR in the input), which may hold pods of the other end: they have"
        " no address in the input",
    )
    assert plain.outcome is Outcome.PASSED and plain.lacking == ()
