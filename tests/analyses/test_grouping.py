"""One finding per cause: per-workload findings of one check that one rule causes are merged
(netfence.analyses.audit.grouping), and baselines still apply to each affected workload."""

from __future__ import annotations

import datetime

from netfence.analyses.audit import run_audit
from netfence.analyses.audit.grouping import affected_count, affected_names, affected_sample
from netfence.model.findings import Acceptance, ResourceRef
from tests.analyses.builders import audit, cluster, deployment, keys, policy

NAMES = ("api", "cart", "db", "search", "web", "worker")


def _open_namespace(names: tuple[str, ...] = NAMES) -> list[object]:
    """Workloads of shop, and one policy whose `ingress: [{}]` admits everything to all."""
    return [*(deployment("shop", n) for n in names), policy("shop", "open", ingress=[{}])]


def test_one_rule_exposing_many_workloads_is_one_finding_on_the_rule() -> None:
    """NF008 caused by one `ingress: [{}]` (API reference NetworkPolicyIngressRule: empty
    `from` matches all sources) on six workloads is one finding on that rule."""
    findings = audit(_open_namespace(), "NF008")
    assert len(findings) == 1
    (finding,) = findings
    assert finding.primary is not None and finding.primary.key == "NetworkPolicy/shop/open"
    assert (
        finding.cause is not None and finding.cause.key == "NetworkPolicy/shop/open spec.ingress[0]"
    )
    assert [r.key for r in finding.affected] == [f"Deployment/shop/{n}" for n in NAMES]
    assert finding.message.startswith(
        "NetworkPolicy/shop/open spec.ingress[0] exposes 6 workloads in shop to the public "
        "Internet: api, cart, db, search, web and 1 more."
    )
    assert finding.primary.line is not None  # the rule's line, for file:line and SARIF


def test_grouped_fingerprint_stays_when_workloads_come_and_go() -> None:
    """A grouped finding's fingerprint is its check and cause: adding a workload keeps it."""
    before = audit(_open_namespace(NAMES[:3]), "NF008")
    after = audit(_open_namespace(NAMES), "NF008")
    assert before[0].fingerprint == after[0].fingerprint
    assert len(before[0].affected) == 3 and len(after[0].affected) == 6


def test_different_causes_stay_apart() -> None:
    """Findings of one check from two different rules are two findings."""
    objects = [
        *_open_namespace(("a", "b")),
        deployment("web", "c"),
        deployment("web", "d"),
        policy("web", "open-too", ingress=[{}]),
    ]
    findings = audit(objects, "NF008")
    assert sorted(f.cause.key for f in findings if f.cause) == [
        "NetworkPolicy/shop/open spec.ingress[0]",
        "NetworkPolicy/web/open-too spec.ingress[0]",
    ]
    assert sorted(keys(findings)) == [
        "Deployment/shop/a",
        "Deployment/shop/b",
        "Deployment/web/c",
        "Deployment/web/d",
    ]


def test_baseline_entry_naming_one_affected_workload_matches_the_grouped_finding() -> None:
    """Acceptance.matches: an entry naming a workload the grouped finding affects matches it."""
    (finding,) = audit(_open_namespace(), "NF008")
    entry = Acceptance("NF008", "Deployment/shop/cart", "known")
    other = Acceptance("NF008", "Deployment/shop/nowhere", "known")
    assert entry.matches(finding)
    assert not other.matches(finding)


def test_baseline_accepts_one_workload_and_the_rest_stay_grouped() -> None:
    """run_audit matches the baseline per workload, then groups what stands."""
    entry = Acceptance("NF008", "Deployment/shop/cart", "reviewed")
    report = run_audit(
        cluster(*_open_namespace()),
        select=["NF008"],
        baseline=[entry],
        today=datetime.date(2026, 1, 1),
    )
    assert [f.primary.key for f, _ in report.accepted if f.primary] == ["Deployment/shop/cart"]
    (standing,) = report.findings
    assert "Deployment/shop/cart" not in [r.key for r in standing.affected]
    assert len(standing.affected) == len(NAMES) - 1


def test_baseline_entry_naming_the_causing_policy_accepts_every_workload_it_affects() -> None:
    """An entry naming the policy whose rule causes the findings accepts all of them."""
    entry = Acceptance("NF008", "NetworkPolicy/shop/open", "the open namespace is a lab")
    report = run_audit(
        cluster(*_open_namespace()),
        select=["NF008"],
        baseline=[entry],
        today=datetime.date(2026, 1, 1),
    )
    assert report.findings == ()
    assert len(report.accepted) == len(NAMES)


def _workloads(*per_namespace: tuple[str, int]) -> tuple[ResourceRef, ...]:
    return tuple(
        ResourceRef("Deployment", ns, f"w{i}") for ns, count in per_namespace for i in range(count)
    )


def test_grouped_count_breaks_down_by_namespace_up_to_three() -> None:
    """checks.md "One finding per cause": a grouped message counts the workloads per
    namespace while they lie in at most three namespaces."""
    assert affected_count(_workloads(("a", 2))) == "2 workloads in a"
    assert affected_count(_workloads(("a", 2), ("b", 1), ("c", 3))) == (
        "6 workloads (2 in a, 1 in b, 3 in c)"
    )


def test_grouped_count_past_three_namespaces_names_how_many_namespaces() -> None:
    """checks.md "One finding per cause": a rule affecting workloads of many namespaces says
    how many namespaces, not each one (a cluster-wide rule spans hundreds)."""
    spread = _workloads(*((f"ns-{n:03d}", 3) for n in range(160)))
    assert affected_count(spread) == "480 workloads in 160 namespaces"
    shown = ", ".join(f"Deployment/{k}" for k in ("ns-000/w0", "ns-000/w1", "ns-000/w2"))
    assert affected_names(spread) == (
        f"{shown}, Deployment/ns-001/w0, Deployment/ns-001/w1 and 475 more"
    )


def test_grouped_finding_names_a_sorted_sample_of_five() -> None:
    """checks.md "One finding per cause": the message names the first five affected
    workloads by Kind/namespace/name and counts the rest; `affected` keeps them all."""
    names = tuple(f"web-{i:02d}" for i in range(12))
    (finding,) = audit(_open_namespace(names), "NF008")
    assert len(finding.affected) == 12
    assert [r.name for r in affected_sample(finding.affected)] == list(names[:5])
    assert "12 workloads in shop" in finding.message
    assert "web-00, web-01, web-02, web-03, web-04 and 7 more." in finding.message
