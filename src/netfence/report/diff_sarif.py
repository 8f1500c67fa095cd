"""Render a cluster diff as SARIF 2.1.0: one result per opened flow.

A flow a ``--forbid`` rule forbids is an ``error`` (rule ``netfence-diff/forbidden``); any
other opened flow a ``warning`` (rule ``netfence-diff/opened``). A result's location is the
AFTER-side rule that lets the representative flow through (its file and line), else the
AFTER-side file of a changed policy that selects an end of it, else logical locations alone
(the endpoints), as GitHub code scanning rejects a result without a location. Conventions
(artifact URIs relative to ``%SRCROOT%``, the driver, the invocation) are those of
``report/sarif.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Final

from netfence.analyses.diff import ClusterDiff, FlowChange
from netfence.model.layers import RuleOrigin
from netfence.model.origin import origin_line
from netfence.report.diff_text import endpoints_text
from netfence.report.printable import json_text
from netfence.report.sarif import (
    artifact_location,
    sarif_document,
)

OPENED: Final = "netfence-diff/opened"
FORBIDDEN: Final = "netfence-diff/forbidden"
FINGERPRINT_KEY: Final = "netfence-diff/v1"

_RULES: Final = [
    {
        "id": OPENED,
        "name": "FlowOpened",
        "shortDescription": {"text": "A change opens a flow the BEFORE side denied"},
        "fullDescription": {
            "text": "The AFTER side allows a connection (source, destination, ports) that the "
            "BEFORE side denies; review that it is meant."
        },
        "defaultConfiguration": {"level": "warning"},
        "help": {"text": "Review the opened flow; the location is the rule that allows it."},
        "properties": {"security-severity": "5.5", "tags": ["security", "network"]},
    },
    {
        "id": FORBIDDEN,
        "name": "ForbiddenFlowOpened",
        "shortDescription": {"text": "A change opens a flow a --forbid rule forbids"},
        "fullDescription": {
            "text": "The AFTER side allows a connection that matches a --forbid rule and that "
            "the BEFORE side denies."
        },
        "defaultConfiguration": {"level": "error"},
        "help": {
            "text": "Narrow the rule at the location so that the forbidden flow stays closed."
        },
        "properties": {"security-severity": "8.0", "tags": ["security", "network"]},
    },
]


def _allowing_rule(change: FlowChange) -> RuleOrigin | None:
    explanation = change.opened_by
    if explanation is None:
        return None
    for decision in explanation.after.decisions:
        if decision.origin is not None and decision.origin.location is not None:
            return decision.origin
    return None


def _location(change: FlowChange) -> dict[str, Any]:
    logical = [
        {"name": name, "fullyQualifiedName": name, "kind": "resource"}
        for name in dict.fromkeys((*change.src[:1], *change.dst[:1]))
    ]
    rule = _allowing_rule(change)
    if rule is not None and rule.location is not None:
        artifact = artifact_location(rule.location.file)
        if artifact is not None:
            logical.append(
                {"name": rule.path, "fullyQualifiedName": f"{rule.policy} {rule.path}",
                 "kind": "member"}
            )  # fmt: skip
            return {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {"startLine": max(1, origin_line(rule.location) or 1)},
                },
                "logicalLocations": logical,
            }
    if not logical:
        logical = [{"name": "cluster", "fullyQualifiedName": "cluster", "kind": "resource"}]
    return {"logicalLocations": logical}


def _result(change: FlowChange, forbidden: tuple[str, ...]) -> dict[str, Any]:
    src = endpoints_text(change.src, change.src_addresses)
    dst = endpoints_text(change.dst, change.dst_addresses)
    text = f"Opened: {src} => {dst} on {change.added.describe()}"
    if forbidden:
        text += f" (forbidden by {', '.join(forbidden)})"
    rule = _allowing_rule(change)
    if rule is not None:
        text += f"; allowed by {rule}"
    identity = f"{src}|{dst}|{change.added.describe()}".encode()
    return {
        "ruleId": FORBIDDEN if forbidden else OPENED,
        "ruleIndex": 1 if forbidden else 0,
        "level": "error" if forbidden else "warning",
        "message": {"text": text},
        "locations": [_location(change)],
        "partialFingerprints": {FINGERPRINT_KEY: hashlib.sha256(identity).hexdigest()[:32]},
        "properties": {
            "src": list(change.src),
            "dst": list(change.dst),
            "src_addresses": [str(t) for t in change.src_addresses.terms()],
            "dst_addresses": [str(t) for t in change.dst_addresses.terms()],
            "added": change.added.as_ranges(),
            "forbidden_by": list(forbidden),
        },
    }


def diff_sarif_log(diff: ClusterDiff, violations: Sequence[tuple[str, ...]] = ()) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    marks = list(violations) or [()] * len(diff.changes)
    results = [_result(c, m) for c, m in zip(diff.changes, marks, strict=True) if c.added]
    return sarif_document(_RULES, results)


def render_diff_sarif(diff: ClusterDiff, violations: Sequence[tuple[str, ...]] = ()) -> str:
    """The SARIF 2.1.0 log, indented, ending in a newline."""
    log = diff_sarif_log(diff, violations)
    return json_text(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"
