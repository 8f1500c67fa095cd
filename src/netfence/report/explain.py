"""Render a FlowExplanation as text for people or JSON for programs.

The JSON form is a versioned public contract of its own (docs/json-explain.md): the same
step-based shape whatever mix of policy families the cluster holds.
"""

from __future__ import annotations

import json
from typing import Any, Final

from netfence.analyses.firewall.path import FirewallPath, LayerPart, LayerPassage, rule_label
from netfence.engine.explain import (
    DirectionVerdict,
    ExplainStep,
    FlowEndpoint,
    FlowExplanation,
    MissingFact,
)
from netfence.engine.firewall import Verdict
from netfence.errors import Location
from netfence.model.firewall import FirewallLayer, FirewallRule, TrafficDirection
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


def overall_verdict(explanation: FlowExplanation, path: FirewallPath | None) -> Verdict:
    """The flow's verdict: the policies', then the firewall path's where it has one (the
    policies decide when they deny; else the first layer that denies)."""
    if not explanation.verdict:
        return Verdict.DENY
    if path is None:
        return Verdict.ALLOW
    return path.verdict


_VERDICT_WORDS: Final = {
    Verdict.ALLOW: ("ALLOWED", "bold green"),
    Verdict.DENY: ("DENIED", "bold red"),
    Verdict.UNDECIDED: ("CANNOT DECIDE", "bold yellow"),
}
"""How the header shows a verdict, and in which style."""


def render_explain_text(
    explanation: FlowExplanation, color: bool = False, path: FirewallPath | None = None
) -> str:
    """A short report: the verdict, then each direction and the steps behind it, then the
    firewall path when there is one; the verdict in green, red or yellow when ``color``."""
    word, style = _VERDICT_WORDS[overall_verdict(explanation, path)]
    lines = [
        f"{_endpoint_text(explanation.src)} -> {_endpoint_text(explanation.dst)} "
        f"on {_flow_text(explanation)}: {styled(word, style, color)}"
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
    if path is not None:
        lines.extend(path_lines(explanation, path))
    return "\n".join(lines) + "\n"


def layer_title(layer: FirewallLayer) -> str:
    """A layer as the path names it: its language and name."""
    return f"{layer.kind.value} {printable(layer.name)}"


def _part_text(passage: LayerPassage, part: LayerPart) -> str:
    if part.mixed:
        return f"{part.verdict.value} ({ports_text(part.ports)}): no one rule decides"
    if part.rule is not None:
        by = printable(rule_label(part.rule))
    else:
        by = f"the default ({passage.layer.default(passage.direction).value})"
    return f"{part.verdict.value} ({ports_text(part.ports)}) by {by}"


def _policy_step(part: DirectionVerdict, asked: str) -> str:
    side = f"{part.direction.value.lower()} policy of {part.endpoint}"
    if part.allowed:
        return f"{side}: Allow ({ports_text(part.allowed)})"
    return f"{side}: Deny ({asked}: {part.reason})"


def path_lines(explanation: FlowExplanation, path: FirewallPath) -> list[str]:
    """The path section: each crossing in order (the policy, the cluster's end as the layers
    see it, each layer's verdict and deciding rule, the external end), then the verdict and
    what decided it."""
    outbound = path.direction is TrafficDirection.OUTBOUND
    policy = explanation.egress if outbound else explanation.ingress
    external = f"{printable(path.external.describe())} (external)"
    steps: list[tuple[str, tuple[str, ...]]] = [
        (f"the cluster's end: {printable(path.cluster_end.text)}", ())
    ]
    for passage in path.layers:
        parts = "; ".join(_part_text(passage, p) for p in passage.parts)
        reasons = tuple(printable(r) for p in passage.parts for r in p.reasons)
        steps.append((f"{layer_title(passage.layer)}: {parts}", reasons))
    policy_step = (_policy_step(policy, ports_text(path.asked)), ())
    if outbound:
        ordered = [policy_step, *steps, (external, ())]
    else:
        ordered = [(external, ()), *steps, policy_step]
    lines = [f"Path ({path.direction.value}):"]
    for number, (step, reasons) in enumerate(ordered, 1):
        lines.append(f"  {number}. {step}")
        lines.extend(f"     {reason}" for reason in reasons)
    lines.append(decided_line(explanation, path))
    return lines


def decided_line(explanation: FlowExplanation, path: FirewallPath) -> str:
    """The flow's verdict over the path, and what decided it."""
    outbound = path.direction is TrafficDirection.OUTBOUND
    policy = explanation.egress if outbound else explanation.ingress
    if not explanation.verdict:
        side = f"the {policy.direction.value.lower()} policy of {policy.endpoint}"
        return f"Verdict: DENIED by {side} (the policy decided); {_layers_summary(path)}"
    return f"Verdict: {_path_summary(path)}"


def _blocked_text(path: FirewallPath) -> str:
    return "; ".join(
        f"{ports_text(ports)} blocked by {layer_title(path.layers[i].layer)}"
        for i, ports in path.blocked
    )


def _path_summary(path: FirewallPath) -> str:
    if path.verdict is Verdict.DENY:
        first, ports = path.blocked[0]
        rest = f" ({_blocked_text(path)})" if len(path.blocked) > 1 else ""
        return (
            f"DENIED by {layer_title(path.layers[first].layer)}, the first layer that blocks"
            f" {ports_text(ports)}{rest}."
        )
    if path.verdict is Verdict.UNDECIDED:
        deciding = path.deciding
        name = layer_title(path.layers[deciding].layer) if deciding is not None else "a layer"
        return f"CANNOT DECIDE: {name} may or may not let {ports_text(path.undecided)} through."
    parts = [f"ALLOWED: every layer lets {ports_text(path.allowed)} through"]
    if path.blocked:
        parts.append(_blocked_text(path))
    if path.undecided:
        parts.append(f"{ports_text(path.undecided)} cannot be decided")
    return "; ".join(parts) + "."


def _layers_summary(path: FirewallPath) -> str:
    """What the layers would do, when the policy has already decided."""
    parts = []
    if path.allowed:
        parts.append(f"the layers would let {ports_text(path.allowed)} through")
    if path.blocked:
        parts.append(f"on the layers, {_blocked_text(path)}")
    if path.undecided:
        parts.append(f"the layers cannot decide {ports_text(path.undecided)}")
    return "; ".join(parts) + "."


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


def _rule_json(rule: FirewallRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    origin = rule.origin
    where = origin.origin
    return {
        "path": origin.path,
        "name": origin.name or rule.description,
        "file": getattr(where, "file", None),
        "line": getattr(where, "line", None),
    }


def _part_json(passage: LayerPassage, part: LayerPart) -> dict[str, Any]:
    return {
        "verdict": part.verdict.value,
        "ports": part.ports.as_ranges(),
        "rule": _rule_json(part.rule),
        "default": part.rule is None and not part.mixed,
        "mixed": part.mixed,
        "reasons": list(part.reasons),
    }


def _policy_json(part: DirectionVerdict) -> dict[str, Any]:
    return {
        "step": "policy",
        "direction": part.direction.value,
        "endpoint": part.endpoint,
        "verdict": (Verdict.ALLOW if part.allowed else Verdict.DENY).value,
        "ports": part.allowed.as_ranges(),
    }


def _layer_json(passage: LayerPassage) -> dict[str, Any]:
    layer = passage.layer
    return {
        "step": "layer",
        "kind": layer.kind.value,
        "name": layer.name,
        "file": getattr(layer.origin, "file", None),
        "verdicts": [v.value for v in passage.verdicts],
        "parts": [_part_json(passage, p) for p in passage.parts],
    }


def path_json(explanation: FlowExplanation, path: FirewallPath) -> dict[str, Any]:
    """The firewall path as the JSON contract has it (docs/json-explain.md, ``path``)."""
    outbound = path.direction is TrafficDirection.OUTBOUND
    policy = _policy_json(explanation.egress if outbound else explanation.ingress)
    end = path.cluster_end
    translation = {
        "step": "address",
        "translation": end.translation.value,
        "addresses": None if end.addresses is None else end.addresses.cidr_strings(),
        "text": end.text,
    }
    layers = [_layer_json(p) for p in path.layers]
    external = {"step": "external", "addresses": path.external.cidr_strings()}
    if outbound:
        steps = [policy, translation, *layers, external]
    else:
        steps = [external, translation, *layers, policy]
    deciding = path.deciding
    return {
        "direction": path.direction.value,
        "external": path.external.cidr_strings(),
        "steps": steps,
        "verdict": overall_verdict(explanation, path).value,
        "decided_by": _decided_by_json(explanation, path, policy),
        "firewall_verdict": path.verdict.value,
        "deciding_layer": None if deciding is None else path.layers[deciding].layer.name,
        "allowed_ports": path.allowed.as_ranges(),
        "blocked": [
            {"layer": path.layers[i].layer.name, "ports": ports.as_ranges()}
            for i, ports in path.blocked
        ],
        "undecided_ports": path.undecided.as_ranges(),
    }


def _decided_by_json(
    explanation: FlowExplanation, path: FirewallPath, policy: dict[str, Any]
) -> dict[str, Any] | None:
    if not explanation.verdict:
        return {"step": "policy", "direction": policy["direction"]}
    deciding = path.deciding
    if deciding is None:
        return None
    return {"step": "layer", "name": path.layers[deciding].layer.name}


def render_explain_json(explanation: FlowExplanation, path: FirewallPath | None = None) -> str:
    """The explanation as a JSON document (docs/json-explain.md); with a firewall path, its
    ``path`` and the flow's ``verdict`` over it."""
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
    if path is not None:
        doc["path"] = path_json(explanation, path)
    return json.dumps(doc, indent=2) + "\n"
