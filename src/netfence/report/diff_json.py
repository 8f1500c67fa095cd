"""Render a cluster diff as JSON: a versioned contract (docs/json-diff.md, JSON Schema
``report/schemas/diff-1.json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from netfence.analyses.connectivity_map import Endpoint
from netfence.analyses.diff import (
    ChangeExplanation,
    ClusterDiff,
    Decision,
    FlowChange,
    SideExplanation,
)
from netfence.model.layers import RuleOrigin
from netfence.model.origin import APIObjectOrigin, ExportOrigin, FileOrigin, Origin
from netfence.sets.ipranges import IPRangeSet

SCHEMA_VERSION: Final = "1"
"""Version of the diff JSON contract; bumped on any incompatible change."""


def origin_json(origin: Origin | None) -> dict[str, Any] | None:
    """Where an object was read: a file and line, an export and JSON path, or an API object."""
    if origin is None:
        return None
    if isinstance(origin, FileOrigin):
        return {"file": origin.file, "document": origin.document, "line": origin.line}
    if isinstance(origin, ExportOrigin):
        return {"file": origin.file, "path": origin.path}
    assert isinstance(origin, APIObjectOrigin)
    return {"api_object": origin.key, "resource_version": origin.resource_version}


def _rule_json(origin: RuleOrigin | None) -> dict[str, Any] | None:
    if origin is None:
        return None
    return {
        "policy": origin.policy,
        "kind": origin.kind,
        "namespace": origin.namespace,
        "name": origin.name,
        "direction": origin.direction.value,
        "rule_index": origin.rule_index,
        "rule_name": origin.rule_name,
        "path": origin.path,
        "location": origin_json(origin.location),
    }


def _decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "direction": decision.direction.value,
        "action": decision.action.value if decision.action is not None else None,
        "what": decision.what,
        "rule": _rule_json(decision.origin),
        "selecting": list(decision.selecting),
    }


def _side_json(side: SideExplanation) -> dict[str, Any]:
    return {
        "allowed": side.allowed,
        "egress": _decision_json(side.egress),
        "ingress": _decision_json(side.ingress),
    }


def _explanation_json(explanation: ChangeExplanation | None) -> dict[str, Any] | None:
    if explanation is None:
        return None
    return {
        "src": explanation.src,
        "dst": explanation.dst,
        "protocol": explanation.protocol,
        "port": explanation.port,
        "before": _side_json(explanation.before),
        "after": _side_json(explanation.after),
    }


def _terms(addresses: IPRangeSet) -> list[dict[str, Any]]:
    return [{"cidr": str(t.cidr), "except": [str(e) for e in t.excepts]} for t in addresses.terms()]


def _change_json(change: FlowChange, forbidden: tuple[str, ...]) -> dict[str, Any]:
    return {
        "src": list(change.src),
        "src_addresses": _terms(change.src_addresses),
        "dst": list(change.dst),
        "dst_addresses": _terms(change.dst_addresses),
        "added": change.added.as_ranges(),
        "removed": change.removed.as_ranges(),
        "forbidden_by": list(forbidden),
        "opened_by": _explanation_json(change.opened_by),
        "closed_by": _explanation_json(change.closed_by),
    }


def _endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    return {"name": endpoint.name, "kind": endpoint.kind, "namespace": endpoint.namespace}


def diff_document(diff: ClusterDiff, violations: Sequence[tuple[str, ...]] = ()) -> dict[str, Any]:
    """The diff as the JSON contract's object."""
    marks = list(violations) or [()] * len(diff.changes)
    return {
        "schema_version": SCHEMA_VERSION,
        "granularity": diff.granularity.value,
        "summary": {
            "opened": len(diff.opened),
            "closed": len(diff.closed),
            "forbidden": sum(1 for m in marks if m),
            "endpoints_added": len(diff.added_endpoints),
            "endpoints_removed": len(diff.removed_endpoints),
            "policies_changed": len(diff.policies),
            "namespaces_relabelled": len(diff.namespaces),
        },
        "changes": [_change_json(c, m) for c, m in zip(diff.changes, marks, strict=True)],
        "endpoints": {
            "added": [_endpoint_json(e) for e in diff.added_endpoints],
            "removed": [_endpoint_json(e) for e in diff.removed_endpoints],
        },
        "policies": [
            {
                "key": p.key,
                "kind": p.kind,
                "namespace": p.namespace,
                "name": p.name,
                "change": p.change.value,
                "before": origin_json(p.before),
                "after": origin_json(p.after),
            }
            for p in diff.policies
        ],
        "namespaces": [
            {"name": n.name, "before": dict(n.before), "after": dict(n.after)}
            for n in diff.namespaces
        ],
    }


def render_diff_json(diff: ClusterDiff, violations: Sequence[tuple[str, ...]] = ()) -> str:
    """The diff as JSON text."""
    return json.dumps(diff_document(diff, violations), indent=2, ensure_ascii=False) + "\n"
