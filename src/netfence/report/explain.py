"""Render a FlowExplanation as text for people or JSON for programs.

The JSON form is a versioned public contract of its own (docs/json-explain.md): the same
step-based shape whatever mix of policy families the cluster holds.
"""

from __future__ import annotations

import json
from typing import Any, Final

from netfence.engine.explain import (
    DirectionVerdict,
    ExplainStep,
    FlowEndpoint,
    FlowExplanation,
    MissingFact,
)
from netfence.errors import Location
from netfence.report.printable import printable, styled
from netfence.sets.ports import PortSet

EXPLAIN_SCHEMA_VERSION: Final = "2"
"""The explain JSON contract's version (1 was shared with the connectivity map)."""


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


def _where(location: Location | None) -> str:
    return f" ({printable(location.file)}:{location.line})" if location is not None else ""


def ports_text(ports: PortSet) -> str:
    """The ports in words; ``no ports`` for the empty set (never ``None``)."""
    return ports.describe() if ports else "no ports"


def _step_text(step: ExplainStep) -> str:
    tier = f"[{step.tier}] " if step.tier else ""
    where = _where(step.origin.location) if step.origin is not None else ""
    return f"{tier}{step.what} {step.action.value} ({ports_text(step.ports)}){where}"


def render_explain_text(explanation: FlowExplanation, color: bool = False) -> str:
    """A short report: the verdict, then each direction and the steps behind it; the verdict
    in green or red when ``color``."""
    verdict = (
        styled("ALLOWED", "bold green", color)
        if explanation.verdict
        else styled("DENIED", "bold red", color)
    )
    lines = [
        f"{_endpoint_text(explanation.src)} -> {_endpoint_text(explanation.dst)} "
        f"on {_flow_text(explanation)}: {verdict}"
    ]
    if explanation.port is None and explanation.verdict:
        lines.append(f"  allowed: {ports_text(explanation.allowed)}")
    for title, part in (("Egress from", explanation.egress), ("Ingress to", explanation.ingress)):
        lines.append(f"{title} {part.endpoint}: {ports_text(part.allowed)}")
        lines.append(f"  {part.reason}")
        if part.selecting:
            lines.append(f"  selected by: {', '.join(part.selecting)}")
        lines.extend(f"  {_step_text(step)}" for step in part.steps)
    if explanation.missing_facts:
        lines.append("Depends on facts the input lacks (the cluster's verdict may differ):")
        lines.extend(f"  {printable(str(fact))}" for fact in explanation.missing_facts)
    return "\n".join(lines) + "\n"


def _location_json(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "document": location.document, "line": location.line}


def _step_json(step: ExplainStep) -> dict[str, Any]:
    origin = step.origin
    return {
        "kind": step.kind.value,
        "layer": step.layer,
        "tier": step.tier,
        "action": step.action.value,
        "ports": step.ports.as_ranges(),
        "what": step.what,
        "policy": (
            None
            if origin is None
            else {"kind": origin.kind, "namespace": origin.namespace, "name": origin.name}
        ),
        "rule": (
            None
            if origin is None
            else {
                "direction": origin.direction.value,
                "index": origin.rule_index,
                "name": origin.rule_name,
                "peer_index": origin.peer_index,
                "port_index": origin.port_index,
                "path": origin.path,
            }
        ),
        "location": _location_json(origin.location) if origin is not None else None,
    }


def _direction_json(part: DirectionVerdict) -> dict[str, Any]:
    return {
        "direction": part.direction.value,
        "endpoint": part.endpoint,
        "selected_by": list(part.selecting),
        "allowed": part.allowed.as_ranges(),
        "reason": part.reason,
        "steps": [_step_json(s) for s in part.steps],
    }


def _missing_json(fact: MissingFact) -> dict[str, Any]:
    origin = fact.rule
    return {
        "fact": fact.fact,
        "direction": fact.direction.value,
        "detail": fact.detail,
        "rule": None if origin is None else f"{origin.policy} {origin.rule_path}",
    }


def render_explain_json(explanation: FlowExplanation) -> str:
    """The explanation as a JSON document (docs/json-explain.md)."""
    doc = {
        "schema_version": EXPLAIN_SCHEMA_VERSION,
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
        "missing_facts": [_missing_json(f) for f in explanation.missing_facts],
    }
    return json.dumps(doc, indent=2) + "\n"
