"""The semantic diff of two clusters: which flows a change opens and which it closes.

Both clusters are put on one footing before anything is computed: their pods are aligned by
identity (``namespace/name``; a workload's pod template by its workload), a pod only on one
side standing on the other as a placeholder that is never reported as a flow; their
namespaces are united; and the endpoint classes and the address and port atoms are built from
both sides' facts together (``build_joint_classes``). Each side's policies are then compiled
against the same classes and the two connectivity matrices compared cell by cell: what the
AFTER side allows and the BEFORE side does not is *added* (opened), the converse *removed*
(closed). Endpoints present on one side only are reported as added or removed endpoints.

Each change is explained on both sides by walking one representative flow (its first source,
its first destination, its first port) through the same compiled tiers ``explain`` uses,
naming the rule that decided each direction.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from netfence.analyses.connectivity_map import Endpoint, Granularity, unit_id_matrices
from netfence.engine.classes import EndpointClasses, build_joint_classes
from netfence.engine.connectivity import ConnectivityMatrix, compute_connectivity
from netfence.engine.explain import DirectionVerdict, FlowEndpoint, explain_endpoints
from netfence.engine.mask_table import MaskTable
from netfence.model.cluster import Cluster, Namespace, Pod
from netfence.model.layers import Action, RuleOrigin
from netfence.model.networkpolicy import Direction
from netfence.model.origin import Origin
from netfence.policy.layering import CompiledPolicies, compile_layers
from netfence.sets.atoms import Mask
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PROTOCOLS, PortSet

IdArray = npt.NDArray[np.uint32]


class Side(enum.StrEnum):
    """Which of the two clusters."""

    BEFORE = "before"
    AFTER = "after"


class ObjectChange(enum.StrEnum):
    """How an object differs between the two sides."""

    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"


@dataclass(frozen=True)
class Decision:
    """What decided one direction of the representative flow on one side."""

    direction: Direction
    """Egress (at the source) or ingress (at the destination)."""
    action: Action | None
    """Allow or Deny; None where no policy governs the endpoint's side (not isolated, or
    an external endpoint)."""
    origin: RuleOrigin | None
    """The deciding rule; None for an end-of-tier deny, the default, or no policy."""
    what: str
    """The rule (``Kind/ns/name spec.ingress[0]``), or why no rule decided."""
    selecting: tuple[str, ...] = ()
    """The policies (``Kind/ns/name``) that select the endpoint for the direction: for an
    end-of-tier deny, the policies whose isolation denies."""


@dataclass(frozen=True)
class SideExplanation:
    """The representative flow walked on one side."""

    allowed: bool
    """Whether the side allows the flow on the representative port."""
    egress: Decision
    """What decided egress from the source."""
    ingress: Decision
    """What decided ingress to the destination."""

    @property
    def decisions(self) -> tuple[Decision, Decision]:
        """Egress, then ingress."""
        return self.egress, self.ingress


@dataclass(frozen=True)
class ChangeExplanation:
    """One flow of a change, explained on both sides."""

    src: str
    """The source: an endpoint name or an address."""
    dst: str
    """The destination: an endpoint name or an address."""
    protocol: str
    """The representative port's protocol."""
    port: int
    """The representative port (or ICMP type*256+code, or protocol number for OTHER)."""
    before: SideExplanation
    """The flow in the BEFORE cluster."""
    after: SideExplanation
    """The flow in the AFTER cluster."""


@dataclass(frozen=True)
class FlowChange:
    """Every source may reach every destination on ``added`` in AFTER and not in BEFORE, and
    on ``removed`` in BEFORE and not in AFTER."""

    src: tuple[str, ...]
    """In-cluster source endpoint names, sorted."""
    src_addresses: IPRangeSet
    """External source addresses (empty when the sources are in the cluster)."""
    dst: tuple[str, ...]
    """In-cluster destination endpoint names, sorted."""
    dst_addresses: IPRangeSet
    """External destination addresses (empty when none)."""
    added: PortSet
    """What AFTER allows that BEFORE did not: opened."""
    removed: PortSet
    """What BEFORE allowed that AFTER does not: closed."""
    opened_by: ChangeExplanation | None
    """A representative opened flow (the first port of ``added``) explained on both sides;
    None when nothing was opened."""
    closed_by: ChangeExplanation | None
    """A representative closed flow (the first port of ``removed``) explained on both
    sides; None when nothing was closed."""

    @property
    def opened(self) -> bool:
        """Whether the change opens anything."""
        return bool(self.added)

    @property
    def closed(self) -> bool:
        """Whether the change closes anything."""
        return bool(self.removed)


@dataclass(frozen=True)
class PolicyChange:
    """A policy object added, removed or modified between the sides."""

    kind: str
    """``NetworkPolicy``, a Calico kind or an admin kind."""
    namespace: str | None
    """Its namespace; None for cluster-scoped kinds."""
    name: str
    """Its name."""
    change: ObjectChange
    """Added, removed or modified."""
    before: Origin | None
    """Where it was read on the BEFORE side; None when added."""
    after: Origin | None
    """Where it was read on the AFTER side; None when removed."""

    @property
    def key(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` when cluster-scoped)."""
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)


@dataclass(frozen=True)
class NamespaceChange:
    """A namespace on both sides whose labels differ (namespaceSelector sees them)."""

    name: str
    """The namespace."""
    before: Mapping[str, str]
    """Its labels in BEFORE."""
    after: Mapping[str, str]
    """Its labels in AFTER."""


@dataclass(frozen=True)
class ClusterDiff:
    """Everything that differs between two clusters' allowed flows, and why."""

    granularity: Granularity
    """Endpoints are workloads or pods."""
    changes: tuple[FlowChange, ...]
    """Grouped flow changes between endpoints present on both sides, sorted."""
    added_endpoints: tuple[Endpoint, ...]
    """Endpoints only in AFTER."""
    removed_endpoints: tuple[Endpoint, ...]
    """Endpoints only in BEFORE."""
    policies: tuple[PolicyChange, ...]
    """Policy objects added, removed or modified, by key."""
    namespaces: tuple[NamespaceChange, ...]
    """Namespaces whose labels changed."""
    endpoints: tuple[Endpoint, ...] = ()
    """Endpoints on both sides, by name."""

    @property
    def opened(self) -> tuple[FlowChange, ...]:
        """The changes that open something."""
        return tuple(c for c in self.changes if c.added)

    @property
    def closed(self) -> tuple[FlowChange, ...]:
        """The changes that close something."""
        return tuple(c for c in self.changes if c.removed)

    @property
    def empty(self) -> bool:
        """Whether nothing at all differs."""
        return not (
            self.changes
            or self.added_endpoints
            or self.removed_endpoints
            or self.policies
            or self.namespaces
        )

    def pairs(self) -> dict[tuple[str, str], tuple[PortSet, PortSet]]:
        """In-cluster (source, destination) pairs expanded, with (added, removed); a Pod to
        itself is left out, as the connectivity map leaves it out."""
        single = {e.name for e in self.endpoints if e.kind == "Pod"}
        out: dict[tuple[str, str], tuple[PortSet, PortSet]] = {}
        for change in self.changes:
            for s in change.src:
                for d in change.dst:
                    if s == d and s in single:
                        continue
                    added, removed = out.get((s, d), (PortSet.none(), PortSet.none()))
                    out[(s, d)] = (added | change.added, removed | change.removed)
        return out


@dataclass
class _Aligned:
    """The two clusters over one pod list and one namespace set."""

    before: Cluster
    after: Cluster
    present: dict[Side, npt.NDArray[np.bool_]]


def _identities(pods: Iterable[Pod]) -> list[tuple[str, int]]:
    """Each pod's identity: its key, and how many pods before it had that key."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for pod in pods:
        out.append((pod.key, seen[pod.key]))
        seen[pod.key] += 1
    return out


def _united_namespaces(own: Cluster, other: Cluster, order: list[str]) -> dict[str, Namespace]:
    return {name: own.namespaces.get(name) or other.namespaces[name] for name in order}


def _align(before: Cluster, after: Cluster) -> _Aligned:
    """Both clusters over the same pods in the same order: BEFORE's pods, then the pods only
    AFTER has; a pod missing from a side stands there as the other side's pod (a placeholder:
    a flow's verdict never depends on a third pod, and its own cells are never reported)."""
    after_by_id = dict(zip(_identities(after.pods), after.pods, strict=True))
    before_ids = _identities(before.pods)
    before_set = set(before_ids)
    b_pods = list(before.pods)
    a_pods = [after_by_id.get(i, p) for i, p in zip(before_ids, before.pods, strict=True)]
    present_b = [True] * len(b_pods)
    present_a = [i in after_by_id for i in before_ids]
    for ident, pod in after_by_id.items():
        if ident not in before_set:
            b_pods.append(pod)
            a_pods.append(pod)
            present_b.append(False)
            present_a.append(True)
    order = list(dict.fromkeys([*before.namespaces, *after.namespaces]))
    return _Aligned(
        dataclasses.replace(
            before, pods=tuple(b_pods), namespaces=_united_namespaces(before, after, order)
        ),
        dataclasses.replace(
            after, pods=tuple(a_pods), namespaces=_united_namespaces(after, before, order)
        ),
        {Side.BEFORE: np.array(present_b, bool), Side.AFTER: np.array(present_a, bool)},
    )


@dataclass
class _SideState:
    """One side's compiled policies, matrix and endpoint units."""

    classes: EndpointClasses
    compiled: CompiledPolicies
    matrix: ConnectivityMatrix
    unit_classes: dict[str, set[int]]
    unit_pod: dict[str, tuple[int, int]]  # a present pod index of each unit, and the count
    endpoints: dict[str, Endpoint]


def _side_state(
    classes: EndpointClasses, present: npt.NDArray[np.bool_], granularity: Granularity
) -> _SideState:
    compiled = compile_layers(classes)
    matrix = compute_connectivity(classes, compiled)
    class_of_pod = classes.class_of_pod
    unit_classes: dict[str, set[int]] = defaultdict(set)
    unit_pod: dict[str, tuple[int, int]] = {}
    endpoints: dict[str, Endpoint] = {}
    for i in np.flatnonzero(present).tolist():
        pod = classes.cluster.pods[i]
        name, kind = _unit_of(pod, granularity)
        unit_classes[name].add(int(class_of_pod[i]))
        first, count = unit_pod.get(name, (i, 0))
        unit_pod[name] = (first, count + 1)
        endpoints.setdefault(name, Endpoint(name, kind, pod.namespace))
    return _SideState(classes, compiled, matrix, unit_classes, unit_pod, endpoints)


def _unit_of(pod: Pod, granularity: Granularity) -> tuple[str, str]:
    """The endpoint a pod belongs to at the granularity, and its kind (as the map names it)."""
    own_kind = pod.workload.kind if pod.workload is not None else "Pod"
    if granularity is Granularity.POD:
        return pod.key, own_kind if pod.is_template else "Pod"
    return pod.endpoint_name, own_kind


@dataclass
class _ChangeTable:
    """Distinct (added, removed) pairs of port-atom masks; id 0 is "no change"."""

    words: int
    pairs: list[tuple[Mask, Mask]] = dataclasses.field(default_factory=list)
    ids: dict[bytes, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        empty = np.zeros(self.words, dtype=np.uint64)
        self.pairs.append((empty, empty))
        self.ids[empty.tobytes() * 2] = 0

    def compare(self, before: IdArray, after: IdArray, b: MaskTable, a: MaskTable) -> IdArray:
        """Change ids of two id matrices of the same shape, cell by cell.

        BEFORE's ids are first translated into AFTER's (a mask AFTER never uses gets an id
        AFTER never has), so unchanged cells are found by comparing integers, and only the
        changed ones (few, for a change of a few policies) are looked at mask by mask.
        """
        out = np.zeros(before.shape, dtype=np.uint32)
        if before.size == 0:
            return out
        missing = np.uint32(0xFFFFFFFF)
        into = np.array([a.ids.get(m.tobytes(), missing) for m in b.masks], dtype=np.uint32)
        rows = max(1, _BLOCK_CELLS // max(1, before.shape[-1]))
        for start in range(0, before.shape[0], rows):
            old, new = before[start : start + rows], after[start : start + rows]
            changed = np.nonzero(into[old] != new)
            if not changed[0].size:
                continue
            keys = (old[changed].astype(np.uint64) << np.uint64(32)) | new[changed]
            unique, inverse = np.unique(keys, return_inverse=True)
            local = np.array([self._id(int(k), b, a) for k in unique.tolist()], dtype=np.uint32)
            out[start : start + rows][changed] = local[inverse.reshape(-1)]
        return out

    def _id(self, key: int, b: MaskTable, a: MaskTable) -> int:
        old, new = b.masks[key >> 32], a.masks[key & 0xFFFFFFFF]
        added, removed = new & ~old, old & ~new
        raw = added.tobytes() + removed.tobytes()
        found = self.ids.get(raw)
        if found is None:
            found = self.ids[raw] = len(self.pairs)
            self.pairs.append((added, removed))
        return found


_BLOCK_CELLS: Final = 4 * 1024 * 1024
"""Cells compared at a time: bounds the temporary arrays of the comparison."""


def diff_clusters(
    before: Cluster,
    after: Cluster,
    granularity: Granularity = Granularity.WORKLOAD,
    namespaces: Iterable[str] | None = None,
) -> ClusterDiff:
    """The semantic diff of two clusters at a granularity.

    ``namespaces`` keeps only flow changes with at least one end in those namespaces (the
    policy, namespace and endpoint changes are kept whole).
    """
    aligned = _align(before, after)
    b_classes, a_classes = build_joint_classes([aligned.before, aligned.after])
    sides = {
        Side.BEFORE: _side_state(b_classes, aligned.present[Side.BEFORE], granularity),
        Side.AFTER: _side_state(a_classes, aligned.present[Side.AFTER], granularity),
    }
    b, a = sides[Side.BEFORE], sides[Side.AFTER]
    both = sorted(set(b.unit_classes) & set(a.unit_classes))
    signatures, unit_names = _joint_units(b, a, both)
    table = _ChangeTable(b_classes.port_atoms.words)
    pp, pe, ep = _changed_cells(b, a, signatures, table)
    for g, names in enumerate(unit_names):  # a lone Pod to itself is loopback: never a flow
        if len(names) == 1 and b.endpoints[names[0]].kind == "Pod":
            pp[g, g] = 0
    if namespaces is not None:
        pp, pe, ep = _keep_namespaces(b, unit_names, set(namespaces), (pp, pe, ep))
    grouping = _Grouping(unit_names, b_classes, pp, pe, ep)
    changes = _flow_changes(grouping, table, _Explainer(sides, b_classes), b_classes)
    return ClusterDiff(
        granularity,
        tuple(changes),
        tuple(a.endpoints[n] for n in sorted(set(a.unit_classes) - set(b.unit_classes))),
        tuple(b.endpoints[n] for n in sorted(set(b.unit_classes) - set(a.unit_classes))),
        tuple(policy_changes(before, after)),
        tuple(namespace_changes(before, after)),
        tuple(b.endpoints[n] for n in both),
    )


Signature = tuple[tuple[int, ...], tuple[int, ...]]
"""The classes of an endpoint in BEFORE, and in AFTER."""


def _joint_units(
    b: _SideState, a: _SideState, both: list[str]
) -> tuple[list[Signature], list[list[str]]]:
    """Endpoints on both sides grouped by their classes on each side: a group's endpoints
    behave alike in both clusters, so one row and column of the matrices stands for them."""
    grouped: dict[Signature, list[str]] = {}
    for name in both:
        signature = (tuple(sorted(b.unit_classes[name])), tuple(sorted(a.unit_classes[name])))
        grouped.setdefault(signature, []).append(name)
    return list(grouped), list(grouped.values())


def _changed_cells(
    b: _SideState, a: _SideState, signatures: list[Signature], table: _ChangeTable
) -> tuple[IdArray, IdArray, IdArray]:
    """Change ids (unit x unit, unit x atom, atom x unit) of the two sides' matrices."""
    b_ids = unit_id_matrices(b.matrix, [s[0] for s in signatures])
    a_ids = unit_id_matrices(a.matrix, [s[1] for s in signatures])
    pp, pe, ep = (
        table.compare(old, new, b.matrix.table, a.matrix.table)
        for old, new in zip(b_ids, a_ids, strict=True)
    )
    return pp, pe, ep


def _keep_namespaces(
    b: _SideState,
    unit_names: list[list[str]],
    wanted: set[str],
    cells: tuple[IdArray, IdArray, IdArray],
) -> tuple[IdArray, IdArray, IdArray]:
    """The cells with an end in the namespaces wanted; the others cleared."""
    pp, pe, ep = cells
    inside = np.array(
        [any(b.endpoints[n].namespace in wanted for n in names) for names in unit_names],
        dtype=bool,
    )
    return (
        np.where(inside[:, None] | inside[None, :], pp, 0).astype(np.uint32),
        np.where(inside[:, None], pe, 0).astype(np.uint32),
        np.where(inside[None, :], ep, 0).astype(np.uint32),
    )


def _flow_changes(
    grouping: _Grouping, table: _ChangeTable, explainer: _Explainer, classes: EndpointClasses
) -> list[FlowChange]:
    """Each group of changed cells with its ports and its explained representative flows."""
    changes = []
    for src, src_addr, dst, dst_addr, change_id in grouping.changes():
        added_mask, removed_mask = table.pairs[change_id]
        added = classes.port_atoms.to_portset(added_mask)
        removed = classes.port_atoms.to_portset(removed_mask)
        flow = (src, src_addr, dst, dst_addr)
        opened_by = explainer.explain(*flow, added) if added else None
        closed_by = explainer.explain(*flow, removed) if removed else None
        changes.append(FlowChange(*flow, added, removed, opened_by, closed_by))
    changes.sort(key=_change_order)
    return changes


def _change_order(change: FlowChange) -> tuple[Any, ...]:
    return (
        change.src,
        change.src_addresses.cidr_strings(),
        change.dst,
        change.dst_addresses.cidr_strings(),
    )


class _Grouping:
    """Groups changed cells as the connectivity map groups connections: sources whose rows
    of changes are equal together, then the destinations of one change together; external
    address atoms that every unit sees change alike form one address set."""

    def __init__(
        self,
        unit_names: list[list[str]],
        classes: EndpointClasses,
        pp: IdArray,
        pe: IdArray,
        ep: IdArray,
    ) -> None:
        self.unit_names = unit_names
        self.atoms = classes.ip_atoms
        ext_groups: dict[bytes, list[int]] = {}
        for atom in range(pe.shape[1]):
            ext_groups.setdefault(pe[:, atom].tobytes() + ep[atom, :].tobytes(), []).append(atom)
        self.ext_groups = list(ext_groups.values())
        first = np.array([g[0] for g in self.ext_groups], dtype=np.int64)
        self.count = len(unit_names)
        self.rows = np.concatenate([pp, pe[:, first]], axis=1)
        self.ext_rows = ep[first, :]

    def _names(self, indices: list[int]) -> tuple[tuple[str, ...], IPRangeSet]:
        inside = sorted(n for i in indices if i < self.count for n in self.unit_names[i])
        atoms = [a for i in indices if i >= self.count for a in self.ext_groups[i - self.count]]
        return tuple(inside), self.atoms.range_set(atoms) if atoms else IPRangeSet()

    def changes(
        self,
    ) -> Iterator[tuple[tuple[str, ...], IPRangeSet, tuple[str, ...], IPRangeSet, int]]:
        """(sources, source addresses, destinations, destination addresses, change id)."""
        sources: list[tuple[IdArray, list[int]]] = list(_same_rows(self.rows))
        sources.extend(
            (row, [self.count + g for g in groups]) for row, groups in _same_rows(self.ext_rows)
        )
        for row, members in sources:
            ids = np.unique(row[row != 0]).tolist()
            if not ids:
                continue
            src, src_addr = self._names(members)
            for change_id in ids:
                dst, dst_addr = self._names(np.flatnonzero(row == change_id).tolist())
                yield src, src_addr, dst, dst_addr, change_id


def _same_rows(ids: IdArray) -> Iterator[tuple[IdArray, list[int]]]:
    groups: dict[bytes, list[int]] = {}
    for i in range(ids.shape[0]):
        groups.setdefault(ids[i].tobytes(), []).append(i)
    for members in groups.values():
        yield ids[members[0]], members


class _Explainer:
    """Walks a change's representative flow on both sides."""

    def __init__(self, sides: dict[Side, _SideState], classes: EndpointClasses) -> None:
        self.sides = sides
        self.classes = classes

    def explain(
        self,
        src: tuple[str, ...],
        src_addr: IPRangeSet,
        dst: tuple[str, ...],
        dst_addr: IPRangeSet,
        ports: PortSet,
    ) -> ChangeExplanation:
        """Explain the first source to the first destination on the first port of ``ports``."""
        protocol, port = _first_port(ports)
        src_name = src[0] if src else _first_address(src_addr)
        dst_name = dst[0] if dst else _first_address(dst_addr)
        walked = {
            side: self._side(state, src_name, dst_name, (protocol, port))
            for side, state in self.sides.items()
        }
        return ChangeExplanation(
            src_name, dst_name, protocol, port, walked[Side.BEFORE], walked[Side.AFTER]
        )

    def _side(
        self, state: _SideState, src: str, dst: str, asked: tuple[str, int]
    ) -> SideExplanation:
        explanation = explain_endpoints(
            state.classes,
            state.compiled,
            self._endpoint(state, src),
            self._endpoint(state, dst),
            asked,
        )
        return SideExplanation(
            explanation.allowed.contains(*asked),
            _decision(explanation.egress),
            _decision(explanation.ingress),
        )

    @staticmethod
    def _endpoint(state: _SideState, name: str) -> FlowEndpoint:
        found = state.unit_pod.get(name)
        if found is None:
            return FlowEndpoint(name, None, ipaddress.ip_address(name))
        index, count = found
        return FlowEndpoint(name, state.classes.cluster.pods[index], None, count, index)


def _decision(verdict: DirectionVerdict) -> Decision:
    """The step that decided the (one) asked port in one direction."""
    for step in reversed(verdict.steps):
        if step.action in (Action.ALLOW, Action.DENY):
            action = step.action if verdict.selecting or step.origin else None
            what = step.what if action is not None else verdict.reason
            return Decision(verdict.direction, action, step.origin, what, verdict.selecting)
    return Decision(verdict.direction, None, None, verdict.reason, verdict.selecting)


def _first_port(ports: PortSet) -> tuple[str, int]:
    for protocol in PROTOCOLS:
        values = ports.ports(protocol)
        if values:
            return protocol, values.intervals[0][0]
    raise ValueError("a change has ports")


def _first_address(addresses: IPRangeSet) -> str:
    """An address of the set: the first of its first block (the network address of a block
    larger than one address is avoided, as it is no host's)."""
    block = next(addresses.cidrs())
    if block.num_addresses > 2:
        return str(block.network_address + 1)
    return str(block.network_address)


def _content(value: object) -> object:
    """A value's content for comparison: where it was read (``location``) left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, _content(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if f.name != "location"
            ),
        )
    if isinstance(value, tuple | list):
        return tuple(_content(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _content(v)) for k, v in value.items()))
    if isinstance(value, frozenset | set):
        return tuple(sorted(repr(_content(v)) for v in value))
    return value


def _policies(cluster: Cluster) -> dict[tuple[str, str | None, str], Any]:
    found: dict[tuple[str, str | None, str], Any] = {}
    for policy in cluster.policies:
        found[("NetworkPolicy", policy.namespace, policy.name)] = policy
    for calico in cluster.calico_policies:
        found[(calico.kind, calico.namespace, calico.name)] = calico
    for admin in cluster.admin_policies:
        found[(admin.kind, None, admin.name)] = admin
    for tier in cluster.calico_tiers:
        found[("Tier", None, tier.name)] = tier
    for network_set in cluster.network_sets:
        kind = "NetworkSet" if network_set.namespace else "GlobalNetworkSet"
        found[(kind, network_set.namespace, network_set.name)] = network_set
    return found


def policy_changes(before: Cluster, after: Cluster) -> Iterator[PolicyChange]:
    """Policy objects (and Calico tiers and network sets) added, removed or modified, in key
    order; a change of place alone (file, line) is no modification."""
    old, new = _policies(before), _policies(after)
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1] or "", k[2])):
        was, now = old.get(key), new.get(key)
        if was is None:
            assert now is not None
            yield PolicyChange(*key, ObjectChange.ADDED, None, now.location)
        elif now is None:
            yield PolicyChange(*key, ObjectChange.REMOVED, was.location, None)
        elif _content(was) != _content(now):
            yield PolicyChange(*key, ObjectChange.MODIFIED, was.location, now.location)


def namespace_changes(before: Cluster, after: Cluster) -> Iterator[NamespaceChange]:
    """Namespaces on both sides whose labels differ, by name."""
    for name in sorted(set(before.namespaces) & set(after.namespaces)):
        was, now = before.namespaces[name].labels, after.namespaces[name].labels
        if dict(was) != dict(now):
            yield NamespaceChange(name, was, now)
