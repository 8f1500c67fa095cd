"""Isolation checks: namespaces without policies or default deny, workloads left open."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from netfence.analyses.audit import evidence as ev
from netfence.analyses.audit.checks_layers import catch_all, cluster_default_deny
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.registry import check
from netfence.model.calico_selector import All, Selector
from netfence.model.findings import Cause, CheckInfo, Finding, Severity
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.policy.calico import BUILTIN_TIERS, CALICO_NAMESPACE_NAME_LABEL

_SEGMENTATION = (
    "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening",
    "OWASP Kubernetes Security Cheat Sheet: Use Kubernetes network policies",
    "NIST SP 800-190 4.3.3",
)


def _calico_namespace_labels(ctx: AuditContext, name: str) -> dict[str, str]:
    return {**ctx.cluster.namespaces[name].labels, CALICO_NAMESPACE_NAME_LABEL: name}


def namespaces_with_policy(ctx: AuditContext) -> set[str]:
    """Namespaces some policy of any family applies to: a NetworkPolicy (Kubernetes or
    Calico) in it, or a cluster-scoped policy (GlobalNetworkPolicy, AdminNetworkPolicy
    family) whose namespace scope covers it."""
    cluster = ctx.cluster
    found = {p.namespace for p in cluster.policies}
    # Cluster-scoped policies share few distinct scopes: each is matched once.
    calico_scopes: dict[Selector | None, None] = {}
    for policy in cluster.calico_policies:
        if policy.namespace is not None:
            found.add(policy.namespace)
        else:
            calico_scopes[policy.namespace_selector] = None
    for scope in calico_scopes:
        found.update(
            n
            for n in cluster.namespaces
            if scope is None or scope.matches(_calico_namespace_labels(ctx, n))
        )
    admin_scopes = dict.fromkeys(a.subject.namespace_selector for a in cluster.admin_policies)
    for selector in admin_scopes:
        found.update(n for n, ns in cluster.namespaces.items() if selector.matches(ns.labels))
    return found


def namespaces_with_default_deny(ctx: AuditContext, direction: Direction) -> set[str]:
    """Namespaces where every pod, present and future, is denied by default in a direction:
    a Kubernetes or Calico policy selecting every pod of the namespace (Calico: in a tier
    that denies by default), or a cluster-wide default deny (NF023's guardrails)."""
    cluster = ctx.cluster
    if cluster_default_deny(ctx, direction):
        return set(cluster.namespaces)
    tiers = {t.name: t for t in cluster.calico_tiers}
    found = {
        p.namespace
        for p in cluster.policies
        if direction in p.policy_types and p.pod_selector.selects_all
    }
    for policy in cluster.calico_policies:
        tier = tiers.get(policy.tier)
        denies = tier.default_action is Action.DENY if tier else policy.tier not in BUILTIN_TIERS
        if (
            policy.namespace is not None
            and direction in policy.types
            and isinstance(policy.selector, All)
            and denies
            and not any(catch_all(r) for r in policy.rules(direction))
        ):
            found.add(policy.namespace)
    return found


def _namespaces_in_use(ctx: AuditContext) -> list[str]:
    used = {p.namespace for p in ctx.cluster.pods}
    return [n for n, ns in ctx.cluster.namespaces.items() if ns.location is not None or n in used]


@check(
    "NF001",
    "Namespace has no NetworkPolicy",
    Severity.MEDIUM,
    description=(
        "No NetworkPolicy exists in the namespace, so nothing restricts traffic to or from its "
        "pods: every pod in the cluster and every address may reach them, and they may reach "
        "everything."
    ),
    remediation=(
        "Add a default-deny policy for the namespace (podSelector: {} with both policy types), "
        "then policies that allow only the flows its workloads need."
    ),
    controls=("CIS 5.3.2", *_SEGMENTATION),
    peers={
        "kubescape": ("C-0054", "C-0206", "C-0049"),
        "kube-bench": ("5.3.2",),
    },
)
def namespace_without_policy(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Every namespace in use holds at least one NetworkPolicy (CIS 5.3.2)."""
    with_policy = namespaces_with_policy(ctx)
    # Counted once: a count per namespace by a scan of every pod was quadratic.
    pods_in = Counter(p.namespace for p in ctx.cluster.pods)
    for name in _namespaces_in_use(ctx):
        if name in with_policy:
            continue
        pods = pods_in[name]
        yield finding(
            info,
            f"Namespace {name} has no NetworkPolicy; its {pods} pod endpoint(s) are unrestricted.",
            (ctx.namespace_resource(ctx.cluster.namespaces[name]),),
            ev.NamespaceWithoutPolicy(name, pods),
        )


def _not_isolated(ctx: AuditContext, info: CheckInfo, direction: Direction) -> Iterator[Finding]:
    isolated = ctx.governed_in if direction is Direction.INGRESS else ctx.governed_out
    for view in ctx.workloads:
        open_classes = [c for c in view.classes if not isolated[c]]
        if not open_classes:
            continue
        some = " (for some of its pods)" if len(open_classes) < len(view.classes) else ""
        verb = (
            "accepts traffic from any source"
            if direction is Direction.INGRESS
            else "may send traffic to any destination"
        )
        yield finding(
            info,
            f"{view.kind} {view.name} is selected by no policy of type {direction.value}"
            f"{some}: it {verb} on any port.",
            (view.resource,),
            ev.NotIsolated(
                direction.value,
                sum(1 for i in view.pods if not isolated[int(ctx.class_of_pod[i])]),
            ),
            # What to change is the namespace: a default deny there isolates them all.
            cause=Cause(ctx.namespace_resource(ctx.cluster.namespaces[view.namespace])),
        )


@check(
    "NF002",
    "Workload is not isolated for ingress",
    Severity.MEDIUM,
    description=(
        "No NetworkPolicy with the Ingress type selects the workload's pods, so any pod of the "
        "cluster and any address may connect to them on any port."
    ),
    remediation=(
        "Select the workload with a policy of type Ingress (a namespace default-deny does it) "
        "and allow only the sources and ports it serves."
    ),
    controls=("CIS 5.3.2", *_SEGMENTATION),
    peers={
        "kubescape": ("C-0260", "C-0030"),
        "checkov": ("CKV2_K8S_6",),
        "polaris": ("missingNetworkPolicy",),
        "kube-score": ("pod-networkpolicy",),
    },
    group_message=(
        "{count} are selected by no policy of type Ingress; a default deny in {cause} would "
        "isolate them: {names}."
    ),
)
def workload_open_ingress(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads whose pods no Ingress policy selects."""
    yield from _not_isolated(ctx, info, Direction.INGRESS)


@check(
    "NF003",
    "Workload is not isolated for egress",
    Severity.MEDIUM,
    description=(
        "No NetworkPolicy with the Egress type selects the workload's pods, so they may connect "
        "to any pod, any address on the Internet, the cloud metadata service and the API server."
    ),
    remediation=(
        "Select the workload with a policy of type Egress and allow only the destinations it "
        "needs (cluster DNS included)."
    ),
    controls=("NIST SP 800-190 4.4.2", *_SEGMENTATION),
    peers={
        "kubescape": ("C-0030",),
        "polaris": ("missingNetworkPolicy",),
        "kube-score": ("pod-networkpolicy",),
    },
    group_message=(
        "{count} are selected by no policy of type Egress; a default deny in {cause} would "
        "isolate them: {names}."
    ),
)
def workload_open_egress(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads whose pods no Egress policy selects."""
    yield from _not_isolated(ctx, info, Direction.EGRESS)


def _default_deny(ctx: AuditContext, info: CheckInfo, direction: Direction) -> Iterator[Finding]:
    # A namespace has a default deny when some policy of that type selects every pod of it,
    # present and future: only the empty selector does (semantics, not the policy's name).
    covered = namespaces_with_default_deny(ctx, direction)
    for name in _namespaces_in_use(ctx):
        if name in covered:
            continue
        yield finding(
            info,
            f"Namespace {name} has no default-deny {direction.value.lower()} policy: pods added "
            f"to it later, or not selected by an existing policy, are open for "
            f"{direction.value.lower()}.",
            (ctx.namespace_resource(ctx.cluster.namespaces[name]),),
            ev.NoDefaultDeny(name, direction.value),
        )


@check(
    "NF004",
    "Namespace has no default-deny ingress",
    Severity.LOW,
    description=(
        "No policy of type Ingress with an empty podSelector exists in the namespace, so any "
        "pod not selected by another ingress policy, including pods created later, accepts "
        "traffic from everywhere."
    ),
    remediation="Add a policy with podSelector: {} and policyTypes: [Ingress] to the namespace.",
    controls=("NSA/CISA Kubernetes Hardening Guide: default deny", *_SEGMENTATION[1:]),
    peers={"kube-netpol": ("KNP-025",)},
)
def no_default_deny_ingress(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Namespaces without an ingress default deny."""
    yield from _default_deny(ctx, info, Direction.INGRESS)


@check(
    "NF005",
    "Namespace has no default-deny egress",
    Severity.LOW,
    description=(
        "No policy of type Egress with an empty podSelector exists in the namespace, so any pod "
        "not selected by another egress policy, including pods created later, may connect "
        "anywhere."
    ),
    remediation=(
        "Add a policy with podSelector: {} and policyTypes: [Egress] to the namespace, with an "
        "allowance for the cluster DNS."
    ),
    controls=("NSA/CISA Kubernetes Hardening Guide: default deny", "NIST SP 800-190 4.4.2"),
    peers={"kube-netpol": ("KNP-026",)},
)
def no_default_deny_egress(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Namespaces without an egress default deny."""
    yield from _default_deny(ctx, info, Direction.EGRESS)
