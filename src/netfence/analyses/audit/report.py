"""The result of an audit: findings, those a baseline accepted, and what was checked."""

from __future__ import annotations

from dataclasses import dataclass

from netfence.model.findings import Acceptance, CheckInfo, Finding, Severity


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


__all__ = ["Acceptance", "AuditReport"]
