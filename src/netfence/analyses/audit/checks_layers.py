"""Checks over the policy layers: guardrails, shadowed rules, Pass and Log, priorities, and
what the layered model leaves out.

They read the compiled tiers (Admin, Calico tiers, NetworkPolicy, Baseline), so they hold
for any mix of Kubernetes NetworkPolicy, Calico and the AdminNetworkPolicy family.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from netfence.analyses.audit import evidence as ev
from netfence.analyses.audit.context import AuditContext, resource_of
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.predicates import policy_resource, rule_resource
from netfence.analyses.audit.registry import check
from netfence.model.adminpolicy import AdminNetworkPolicy, AdminPeerKind, AdminTier
from netfence.model.calico import CalicoRule
from netfence.model.calico_selector import All
from netfence.model.findings import CheckInfo, Finding, ResourceRef, Severity
from netfence.model.layers import Action, RuleId
from netfence.model.networkpolicy import Direction
from netfence.policy.admin import AdminCompiler
from netfence.policy.calico import BUILTIN_TIERS
from netfence.policy.registry import dropped_uses
from netfence.policy.rules import CompiledTier, Placement
from netfence.policy.space import BoolArray
from netfence.sets.ipranges import IPRangeSet

_GUIDANCE = (
    "NSA/CISA Kubernetes Hardening Guide: default deny",
    "CIS 5.3.2",
    "NIST SP 800-190 4.3.3",
)


def _all_namespaces(policy: AdminNetworkPolicy) -> bool:
    subject = policy.subject
    return subject.namespace_selector.selects_all and (
        subject.pod_selector is None or subject.pod_selector.selects_all
    )


def _denies_everything(policy: AdminNetworkPolicy, direction: Direction) -> bool:
    rules = policy.ingress if direction is Direction.INGRESS else policy.egress
    for rule in rules:
        if rule.action is not Action.DENY or rule.ports is not None:
            continue
        pods = any(
            p.kind in (AdminPeerKind.NAMESPACES, AdminPeerKind.PODS)
            and p.namespace_selector is not None
            and p.namespace_selector.selects_all
            and (p.pod_selector is None or p.pod_selector.selects_all)
            for p in rule.peers
        )
        nets = IPRangeSet.union_of(p.addresses for p in rule.peers)
        if pods and (direction is Direction.INGRESS or IPRangeSet.everything().issubset(nets)):
            return True
    return False


@check(
    "NF023",
    "No cluster-wide default deny",
    Severity.MEDIUM,
    description=(
        "No cluster-scoped policy denies by default for every namespace, present and future: "
        "no BaselineAdminNetworkPolicy or Baseline ClusterNetworkPolicy denying all traffic for "
        "all namespaces, and no Calico GlobalNetworkPolicy selecting all() in a tier that "
        "denies by default. A namespace created tomorrow starts wide open. The finding names "
        "the cluster-scoped policies of the direction there are, where the default deny would "
        "go."
    ),
    remediation=(
        "Add a cluster guardrail: a BaselineAdminNetworkPolicy (or Baseline "
        "ClusterNetworkPolicy) that denies all ingress and egress, which namespaces override "
        "with NetworkPolicies; or a Calico GlobalNetworkPolicy default deny."
    ),
    controls=_GUIDANCE,
)
def no_global_default_deny(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """One finding per direction without a cluster-wide default deny."""
    for direction in (Direction.INGRESS, Direction.EGRESS):
        if not cluster_default_deny(ctx, direction):
            yield finding(
                info,
                f"No cluster-wide default deny for {direction.value.lower()}: new namespaces "
                f"start open.",
                (ResourceRef("Cluster", None, "cluster"), *_guardrails(ctx, direction)),
                ev.NoClusterDefaultDeny(direction.value),
                detail_key=direction.value,
            )


def _guardrails(ctx: AuditContext, direction: Direction) -> list[ResourceRef]:
    """The cluster-scoped policies of ``direction`` there are (admin policies, Calico
    GlobalNetworkPolicies): where a cluster-wide default deny would go, so the finding points
    at them rather than at no file at all."""
    cluster = ctx.cluster
    found = [
        policy_resource(p.kind, None, p.name, p.location)
        for p in cluster.admin_policies
        if (p.ingress if direction is Direction.INGRESS else p.egress)
    ]
    found.extend(
        policy_resource("GlobalNetworkPolicy", None, p.name, p.location)
        for p in cluster.calico_policies
        if p.namespace is None and direction in p.types
    )
    return found


def cluster_default_deny(ctx: AuditContext, direction: Direction) -> bool:
    """Whether a cluster-scoped policy denies by default in ``direction`` for every namespace,
    present and future."""
    cluster = ctx.cluster
    if any(_all_namespaces(p) and _denies_everything(p, direction) for p in cluster.admin_policies):
        return True
    tiers = {t.name: t for t in cluster.calico_tiers}
    for policy in cluster.calico_policies:
        tier = tiers.get(policy.tier)
        denies = tier.default_action is Action.DENY if tier else policy.tier not in BUILTIN_TIERS
        if (
            policy.namespace is None
            and isinstance(policy.selector, All)
            and (policy.namespace_selector is None or isinstance(policy.namespace_selector, All))
            and direction in policy.types
            and denies
            and not any(catch_all(r) for r in policy.rules(direction))
        ):
            return True
    return False


def catch_all(rule: CalicoRule) -> bool:
    """A Calico Allow or Pass rule with no criteria: it lets everything through the tier."""
    return (
        rule.action in (Action.ALLOW, Action.PASS)
        and rule.protocol is None
        and rule.not_protocol is None
        and not rule.source.constrains_peer
        and not rule.destination.constrains_peer
        and rule.destination.ports is None
        and rule.destination.not_ports is None
    )


def _effective(ctx: AuditContext) -> set[RuleId]:
    """Rules that take effect: noted by the same walk that computes the matrix."""
    _ = ctx.matrix
    return ctx.effective_rules


@check(
    "NF024",
    "Rule never takes effect",
    Severity.MEDIUM,
    description=(
        "The rule matches traffic, but an earlier rule of its tier or an earlier tier "
        "(an AdminNetworkPolicy, a Calico tier or policy of lower order) has always decided "
        "that traffic already: a Deny shadows it, or a guardrail overrides a NetworkPolicy "
        "that tries to widen access in vain. Consecutive Allow rules commute and are judged "
        "together; an Allow covered by another Allow is redundancy (NF021)."
    ),
    remediation=(
        "Remove the rule, or change the order, priority or tier so it is reached; if an admin "
        "guardrail denies the traffic on purpose, the rule documents a wish that will not be "
        "granted."
    ),
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"nca": ("sanity: redundancy",)},
)
def shadowed_rules(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Rules that match something yet decide nothing, because earlier ones decided it."""
    if not (ctx.cluster.calico_policies or ctx.cluster.admin_policies):
        return  # one union tier: redundancy (NF021) covers it
    effective = _effective(ctx)
    count = ctx.classes.count
    for tier in ctx.compiled.tiers:
        for rule in tier.ingress + tier.egress:
            if rule.rule_id in effective or rule.action is Action.LOG:
                continue
            if not rule.subjects.any() or not rule.endpoints.any():
                continue  # matches nothing: other checks report it
            targets = np.flatnonzero(
                rule.subjects if rule.direction is Direction.INGRESS else rule.endpoints
            )
            if (
                not ctx.compiled.masks.target_masks(rule, targets[:count]).any()
                and not rule.static.any()
            ):
                continue  # its ports match nothing (a named port that resolves nowhere)
            path = rule.origin.rule_path
            yield finding(
                info,
                f"{rule.origin.policy} {path} ({rule.action.value}) never takes effect: earlier "
                f"rules or tiers always decide the traffic it matches first (tier {tier.name}).",
                (rule_resource(rule.origin),),
                ev.ShadowedRule(rule.origin.policy, path, tier.name, rule.action.value),
                detail_key=path,
            )


def _governs(tier: CompiledTier, direction: Direction, count: int) -> BoolArray:
    """Classes a tier decides something for in ``direction``: those its end denies, and the
    subjects of its rules that are not Log."""
    out = np.zeros(count, dtype=np.bool_)
    selected = tier.selected(direction)
    if tier.end_deny and selected is not None:
        out |= selected
    for other in tier.rules(direction):
        if other.action is not Action.LOG and (subjects := other.subjects) is not None:
            out |= subjects
    return out


def governed_after(ctx: AuditContext, direction: Direction) -> list[BoolArray]:
    """Per tier index, the classes some later tier governs in ``direction``: computed once
    per audit, from the last tier back (a cluster has thousands of rules per tier, and the
    masks are stored packed)."""

    def compute() -> list[BoolArray]:
        tiers = ctx.compiled.tiers
        count = ctx.classes.count
        after = [np.zeros(count, dtype=np.bool_) for _ in tiers]
        for t in range(len(tiers) - 2, -1, -1):
            after[t] = after[t + 1] | _governs(tiers[t + 1], direction, count)
        return after

    return ctx.memo(f"governed-after-{direction.value}", compute)


@check(
    "NF025",
    "Pass leaves the decision to the default allow",
    Severity.MEDIUM,
    description=(
        "A Pass rule hands traffic to the next tiers, but for some of its subjects no later "
        "tier selects them, so the passed traffic is simply allowed. A Pass meant as 'let the "
        "namespace decide' becomes an Allow where the namespace has no policy."
    ),
    remediation=(
        "Make sure a later tier (NetworkPolicy, a Calico tier, a Baseline policy) decides the "
        "passed traffic for every subject, or use Allow or Deny explicitly."
    ),
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
)
def pass_to_default(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Pass rules whose subjects no later tier governs."""
    tiers = ctx.compiled.tiers
    for t, tier in enumerate(tiers):
        for rule in tier.ingress + tier.egress:
            if rule.action is not Action.PASS or rule.subjects is None or not rule.endpoints.any():
                continue
            later = governed_after(ctx, rule.direction)[t]
            open_subjects = rule.subjects & ~later
            if not open_subjects.any():
                continue
            names = sorted(
                {
                    ctx.cluster.pods[m].endpoint_name
                    for c in np.flatnonzero(open_subjects)
                    for m in ctx.classes.members[c]
                }
            )
            path = rule.origin.rule_path
            yield finding(
                info,
                f"{rule.origin.policy} {path} passes traffic of {len(names)} workload(s) that no "
                f"later tier governs: it is allowed by default.",
                (rule_resource(rule.origin),),
                ev.PassToDefault(rule.origin.policy, path, tuple(names[:20])),
                detail_key=path,
            )


@check(
    "NF026",
    "Calico rule only logs",
    Severity.INFO,
    description=(
        "A Calico Log rule records matching packets and goes on to the next rule: it decides "
        "nothing. A policy of Log rules only changes no connectivity."
    ),
    remediation="Keep Log rules for auditing on purpose; pair them with an Allow or Deny.",
    controls=("OWASP Kubernetes Security Cheat Sheet: Monitor network traffic",),
)
def log_only(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Calico policies whose rules are all Log."""
    for policy in ctx.cluster.calico_policies:
        rules = policy.ingress + policy.egress
        if rules and all(r.action is Action.LOG for r in rules):
            yield finding(
                info,
                f"{policy.kind} {policy.key} only logs: it allows or denies nothing itself.",
                (resource_of(policy.kind, policy.namespace, policy.name, policy.location),),
                ev.LogOnly(policy.key, len(rules)),
            )


@check(
    "NF027",
    "Admin policies share a priority over the same pods",
    Severity.MEDIUM,
    description=(
        "Two AdminNetworkPolicies (or ClusterNetworkPolicies of one tier) have the same "
        "priority and select some of the same pods: which one wins is undefined by the API, "
        "and implementations may differ. Likewise two Calico policies of one tier with the "
        "same order and the same name (a NetworkPolicy and a GlobalNetworkPolicy, or "
        "NetworkPolicies of two namespaces): Calico orders equal orders by name, so nothing "
        "the policies say decides between them. netfence breaks such ties by kind, then "
        "namespace, never by input order."
    ),
    remediation="Give every policy of a tier a distinct priority (Calico: a distinct order or name).",
    controls=("Kubernetes network-policy-api: AdminNetworkPolicy priority",),
)
def conflicting_priorities(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Pairs of admin-tier policies with equal priority and overlapping subjects."""
    compiler = AdminCompiler(ctx.classes, ctx.compiled.masks)
    policies = [p for p in ctx.cluster.admin_policies if p.kind != "BaselineAdminNetworkPolicy"]
    subjects = [compiler.subjects(p) for p in policies]
    for i, first in enumerate(policies):
        for j in range(i + 1, len(policies)):
            second = policies[j]
            if first.tier is not second.tier or first.priority != second.priority:
                continue
            if first.tier is AdminTier.BASELINE and first.kind != "ClusterNetworkPolicy":
                continue
            if not (subjects[i] & subjects[j]).any():
                continue
            yield finding(
                info,
                f"{first.key} and {second.key} both have priority {first.priority} in tier "
                f"{first.tier.value} and select some of the same pods.",
                (
                    resource_of(first.kind, None, first.name, first.location),
                    resource_of(second.kind, None, second.name, second.location),
                ),
                ev.SharedPriority(first.priority, first.tier.value),
            )
    yield from _calico_ties(ctx, info)


def _calico_ties(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Calico policies of one tier whose order and name are both equal, over shared pods."""
    for tier in ctx.compiled.tiers:
        calico = [p for p in tier.policies if p.placement is Placement.CALICO]
        for i, first in enumerate(calico):
            for second in calico[i + 1 :]:
                if (first.order, first.tie_break) != (second.order, second.tie_break):
                    continue
                one, other = first.selection(), second.selection()
                if one is None or other is None or not (one & other).any():
                    continue
                source = ctx.cluster.calico_policies
                a, b = source[first.policy_index], source[second.policy_index]
                order = "no order" if a.order is None else f"order {a.order:g}"
                yield finding(
                    info,
                    f"{first.policy} and {second.policy} have the same name and {order} in "
                    f"tier {tier.name} and select some of the same pods; netfence evaluates "
                    f"{first.policy} first (ties are broken by kind, then namespace).",
                    (
                        policy_resource(first.kind, a.namespace, a.name, a.location),
                        policy_resource(second.kind, b.namespace, b.name, b.location),
                    ),
                    ev.SharedPriority(a.order, tier.name),
                )


@check(
    "NF028",
    "Host endpoint policy is not evaluated",
    Severity.INFO,
    description=(
        "Calico policies with preDNAT, doNotTrack or applyOnForward, and HostEndpoint and "
        "Profile objects, govern traffic through the nodes' own interfaces. netfence computes "
        "pod and external reachability and does not model host endpoints, so traffic that "
        "enters through a node (NodePort, host networking) may be further restricted, or "
        "opened, by these objects."
    ),
    remediation=(
        "Review host endpoint policy separately; keep pod isolation in policies that select "
        "workload endpoints, which netfence evaluates."
    ),
    controls=("NSA/CISA Kubernetes Hardening Guide: Worker node segmentation",),
)
def host_endpoint_policies(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Report what netfence reads but cannot evaluate, so no verdict passes silently."""
    for policy in ctx.cluster.calico_policies:
        flags = [
            name
            for name, on in (
                ("preDNAT", policy.pre_dnat),
                ("doNotTrack", policy.do_not_track),
                ("applyOnForward", policy.apply_on_forward),
            )
            if on
        ]
        if flags:
            yield finding(
                info,
                f"{policy.kind} {policy.key} sets {', '.join(flags)}: its effect on traffic "
                f"through host endpoints is not evaluated.",
                (resource_of(policy.kind, policy.namespace, policy.name, policy.location),),
                ev.HostEndpointPolicy(policy.key, tuple(flags)),
            )
    host_objects = {
        kind: count
        for kind, count in ctx.cluster.skipped.items()
        if kind.split(" ")[0] in ("HostEndpoint", "Profile") and "projectcalico.org" in kind
    }
    if host_objects:
        yield finding(
            info,
            "Calico HostEndpoint or Profile objects are in the input; they are not evaluated.",
            (ResourceRef("Cluster", None, "cluster"),),
            ev.HostEndpointObjects(host_objects),
        )


UNDER_STATING = frozenset({"services", "domainNames", "source.ports"})
"""Dropped features that make an Allow rule match less here than on the cluster."""


@check(
    "NF029",
    "Rule uses a feature netfence does not model",
    Severity.INFO,
    description=(
        "A rule uses a feature the layered model drops: Calico HTTP match criteria (application "
        "layer policy), Calico Service matches, Calico source ports, or AdminNetworkPolicy "
        "domainNames peers. The verdicts netfence computes for this rule may differ from the "
        "cluster's in the way the finding states; read every finding that involves the rule "
        "with that in mind. Medium where an Allow rule matches less here than on the cluster "
        "(Service matches, domainNames, source ports), so that netfence may miss reachability; "
        "info where the map can only show more than the cluster allows."
    ),
    remediation=(
        "Check the rule's effect by hand (or on the cluster), or express it with what netfence "
        "models: selectors and nets instead of Services, nets instead of domain names, "
        "destination ports, layer-4 rules beside the HTTP ones."
    ),
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
)
def dropped_features(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """One finding per use of a feature some language's model drops."""
    for use in dropped_uses(ctx.cluster):
        key = (
            f"{use.kind}/{use.namespace}/{use.name}" if use.namespace else f"{use.kind}/{use.name}"
        )
        feature = use.capability.feature
        action = f" ({use.action.value})" if use.action is not None else ""
        misses = use.action is Action.ALLOW and feature in UNDER_STATING
        yield finding(
            info,
            f"{key} {use.path}{action} uses {feature}, which netfence does not model: "
            f"{use.capability.effect}.",
            (policy_resource(use.kind, use.namespace, use.name, use.location),),
            ev.DroppedFeature(key, feature, use.path, use.capability.effect),
            severity=Severity.MEDIUM if misses else None,
            detail_key=use.path,
        )
