"""Compile policies into masks over endpoint classes and address atoms, arranged in tiers.

Every policy language ends up in the same shape: ordered tiers of ordered rules, each rule a
mask of peers, a mask of the subjects it applies to, ports (fixed, or named and resolved on
each destination) and an action. Kubernetes NetworkPolicy is one tier whose rules all allow
and whose selected pods are denied what no rule allows (networking.k8s.io/v1 isolation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import EndpointClasses, NamedPort
from netfence.errors import Location
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyRule
from netfence.model.selectors import LabelSelector
from netfence.sets.atoms import AddressEndpoints, Mask
from netfence.sets.ipranges import IPRangeSet

BoolArray = npt.NDArray[np.bool_]


@dataclass
class CompiledRule:
    """A rule as masks: the peers it matches and the ports it allows."""

    endpoints: BoolArray
    """Peers matched, over classes then atoms."""
    static: Mask
    """Ports allowed whatever the destination."""
    named: list[NamedPort]
    """Named ports, resolved on each destination class."""
    policy_index: int = -1
    """Index of the policy in ``cluster.policies``."""
    direction: Direction = Direction.INGRESS
    """Which rule list the rule is in."""
    rule_index: int = -1
    """0-based index in that list."""
    action: Action = Action.ALLOW
    """What the rule does with what it matches."""
    subjects: BoolArray | None = None
    """The classes the rule applies to (its policy's selection, narrowed by the rule)."""
    static_not: Mask | None = None
    """Ports excluded whatever the destination (Calico notPorts, notProtocol)."""
    named_not: list[NamedPort] = field(default_factory=list)
    """Named ports excluded, resolved on each destination class."""
    source: str = ""
    """``Kind/key`` of the policy the rule comes from, for explanations."""
    location: Location | None = None
    """Where the rule is written."""


class PolicyCompiler:
    """Turns policies into masks over classes and atoms, caching every selector."""

    def __init__(self, classes: EndpointClasses) -> None:
        self.c = classes
        self.count = classes.count
        self.total = classes.count + len(classes.ip_atoms)
        self.ip_endpoints = AddressEndpoints(classes.ip_atoms, classes.class_ip_atoms)
        self._ns_cache: dict[LabelSelector, BoolArray] = {}
        self._peer_cache: dict[tuple[object, ...], BoolArray] = {}
        self._named_atoms: dict[NamedPort, npt.NDArray[np.int64]] = {}
        ns_index = {name: i for i, name in enumerate(classes.namespaces)}
        self.ns_index = ns_index

    def namespaces_matching(self, selector: LabelSelector) -> BoolArray:
        found = self._ns_cache.get(selector)
        if found is None:
            namespaces = self.c.cluster.namespaces
            found = np.array(
                [selector.matches(namespaces[n].labels) for n in self.c.namespaces], dtype=np.bool_
            )
            self._ns_cache[selector] = found
        return found

    def selected(self, policy: NetworkPolicy) -> BoolArray:
        """Classes a policy applies to: its namespace, its podSelector."""
        in_ns: BoolArray = self.c.class_ns == self.ns_index[policy.namespace]
        return in_ns & self.c.pod_selector_mask(policy.pod_selector)

    def peer(self, peer: Peer, ns: int) -> BoolArray:
        scope = ns if peer.namespace_selector is None and peer.ip_block is None else -1
        key = (peer.pod_selector, peer.namespace_selector, peer.ip_block, scope)
        found = self._peer_cache.get(key)
        if found is not None:
            return found
        if peer.ip_block is not None:
            # ipBlock also matches pods whose IP lies in the block, as CNIs enforce it.
            out = self.ip_endpoints.mask(peer.ip_block.addresses)
        else:
            out = np.zeros(self.total, dtype=np.bool_)
            if peer.namespace_selector is None:
                ns_ok = self.c.class_ns == ns
            else:
                ns_ok = self.namespaces_matching(peer.namespace_selector)[self.c.class_ns]
            pods_ok = (
                self.c.pod_selector_mask(peer.pod_selector)
                if peer.pod_selector is not None
                else np.ones(self.count, dtype=np.bool_)
            )
            out[: self.count] = ns_ok & pods_ok
        self._peer_cache[key] = out
        return out

    def rule(self, rule: PolicyRule, ns: int) -> CompiledRule:
        atoms = self.c.port_atoms
        if rule.peers is None:
            endpoints = np.ones(self.total, dtype=np.bool_)
        else:
            endpoints = np.zeros(self.total, dtype=np.bool_)
            blocks = [p.ip_block.addresses for p in rule.peers if p.ip_block is not None]
            for peer in rule.peers:
                if peer.ip_block is None:
                    endpoints |= self.peer(peer, ns)
            if blocks:
                # The ipBlocks of a rule together, once: no mask per block is made or cached.
                endpoints |= self.ip_endpoints.mask(IPRangeSet.union_of(blocks))
        if rule.ports is None:
            return CompiledRule(endpoints, atoms.full, [])
        static = atoms.empty.copy()
        named: list[NamedPort] = []
        for port in rule.ports:
            if isinstance(port.port, str):
                named.append((port.port, port.protocol))
            elif port.port is None:
                static |= atoms.mask_of_span(port.protocol, 1, 65535)
            else:
                static |= atoms.mask_of_span(port.protocol, port.port, port.end_port or port.port)
        return CompiledRule(endpoints, static, named)

    def named_atoms(self, port: NamedPort) -> npt.NDArray[np.int64]:
        """Per class, the atom index of the named port, or -1 where it does not resolve."""
        found = self._named_atoms.get(port)
        if found is None:
            numbers = self.c.named[port]
            atoms = self.c.port_atoms
            found = np.array(
                [-1 if n < 0 else atoms.atom_of(port[1], int(n)) for n in numbers.tolist()],
                dtype=np.int64,
            )
            self._named_atoms[port] = found
        return found

    def target_masks(
        self, rule: CompiledRule, targets: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.uint64]:
        """Allowed port masks towards each target (class index, or atom index past the classes)."""
        words = self.c.port_atoms.words
        out = np.broadcast_to(rule.static, (len(targets), words)).copy()
        self._add_named(out, rule.named, targets)
        if rule.static_not is not None or rule.named_not:
            excluded = np.zeros_like(out)
            if rule.static_not is not None:
                excluded |= rule.static_not
            self._add_named(excluded, rule.named_not, targets)
            out &= ~excluded
        return out

    def _add_named(
        self, out: npt.NDArray[np.uint64], named: list[NamedPort], targets: npt.NDArray[np.intp]
    ) -> None:
        """Set the bits of named ports, resolved on each in-cluster target."""
        if not named:
            return
        pods = targets < self.count
        pod_targets = targets[pods]
        rows = np.flatnonzero(pods)
        for port in named:
            atom = self.named_atoms(port)[pod_targets]
            ok = atom >= 0
            bits = np.left_shift(np.uint64(1), (atom[ok] & 63).astype(np.uint64))
            np.bitwise_or.at(out, (rows[ok], atom[ok] >> 6), bits)


@dataclass
class CompiledTier:
    """One tier: its rules in evaluation order, and the classes its policies select.

    A class a tier selects (for a direction) and that no rule of the tier decided is denied
    at the end of the tier when ``end_deny`` is set (Calico tiers, Kubernetes isolation), or
    passed on to the next tier otherwise (AdminNetworkPolicy tiers).
    """

    name: str
    """The tier's name, for explanations."""
    end_deny: bool
    """Whether undecided traffic of selected classes is denied at the end of the tier."""
    ingress: list[CompiledRule] = field(default_factory=list)
    """Ingress rules, in order."""
    egress: list[CompiledRule] = field(default_factory=list)
    """Egress rules, in order."""
    selected_in: BoolArray | None = None
    """Classes some policy of the tier selects for ingress."""
    selected_out: BoolArray | None = None
    """Classes some policy of the tier selects for egress."""

    @property
    def allow_only(self) -> bool:
        """Whether every rule allows: the tier is a union, order does not matter."""
        return all(r.action is Action.ALLOW for r in self.ingress + self.egress)

    def rules(self, direction: Direction) -> list[CompiledRule]:
        """The rules of one direction."""
        return self.ingress if direction is Direction.INGRESS else self.egress

    def selected(self, direction: Direction) -> BoolArray | None:
        """The classes selected for one direction."""
        return self.selected_in if direction is Direction.INGRESS else self.selected_out


@dataclass
class CompiledPolicies:
    """Every policy compiled once: tiers in evaluation order, plus per-policy selections."""

    classes: EndpointClasses
    """The classes and atoms the masks are over."""
    compiler: PolicyCompiler
    """The compiler (for named-port masks towards given targets)."""
    selected: list[BoolArray]
    """Per Kubernetes NetworkPolicy (index in ``cluster.policies``), the classes it selects."""
    ingress: list[CompiledRule]
    """Kubernetes NetworkPolicy ingress rules of policies that select some class."""
    egress: list[CompiledRule]
    """Kubernetes NetworkPolicy egress rules of policies that select some class."""
    isolated_in: BoolArray
    """Classes some tier with an end-of-tier deny selects for ingress."""
    isolated_out: BoolArray
    """Classes some tier with an end-of-tier deny selects for egress."""
    tiers: list[CompiledTier] = field(default_factory=list)
    """All tiers, in evaluation order."""


def compile_policies(classes: EndpointClasses) -> CompiledPolicies:
    """Compile every policy of the cluster against the classes and atoms, in tiers."""
    from netfence.engine.tiers import (  # the tier builders use this module's types
        KUBERNETES_POLICY_ORDER,
        PolicyRules,
        admin_tiers,
        calico_tiers,
        make_tier,
    )

    compiler = PolicyCompiler(classes)
    count = compiler.count
    cluster = classes.cluster
    ingress: list[CompiledRule] = []
    egress: list[CompiledRule] = []
    selected_all: list[BoolArray] = []
    k8s_in = np.zeros(count, dtype=np.bool_)
    k8s_out = np.zeros(count, dtype=np.bool_)
    members: list[PolicyRules] = []
    for p, policy in enumerate(cluster.policies):
        selected = compiler.selected(policy)
        selected_all.append(selected)
        ns = compiler.ns_index[policy.namespace]
        member = PolicyRules(
            f"NetworkPolicy/{policy.key}",
            KUBERNETES_POLICY_ORDER,
            f"knp.default.{policy.name}",
            [],
            [],
            selected if Direction.INGRESS in policy.policy_types else None,
            selected if Direction.EGRESS in policy.policy_types else None,
        )
        members.append(member)
        for direction, isolated, rules, mine in (
            (Direction.INGRESS, k8s_in, ingress, member.ingress),
            (Direction.EGRESS, k8s_out, egress, member.egress),
        ):
            if direction not in policy.policy_types:
                continue
            isolated |= selected
            if not selected.any():
                continue
            for r, rule in enumerate(policy.rules(direction)):
                compiled = compiler.rule(rule, ns)
                compiled.policy_index, compiled.direction, compiled.rule_index = p, direction, r
                compiled.subjects = selected
                compiled.source = member.source
                compiled.location = rule.location
                rules.append(compiled)
                mine.append(compiled)
    admin, baseline = admin_tiers(compiler)
    tiers: list[CompiledTier] = []
    if cluster.calico_policies:
        placed = calico_tiers(compiler, members, admin, baseline)
        tiers = [tier for _, _, tier in sorted(placed, key=lambda t: (t[0], t[1]))]
    else:
        if admin:
            tiers.append(make_tier("Admin", False, admin, count))
        tiers.append(CompiledTier("NetworkPolicy", True, ingress, egress, k8s_in, k8s_out))
        if baseline:
            tiers.append(make_tier("Baseline", False, baseline, count))
    isolated_in = np.zeros(count, dtype=np.bool_)
    isolated_out = np.zeros(count, dtype=np.bool_)
    for tier in tiers:
        if tier.end_deny:
            if tier.selected_in is not None:
                isolated_in |= tier.selected_in
            if tier.selected_out is not None:
                isolated_out |= tier.selected_out
    return CompiledPolicies(
        classes, compiler, selected_all, ingress, egress, isolated_in, isolated_out, tiers
    )
