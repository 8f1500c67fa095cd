"""Redundancy checks: rules and policies that allow nothing others do not already allow."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from netfence.analyses.audit import evidence as ev
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.redundancy import Redundancy, find_redundancy
from netfence.analyses.audit.registry import check
from netfence.model.findings import CheckInfo, Finding, Severity


@functools.lru_cache(maxsize=4)
def _redundancy(ctx: AuditContext) -> Redundancy:
    return find_redundancy(ctx.compiled, len(ctx.cluster.policies))


@check(
    "NF021",
    "Rule is redundant",
    Severity.LOW,
    description=(
        "Every connection the rule allows is also allowed by other rules of policies selecting "
        "the same pods; removing it changes nothing. Redundant rules hide what a policy set "
        "really allows and drift when the others change."
    ),
    remediation="Remove the rule, or merge it with the rules that cover it.",
    controls=(
        "OWASP Kubernetes Security Cheat Sheet: Monitor network traffic (unused allowances)",
    ),
    peers={"nca": ("sanity: redundancy",), "kube-netpol": ("KNP-023",)},
)
def redundant_rules(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Rules contained in the union of others."""
    policies = ctx.cluster.policies
    for rule in _redundancy(ctx).rules:
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
    """Policies fully covered by others."""
    for p in _redundancy(ctx).policies:
        policy = ctx.cluster.policies[p]
        yield finding(
            info,
            f"{policy.key} is covered by other policies: removing it changes no connection.",
            (ctx.policy_resource(policy),),
            ev.RedundantPolicy(f"NetworkPolicy/{policy.key}"),
        )
