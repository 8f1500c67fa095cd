"""The result of an audit: findings, those a baseline accepted, and what was checked."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from netfence.model.findings import Acceptance, CheckInfo, Finding, ResourceRef, Severity


@dataclass(frozen=True)
class AuditReport:
    """Everything an audit found, for the renderers."""

    findings: tuple[Finding, ...]
    """Findings that stand, most severe first."""
    accepted: tuple[tuple[Finding, Acceptance], ...]
    """Findings a baseline accepted, with the entry that accepted each."""
    checks: tuple[CheckInfo, ...]
    """The checks that ran."""
    inputs: tuple[str, ...]
    """The input files read."""

    def counts(self) -> dict[Severity, int]:
        """How many standing findings per severity, most severe first."""
        out = dict.fromkeys(Severity, 0)
        for f in self.findings:
            out[f.effective_severity] += 1
        return out

    def fails(self, threshold: Severity | None) -> bool:
        """Whether a standing finding is at or above ``threshold``."""
        if threshold is None:
            return False
        return any(f.effective_severity.at_least(threshold) for f in self.findings)

    def in_namespaces(self, namespaces: Collection[str]) -> AuditReport:
        """The findings that concern one of ``namespaces`` (see :func:`concerns`); a grouped
        finding keeps only the affected workloads of those namespaces."""
        wanted = set(namespaces)
        return replace(
            self,
            findings=tuple(f for f in self.findings if concerns(f, wanted)),
            accepted=tuple((f, a) for f, a in self.accepted if concerns(f, wanted)),
        )

    def at_least(self, threshold: Severity) -> AuditReport:
        """The findings at or above ``threshold`` (standing and accepted)."""
        return replace(
            self,
            findings=tuple(f for f in self.findings if f.effective_severity.at_least(threshold)),
            accepted=tuple(
                (f, a) for f, a in self.accepted if f.effective_severity.at_least(threshold)
            ),
        )


def _in(ref: ResourceRef, namespaces: Collection[str]) -> bool:
    """Whether a resource lies in one of the namespaces, or is one of them."""
    if ref.kind == "Namespace" and ref.namespace is None:
        return ref.name in namespaces
    return ref.namespace in namespaces


def concerns(finding: Finding, namespaces: Collection[str]) -> bool:
    """Whether a finding is about one of ``namespaces``: a resource, an affected workload or
    the cause lies in one of them (or is one of them)."""
    refs = [*finding.resources, *finding.affected]
    if finding.cause is not None:
        refs.append(finding.cause.resource)
    return any(_in(r, namespaces) for r in refs)


__all__ = ["Acceptance", "AuditReport", "concerns"]
