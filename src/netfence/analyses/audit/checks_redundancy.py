"""Redundancy checks: rules and policies that allow nothing others do not already allow."""

from __future__ import annotations

from collections.abc import Iterator

from netfence.analyses.audit import evidence as ev
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.predicates import rule_resource, unresolved_named_ports
from netfence.analyses.audit.redundancy import Redundancy, find_redundancy, find_redundant_allows
from netfence.analyses.audit.registry import check
from netfence.model.findings import CheckInfo, Finding, Severity
from netfence.model.networkpolicy import Direction
from netfence.policy.rules import CompiledRule


def _redundancy(ctx: AuditContext) -> Redundancy:
    """NF021 and NF022 share one computation, kept with the audit's context."""
    return ctx.memo("redundancy", lambda: find_redundancy(ctx.compiled, len(ctx.cluster.policies)))


@check(
    "NF021",
    "Rule is redundant",
    Severity.LOW,
    description=(
        "Every connection the rule allows is also allowed by other rules: for a "
        "NetworkPolicy, rules of policies selecting the same pods; for a Calico or admin "
        "Allow rule, the other Allow rules of its tier with no Deny or Pass between them "
        "(which commute with it). Removing it changes nothing. Redundant rules hide what a "
        "policy set really allows and drift when the others change."
    ),
    remediation="Remove the rule, or merge it with the rules that cover it.",
    controls=(
        "OWASP Kubernetes Security Cheat Sheet: Monitor network traffic (unused allowances)",
    ),
    peers={"nca": ("sanity: redundancy",), "kube-netpol": ("KNP-023",)},
)
def redundant_rules(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Rules contained in the union of others; a rule naming a port that resolves nowhere is
    reported for that (NF019), not as redundant: once the name is fixed it allows something."""
    policies = ctx.cluster.policies
    for rule in _redundancy(ctx).rules:
        if unresolved_named_ports(ctx, rule):
            continue
        policy = policies[rule.policy_index]
        path = f"spec.{rule.direction.value.lower()}[{rule.rule_index}]"
        location = policy.rules(rule.direction)[rule.rule_index].location
        yield finding(
            info,
            f"{policy.key} {path} allows nothing that other rules do not already allow.",
            (ctx.policy_resource(policy, location),),
            ev.RedundantRule(rule.origin.policy, path, rule.direction.value),
            detail_key=path,
        )
    for rule in find_redundant_allows(ctx.compiled):
        if unresolved_named_ports(ctx, rule):
            continue
        origin = rule.origin
        yield finding(
            info,
            f"{origin.policy} {origin.rule_path} allows nothing that the Allow rules next to it "
            f"in tier {_tier_of(ctx, rule)} (with no Deny or Pass between) do not already allow.",
            (rule_resource(origin),),
            ev.RedundantRule(origin.policy, origin.rule_path, origin.direction.value),
            detail_key=origin.rule_path,
        )


def _tier_of(ctx: AuditContext, rule: CompiledRule) -> str:
    return next(
        t.name for t in ctx.compiled.tiers if any(r is rule for r in t.rules(rule.direction))
    )


@check(
    "NF022",
    "Policy is redundant",
    Severity.LOW,
    description=(
        "Other policies already isolate every pod this policy selects and allow everything it "
        "allows; removing it changes nothing."
    ),
    remediation="Remove the policy, or merge it into the policies that cover it.",
    controls=(
        "OWASP Kubernetes Security Cheat Sheet: Monitor network traffic (unused allowances)",
    ),
    peers={"nca": ("sanity: redundancy",), "kube-netpol": ("KNP-023",)},
)
def redundant_policies(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Policies fully covered by others, but for one with a rule whose named port resolves
    nowhere (NF019 reports it: the fix is the name, not removing the policy)."""
    for p in _redundancy(ctx).policies:
        if any(unresolved_named_ports(ctx, r) for r in _rules_of(ctx, p)):
            continue
        policy = ctx.cluster.policies[p]
        yield finding(
            info,
            f"{policy.key} is covered by other policies: removing it changes no connection.",
            (ctx.policy_resource(policy),),
            ev.RedundantPolicy(f"NetworkPolicy/{policy.key}"),
        )


def _rules_of(ctx: AuditContext, p: int) -> list[CompiledRule]:
    """The compiled rules of NetworkPolicy ``p``, both directions."""
    compiled = ctx.compiled.kubernetes[p]
    return [*compiled.rules(Direction.INGRESS), *compiled.rules(Direction.EGRESS)]
