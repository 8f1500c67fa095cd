"""Explain one flow through firewall layers in order: each layer's verdict and the rule that
decided it, the rules that may match before it and why, and the path's verdict."""

from __future__ import annotations

from collections.abc import Sequence

from netfence.engine.firewall import FirewallSpace, LayerDecision, PathDecision, Verdict
from netfence.model.firewall import TrafficDirection


def describe_path(
    space: FirewallSpace,
    layers: Sequence[int],
    direction: TrafficDirection,
    source: str,
    destination: str,
    protocol: str,
    port: int,
) -> str:
    """The path's decision on one flow, as text for people (one line per layer and per rule
    that may match), ending with the verdict and the layer that decided it."""
    decision = space.decide_path(layers, direction, source, destination, protocol, port)
    lines = [f"{direction.value} {source} -> {destination} {protocol} {port}"]
    for step in decision.decisions:
        lines.extend(_layer_lines(space, step))
    lines.append(_verdict_line(space, decision))
    return "\n".join(lines) + "\n"


def _rule_text(space: FirewallSpace, layer: int, rule: int | None) -> str:
    firewall = space.layers[layer]
    if rule is None:
        return "the default"
    origin = firewall.rules[rule].origin
    where = f" ({origin.origin})" if origin.origin is not None else ""
    return f"{origin.path}{where}"


def _layer_lines(space: FirewallSpace, step: LayerDecision) -> list[str]:
    firewall = space.layers[step.layer]
    decided = "the default" if step.rule is None else _rule_text(space, step.layer, step.rule)
    lines = [f"  {firewall.kind.value} {firewall.name}: {step.verdict.value} by {decided}"]
    for label, maybes in (("other", step.undecided_by), ("same", step.possibly_by)):
        lines.extend(
            f"    may first match, with the {label} action: "
            f"{_rule_text(space, step.layer, m.rule)}: {m.reason}"
            for m in maybes
        )
    return lines


def _verdict_line(space: FirewallSpace, decision: PathDecision) -> str:
    if decision.deciding is None:
        return "Allowed: no layer on the path."
    name = space.layers[decision.deciding.layer].name
    if decision.verdict is Verdict.DENY:
        return f"Denied by {name}."
    if decision.verdict is Verdict.UNDECIDED:
        return f"Cannot decide: {name} may or may not let it through."
    return f"Allowed by every layer (last: {name})."
