"""One finding per cause: per-workload findings of one check that one rule causes, merged.

Checks state facts per workload ("Deployment a accepts traffic from the Internet, allowed by
rule R"); a single ``ingress: [{}]`` then yields one finding per workload it exposes. What a
reader must change is the rule, once. This pass runs over the checks' findings and merges those
of one check with the same cause (policy and rule path) into one finding on the rule that lists
the affected workloads, so the checks keep emitting plain facts and every renderer sees causes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Final

from netfence.model.findings import Cause, Finding, ResourceRef

MAX_NAMES: Final = 5
"""A grouped finding names at most this many affected workloads (its sample), then a count:
in its message and in every report meant to be read (text, Markdown, SARIF)."""

MAX_NAMESPACES: Final = 3
"""A grouped message breaks its count down by namespace up to this many namespaces; past
them it says how many namespaces the workloads span."""


def _groupable(finding: Finding) -> bool:
    """A per-workload fact with a cause that is another object (not a finding on the rule)."""
    cause, primary = finding.cause, finding.primary
    return cause is not None and primary is not None and primary.key != cause.resource.key


def group_findings(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` with each check's per-workload findings of one cause merged into one.

    Findings without a cause, or whose primary resource is the cause itself, pass unchanged.
    """
    out: list[Finding] = []
    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    for finding in findings:
        if not _groupable(finding):
            out.append(finding)
            continue
        assert finding.cause is not None
        # The remediation is part of the key: a check may fit its advice to a workload's
        # context (fronted by a Service, on the host network), and merged findings share one.
        key = (
            finding.check.check_id,
            finding.cause.key,
            finding.detail_key,
            finding.check.remediation,
        )
        groups.setdefault(key, []).append(finding)
    out.extend(_merge(members) for members in groups.values())
    return out


def _merge(members: list[Finding]) -> Finding:
    """One finding on the cause, listing every member's primary resource as affected."""
    first = members[0]
    cause = first.cause
    assert cause is not None
    affected = _unique(m.primary for m in members if m.primary is not None)
    severity = max((m.effective_severity for m in members), key=lambda s: s.rank)
    message = first.message if len(members) == 1 else _message(first, cause, affected)
    fixes = list(dict.fromkeys(m.fix for m in members if m.fix))
    return replace(
        first,
        message=message,
        resources=(cause.resource,),
        affected=affected,
        evidence=_common_evidence([m.evidence for m in members]),
        severity=None if severity == first.check.severity else severity,
        fix="---\n".join(fixes) if fixes else None,
    )


def _unique(refs: Iterable[ResourceRef]) -> tuple[ResourceRef, ...]:
    by_key: dict[str, ResourceRef] = {}
    for ref in refs:
        by_key.setdefault(ref.key, ref)
    return tuple(by_key[k] for k in sorted(by_key))


def _message(first: Finding, cause: Cause, affected: tuple[ResourceRef, ...]) -> str:
    return first.check.group_message.format(
        cause=cause.text, count=affected_count(affected), names=affected_names(affected)
    )


def affected_sample(
    affected: tuple[ResourceRef, ...], limit: int = MAX_NAMES
) -> tuple[ResourceRef, ...]:
    """The workloads a reader is shown of a grouped finding: the first ``limit`` by
    ``Kind/namespace/name`` (``affected`` is kept in that order)."""
    return affected[:limit]


def affected_count(affected: tuple[ResourceRef, ...]) -> str:
    """``5 workloads in azure-arc``, ``7 workloads (5 in azure-arc, 2 in web)``, or past
    ``MAX_NAMESPACES`` namespaces ``1696 workloads in 160 namespaces``."""
    per_namespace: dict[str, int] = {}
    for ref in affected:
        per_namespace[ref.namespace or ""] = per_namespace.get(ref.namespace or "", 0) + 1
    noun = "workload" if len(affected) == 1 else "workloads"
    if len(per_namespace) == 1:
        (namespace,) = per_namespace
        return f"{len(affected)} {noun}" + (f" in {namespace}" if namespace else "")
    if len(per_namespace) > MAX_NAMESPACES:
        return f"{len(affected)} {noun} in {len(per_namespace)} namespaces"
    parts = ", ".join(f"{n} in {ns or '(cluster)'}" for ns, n in sorted(per_namespace.items()))
    return f"{len(affected)} {noun} ({parts})"


def affected_names(affected: tuple[ResourceRef, ...], limit: int = MAX_NAMES) -> str:
    """The first ``limit`` names (``namespace/name`` when they span namespaces), then a count."""
    namespaces = {ref.namespace for ref in affected}
    names = [ref.name if len(namespaces) == 1 else ref.key for ref in affected]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _common_evidence(evidences: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The evidence items all members share, plus the keys whose values differ among them."""
    first = dict(evidences[0])
    common = {k: v for k, v in first.items() if all(e.get(k) == v for e in evidences[1:])}
    varying = [k for k in first if k not in common]
    if varying:
        common["varies_by_workload"] = varying
    return common
