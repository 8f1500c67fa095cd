"""Facts the input lacks that verdicts depend on: pod addresses and named ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Final

from netfence.analyses.audit import evidence as ev
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.fronting import Fronting, target_ports
from netfence.analyses.audit.predicates import rule_resource, rule_text
from netfence.analyses.audit.registry import check
from netfence.engine.missing_facts import (
    PodAddressDependency,
    address_dependencies,
    pod_address_space,
    pods_without_addresses,
)
from netfence.model.findings import CheckInfo, Finding, ResourceRef, Severity
from netfence.sets.ipranges import IPRangeSet

_ADDRESS_ADVICE: Final = (
    "Scan the live cluster (or manifests with pod status) for the verdicts through those "
    "rules, or select pods by labels rather than by addresses."
)
_NAMED_PORT_ADVICE: Final = (
    "Declare the named container port the Service forwards to on its pods, or give the "
    "targetPort as a number."
)


@check(
    "NF030",
    "Verdicts depend on facts the input lacks",
    Severity.INFO,
    description=(
        "Some verdicts rest on facts the input does not give, so they may differ from the "
        "running cluster's: pods without addresses (manifests from git carry no pod IPs) "
        "while an address peer (ipBlock, Calico nets, networks) reaches into the pod address "
        "space (the nodes' pod CIDRs, else the private ranges), or a LoadBalancer or NodePort "
        "Service whose named targetPort none of its pods declares. The finding lists the "
        "rules or Service ports concerned."
    ),
    remediation=_ADDRESS_ADVICE,
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
)
def missing_facts(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Policies with address peers over unaddressed pods; Services with unresolved ports."""
    yield from _pod_addresses(ctx, info)
    yield from _service_named_ports(ctx, info)


def _pod_addresses(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    unaddressed = pods_without_addresses(ctx.cluster)
    if not unaddressed:
        return
    space = pod_address_space(ctx.cluster)
    by_policy: dict[str, list[PodAddressDependency]] = {}
    for dependency in address_dependencies(ctx.classes, ctx.compiled, space):
        by_policy.setdefault(dependency.rule.origin.policy, []).append(dependency)
    for policy, found in sorted(by_policy.items()):
        rules = tuple(dict.fromkeys(rule_text(d.rule.origin) for d in found))
        ranges = IPRangeSet.union_of(d.overlap for d in found)
        shown = ", ".join(rules[:3]) + (f" and {len(rules) - 3} more" if len(rules) > 3 else "")
        yield finding(
            info,
            f"{shown} match{'es' if len(rules) == 1 else ''} addresses in {ranges.describe()}, "
            f"which may hold pod addresses ({space.source}); {len(unaddressed)} pod(s) have no "
            "address in the input, so verdicts through these rules count them by their labels "
            "only.",
            (rule_resource(found[0].rule.origin, found[0].rule.origin.location),),
            ev.MissingFact(
                "pod addresses", policy, rules, ranges.describe(), space.source, len(unaddressed)
            ),
            detail_key="pod addresses",
        )


def _service_named_ports(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    fronting = ctx.memo("fronting", lambda: Fronting(ctx.cluster))
    for service in ctx.cluster.services:
        if not service.type.reaches_outside:
            continue
        pods = fronting.pods_of(service)
        if not pods:
            continue
        _, unresolved = target_ports(service, pods)
        if not unresolved:
            continue
        yield finding(
            replace(info, remediation=_NAMED_PORT_ADVICE),
            f"{service.key} forwards to named targetPort(s) {', '.join(unresolved)}, which none "
            f"of its {len(pods)} pod(s) declares: which ports it opens to outside clients is "
            "unknown, so NF008 cannot count them as expected exposure.",
            (ResourceRef("Service", service.namespace, service.name, service.location),),
            ev.MissingFact("named ports", service.key, tuple(unresolved), pods=len(pods)),
            detail_key="named ports",
        )
