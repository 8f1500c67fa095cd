"""Render an AuditReport as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. Every check that ran is a rule (``tool.driver.rules``) with GitHub's
``security-severity`` and the anchor of its section in the check reference (``docs/checks.md#nf008``,
in ``help.markdown`` and ``properties.documentation``, and as ``helpUri`` when the caller says
where that page is published: ``scan --docs-url``; netfence has no published address of its own
to default to). Every finding is a result whose primary location is the rule
that causes it (file and line of the rule inside the policy), or else the files and lines of its
resources; the workloads a grouped finding affects are ``relatedLocations``. Resource keys are
logical locations and the finding's fingerprint a partial fingerprint, so that code scanning
follows a finding across runs even when lines move. A resource read from an
export points at the export's file, with the JSON path inside it as a second logical location;
one read from a cluster's API is a logical location alone (its key, and its resourceVersion). Findings a baseline
accepted are results with an external suppression. Relative file names are URIs relative to
``%SRCROOT%``, the directory netfence ran in; absolute ones are ``file:`` URIs.

GitHub code scanning rejects a whole upload when one result has no location, and needs a start
line for a file location; so a resource known by file but not line points at line 1, and a finding
with no resource read from a file (a cluster-wide one, or input read from standard input) has its
resources, or the cluster, as logical locations alone: never a line of an unrelated file (see
``_locations``). Every result also lists its resource keys in ``properties.resources``, and a
grouped one its cause, how many workloads it affects and a sorted sample of them
(``properties.cause``, ``properties.affectedCount``, ``properties.affected``): a result is read
by a person in a code-scanning view, and a rule may affect thousands of workloads. The complete
list is in the findings JSON.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Final

from netfence import _version
from netfence.analyses.audit.grouping import affected_sample
from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.model.findings import CheckInfo, Finding, ResourceRef, Severity
from netfence.model.origin import APIObjectOrigin, ExportOrigin, origin_line
from netfence.report.findings_json import ordered, ordered_accepted, plain
from netfence.report.printable import json_text, valid_unicode

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA_URI: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI: Final = "https://pypi.org/project/netfence/"
SRCROOT: Final = "%SRCROOT%"
FINGERPRINT_KEY: Final = "netfence/v1"
"""The ``partialFingerprints`` key; its value is ``Finding.fingerprint``."""

LEVELS: Final = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
"""SARIF ``level`` per severity."""

SECURITY_SEVERITY: Final = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
"""GitHub's ``security-severity`` (a CVSS-like score as a string) per severity.

GitHub maps > 9.0 to critical, 7.0-8.9 to high, 4.0-6.9 to medium and 0.1-3.9 to low."""

CLUSTER: Final = ResourceRef("Cluster", None, "cluster")
"""What a finding that names no object concerns: the cluster as a whole."""

MAX_RELATED: Final = 1000
"""GitHub code scanning keeps at most 1000 related locations per result."""

DOCS_PAGE: Final = "docs/checks.md"
"""The check reference in netfence's repository; each check has an anchor (``#nf008``)."""

_STDIN: Final = ("-", "<stdin>")  # how inputs and sources name standard input: no artifact


def rule_name(title: str) -> str:
    """A PascalCase identifier from a check title: ``Pod not isolated`` -> ``PodNotIsolated``."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else "Check" + name


def docs_anchor(check: CheckInfo) -> str:
    """The check's section in the check reference, relative to netfence's repository."""
    return f"{DOCS_PAGE}#{check.check_id.lower()}"


def _help_markdown(check: CheckInfo) -> str:
    parts = [check.remediation]
    if check.controls:
        parts.append("Controls: " + ", ".join(check.controls) + ".")
    if check.peers:
        peers = "; ".join(
            f"{scanner}: {', '.join(ids)}" for scanner, ids in sorted(check.peers.items())
        )
        parts.append(f"Equivalent checks: {peers}.")
    parts.append(f"Reference: `{docs_anchor(check)}` in the netfence repository.")
    return "\n\n".join(parts)


def _rule(check: CheckInfo, docs_url: str | None) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": check.check_id,
        "name": rule_name(check.title),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.description},
        "help": {"text": check.remediation, "markdown": _help_markdown(check)},
        "defaultConfiguration": {"level": LEVELS[check.severity]},
        "properties": {
            "tags": ["security", "network-policy", *check.controls],
            "security-severity": SECURITY_SEVERITY[check.severity],
            "precision": "very-high",
            "documentation": docs_anchor(check),
        },
    }
    if docs_url is not None:
        rule["helpUri"] = f"{docs_url}#{check.check_id.lower()}"
    return rule


def checked_docs_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL without a fragment, the form SARIF's
    ``helpUri`` takes (SARIF 2.1.0 3.49.12: an absolute URI); else ValueError saying why."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    if parts.fragment or url.endswith("#"):
        raise ValueError(f"{url!r} has a fragment; give the page, the check anchors are added")
    return url


def artifact_location(file: str) -> dict[str, str] | None:
    """The ``artifactLocation`` of a file name: relative to ``%SRCROOT%``, or a ``file:`` URI.

    None for standard input, which has no artifact to point at.
    """
    if not file or file in _STDIN:
        return None
    if PureWindowsPath(file).is_absolute() and not PurePosixPath(file).is_absolute():
        return {"uri": PureWindowsPath(valid_unicode(file)).as_uri()}
    if PurePosixPath(file).is_absolute():
        return {"uri": PurePosixPath(file).as_uri()}
    posix = PureWindowsPath(file).as_posix() if "\\" in file else file
    posix = str(PurePosixPath(posix))  # drops "./" and doubled slashes
    # The bytes of the name, so that a name that is not UTF-8 keeps them (%FF), as as_uri does.
    raw = posix.encode("utf-8", "surrogateescape")
    return {"uri": urllib.parse.quote(raw, safe="/"), "uriBaseId": SRCROOT}


def _logical(ref: ResourceRef) -> dict[str, Any]:
    return {"name": ref.name, "fullyQualifiedName": ref.key, "kind": "resource"}


def _api_logical(origin: APIObjectOrigin) -> dict[str, Any]:
    logical: dict[str, Any] = {
        "name": origin.name,
        "fullyQualifiedName": origin.key,
        "kind": "resource",
    }
    if origin.resource_version is not None:
        logical["properties"] = {"resourceVersion": origin.resource_version}
    return logical


def _path_logical(origin: ExportOrigin) -> dict[str, Any]:
    # "object" is one of the kinds SARIF 2.1.0 (3.33.7) lists for places in a JSON document.
    return {"fullyQualifiedName": origin.path, "kind": "object"}


def physical_location(artifact: dict[str, str], line: int | None) -> dict[str, Any]:
    """A ``physicalLocation`` at ``line`` of an artifact (line 1 when the line is unknown)."""
    # GitHub needs region.startLine; a file named without a line points at its start.
    return {
        "artifactLocation": artifact,
        "region": {"startLine": line if line is not None and line >= 1 else 1},
    }


def _location(ref: ResourceRef, path: str = "") -> dict[str, Any] | None:
    """The location of one resource, by its origin; None when it has none to point at.

    A file origin is a physical location (file and line); an export origin a physical location
    at its file and, beside the resource, a logical location holding the JSON path; an API
    object a logical location alone (kind, namespace, name), as there is no artifact.
    """
    origin = ref.origin
    if origin is None:
        return None
    if isinstance(origin, APIObjectOrigin):
        return {"logicalLocations": [_api_logical(origin)]}
    artifact = artifact_location(origin.file)
    if artifact is None:  # standard input
        return None
    logical = [_logical(ref)]
    if path:  # the rule inside the policy, as a member of it
        logical.append({"name": path, "fullyQualifiedName": f"{ref.key} {path}", "kind": "member"})
    if isinstance(origin, ExportOrigin):
        logical.append(_path_logical(origin))
    return {
        "physicalLocation": physical_location(artifact, origin_line(origin)),
        "logicalLocations": logical,
    }


def _locations(finding: Finding) -> list[dict[str, Any]]:
    """The ``locations`` of a result: the rule that causes the finding, where it has one;
    else one per resource with an origin to point at.

    A finding none of whose resources was read from a file (a cluster-wide one whose checks
    name no namespace, or input from standard input) gets its resources as logical locations
    alone: never a line of some file that has nothing to do with it.
    """
    cause = finding.cause
    if cause is not None:
        location = _location(cause.resource, cause.path)
        if location is not None:
            return [location]
    located = [loc for loc in map(_location, finding.resources) if loc is not None]
    if located:
        return located
    refs = finding.resources or (CLUSTER,)  # a finding on no object concerns the cluster
    return [{"logicalLocations": [_logical(r) for r in refs]}]


def _related(finding: Finding) -> list[dict[str, Any]]:
    """``relatedLocations``: the sample of the workloads a grouped finding affects (the count
    is in ``properties.affectedCount``), then the other resources of a finding placed on its
    cause (at most ``MAX_RELATED`` in all)."""
    sample = affected_sample(finding.affected)
    refs = list(sample)
    if finding.cause is not None:
        refs.extend(r for r in finding.resources if r.key != finding.cause.resource.key)
    related: list[dict[str, Any]] = []
    for ref in refs[:MAX_RELATED]:
        location = _location(ref) or {"logicalLocations": [_logical(ref)]}
        role = "affected" if ref in sample else "involved"
        location["id"] = len(related)
        location["message"] = {"text": f"{role}: {ref.key}"}
        related.append(location)
    return related


def _suppression(entry: Acceptance) -> dict[str, Any]:
    suppression: dict[str, Any] = {
        "kind": "external",
        "status": "accepted",
        "justification": entry.reason,
    }
    baseline = artifact_location(entry.file) if entry.file else None
    if baseline is not None:
        suppression["location"] = {"physicalLocation": physical_location(baseline, entry.line)}
    if entry.expires is not None:
        suppression["properties"] = {"expires": entry.expires.isoformat()}
    return suppression


def _result(finding: Finding, rule_index: int, entry: Acceptance | None) -> dict[str, Any]:
    severity = finding.effective_severity
    result: dict[str, Any] = {
        "ruleId": finding.check.check_id,
        "ruleIndex": rule_index,
        "level": LEVELS[severity],
        "message": {"text": finding.message},
    }
    locations = _locations(finding)
    if locations:
        result["locations"] = locations
    related = _related(finding)
    if related:
        result["relatedLocations"] = related
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if entry is not None:
        result["suppressions"] = [_suppression(entry)]
    properties: dict[str, Any] = {
        "severity": severity.value,
        "resources": [r.key for r in finding.resources],
        "evidence": plain(dict(finding.evidence)),
    }
    if finding.cause is not None:
        properties["cause"] = finding.cause.key
    if finding.affected:
        properties["affected"] = [r.key for r in affected_sample(finding.affected)]
        properties["affectedCount"] = len(finding.affected)
    if finding.fix is not None:
        properties["fix"] = finding.fix
    result["properties"] = properties
    return result


def _checks(report: AuditReport) -> list[CheckInfo]:
    """The checks that ran, by ID, plus any check a finding names that is not among them."""
    by_id: dict[str, CheckInfo] = {c.check_id: c for c in report.checks}
    findings: Iterable[Finding] = (*report.findings, *(f for f, _ in report.accepted))
    for finding in findings:
        by_id.setdefault(finding.check.check_id, finding.check)
    return [by_id[k] for k in sorted(by_id)]


def sarif_log(report: AuditReport, docs_url: str | None = None) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    checks = _checks(report)
    index = {c.check_id: i for i, c in enumerate(checks)}
    results = [_result(f, index[f.check.check_id], None) for f in ordered(report.findings)]
    results.extend(
        _result(f, index[f.check.check_id], a) for f, a in ordered_accepted(report.accepted)
    )
    return sarif_document([_rule(c, docs_url) for c in checks], results)


def sarif_document(rules: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one netfence run with these rules and results (``%SRCROOT%``
    the directory netfence ran in), as a JSON-ready dict."""
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "netfence",
                "version": _version.__version__,
                "semanticVersion": _version.__version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": True}],
        "originalUriBaseIds": {
            SRCROOT: {
                "description": {
                    "text": "The directory netfence ran in; relative input file names are relative to it."
                }
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: AuditReport, docs_url: str | None = None) -> str:
    """The SARIF 2.1.0 log, indented, ending in a newline; with ``docs_url`` (where the check
    reference, docs/checks.md, is published) every rule gets a ``helpUri`` to its section."""
    log = sarif_log(report, docs_url)
    return json_text(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"
