"""Connectivity between endpoint classes and external address atoms, vectorized.

For NetworkPolicy (networking.k8s.io/v1) a connection from S to D on a port is allowed when
egress from S allows it and ingress to D allows it. A pod is isolated in a direction when
some policy of that type selects it; an isolated pod's allowed traffic in that direction is
the union of all rules of the policies selecting it; a pod no policy isolates is open.
External endpoints have no policies: their own side is always open.

The result holds, for every (source, destination) pair of classes and atoms, the id of its
allowed connection set; ids index a small table of distinct port-atom masks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.engine.atoms import Mask
from netfence.engine.classes import EndpointClasses, NamedPort
from netfence.model.networkpolicy import Direction, NetworkPolicy, Peer, PolicyRule
from netfence.model.selectors import LabelSelector
from netfence.sets.ports import PortSet

BoolArray = npt.NDArray[np.bool_]
IdArray = npt.NDArray[np.uint32]

BLOCK_BYTES: Final = 48 * 1024 * 1024
"""Working memory for one block of destination columns; bounds peak memory on big clusters."""


@dataclass
class ConnectivityMatrix:
    """Allowed connection sets between all classes and address atoms, as ids into ``masks``."""

    classes: EndpointClasses
    """The classes and atoms the matrix is indexed by."""
    table: MaskTable
    """Distinct connection sets as port-atom masks; id 0 is always the empty set."""
    pod_to_pod: IdArray
    """[source class, destination class]."""
    pod_to_ext: IdArray
    """[source class, destination address atom]."""
    ext_to_pod: IdArray
    """[source address atom, destination class]."""
    _portsets: dict[int, PortSet] = field(default_factory=dict)

    @property
    def masks(self) -> list[Mask]:
        """The masks, indexed by id."""
        return self.table.masks

    def portset(self, mask_id: int) -> PortSet:
        """The PortSet of a connection-set id."""
        found = self._portsets.get(mask_id)
        if found is None:
            found = self._portsets[mask_id] = self.classes.port_atoms.to_portset(
                self.masks[mask_id]
            )
        return found


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


class PolicyCompiler:
    """Turns policies into masks over classes and atoms, caching every selector."""

    def __init__(self, classes: EndpointClasses) -> None:
        self.c = classes
        self.count = classes.count
        self.total = classes.count + len(classes.ip_atoms)
        ip_count = len(classes.ip_atoms)
        self.incidence = np.zeros((self.count, ip_count), dtype=np.bool_)
        for i, atoms in enumerate(classes.class_ip_atoms):
            for a in atoms:
                self.incidence[i, a] = True
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
        out = np.zeros(self.total, dtype=np.bool_)
        if peer.ip_block is not None:
            inside = self.c.ip_atoms.atoms_in(peer.ip_block.addresses)
            out[self.count :] = inside
            # ipBlock also matches pods whose IP lies in the block, as CNIs enforce it.
            out[: self.count] = (self.incidence & inside).any(axis=1)
        else:
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
            for peer in rule.peers:
                endpoints |= self.peer(peer, ns)
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
        if rule.named:
            pods = targets < self.count
            pod_targets = targets[pods]
            rows = np.flatnonzero(pods)
            for port in rule.named:
                atom = self.named_atoms(port)[pod_targets]
                ok = atom >= 0
                bits = np.left_shift(np.uint64(1), (atom[ok] & 63).astype(np.uint64))
                np.bitwise_or.at(out, (rows[ok], atom[ok] >> 6), bits)
        return out


class MaskTable:
    """Assigns ids to distinct masks, id 0 being the empty one."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.masks: list[Mask] = [np.zeros(words, dtype=np.uint64)]
        self.ids: dict[bytes, int] = {self.masks[0].tobytes(): 0}

    def encode(self, block: npt.NDArray[np.uint64]) -> IdArray:
        """Ids for an array of masks shaped (..., words)."""
        shape = block.shape[:-1]
        flat = np.ascontiguousarray(block.reshape(-1, self.words))
        if flat.shape[0] == 0:
            return np.zeros(shape, dtype=np.uint32)
        keys = flat.view(np.dtype((np.void, 8 * self.words))).reshape(-1)
        unique, inverse = np.unique(keys, return_inverse=True)
        local = np.empty(len(unique), dtype=np.uint32)
        for i, key in enumerate(unique):
            raw = key.tobytes()
            mask_id = self.ids.get(raw)
            if mask_id is None:
                mask_id = self.ids[raw] = len(self.masks)
                self.masks.append(np.frombuffer(raw, dtype=np.uint64).copy())
            local[i] = mask_id
        return local[inverse.reshape(-1)].reshape(shape)


@dataclass
class CompiledPolicies:
    """Every policy compiled once: what it selects, its rules as masks, and isolation."""

    classes: EndpointClasses
    """The classes and atoms the masks are over."""
    compiler: PolicyCompiler
    """The compiler (for named-port masks towards given targets)."""
    selected: list[BoolArray]
    """Per policy, the classes it selects."""
    ingress: list[CompiledRule]
    """Ingress rules of policies that select some class and have the Ingress type."""
    egress: list[CompiledRule]
    """Egress rules of policies that select some class and have the Egress type."""
    isolated_in: BoolArray
    """Classes some policy isolates for ingress."""
    isolated_out: BoolArray
    """Classes some policy isolates for egress."""


def compile_policies(classes: EndpointClasses) -> CompiledPolicies:
    """Compile every policy of the cluster against the classes and atoms."""
    compiler = PolicyCompiler(classes)
    count = compiler.count
    ingress: list[CompiledRule] = []
    egress: list[CompiledRule] = []
    selected_all: list[BoolArray] = []
    isolated_in = np.zeros(count, dtype=np.bool_)
    isolated_out = np.zeros(count, dtype=np.bool_)
    for p, policy in enumerate(classes.cluster.policies):
        selected = compiler.selected(policy)
        selected_all.append(selected)
        ns = compiler.ns_index[policy.namespace]
        for direction, isolated, rules in (
            (Direction.INGRESS, isolated_in, ingress),
            (Direction.EGRESS, isolated_out, egress),
        ):
            if direction not in policy.policy_types:
                continue
            isolated |= selected
            if not selected.any():
                continue
            for r, rule in enumerate(policy.rules(direction)):
                compiled = compiler.rule(rule, ns)
                compiled.policy_index, compiled.direction, compiled.rule_index = p, direction, r
                rules.append(compiled)
    return CompiledPolicies(
        classes, compiler, selected_all, ingress, egress, isolated_in, isolated_out
    )


def compute_connectivity(
    classes: EndpointClasses, compiled: CompiledPolicies | None = None
) -> ConnectivityMatrix:
    """Allowed connection sets between every pair of classes and address atoms."""
    if compiled is None:
        compiled = compile_policies(classes)
    compiler = compiled.compiler
    count, total = compiler.count, compiler.total
    words = classes.port_atoms.words
    full = classes.port_atoms.full
    isolated_in, isolated_out = compiled.isolated_in, compiled.isolated_out

    table = MaskTable(words)
    pod_to_pod = np.zeros((count, count), dtype=np.uint32)
    ext_to_pod = np.zeros((total - count, count), dtype=np.uint32)
    open_out = np.flatnonzero(~isolated_out)
    block = max(1, BLOCK_BYTES // max(1, 8 * words * (total + count)))
    for start in range(0, count, block):
        stop = min(count, start + block)
        width = stop - start
        into = np.zeros((total, width, words), dtype=np.uint64)
        for rule in compiled.ingress:
            selected = compiled.selected[rule.policy_index]
            dst = np.flatnonzero(selected[start:stop])
            if dst.size == 0:
                continue
            src = np.flatnonzero(rule.endpoints)
            masks = compiler.target_masks(rule, dst + start)
            into[np.ix_(src, dst)] |= masks[np.newaxis, :, :]
        into[:, ~isolated_in[start:stop]] = full
        out = np.zeros((count, width, words), dtype=np.uint64)
        for rule in compiled.egress:
            src = np.flatnonzero(compiled.selected[rule.policy_index])
            dst = np.flatnonzero(rule.endpoints[start:stop])
            if dst.size == 0:
                continue
            masks = compiler.target_masks(rule, dst + start)
            out[np.ix_(src, dst)] |= masks[np.newaxis, :, :]
        out[open_out] = full
        pod_to_pod[:, start:stop] = table.encode(out & into[:count])
        ext_to_pod[:, start:stop] = table.encode(into[count:])
        del into, out

    ext_count = total - count
    to_ext = np.zeros((count, ext_count, words), dtype=np.uint64)
    for rule in compiled.egress:
        src = np.flatnonzero(compiled.selected[rule.policy_index])
        dst = np.flatnonzero(rule.endpoints[count:])
        if dst.size == 0:
            continue
        to_ext[np.ix_(src, dst)] |= np.broadcast_to(rule.static, (dst.size, words))[np.newaxis]
    to_ext[open_out] = full
    pod_to_ext = table.encode(to_ext)
    return ConnectivityMatrix(classes, table, pod_to_pod, pod_to_ext, ext_to_pod)


__all__ = [
    "CompiledPolicies",
    "CompiledRule",
    "ConnectivityMatrix",
    "MaskTable",
    "PolicyCompiler",
    "compile_policies",
    "compute_connectivity",
]
