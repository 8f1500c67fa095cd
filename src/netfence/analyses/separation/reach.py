"""What a workload's pod policies let it reach of a destination, and which rules let it.

The reach comes from the audit's connectivity map; the rules from the evaluator's one-flow
walk over the same compiled tiers, asked about the destination's ports only (so a rule that
opens DNS to everything is not named as what opens the API server's port).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from netfence.analyses.audit.context import AuditContext, WorkloadView
from netfence.analyses.audit.predicates import Provenance, rule_cause, rule_key, rule_text
from netfence.engine.evaluator import StepKind, walk_flow
from netfence.model.findings import Cause
from netfence.model.layers import Action, RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet


@dataclass(frozen=True)
class PolicyReach:
    """The part of a destination a workload's pod policies let it reach."""

    addresses: IPRangeSet
    """The destination's addresses reached on some asked port."""
    ports: PortSet
    """The asked ports allowed to some of them."""


def policy_reach(
    ctx: AuditContext, view: WorkloadView, addresses: IPRangeSet, asked: PortSet
) -> PolicyReach:
    """What of ``addresses`` on ``asked`` the workload's pods may open, over all its classes
    (remembered per set of classes: workloads share them)."""
    key = ("separation-reach", view.classes, addresses, asked)
    found = _memo(ctx).get(key)
    if found is None:
        found = _memo(ctx)[key] = _policy_reach(ctx, view.classes, addresses, asked)
    assert isinstance(found, PolicyReach)
    return found


def _memo(ctx: AuditContext) -> dict[tuple[object, ...], object]:
    memo: dict[tuple[object, ...], object] = ctx.memo("separation", dict)
    return memo


def _policy_reach(
    ctx: AuditContext, classes: tuple[int, ...], addresses: IPRangeSet, asked: PortSet
) -> PolicyReach:
    reached: list[IPRangeSet] = []
    ports = PortSet.none()
    for cls in classes:
        for ranges, allowed in ctx.external_reach(cls, True):
            part, open_ports = ranges & addresses, allowed & asked
            if part and open_ports:
                reached.append(part)
                ports = ports | open_ports
    return PolicyReach(IPRangeSet.union_of(reached), ports)


def port_mask(ctx: AuditContext, ports: PortSet) -> Mask:
    """The port atoms that hold some of ``ports`` (the rules cannot tell an atom's values
    apart, so asking the atom asks the port)."""
    atoms = ctx.classes.port_atoms
    wanted = []
    for index, (proto, lo, hi) in enumerate(atoms.atoms):
        if proto in ports.protocols() and any(
            start <= hi and end >= lo for start, end in ports.ports(proto)
        ):
            wanted.append(index)
    return atoms.mask_of_atoms(wanted)


def provenance(
    ctx: AuditContext, classes: tuple[int, ...], addresses: IPRangeSet, ports: PortSet
) -> Provenance:
    """The pod-policy rules that let the classes open ``ports`` to ``addresses``: Allow
    rules that decide some of those ports, Pass rules whose ports the default then allows,
    and whether the default (no policy deciding) allows some (remembered per question)."""
    key = ("separation-provenance", classes, addresses, ports)
    found = _memo(ctx).get(key)
    if found is None:
        found = _memo(ctx)[key] = _provenance(ctx, classes, addresses, ports)
    assert isinstance(found, Provenance)
    return found


def _provenance(
    ctx: AuditContext, classes: Iterable[int], addresses: IPRangeSet, ports: PortSet
) -> Provenance:
    asked = port_mask(ctx, ports)
    count = ctx.classes.count
    inside = ctx.atoms_overlapping(addresses)
    matrix = ctx.matrix
    allowed: dict[tuple[object, ...], RuleOrigin] = {}
    passed: dict[tuple[object, ...], RuleOrigin] = {}
    by_default = False
    for cls in classes:
        ids = matrix.pod_to_ext[cls]
        atoms = inside[ids[inside] != 0]
        seen: set[int] = set()
        for atom in atoms.tolist():
            mask_id = int(ids[atom])
            if mask_id in seen or not (matrix.portset(mask_id) & ports):
                continue
            seen.add(mask_id)
            peer = count + atom
            walk = walk_flow(ctx.compiled, Direction.EGRESS, cls, peer, peer, asked)
            defaulted = next((s for s in walk.steps if s.kind is StepKind.DEFAULT), None)
            for step in walk.steps:
                if step.kind is not StepKind.RULE or step.origin is None:
                    continue
                if not np.any(step.ports & asked):
                    continue
                key = rule_key(step.origin, whole_rule=True)
                if step.action is Action.ALLOW:
                    allowed.setdefault(key, step.origin)
                elif step.action is Action.PASS and defaulted is not None:
                    if np.any(step.ports & defaulted.ports):
                        passed.setdefault(key, step.origin)
            if defaulted is not None and np.any(defaulted.ports & asked & walk.allowed):
                by_default = True
    return Provenance(tuple(allowed.values()), tuple(passed.values()), by_default)


def how_allowed(found: Provenance, isolated: bool) -> str:
    """What lets it through, for messages: ``allowed by ...``, or ``no egress policy
    isolates it (the namespace default allows everything)``."""
    parts = []
    if found.allowed_by:
        names = [rule_text(o) for o in found.allowed_by]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        parts.append(f"allowed by {', '.join(names[:3])}{more}")
    if found.passed_by:
        names = [rule_text(o) for o in found.passed_by]
        parts.append(f"passed on by {', '.join(names)} and allowed as no later policy decides")
    elif found.by_default:
        parts.append(
            "allowed as no policy decides it"
            if isolated
            else "no egress policy isolates it (the namespace default allows everything)"
        )
    return "; ".join(parts) or "allowed by the pod policies"


def cause_of(ctx: AuditContext, view: WorkloadView, found: Provenance) -> Cause | None:
    """What to change: the one rule that lets it through; the namespace, when only the
    default does (a default-deny egress policy there stops it); None when several do."""
    rules = found.allowed_by + found.passed_by
    if len(rules) == 1 and not (found.by_default and not found.passed_by):
        return rule_cause(rules[0])
    if found.by_default and not rules:
        return Cause(ctx.namespace_resource(ctx.cluster.namespaces[view.namespace]))
    return None
