"""NF001-NF005: namespaces without policies or default deny, workloads open in a direction.

Isolation is the NetworkPolicy API reference's ("NetworkPolicySpec", and the concepts page
"The two sorts of pod isolation"): a pod is isolated for a direction when a policy of that
type in the pod's own namespace selects it; otherwise it is open in that direction.
"""

from __future__ import annotations

from netfence.analyses.audit.fixes import FixRequest, request_of
from netfence.model.findings import Severity
from netfence.model.networkpolicy import Direction

from .builders import (
    audit,
    deployment,
    dns_pods,
    expr,
    keys,
    match,
    namespace,
    only,
    pod,
    policy,
)

# NF001 ---------------------------------------------------------------------------------------


def test_nf001_fires_for_namespace_with_pods_and_no_policy() -> None:
    """NF001, CIS 5.3.2 "Ensure that all Namespaces have NetworkPolicies defined"."""
    findings = audit(
        [
            namespace("shop"),
            deployment("shop", "frontend"),
            pod("shop", "debug"),
            namespace("ops"),
            pod("ops", "toolbox"),
            policy("ops", "deny"),
        ],
        "NF001",
    )
    assert keys(findings) == ["Namespace/shop"]
    finding = only(findings, "Namespace/shop")
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence == {"namespace": "shop", "pod_endpoints": 2, "policies": 0}
    assert finding.fix is None  # the fix planner writes the set, proven (tests/analyses)
    assert request_of(finding) == FixRequest("shop", deny=frozenset(Direction))


def test_nf001_does_not_fire_when_namespace_has_any_policy() -> None:
    """NF001, CIS 5.3.2: any NetworkPolicy in the namespace, even a narrow one, satisfies it."""
    findings = audit(
        [
            deployment("shop", "frontend"),
            deployment("shop", "backend"),
            policy("shop", "backend-only", match(app="backend"), ingress=[]),
        ],
        "NF001",
    )
    assert "Namespace/shop" not in keys(findings)


# NF002 ---------------------------------------------------------------------------------------


def test_nf002_fires_for_workload_no_ingress_policy_selects() -> None:
    """NF002, API reference NetworkPolicySpec.podSelector; CIS 5.3.2; NSA/CISA "Network
    separation and hardening": a pod no Ingress policy selects accepts everything."""
    findings = audit(
        [
            deployment("shop", "frontend"),
            deployment("shop", "backend"),
            policy("shop", "backend-in", match(app="backend"), ingress=[]),
        ],
        "NF002",
    )
    assert keys(findings) == ["Deployment/shop/frontend"]
    finding = only(findings, "Deployment/shop/frontend")
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence["direction"] == "Ingress"
    assert finding.evidence["isolated"] is False
    assert finding.evidence["pods_not_isolated"] == 1
    assert finding.evidence["allowed"] == "All"


def test_nf002_deny_all_in_another_namespace_does_not_isolate() -> None:
    """NF002, API reference NetworkPolicySpec.podSelector ("selects pods in this namespace"):
    a deny-all in namespace b leaves the pod in a open. A known scanner ignored namespaces."""
    findings = audit(
        [
            pod("a", "web"),
            pod("b", "api"),
            policy("b", "deny-all", types=["Ingress", "Egress"]),
        ],
        "NF002",
    )
    assert keys(findings) == ["Pod/a/web"]
    assert only(findings, "Pod/a/web").evidence["direction"] == "Ingress"
    assert "Pod/b/api" not in keys(findings)


def test_nf002_match_expressions_selector_selects_only_matching_pods() -> None:
    """NF002, API reference LabelSelector (matchExpressions, operator In): `tier In (web)`
    selects the tier=web pod only. A known scanner took matchExpressions-only as select-all."""
    findings = audit(
        [
            pod("shop", "web", {"tier": "web"}),
            pod("shop", "lonely", {"app": "lonely"}),
            policy("shop", "web-in", expr("tier", "In", "web"), ingress=[]),
        ],
        "NF002",
    )
    assert keys(findings) == ["Pod/shop/lonely"]
    assert "Pod/shop/web" not in keys(findings)


def test_nf002_does_not_fire_for_workload_selected_by_ingress_policy() -> None:
    """NF002, API reference NetworkPolicySpec: a podSelector: {} Ingress policy isolates all."""
    findings = audit(
        [deployment("shop", "frontend"), policy("shop", "deny-in", types=["Ingress"])],
        "NF002",
    )
    assert "Deployment/shop/frontend" not in keys(findings)


# NF003 ---------------------------------------------------------------------------------------


def test_nf003_ingress_only_policy_does_not_isolate_for_egress() -> None:
    """NF003, API reference NetworkPolicySpec.policyTypes; NIST SP 800-190 4.4.2: a policy
    typed [Ingress] leaves egress open. A known scanner passed "ingress and egress blocked"
    with one direction."""
    findings = audit(
        [pod("shop", "web"), policy("shop", "deny-in", types=["Ingress"])],
        "NF003",
    )
    finding = only(findings, "Pod/shop/web")
    assert finding.effective_severity is Severity.MEDIUM
    assert finding.evidence["direction"] == "Egress"
    assert finding.evidence["isolated"] is False
    assert finding.evidence["allowed"] == "All"


def test_nf003_policy_without_types_or_egress_rules_does_not_isolate_egress() -> None:
    """NF003, API reference NetworkPolicySpec.policyTypes: it defaults to [Ingress] (plus
    Egress only when the policy has egress rules)."""
    findings = audit([pod("shop", "web"), policy("shop", "p", ingress=[])], "NF003")
    assert keys(findings) == ["Pod/shop/web"]


def test_nf003_deny_all_egress_is_isolated_and_not_reported() -> None:
    """NF003, API reference NetworkPolicySpec.policyTypes/egress: [Ingress, Egress] with no
    egress rules is a deny-all egress, the most restrictive setting: the pod IS isolated."""
    findings = audit(
        [dns_pods(), pod("shop", "web"), policy("shop", "deny-all", types=["Ingress", "Egress"])],
        "NF003",
    )
    assert "Pod/shop/web" not in keys(findings)
    assert keys(findings) == ["Pod/kube-system/coredns-1"]  # no policy in kube-system


def test_nf003_partly_isolated_workload_reports_open_pods() -> None:
    """NF003, API reference NetworkPolicySpec.podSelector: isolation is per pod, so a workload
    whose pods carry different labels can be isolated only in part."""
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"web-abc12-{suffix}",
                "namespace": "shop",
                "labels": {"app": "web", "pod-template-hash": "abc12", **extra},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": "web-abc12",
                        "controller": True,
                    }
                ],
            },
            "spec": {"containers": [{"name": "main"}]},
        }
        for suffix, extra in (("x", {"canary": "yes"}), ("y", {}))
    ]
    findings = audit(
        [*objects, policy("shop", "canary-out", match(canary="yes"), types=["Egress"])],
        "NF003",
    )
    finding = only(findings, "Deployment/shop/web")
    assert finding.evidence["pods_not_isolated"] == 1
    assert "for some of its pods" in finding.message


# NF004 / NF005 -------------------------------------------------------------------------------


def test_nf004_nf005_fire_without_an_empty_selector_policy() -> None:
    """NF004/NF005, NSA/CISA Kubernetes Hardening Guide "Network policies" (default deny):
    a policy selecting app=web is not a namespace default deny; pods added later are open."""
    objects = [
        deployment("shop", "web"),
        policy("shop", "web-only", match(app="web"), types=["Ingress", "Egress"]),
    ]
    for check_id, direction in (("NF004", "Ingress"), ("NF005", "Egress")):
        finding = only(audit(objects, check_id), "Namespace/shop")
        assert finding.effective_severity is Severity.LOW
        assert finding.evidence == {"namespace": "shop", "direction": direction}
        assert request_of(finding) == FixRequest("shop", deny=frozenset({Direction(direction)}))


def test_nf004_nf005_empty_pod_selector_counts_as_default_deny() -> None:
    """NF004/NF005, API reference NetworkPolicySpec.podSelector ("An empty podSelector selects
    all pods in this namespace"): podSelector: {} is the default deny. A known scanner
    required matchLabels."""
    objects = [deployment("shop", "web"), policy("shop", "deny-all", types=["Ingress", "Egress"])]
    assert "Namespace/shop" not in keys(audit(objects, "NF004"))
    assert "Namespace/shop" not in keys(audit(objects, "NF005"))


def test_nf004_nf005_are_per_direction() -> None:
    """NF004/NF005, API reference NetworkPolicySpec.policyTypes: an ingress default deny is
    no egress default deny."""
    objects = [deployment("shop", "web"), policy("shop", "deny-in", types=["Ingress"])]
    assert "Namespace/shop" not in keys(audit(objects, "NF004"))
    assert keys(audit(objects, "NF005")) == ["Namespace/shop"]
