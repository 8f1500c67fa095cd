"""Questions the checks ask of the compiled rules, the same for every policy family.

Checks read ``ctx.compiled`` (tiers of rules with masks and a typed :class:`RuleOrigin`), so
a check written once covers Kubernetes NetworkPolicy, Calico and the AdminNetworkPolicy
family alike. Where a finding must quote what a user wrote (a selector), the helpers here
look the source object up by the rule's origin. The few questions about selector *syntax*
(NF013, NF014: which namespaces created later a selector admits) are Kubernetes
NetworkPolicy's own and stay at the end of this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from netfence.analyses.audit.context import AuditContext, resource_of
from netfence.engine.evaluator import StepKind, walk_flow
from netfence.errors import Location
from netfence.model.adminpolicy import AdminNetworkPolicy, AdminSubject
from netfence.model.calico import CalicoPolicy
from netfence.model.findings import Cause, ResourceRef
from netfence.model.layers import Action, RuleOrigin
from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyRule
from netfence.model.origin import Origin
from netfence.model.selectors import LabelSelector, Operator
from netfence.policy.interface import DroppedUse
from netfence.policy.registry import dropped_uses
from netfence.policy.rules import CompiledPolicy, CompiledRule, CompiledTier, PortEntry
from netfence.policy.space import BoolArray
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import MAX_PORT, PortSet

SourcePolicy = NetworkPolicy | CalicoPolicy | AdminNetworkPolicy
"""A policy as read, of any family."""

CALICO_KINDS = frozenset({"CalicoNetworkPolicy", "GlobalNetworkPolicy"})
"""The kinds :class:`RuleOrigin` gives Calico policies."""


# Naming rules and policies ---------------------------------------------------------------


def policy_resource(
    kind: str, namespace: str | None, name: str, location: Origin | None
) -> ResourceRef:
    """A policy of any family as a resource (a Calico NetworkPolicy under its API kind)."""
    api_kind = "NetworkPolicy" if kind == "CalicoNetworkPolicy" else kind
    return resource_of(api_kind, namespace, name, location)


def rule_resource(origin: RuleOrigin, location: Location | None = None) -> ResourceRef:
    """The policy a rule comes from, located at ``location`` (a field) or at the rule."""
    return policy_resource(origin.kind, origin.namespace, origin.name, location or origin.location)


def rule_cause(origin: RuleOrigin, location: Location | None = None) -> Cause:
    """The rule of ``origin`` as the cause of a finding, located at the rule (or ``location``)."""
    return Cause(rule_resource(origin, location), origin.rule_path)


def rule_text(origin: RuleOrigin) -> str:
    """``Kind/namespace/name spec.ingress[0]``, with the rule's name where it has one."""
    named = f" ({origin.rule_name})" if origin.rule_name else ""
    return f"{origin.policy} {origin.rule_path}{named}"


def source_policy(ctx: AuditContext, kind: str, index: int) -> SourcePolicy:
    """The policy as read, from a compiled rule's or policy's kind and index."""
    cluster = ctx.cluster
    if kind == "NetworkPolicy":
        return cluster.policies[index]
    if kind in CALICO_KINDS:
        return cluster.calico_policies[index]
    return cluster.admin_policies[index]


# Which rules -----------------------------------------------------------------------------


def applying_rules(
    ctx: AuditContext, direction: Direction | None = None
) -> Iterator[tuple[CompiledTier, CompiledRule]]:
    """Every compiled rule that applies to some class, in walk order, with its tier."""
    for tier in ctx.compiled.tiers:
        for rule in tier.ingress + tier.egress:
            if direction is not None and rule.direction is not direction:
                continue
            if rule.subjects.any():
                yield tier, rule


def dropped_by_rule(ctx: AuditContext) -> dict[tuple[object, ...], list[DroppedUse]]:
    """Uses of dropped features by rule (and peer): see :func:`rule_key`."""
    out: dict[tuple[object, ...], list[DroppedUse]] = {}
    for use in dropped_uses(ctx.cluster):
        if use.rule is not None:
            out.setdefault(rule_key(use.rule), []).append(use)
            out.setdefault(rule_key(use.rule, whole_rule=True), []).append(use)
    return out


def rule_key(origin: RuleOrigin, whole_rule: bool = False) -> tuple[object, ...]:
    """Identifies a rule (and its peer entry unless ``whole_rule``) across compilations."""
    peer = None if whole_rule else origin.peer_index
    return (origin.kind, origin.namespace, origin.name, origin.direction, origin.rule_index, peer)


# What a rule matches ---------------------------------------------------------------------


def pod_network(ctx: AuditContext) -> BoolArray:
    """Classes whose pods are on the pod network (not host-networked)."""
    return ctx.pod_network


def matches_every_peer(ctx: AuditContext, rule: CompiledRule) -> bool:
    """Whether the rule matches every pod on the pod network and every IPv4 address.

    Host-networked pods are left out of "every pod": Calico and the AdminNetworkPolicy
    family never match them by selector (their traffic is the node's), and a NetworkPolicy
    allow-all matches them anyway.
    """
    count = ctx.classes.count
    v4 = ctx.classes.ip_atoms.families == 4
    pods = rule.endpoints[:count][pod_network(ctx)]
    return bool(pods.all() and rule.endpoints[count:][v4].all())


def matches_every_port(ctx: AuditContext, rule: CompiledRule) -> bool:
    """Whether the rule matches every TCP and UDP port whatever the destination (named ports
    depend on the destination, so they do not count)."""
    atoms = ctx.classes.port_atoms
    wanted = atoms.mask_of_portset(PortSet.of("TCP", 1, MAX_PORT) | PortSet.of("UDP", 1, MAX_PORT))
    have = rule.static.copy()
    if rule.static_not is not None:
        have &= ~rule.static_not
    return not bool((wanted & ~have).any())


def peer_masks(rule: CompiledRule) -> list[tuple[int | None, BoolArray, Location | None]]:
    """(peer index, endpoints, location) per peer entry; one entry (index None) for the whole
    peer side of a rule without a peer list of its own (Calico's source or destination)."""
    if rule.peers:
        return [
            (k, mask, rule.peer_locations[k] if k < len(rule.peer_locations) else None)
            for k, mask in enumerate(rule.peers)
        ]
    return [(None, rule.endpoints, rule.location)]


def peer_path(origin: RuleOrigin, peer_index: int | None) -> str:
    """The field path of a peer entry, or of a Calico rule's peer side."""
    if peer_index is not None:
        return RuleOrigin(
            origin.kind, origin.namespace, origin.name, origin.direction, origin.rule_index,
            peer_index=peer_index,
        ).path  # fmt: skip
    side = "source" if origin.direction is Direction.INGRESS else "destination"
    return f"{origin.rule_path}.{side}"


def peer_selectors(
    ctx: AuditContext, rule: CompiledRule, peer_index: int | None
) -> tuple[str | None, str | None]:
    """(namespace selector, pod selector) of a peer as written (Calico: the peer side's
    ``namespaceSelector`` and ``selector``); None where it has none."""
    origin = rule.origin
    policy = source_policy(ctx, origin.kind, rule.policy_index)
    if isinstance(policy, CalicoPolicy):
        calico = policy.rules(origin.direction)[origin.rule_index]
        entity = calico.source if origin.direction is Direction.INGRESS else calico.destination
        return _text(entity.namespace_selector), _text(entity.selector)
    if isinstance(policy, NetworkPolicy):
        peers = policy.rules(origin.direction)[origin.rule_index].peers or ()
        if peer_index is None or peer_index >= len(peers):
            return None, None
        k8s = peers[peer_index]
        return _text(k8s.namespace_selector), _text(k8s.pod_selector)
    rules = policy.ingress if origin.direction is Direction.INGRESS else policy.egress
    admin = rules[origin.rule_index].peers
    if peer_index is None or peer_index >= len(admin):
        return None, None
    return _text(admin[peer_index].namespace_selector), _text(admin[peer_index].pod_selector)


def _text(selector: object | None) -> str | None:
    return None if selector is None else str(selector)


@dataclass(frozen=True)
class Selection:
    """What a policy selects, as written."""

    text: str
    """The selection in the policy's language."""
    field: str
    """Where it is written."""
    pod_selector: str | None
    """A Kubernetes NetworkPolicy's podSelector; None for other kinds."""
    location: Origin | None
    """Where the policy is written."""


def policy_selection(ctx: AuditContext, compiled: CompiledPolicy) -> Selection:
    """How a compiled policy's selection is written in its source."""
    policy = source_policy(ctx, compiled.kind, compiled.policy_index)
    if isinstance(policy, NetworkPolicy):
        text = str(policy.pod_selector)
        return Selection(text, "spec.podSelector", text, policy.location)
    if isinstance(policy, CalicoPolicy):
        parts = [str(policy.selector)]
        if policy.namespace_selector is not None:
            parts.append(f"namespaceSelector: {policy.namespace_selector}")
        if policy.service_account_selector is not None:
            parts.append(f"serviceAccountSelector: {policy.service_account_selector}")
        return Selection("; ".join(parts), "spec.selector", None, policy.location)
    return Selection(_subject_text(policy.subject), "spec.subject", None, policy.location)


def _subject_text(subject: AdminSubject) -> str:
    if subject.pod_selector is None:
        return f"namespaces: {subject.namespace_selector}"
    return f"pods: namespaces {subject.namespace_selector}, pods {subject.pod_selector}"


# Named ports -----------------------------------------------------------------------------


def rule_destinations(ctx: AuditContext, rule: CompiledRule) -> BoolArray:
    """Pod classes a rule's named ports are resolved on: the selected pods for ingress, the
    peer pods for egress."""
    if rule.direction is Direction.INGRESS:
        return rule.subjects
    return rule.endpoints[: ctx.classes.count]


def unresolved_named_ports(ctx: AuditContext, rule: CompiledRule) -> list[tuple[str, PortEntry]]:
    """(field path, entry) of each port entry whose named ports no destination of the rule
    declares (NF019), for a rule that has destinations at all.

    A named port never matches an external address, so an egress rule towards addresses only
    is as blocked as one whose pods lack the name.
    """
    count = ctx.classes.count
    targets = rule_destinations(ctx, rule)
    external = rule.direction is Direction.EGRESS and bool(rule.endpoints[count:].any())
    if not targets.any() and not external:
        return []
    return [
        (path, entry)
        for path, entry in _named_entries(rule)
        if not any(
            (found := ctx.classes.named.get(name)) is not None and bool(np.any(found[targets] >= 0))
            for name in entry.named
        )
    ]


def _named_entries(rule: CompiledRule) -> list[tuple[str, PortEntry]]:
    """(field path, entry) of each port entry naming ports; a rule without entries of its own
    (Calico) gives one per port name, at its ``destination.ports``."""
    origin = rule.origin
    if rule.port_entries:
        return [
            (_at_port(origin, k).path, entry)
            for k, entry in enumerate(rule.port_entries)
            if entry.named
        ]
    by_name: dict[str, list[tuple[str, str]]] = {}
    for named in rule.named:
        by_name.setdefault(named[0], []).append(named)
    path = f"{origin.rule_path}.destination.ports"
    return [
        (path, PortEntry(rule.static[:0], tuple(ports), rule.location))
        for ports in by_name.values()
    ]


def _at_port(origin: RuleOrigin, port_index: int) -> RuleOrigin:
    return RuleOrigin(
        origin.kind, origin.namespace, origin.name, origin.direction, origin.rule_index,
        port_index=port_index,
    )  # fmt: skip


# Which rules decide a flow ---------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """Which rules let a set of connections through, found by the evaluator's own walk."""

    allowed_by: tuple[RuleOrigin, ...]
    """Allow rules that decide some of them, in walk order (rule-level origins)."""
    passed_by: tuple[RuleOrigin, ...]
    """Pass rules whose passed traffic no later tier decides, so the default allows it."""
    by_default: bool
    """Whether some of them are allowed because no tier decides them."""


def external_provenance(
    ctx: AuditContext, classes: Iterable[int], outbound: bool, addresses: IPRangeSet
) -> Provenance:
    """The rules that let the classes reach (or be reached from) the allowed addresses that
    overlap ``addresses``.

    Walks the compiled tiers with the evaluator's one-flow walk (the same semantics as the
    map), once per group of address atoms that the class's rules cannot tell apart.
    """
    direction = Direction.EGRESS if outbound else Direction.INGRESS
    inside = ctx.atoms_overlapping(addresses)
    matrix = ctx.matrix
    signature_of = ctx.subject_signatures(direction)
    memo = _provenance_memo(ctx)
    allowed: dict[tuple[object, ...], RuleOrigin] = {}
    passed: dict[tuple[object, ...], RuleOrigin] = {}
    by_default = False
    for cls in classes:
        ids = matrix.pod_to_ext[cls] if outbound else matrix.ext_to_pod[:, cls]
        atoms = inside[ids[inside] != 0]
        if atoms.size == 0:
            continue
        # Classes of one subject signature meet the same rules on every walk: one walk
        # answers them all (thousands of workloads, a few hundred signatures).
        key = (direction, int(signature_of[cls]), atoms.tobytes())
        found = memo.get(key)
        if found is None:
            found = memo[key] = _class_provenance(ctx, direction, cls, atoms)
        for rule, origin in found.allowed:
            allowed.setdefault(rule, origin)
        for rule, origin in found.passed:
            passed.setdefault(rule, origin)
        by_default = by_default or found.by_default
    return Provenance(tuple(allowed.values()), tuple(passed.values()), by_default)


@dataclass(frozen=True)
class _ClassProvenance:
    """What the walks of one class towards some address atoms met, in walk order."""

    allowed: tuple[tuple[tuple[object, ...], RuleOrigin], ...]
    """(rule key, origin) of the Allow rules that decide."""
    passed: tuple[tuple[tuple[object, ...], RuleOrigin], ...]
    """(rule key, origin) of the Pass rules whose traffic the default allows."""
    by_default: bool
    """Whether the default allows some of it."""


def _class_provenance(
    ctx: AuditContext, direction: Direction, cls: int, atoms: npt.NDArray[np.intp]
) -> _ClassProvenance:
    """Walk the class towards one atom of each group its rules cannot tell apart."""
    compiled = ctx.compiled
    count = ctx.classes.count
    outbound = direction is Direction.EGRESS
    rules = ctx.deciding_rules(direction)
    full = ctx.classes.port_atoms.full
    mine = [rules[i] for i in _rules_by_subject(ctx, direction).get(cls, ())]
    if mine:
        signature = np.array([r.endpoints[count + atoms] for r in mine], dtype=np.bool_)
        _, first = np.unique(signature, axis=1, return_index=True)
        representatives = atoms[np.sort(first)]
    else:
        representatives = atoms[:1]
    allowed: dict[tuple[object, ...], RuleOrigin] = {}
    passed: dict[tuple[object, ...], RuleOrigin] = {}
    by_default = False
    for atom in representatives.tolist():
        peer = count + atom
        walk = walk_flow(compiled, direction, cls, peer, peer if outbound else cls, full)
        defaulted = next((s for s in walk.steps if s.kind is StepKind.DEFAULT), None)
        for step in walk.steps:
            if step.kind is not StepKind.RULE or step.origin is None:
                continue
            if step.action is Action.ALLOW:
                allowed.setdefault(rule_key(step.origin, whole_rule=True), step.origin)
            elif (
                step.action is Action.PASS
                and defaulted is not None
                and (step.ports & defaulted.ports).any()
            ):
                passed.setdefault(rule_key(step.origin, whole_rule=True), step.origin)
        by_default = by_default or defaulted is not None
    return _ClassProvenance(tuple(allowed.items()), tuple(passed.items()), by_default)


def _provenance_memo(ctx: AuditContext) -> dict[tuple[object, ...], _ClassProvenance]:
    """Per-signature walk results, kept with the audit's context."""
    found: dict[tuple[object, ...], _ClassProvenance] = ctx.memo("provenance", dict)
    return found


def _rules_by_subject(ctx: AuditContext, direction: Direction) -> dict[int, list[int]]:
    """Class -> positions in ``ctx.deciding_rules(direction)`` of the rules applying to it,
    in walk order: built once per audit, as every workload asks it."""

    def build() -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, rule in enumerate(ctx.deciding_rules(direction)):
            for cls in np.flatnonzero(rule.subjects).tolist():
                out.setdefault(cls, []).append(i)
        return out

    return ctx.memo(f"rules-by-subject-{direction.value}", build)


# Kubernetes NetworkPolicy selector syntax (NF013, NF014) ---------------------------------


@dataclass(frozen=True)
class RuleRef:
    """One rule of one Kubernetes NetworkPolicy, with its position."""

    policy: NetworkPolicy
    """The policy."""
    direction: Direction
    """Ingress or egress list."""
    index: int
    """0-based index in that list."""
    rule: PolicyRule
    """The rule."""
    compiled: CompiledRule
    """The rule as compiled."""


def networkpolicy_rules(ctx: AuditContext) -> Iterator[RuleRef]:
    """Every rule of every Kubernetes NetworkPolicy that selects some pod, in input order,
    for the directions the policy governs."""
    for p, policy in enumerate(ctx.cluster.policies):
        if not ctx.compiled.selected[p].any():
            continue
        for direction in (Direction.INGRESS, Direction.EGRESS):
            if direction not in policy.policy_types:
                continue
            compiled = ctx.compiled.kubernetes[p].rules(direction)
            for i, rule in enumerate(policy.rules(direction)):
                yield RuleRef(policy, direction, i, rule, compiled[i])


NAMESPACE_LABELS = frozenset({"kubernetes.io/metadata.name"})
"""Labels the API server sets on every namespace, so a new namespace always carries them."""


def matches_future_objects(
    selector: LabelSelector | None, always_set: frozenset[str] = frozenset()
) -> bool:
    """Whether the selector admits objects created later with no particular labels.

    A new object lacks every label except those in ``always_set`` (for namespaces, their
    name label), whose value is unknown in advance. So a requirement admits it when it is
    NotIn or DoesNotExist on an ordinary key, or Exists or NotIn on an always-set key.
    """
    if selector is None:
        return True
    for r in selector.requirements:
        if r.key in always_set:
            if r.operator not in (Operator.EXISTS, Operator.NOT_IN):
                return False
        elif r.operator not in (Operator.NOT_IN, Operator.DOES_NOT_EXIST):
            return False
    return True


def peer_is_any_pod_anywhere(peer: Peer) -> bool:
    """A peer matching every pod of every namespace, present and future."""
    return (
        peer.ip_block is None
        and peer.namespace_selector is not None
        and all(
            r.key in NAMESPACE_LABELS and r.operator is Operator.EXISTS
            for r in peer.namespace_selector.requirements
        )
        and (peer.pod_selector is None or peer.pod_selector.selects_all)
    )
