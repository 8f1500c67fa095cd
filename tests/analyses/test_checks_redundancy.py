"""NF021-NF022: rules and policies that allow nothing the others do not already allow.

Both rest on the NetworkPolicy API reference, NetworkPolicySpec: policies are additive (a
pod's allowed traffic is the union of the rules of the policies selecting it), and a pod stays
isolated in a direction while any policy of that type selects it.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netfence.analyses.audit import redundancy, run_audit
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.redundancy import find_redundancy
from netfence.engine.explain import explain_flow
from netfence.model.findings import Severity
from netfence.sources.manifests import load_cluster_from_text
from tests.analyses.test_redundancy_soundness import overlapping_clusters

from .builders import (
    audit,
    by_detail,
    cluster,
    container_port,
    deployment,
    keys,
    match,
    only,
    policy,
    port,
)

FRONTEND_TO_8080: dict[str, Any] = {
    "from": [{"podSelector": match(app="frontend")}],
    "ports": [port(8080)],
}
ANY_LOCAL_8000_9000: dict[str, Any] = {
    "from": [{"podSelector": {}}],
    "ports": [port(8000, end=9000)],
}
SHOP = [deployment("shop", "frontend"), deployment("shop", "backend")]


def _backend_ingress(*objects: Any) -> str:
    """What frontend may send to backend, ingress side, as text."""
    return explain_flow(
        cluster(*objects), "shop/frontend", "shop/backend"
    ).ingress.allowed.describe()


# NF021 ---------------------------------------------------------------------------------------


def test_nf021_rule_duplicated_by_another_policy_both_fire_each_removable_alone() -> None:
    """NF021, API reference NetworkPolicySpec (policies are additive): two identical rules in
    two policies selecting backend each allow nothing the other does not, so both are reported.
    Either may be removed alone without change; removing both closes the flow (the report
    names each, not the pair)."""
    a = policy("shop", "a", match(app="backend"), ingress=[FRONTEND_TO_8080])
    b = policy("shop", "b", match(app="backend"), ingress=[FRONTEND_TO_8080])
    findings = audit([*SHOP, a, b], "NF021")
    assert keys(findings) == ["NetworkPolicy/shop/a", "NetworkPolicy/shop/b"]
    for key in keys(findings):
        finding = only(findings, key)
        assert finding.effective_severity is Severity.LOW
        assert finding.detail_key == "spec.ingress[0]"
        assert finding.evidence["rule"] == "spec.ingress[0]"
        assert finding.evidence["direction"] == "Ingress"

    b_without_rule = policy("shop", "b", match(app="backend"), ingress=[])
    a_without_rule = policy("shop", "a", match(app="backend"), ingress=[])
    assert _backend_ingress(*SHOP, a, b) == "TCP 8080"
    assert _backend_ingress(*SHOP, a, b_without_rule) == "TCP 8080"
    assert _backend_ingress(*SHOP, a_without_rule, b) == "TCP 8080"
    assert _backend_ingress(*SHOP, a_without_rule, b_without_rule) == "None"
    # Once one copy is gone, the other is needed.
    assert audit([*SHOP, a, b_without_rule], "NF021") == []


def test_nf021_rule_contained_in_a_broader_rule_only_the_narrower_fires() -> None:
    """NF021, API reference NetworkPolicyIngressRule (from/ports): frontend on 8080 lies inside
    any local pod on 8000-9000, so only the narrower rule is redundant."""
    findings = audit(
        [
            *SHOP,
            policy(
                "shop", "p", match(app="backend"), ingress=[FRONTEND_TO_8080, ANY_LOCAL_8000_9000]
            ),
        ],
        "NF021",
    )
    found = by_detail(findings, "NetworkPolicy/shop/p")
    assert found.keys() == {"spec.ingress[0]"}
    assert found["spec.ingress[0]"].evidence == {
        "policy": "NetworkPolicy/shop/p",
        "rule": "spec.ingress[0]",
        "direction": "Ingress",
    }


def test_nf021_disjoint_rules_neither_fires() -> None:
    """NF021, API reference NetworkPolicyPort: 8080 and 9090 are different ports, so each rule
    allows something the other does not."""
    frontend_to_9090 = {**FRONTEND_TO_8080, "ports": [port(9090)]}
    findings = audit(
        [
            *SHOP,
            policy("shop", "p", match(app="backend"), ingress=[FRONTEND_TO_8080, frontend_to_9090]),
        ],
        "NF021",
    )
    assert findings == []


def test_nf021_rules_in_policies_selecting_different_pods_are_not_redundant() -> None:
    """NF021, API reference NetworkPolicySpec.podSelector: the same rule text in a policy
    selecting another pod allows different connections."""
    findings = audit(
        [
            *SHOP,
            policy("shop", "a", match(app="backend"), ingress=[FRONTEND_TO_8080]),
            policy("shop", "b", match(app="frontend"), ingress=[FRONTEND_TO_8080]),
        ],
        "NF021",
    )
    assert findings == []


# NF022 ---------------------------------------------------------------------------------------


def test_nf022_policy_fully_covered_by_another() -> None:
    """NF022, API reference NetworkPolicySpec: `wide` isolates every shop pod for ingress and
    allows 8000-9000 from any local pod, so `narrow` (backend, frontend on 8080) adds nothing."""
    findings = audit(
        [
            *SHOP,
            policy("shop", "wide", ingress=[ANY_LOCAL_8000_9000]),
            policy("shop", "narrow", match(app="backend"), ingress=[FRONTEND_TO_8080]),
        ],
        "NF022",
    )
    assert keys(findings) == ["NetworkPolicy/shop/narrow"]
    finding = only(findings, "NetworkPolicy/shop/narrow")
    assert finding.effective_severity is Severity.LOW
    assert finding.evidence == {"policy": "NetworkPolicy/shop/narrow"}


def test_nf022_sole_isolating_policy_without_rules_is_not_redundant() -> None:
    """NF022, API reference NetworkPolicySpec.policyTypes: a policy with no rules still
    isolates the pods it selects; when it is the only one, removing it would open them."""
    only_isolator = policy("shop", "deny-in", match(app="backend"), types=["Ingress"])
    assert audit([*SHOP, only_isolator], "NF022") == []


def test_nf022_policy_isolating_in_a_direction_no_other_covers_is_not_redundant() -> None:
    """NF022, API reference NetworkPolicySpec.policyTypes: `narrow` adds nothing for ingress,
    but it is the only Egress policy selecting backend, so removing it would open egress."""
    findings = audit(
        [
            *SHOP,
            policy("shop", "wide", ingress=[ANY_LOCAL_8000_9000]),
            policy(
                "shop",
                "narrow",
                match(app="backend"),
                ingress=[FRONTEND_TO_8080],
                types=["Ingress", "Egress"],
            ),
        ],
        "NF022",
    )
    assert "NetworkPolicy/shop/narrow" not in keys(findings)


def test_nf022_second_default_deny_is_redundant() -> None:
    """NF022, API reference NetworkPolicySpec.podSelector ({} selects all): a second ingress
    deny for backend changes nothing while the namespace default deny stays."""
    findings = audit(
        [
            *SHOP,
            policy("shop", "deny-all", types=["Ingress", "Egress"]),
            policy("shop", "deny-backend", match(app="backend"), types=["Ingress"]),
        ],
        "NF022",
    )
    assert keys(findings) == ["NetworkPolicy/shop/deny-backend"]


def test_no_audit_context_outlives_its_audit():
    """What checks share is kept with the audit's context, so once an audit is done nothing
    keeps its context (and its masks) alive."""
    import gc
    import weakref

    from netfence.analyses.audit.context import AuditContext
    from netfence.sources.manifests import load_cluster_from_text

    cluster = load_cluster_from_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: a, namespace: ns}\nspec: {podSelector: {}}\n"
    )
    seen: list[weakref.ref[AuditContext]] = []
    real_init = AuditContext.__init__

    def spy(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        seen.append(weakref.ref(self))

    AuditContext.__init__ = spy  # type: ignore[method-assign]
    try:
        run_audit(cluster)
    finally:
        AuditContext.__init__ = real_init  # type: ignore[method-assign]
    gc.collect()
    assert seen and all(ref() is None for ref in seen)


# Consistency with the other checks -----------------------------------------------------------

DEFAULT_DENY_INGRESS = policy("shop", "default-deny", types=["Ingress"])
ALL_PODS_FROM_FRONTEND = policy("shop", "from-frontend", ingress=[FRONTEND_TO_8080])


def test_nf022_namespace_default_deny_is_never_redundant() -> None:
    """NF022 vs NF004, API reference NetworkPolicySpec.podSelector (empty: every pod of the
    namespace, present and future) and policyTypes: a default deny with no ingress rules is
    covered today by another policy selecting every pod, yet removing it would make NF004 fire
    for the namespace. So it is never reported as redundant."""
    objects = [*SHOP, DEFAULT_DENY_INGRESS, ALL_PODS_FROM_FRONTEND]
    assert "NetworkPolicy/shop/default-deny" not in keys(audit(objects, "NF022"))
    assert audit(objects, "NF004") == []  # the namespace has its default deny
    both = policy("shop", "default-deny", types=["Ingress", "Egress"])
    egress_too = policy("shop", "egress", egress=[{"to": [{"podSelector": {}}]}])
    objects = [*SHOP, both, ALL_PODS_FROM_FRONTEND, egress_too]
    assert "NetworkPolicy/shop/default-deny" not in keys(audit(objects, "NF022"))


def test_nf022_calico_default_deny_is_never_redundant() -> None:
    """NF021/NF022 vs NF004, Calico NetworkPolicy (projectcalico.org/v3) with selector all()
    and types [Ingress] and no rules: the Calico equivalent of a namespace default deny, which
    neither check reports."""
    calico = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "calico-deny", "namespace": "shop"},
        "spec": {"selector": "all()", "types": ["Ingress"]},
    }
    objects = [*SHOP, calico, DEFAULT_DENY_INGRESS, ALL_PODS_FROM_FRONTEND]
    for check_id in ("NF021", "NF022"):
        assert not [k for k in keys(audit(objects, check_id)) if "calico-deny" in k]


def test_named_port_typo_is_nf019_not_a_redundant_rule_or_policy() -> None:
    """NF019 vs NF021/NF022, API reference NetworkPolicyPort.port (a name is resolved on the
    destination pod's containerPort names): a rule naming a port no destination declares
    allows nothing, so its policy looks covered; its problem is the name (NF019), and removing
    it (as NF021/NF022 would advise) is the wrong fix."""
    database = deployment("shop", "database", ports=[container_port(5432, "postgres")])
    typo = policy(
        "shop",
        "database-allow-report",
        match(app="database"),
        ingress=[{"from": [{"podSelector": match(app="report")}], "ports": [port("postgresql")]}],
    )
    objects = [*SHOP, database, DEFAULT_DENY_INGRESS, typo]
    assert keys(audit(objects, "NF019")) == ["NetworkPolicy/shop/database-allow-report"]
    for check_id in ("NF021", "NF022"):
        assert "NetworkPolicy/shop/database-allow-report" not in keys(audit(objects, check_id))


BACKENDS_HTTP_80_AND_8080 = [
    deployment("shop", "frontend"),
    deployment("shop", "b1", {"tier": "back", "app": "b1"}, ports=[container_port(80, "http")]),
    deployment("shop", "b2", {"tier": "back", "app": "b2"}, ports=[container_port(8080, "http")]),
]


def _frontend_to(*ports: int | str) -> dict[str, Any]:
    return {"from": [{"podSelector": match(app="frontend")}], "ports": [port(p) for p in ports]}


def test_nf021_named_port_resolving_per_destination_is_judged_per_destination() -> None:
    """NF021, API reference NetworkPolicyPort.port (a name is resolved on each destination
    pod): `http` is 80 on b1 and 8080 on b2, so a rule for port 80 covers the named rule on b1
    only, and neither rule is redundant; ports 80 and 8080 together cover it on both."""
    partial = policy(
        "shop", "p", match(tier="back"), ingress=[_frontend_to("http"), _frontend_to(80)]
    )
    assert audit([*BACKENDS_HTTP_80_AND_8080, partial], "NF021") == []
    full = policy(
        "shop", "p", match(tier="back"), ingress=[_frontend_to("http"), _frontend_to(80, 8080)]
    )
    found = by_detail(audit([*BACKENDS_HTTP_80_AND_8080, full], "NF021"), "NetworkPolicy/shop/p")
    assert found.keys() == {"spec.ingress[0]"}


def test_nf021_many_alike_pods_give_the_verdicts_of_one() -> None:
    """NF021, API reference NetworkPolicySpec (policies are additive): forty workloads that
    every rule treats alike are judged as one (the bit planes hold one cell per group of alike
    rows and columns), and a rule inside a broader one is still the only redundant one."""
    crowd = [deployment("shop", f"client-{i}", {"app": "frontend", "n": str(i)}) for i in range(40)]
    servers = [
        deployment("shop", f"server-{i}", {"app": "backend", "n": str(i)}) for i in range(40)
    ]
    rules = [FRONTEND_TO_8080, ANY_LOCAL_8000_9000]
    findings = audit(
        [*crowd, *servers, policy("shop", "p", match(app="backend"), ingress=rules)], "NF021"
    )
    assert by_detail(findings, "NetworkPolicy/shop/p").keys() == {"spec.ingress[0]"}


@st.composite
def rule_members(draw: st.DrawFn) -> tuple[Any, int, int]:
    """Rules as the redundancy planes see them: rows, columns and a port value per column."""
    rows, columns = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    members = {}
    for i in range(draw(st.integers(1, 6))):
        src = sorted(draw(st.sets(st.integers(0, rows - 1), min_size=1)))
        dst = sorted(draw(st.sets(st.integers(0, columns - 1), min_size=1)))
        values = draw(st.lists(st.integers(0, 2), min_size=len(dst), max_size=len(dst)))
        members[i] = (np.array(src, np.intp), np.array(dst, np.intp), np.array(values, np.int64))
    return members, rows, columns


def _same_partition(one: Any, other: Any) -> bool:
    pairs = set(zip(one.tolist(), other.tolist(), strict=True))
    return len(pairs) == len(set(one.tolist())) == len(set(other.tolist()))


@settings(max_examples=300, deadline=None)
@given(rule_members(), st.lists(st.integers(0, 3), min_size=6, max_size=6))
def test_groups_by_key_sums_are_used_only_when_they_are_refinements_groups(
    drawn: tuple[Any, int, int], small_keys: list[int]
) -> None:
    """NF021/NF022 group rows and columns that every rule treats alike (API reference
    NetworkPolicySpec: a verdict is decided cell by cell, so alike cells decide alike). The
    groups come from sums of random keys and are used only if every rule holds its groups
    whole: then they are exactly the groups partition refinement gives, even with keys made
    to collide; with the real keys they pass."""
    members, rows, columns = drawn
    exact = redundancy._blocks_by_refinement(members, rows, columns)
    real = redundancy._blocks_by_signature(members, rows, columns)
    assert redundancy._whole_extents(members, *real) is not None
    assert all(map(_same_partition, real, exact))
    colliding = np.array(small_keys, dtype=np.uint64)
    with mock.patch.object(redundancy, "_signature_keys", lambda n: colliding[:n]):
        blocks = redundancy._blocks_by_signature(members, rows, columns)
    if redundancy._whole_extents(members, *blocks) is not None:
        assert all(map(_same_partition, blocks, exact))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overlapping_clusters())
def test_nf021_nf022_are_the_same_when_every_key_collides(manifests: str) -> None:
    """NF021/NF022 (API reference NetworkPolicySpec): with every key zero, every grouping by
    key sums fails its check, and refinement gives the same redundant rules and policies."""
    compiled = AuditContext(load_cluster_from_text(manifests)).compiled
    count = len(compiled.space.cluster.policies)
    expected = find_redundancy(compiled, count)
    with mock.patch.object(redundancy, "_signature_keys", lambda n: np.zeros(n, np.uint64)):
        assert find_redundancy(compiled, count) == expected
