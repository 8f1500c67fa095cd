"""Findings: what every check (audit, and later firewall, address plan, Private Link) reports.

One model for all of them, so every renderer (text, JSON, SARIF, JUnit, Markdown) works for
every check without knowing what it checks.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NewType

from netfence.model.origin import Origin, origin_file, origin_line

CheckId = NewType("CheckId", str)
"""A stable check identifier such as ``NF-NP-001``; never reused for another meaning."""


class Severity(enum.StrEnum):
    """How urgent a finding is, from most to least."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info, for comparisons and thresholds."""
        return _RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        """Whether this severity is ``threshold`` or more urgent."""
        return self.rank >= threshold.rank


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


@dataclass(frozen=True)
class CheckInfo:
    """The catalog entry of a check: what it looks for and how it maps to the guidance."""

    check_id: CheckId
    """Stable identifier."""
    title: str
    """One line, stating the problem."""
    severity: Severity
    """Default severity of its findings."""
    description: str
    """What the check computes, and why it matters."""
    remediation: str
    """What to do about a finding."""
    controls: tuple[str, ...] = ()
    """Controls it evidences, e.g. ``CIS 5.3.2``, ``NIST SP 800-190 4.4.2``."""
    peers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Equivalent checks of other scanners, by scanner name."""
    group_message: str = "{cause} causes this for {count}: {names}"
    """The message of a finding that one cause produces on several workloads: ``{cause}``
    is the rule, ``{count}`` how many workloads and where, ``{names}`` which."""


@dataclass(frozen=True)
class ResourceRef:
    """An object a finding is about, with where it was read."""

    kind: str
    """The object's kind (``Namespace``, ``Deployment``, ``NetworkPolicy``, ...)."""
    namespace: str | None
    """Its namespace; None for cluster-scoped objects."""
    name: str
    """Its name."""
    origin: Origin | None = None
    """Where it (or the offending field) was read: a file and line, an API object, or an export
    and a path in it; None when it was only referenced."""

    @property
    def key(self) -> str:
        """``Kind/namespace/name`` (or ``Kind/name``), stable across runs."""
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)

    @property
    def file(self) -> str | None:
        """The file of its origin (a manifest or an export); None otherwise."""
        return origin_file(self.origin)

    @property
    def line(self) -> int | None:
        """The 1-based line of its origin, for one read from a manifest; None otherwise."""
        return origin_line(self.origin)


@dataclass(frozen=True)
class Cause:
    """The rule (or object) that causes a finding: what to change to resolve it."""

    resource: ResourceRef
    """The policy (or namespace, or workload), located at the causing rule where there is one."""
    path: str = ""
    """The rule's field path inside it (``spec.ingress[0]``); empty for the whole object."""

    @property
    def key(self) -> str:
        """``Kind/namespace/name`` and the rule path, stable across runs."""
        return f"{self.resource.key} {self.path}" if self.path else self.resource.key

    @property
    def text(self) -> str:
        """``Kind/namespace/name spec.ingress[0]``, for messages."""
        return self.key


@dataclass(frozen=True)
class Finding:
    """One problem found, with the computed evidence behind it."""

    check: CheckInfo
    """The check that found it."""
    message: str
    """What is wrong here, specifically."""
    resources: tuple[ResourceRef, ...]
    """Objects involved; the first is the primary location."""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """Computed facts (flows, ports, ranges, policies), JSON-ready."""
    fix: str | None = None
    """YAML that remedies the finding when applied, where one can be generated."""
    severity: Severity | None = None
    """Overrides the check's default severity for this finding."""
    detail_key: str = ""
    """Distinguishes findings of one check on one resource (e.g. a rule path)."""
    cause: Cause | None = None
    """The rule that causes the finding, where one rule does; findings of one check with the
    same cause are reported as one (see ``netfence.analyses.audit.grouping``)."""
    affected: tuple[ResourceRef, ...] = ()
    """The workloads (or other objects) one cause affects, once grouped; empty otherwise."""

    @property
    def effective_severity(self) -> Severity:
        """This finding's severity."""
        return self.severity if self.severity is not None else self.check.severity

    @property
    def fingerprint(self) -> str:
        """A stable identity: check, resources and detail, not line numbers or wording.

        A grouped finding (one with ``affected`` resources) is identified by its check and
        cause alone, so that it keeps its identity when workloads come and go.
        """
        if self.affected and self.cause is not None:
            parts = [self.check.check_id, "cause", self.cause.key, self.detail_key]
        else:
            parts = [self.check.check_id, *(r.key for r in self.resources), self.detail_key]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    @property
    def primary(self) -> ResourceRef | None:
        """The main resource, if any."""
        return self.resources[0] if self.resources else None


@dataclass(frozen=True)
class Acceptance:
    """A baseline entry: a finding accepted for a reason, possibly until a date."""

    check_id: str
    """The check accepted."""
    resource: str
    """The resource key (``Kind/namespace/name``) or ``*`` for every resource."""
    reason: str
    """Why it is accepted (required)."""
    expires: datetime.date | None = None
    """After this date the acceptance no longer applies."""
    file: str | None = None
    """The baseline file."""
    line: int | None = None
    """The entry's line in it."""

    def matches(self, finding: Finding) -> bool:
        """Whether this entry accepts ``finding``: one naming any of its resources, the object
        that causes it, or any workload a grouped finding affects."""
        if self.check_id != finding.check.check_id:
            return False
        if self.resource == "*":
            return True
        if finding.cause is not None and finding.cause.resource.key == self.resource:
            return True
        return any(r.key == self.resource for r in (*finding.resources, *finding.affected))
