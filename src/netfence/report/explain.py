"""Render a FlowExplanation as text for people or JSON for programs."""

from __future__ import annotations

import json
from typing import Any

from netfence.engine.explain import DirectionVerdict, FlowEndpoint, FlowExplanation
from netfence.report.connectivity import SCHEMA_VERSION


def _endpoint_text(endpoint: FlowEndpoint) -> str:
    if endpoint.pod is None:
        return f"{endpoint.name} (external)"
    if endpoint.pod_count > 1:
        return f"{endpoint.name} (judged on pod {endpoint.pod.key}, 1 of {endpoint.pod_count})"
    return endpoint.name


def _flow_text(explanation: FlowExplanation) -> str:
    if explanation.port is None:
        return "any port"
    return f"{explanation.port[0]} {explanation.port[1]}"


def render_explain_text(explanation: FlowExplanation) -> str:
    """A short report: the verdict, then each direction and the rules behind it."""
    verdict = "ALLOWED" if explanation.verdict else "DENIED"
    lines = [
        f"{_endpoint_text(explanation.src)} -> {_endpoint_text(explanation.dst)} "
        f"on {_flow_text(explanation)}: {verdict}"
    ]
    if explanation.port is None and explanation.verdict:
        lines.append(f"  allowed: {explanation.allowed.describe()}")
    for title, part in (("Egress from", explanation.egress), ("Ingress to", explanation.ingress)):
        lines.append(f"{title} {part.endpoint}: {part.allowed.describe()}")
        lines.append(f"  {part.reason}")
        if part.selecting:
            lines.append(f"  selected by: {', '.join(part.selecting)}")
        for m in part.matches:
            where = f" ({m.location.file}:{m.location.line})" if m.location else ""
            lines.append(f"  {m.policy} {m.path}: {m.allowed.describe()}{where}")
        if part.steps:
            lines.append("  walk: " + " -> ".join(str(s) for s in part.steps))
    return "\n".join(lines) + "\n"


def _direction_json(part: DirectionVerdict) -> dict[str, Any]:
    return {
        "direction": part.direction.value,
        "endpoint": part.endpoint,
        "selected_by": list(part.selecting),
        "allowed": part.allowed.as_ranges(),
        "reason": part.reason,
        "steps": [
            {
                "tier": s.tier,
                "policy": s.policy or None,
                "rule": s.rule,
                "action": s.action.value,
                "ports": s.ports.as_ranges(),
                "file": s.location.file if s.location else None,
                "line": s.location.line if s.location else None,
            }
            for s in part.steps
        ],
        "rules": [
            {
                "policy": m.policy,
                "rule_index": m.rule_index,
                "peer_index": m.peer_index,
                "port_index": m.port_index,
                "path": m.path,
                "allowed": m.allowed.as_ranges(),
                "file": m.location.file if m.location else None,
                "line": m.location.line if m.location else None,
            }
            for m in part.matches
        ],
    }


def render_explain_json(explanation: FlowExplanation) -> str:
    """The explanation as a JSON document (``schema_version`` shared with the map)."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "src": explanation.src.name,
        "dst": explanation.dst.name,
        "port": (
            None
            if explanation.port is None
            else {"protocol": explanation.port[0], "port": explanation.port[1]}
        ),
        "allowed": explanation.verdict,
        "allowed_ports": explanation.allowed.as_ranges(),
        "egress": _direction_json(explanation.egress),
        "ingress": _direction_json(explanation.ingress),
    }
    return json.dumps(doc, indent=2) + "\n"
