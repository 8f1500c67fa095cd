"""Render an AuditReport as the findings JSON contract (docs/json-findings.md).

The contract is public and versioned by ``schema_version``: a ``summary`` of counts, the standing
``findings`` and the baseline-``accepted`` ones, each in a fixed order so that two runs on the same
input give the same bytes. This module also holds the finding order and the JSON conversion of
evidence that the other findings renderers share.
"""

from __future__ import annotations

import datetime
import enum
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, Final, assert_never

from netfence import _version
from netfence.analyses.audit.grouping import affected_sample
from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.model.findings import Cause, Finding, ResourceRef, Severity
from netfence.model.origin import APIObjectOrigin, ExportOrigin, FileOrigin, Origin
from netfence.report.printable import json_text

SCHEMA_VERSION: Final = "2"
"""Version of the findings JSON contract; bumped on any incompatible change.

2: a finding one rule causes on several workloads is one finding on the rule, with ``cause``
and ``affected``; its ``resources`` hold the rule's policy, no longer each workload."""

SEVERITIES: Final = tuple(sorted(Severity, key=lambda s: -s.rank))
"""Every severity, most severe first."""


def finding_order_key(finding: Finding) -> tuple[int, str, str, str]:
    """Sort key: severity (most severe first), check ID, first resource key, fingerprint."""
    primary = finding.primary
    return (
        -finding.effective_severity.rank,
        finding.check.check_id,
        primary.key if primary is not None else "",
        finding.fingerprint,
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` in the deterministic order every findings renderer uses."""
    return sorted(findings, key=finding_order_key)


def ordered_accepted(
    accepted: Iterable[tuple[Finding, Acceptance]],
) -> list[tuple[Finding, Acceptance]]:
    """Accepted findings in the same order as standing ones (ties broken by the entry)."""
    return sorted(
        accepted,
        key=lambda pair: (*finding_order_key(pair[0]), pair[1].file or "", pair[1].line or 0),
    )


def json_default(value: object) -> Any:
    """Make evidence JSON-ready: sets sorted, dates ISO, enums by value, paths and the rest as str."""
    if isinstance(value, set | frozenset):
        try:
            return sorted(value)
        except TypeError:  # items of mixed types: order by their JSON text instead
            return sorted(value, key=lambda v: json.dumps(v, default=json_default, sort_keys=True))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def plain(value: Any) -> Any:
    """``value`` as plain JSON data (dicts, lists, strings, numbers, booleans, None)."""
    return json.loads(json.dumps(value, default=json_default))


def origin_dict(origin: Origin) -> dict[str, Any] | None:
    """A non-file origin as the contract's ``origin`` object; None for a file origin.

    A file origin is all in a resource's ``file`` and ``line``, so it adds no key (and the
    output of a manifest audit stays as it was).
    """
    if isinstance(origin, FileOrigin):
        return None
    if isinstance(origin, ExportOrigin):
        return {"type": "export", "file": origin.file, "path": origin.path}
    if isinstance(origin, APIObjectOrigin):
        return {
            "type": "api",
            "kind": origin.kind,
            "namespace": origin.namespace,
            "name": origin.name,
            "resource_version": origin.resource_version,
        }
    assert_never(origin)


def _resource(ref: ResourceRef) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "kind": ref.kind,
        "namespace": ref.namespace,
        "name": ref.name,
        "file": ref.file,
        "line": ref.line,
    }
    origin = origin_dict(ref.origin) if ref.origin is not None else None
    if origin is not None:
        resource["origin"] = origin
    return resource


def _cause(cause: Cause | None) -> dict[str, Any] | None:
    if cause is None:
        return None
    return {**_resource(cause.resource), "path": cause.path or None}


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding as the contract's JSON object."""
    check = finding.check
    return {
        "check_id": check.check_id,
        "title": check.title,
        "severity": finding.effective_severity.value,
        "message": finding.message,
        "resources": [_resource(r) for r in finding.resources],
        "cause": _cause(finding.cause),
        "affected": [_resource(r) for r in finding.affected],
        "affected_count": len(finding.affected),
        "affected_sample": [r.key for r in affected_sample(finding.affected)],
        "controls": list(check.controls),
        "peers": {scanner: list(ids) for scanner, ids in sorted(check.peers.items())},
        "evidence": plain(dict(finding.evidence)),
        "remediation": check.remediation,
        "fix": finding.fix,
        "fingerprint": finding.fingerprint,
    }


def _acceptance(entry: Acceptance) -> dict[str, Any]:
    return {
        "reason": entry.reason,
        "expires": entry.expires.isoformat() if entry.expires is not None else None,
        "file": entry.file,
        "line": entry.line,
    }


def summary(report: AuditReport) -> dict[str, int]:
    """Standing findings per severity (most severe first), then total, accepted and checks run."""
    counts: dict[str, int] = {s.value: n for s, n in report.counts().items()}
    return {
        **{s.value: counts[s.value] for s in SEVERITIES},
        "total": len(report.findings),
        "accepted": len(report.accepted),
        "checks": len(report.checks),
    }


def render_json(report: AuditReport) -> str:
    """The documented findings JSON contract, indented, ending in a newline."""
    document: Mapping[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "netfence", "version": _version.__version__},
        "summary": summary(report),
        "findings": [finding_dict(f) for f in ordered(report.findings)],
        "accepted": [
            {**finding_dict(f), "acceptance": _acceptance(a)}
            for f, a in ordered_accepted(report.accepted)
        ],
    }
    return json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
