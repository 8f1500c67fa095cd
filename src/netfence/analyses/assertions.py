"""Evaluate connectivity assertions against a cluster, with the walk behind every failure.

An assertion's ends stand for pods (a workload for every pod of it, a selector for every pod
it matches) or for the address atoms of a range. It holds when it holds for every pair of a
source and a destination, a pod to itself excepted (that traffic never meets a policy). The
verdicts come from the connectivity matrix, so a selector matching thousands of pods costs one
lookup per pair of endpoint classes, not one walk per pair of pods; only the first failing pair
of a failing assertion is walked again, by ``explain``, to name the deciding rules.

``allow`` with a port holds when every pair is allowed that port; without a port, when every
pair is allowed at least one port (of the protocol, when one is named). ``deny`` with a port
holds when no pair is allowed that port; without one, when no pair is allowed any port (of the
protocol). An end that matches nothing, a named port a destination does not declare, and two
external ends are errors of their own: never a pass.
"""

from __future__ import annotations

import enum
import ipaddress
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import EndpointClasses, build_classes
from netfence.engine.connectivity import ConnectivityMatrix, compute_connectivity
from netfence.engine.explain import (
    DirectionVerdict,
    FlowEndpoint,
    FlowExplanation,
    explain_endpoints,
)
from netfence.engine.missing_facts import (
    address_dependencies,
    pod_address_space,
    unaddressed_classes,
)
from netfence.model.cluster import Cluster, Pod
from netfence.model.connectivity_tests import (
    AddressEnd,
    Assertion,
    AssertionEnd,
    ConnectivityTests,
    Expectation,
    NamedEnd,
    SelectorEnd,
)
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.model.origin import Origin
from netfence.policy.layering import CompiledPolicies, compile_layers
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

FAILING_SHOWN: Final = 10
"""Failing pairs listed per assertion; the rest are counted."""
CELLS_NAMED: Final = 1000
"""Failing cells (pairs of classes) looked into for names; the rest are counted only."""

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Outcome(enum.StrEnum):
    """What became of one assertion."""

    PASSED = "passed"
    """It holds for every pair."""
    FAILED = "failed"
    """Some pair has the other verdict."""
    ERROR = "error"
    """It cannot be evaluated: an end matches nothing, or a named port is not declared."""


@dataclass(frozen=True)
class FailingPair:
    """A source and destination for which the assertion does not hold."""

    src: str
    """The source as the assertion's end names it (workload, pod or address)."""
    dst: str
    """The destination, likewise."""
    allowed: PortSet
    """What the pair is allowed, within the assertion's port and protocol."""


@dataclass(frozen=True)
class DecidingRule:
    """A rule (or a policy's isolation) that gave a failing pair the verdict it has."""

    direction: Direction
    """The direction it decided: egress from the source or ingress to the destination."""
    what: str
    """The rule (``NetworkPolicy/ns/name spec.ingress[0]``), or a policy and what it isolates."""
    location: Origin | None
    """Where it is written, when known."""


@dataclass(frozen=True)
class AssertionResult:
    """The outcome of one assertion, with its evidence."""

    assertion: Assertion
    """The assertion."""
    outcome: Outcome
    """Passed, failed or error."""
    message: str
    """One line: how many pairs it holds for, or where it fails, or why it cannot be told."""
    pairs: int = 0
    """Pairs of endpoints checked (pods, or a pod and an address atom)."""
    failing_count: int = 0
    """Pairs for which it does not hold."""
    failing: tuple[FailingPair, ...] = ()
    """The first failing pairs by endpoint name (the name an end gives, else each pod's
    workload), at most ``FAILING_SHOWN``; replicas of one workload are one entry."""
    explanation: FlowExplanation | None = None
    """The walk of the first failing pair: each direction's verdict and deciding rules."""
    deciding: tuple[DecidingRule, ...] = ()
    """The rules behind the first failing pair's verdict, from its walk."""
    more_failing: bool = False
    """Whether more endpoint pairs fail than ``failing`` lists."""
    lacking: tuple[str, ...] = ()
    """Facts the input lacks that the verdicts depend on (pod addresses that rules with
    address peers may match in the cluster): the cluster's outcome may differ."""


@dataclass(frozen=True)
class AssertionReport:
    """Every assertion of a spec, evaluated against one cluster."""

    spec: ConnectivityTests
    """The spec."""
    results: tuple[AssertionResult, ...]
    """One result per assertion, in spec order."""

    def count(self, outcome: Outcome) -> int:
        """How many assertions ended in ``outcome``."""
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def all_passed(self) -> bool:
        """Whether every assertion passed."""
        return all(r.outcome is Outcome.PASSED for r in self.results)


class _EndError(Exception):
    """An assertion that cannot be evaluated, and why (becomes an ``error`` result)."""


@dataclass(frozen=True)
class _Members:
    """What one end stands for: pods, or address atoms (never both)."""

    pods: tuple[int, ...] = ()
    """Indices into ``cluster.pods``."""
    atoms: tuple[int, ...] = ()
    """External address atoms."""
    addresses: IPRangeSet | None = None
    """The end's addresses, for an external end (to pick an address inside each atom)."""
    named: str | None = None
    """The name every pod goes by, when the end was named (a workload stands for its pods)."""


def evaluate_assertions(cluster: Cluster, spec: ConnectivityTests) -> AssertionReport:
    """Evaluate every assertion of ``spec`` against ``cluster``."""
    evaluator = AssertionEvaluator(cluster)
    return AssertionReport(spec, tuple(evaluator.evaluate(a) for a in spec.assertions))


class AssertionEvaluator:
    """Evaluates assertions against one cluster, its classes and matrix computed once."""

    def __init__(self, cluster: Cluster, matrix: ConnectivityMatrix | None = None) -> None:
        self.cluster = cluster
        self.classes: EndpointClasses = build_classes(cluster) if matrix is None else matrix.classes
        self.compiled: CompiledPolicies = compile_layers(self.classes)
        self.matrix = (
            compute_connectivity(self.classes, self.compiled) if matrix is None else matrix
        )
        self.class_of_pod = np.empty(len(cluster.pods), dtype=np.int64)
        for c, members in enumerate(self.classes.members):
            self.class_of_pod[members] = c
        self._by_name = _pods_by_name(cluster.pods)
        self._by_address = {ip: i for i, pod in enumerate(cluster.pods) for ip in pod.ips}
        self._policy_origins = _policy_origins(cluster)
        self._space = pod_address_space(cluster)
        self._unaddressed = unaddressed_classes(self.classes)

    def evaluate(self, assertion: Assertion) -> AssertionResult:
        """The outcome of one assertion."""
        try:
            src = self._members(assertion.source, "from")
            dst = self._members(assertion.destination, "to")
            if not src.pods and not dst.pods:
                raise _EndError("both ends are outside the cluster: no policy judges the flow")
            groups = self._port_groups(assertion, dst)
        except _EndError as exc:
            return AssertionResult(assertion, Outcome.ERROR, str(exc))
        result = self._judge(assertion, src, groups)
        lacking = tuple(
            dict.fromkeys(
                note
                for scope, dst in groups
                for note in self._lacking(assertion.expect, src, dst, scope)
            )
        )
        return replace(result, lacking=lacking) if lacking else result

    def _lacking(
        self, expect: Expectation, src: _Members, dst: _Members, scope: PortSet
    ) -> list[str]:
        """The rules of either end with address peers that may hold the other end's pods,
        which have no address in the input (``engine/missing_facts.py``), and whose action
        could turn the verdict: one that allows can only open a flow (it matters to a deny),
        one that denies or passes can close one (it matters to an allow) or hand it on."""
        turning = _TURNING[expect]
        if not src.pods or not dst.pods or not self._unaddressed.any():
            return []
        ports = self.classes.port_atoms.mask_of_portset(scope)
        notes: list[str] = []
        for direction, subjects, peers in (
            (Direction.EGRESS, src, dst),
            (Direction.INGRESS, dst, src),
        ):
            unaddressed = self._class_mask(peers) & self._unaddressed
            if not unaddressed.any():
                continue
            for found in address_dependencies(
                self.classes,
                self.compiled,
                self._space,
                direction,
                self._class_mask(subjects),
                unaddressed,
                ports,
            ):
                if found.rule.action not in turning:
                    continue
                origin = found.rule.origin
                notes.append(
                    f"{direction.value}: {origin.policy} {origin.rule_path} matches "
                    f"{found.overlap.describe()} ({self._space.source}), which may hold pods "
                    "of the other end: they have no address in the input"
                )
        return notes

    def _class_mask(self, members: _Members) -> npt.NDArray[np.bool_]:
        mask = np.zeros(self.classes.count, dtype=np.bool_)
        mask[self.class_of_pod[list(members.pods)]] = True
        return mask

    # --- what the ends stand for ------------------------------------------------------------

    def _members(self, end: AssertionEnd, side: str) -> _Members:
        if isinstance(end, NamedEnd):
            found = self._named(end.name)
        elif isinstance(end, SelectorEnd):
            found = _Members(pods=tuple(self._selected(end)))
        else:
            found = self._external(end)
        if not found.pods and not found.atoms:
            raise _EndError(f"{side}: {end} matches no endpoint")
        return found

    def _named(self, name: str) -> _Members:
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return _Members(pods=tuple(self._by_name.get(name, ())), named=name)
        pod = self._by_address.get(str(address))
        if pod is not None:
            return _Members(pods=(pod,))
        return self._external(AddressEnd(name, IPRangeSet.from_addresses([name])))

    def _selected(self, end: SelectorEnd) -> list[int]:
        namespaces = self.cluster.namespaces
        out: list[int] = []
        for i, pod in enumerate(self.cluster.pods):
            if end.namespace is not None:
                if pod.namespace != end.namespace:
                    continue
            else:
                assert end.namespace_selector is not None
                known = namespaces.get(pod.namespace)
                labels = (
                    known.labels
                    if known is not None
                    else {"kubernetes.io/metadata.name": pod.namespace}
                )
                if not end.namespace_selector.matches(labels):
                    continue
            if end.pod_selector.matches(pod.labels):
                out.append(i)
        return out

    def _external(self, end: AddressEnd) -> _Members:
        atoms = np.flatnonzero(self.classes.ip_atoms.atoms_overlapping(end.addresses))
        return _Members(atoms=tuple(int(a) for a in atoms), addresses=end.addresses)

    def _port_groups(self, assertion: Assertion, dst: _Members) -> list[tuple[PortSet, _Members]]:
        """The port scope per group of destinations: one group, but for a named port the
        destination pods by the number the name has on each."""
        protocol = assertion.protocol
        if assertion.port is None:
            scope = PortSet.all() if protocol is None else PortSet.of(protocol.value)
            return [(scope, dst)]
        assert protocol is not None
        if isinstance(assertion.port, int):
            return [(PortSet.of(protocol.value, assertion.port), dst)]
        if not dst.pods:
            raise _EndError(f"named port {assertion.port!r} needs an in-cluster destination")
        by_number: dict[int, list[int]] = defaultdict(list)
        for i in dst.pods:
            pod = self.cluster.pods[i]
            number = pod.named_port(assertion.port, protocol.value)
            if number is None:
                raise _EndError(
                    f"named port not found: {pod.key} declares no {protocol.value} port "
                    f"named {assertion.port!r}"
                )
            by_number[number].append(i)
        return [
            (PortSet.of(protocol.value, number), _Members(pods=tuple(pods), named=dst.named))
            for number, pods in sorted(by_number.items())
        ]

    # --- the verdicts -----------------------------------------------------------------------

    def _judge(
        self, assertion: Assertion, src: _Members, groups: list[tuple[PortSet, _Members]]
    ) -> AssertionResult:
        tally = _Tally()
        for scope, dst in groups:
            grid = _Grid.build(self, src, dst)
            bad = ~self._holds(assertion.expect, scope, grid.ids) & (grid.counts > 0)
            tally.total += int(grid.counts.sum())
            tally.failing_count += int(grid.counts[bad].sum())
            self._name_failures(tally, grid, bad, (src, dst), scope)
        if tally.failing_count == 0:
            if tally.total == 0:
                return AssertionResult(
                    assertion,
                    Outcome.ERROR,
                    "no pair of distinct endpoints: both ends are the same single pod",
                )
            return AssertionResult(
                assertion, Outcome.PASSED, f"holds for {_pairs_text(tally.total)}", tally.total
            )
        verb = "denied" if assertion.expect is Expectation.ALLOW else "allowed"
        first = tally.failing[0]
        return AssertionResult(
            assertion,
            Outcome.FAILED,
            f"{verb} for {tally.failing_count} of {_pairs_text(tally.total)}, "
            f"e.g. {first.src} -> {first.dst}",
            tally.total,
            tally.failing_count,
            tuple(tally.failing),
            tally.explanation,
            self._deciding(assertion.expect, tally.explanation),
            tally.more,
        )

    def _name_failures(
        self,
        tally: _Tally,
        grid: _Grid,
        bad: npt.NDArray[np.bool_],
        ends: tuple[_Members, _Members],
        scope: PortSet,
    ) -> None:
        """Name the first failing pairs, and explain the very first; failing cells past the
        first ``CELLS_NAMED`` (or once ``FAILING_SHOWN`` pairs are named) are only counted."""
        src, dst = ends
        rows, cols = np.nonzero(bad)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if len(tally.failing) >= FAILING_SHOWN or tally.cells >= CELLS_NAMED:
                tally.more = True
                return
            tally.cells += 1
            pairs = grid.pairs(i, j)
            if tally.explanation is None and pairs:
                tally.explanation = self._explain(src, dst, scope, pairs[0])
            allowed = self.matrix.portset(int(grid.ids[i, j])) & scope
            for s, d in pairs:
                found = FailingPair(self._name(src, s), self._name(dst, d), allowed)
                if found in tally.named:
                    continue
                if len(tally.failing) >= FAILING_SHOWN:
                    tally.more = True
                    return
                tally.named.add(found)
                tally.failing.append(found)

    def _deciding(
        self, expect: Expectation, explanation: FlowExplanation | None
    ) -> tuple[DecidingRule, ...]:
        """What decided the walked pair: for an expected allow, the denying rules (or the
        isolating policies) of each direction that denies; for an expected deny, the
        allowing rules of both directions."""
        if explanation is None:
            return ()
        out: list[DecidingRule] = []
        for part in (explanation.egress, explanation.ingress):
            if expect is Expectation.DENY:
                out.extend(_rules(part, Action.ALLOW))
            elif not _direction_allows(part, explanation):
                out.extend(_rules(part, Action.DENY) or self._isolating(part))
        return tuple(out)

    def _isolating(self, part: DirectionVerdict) -> list[DecidingRule]:
        return [
            DecidingRule(
                part.direction,
                f"{name} isolates {part.endpoint} for {part.direction.value}",
                self._policy_origins.get(name),
            )
            for name in part.selecting
        ]

    def _holds(
        self, expect: Expectation, scope: PortSet, ids: npt.NDArray[np.uint32]
    ) -> npt.NDArray[np.bool_]:
        """Per cell of ``ids``, whether the assertion holds for its connection set."""
        unique = np.unique(ids)
        verdicts = np.zeros(int(unique.max()) + 1 if unique.size else 1, dtype=np.bool_)
        single = _single_port(scope)
        for mask_id in unique.tolist():
            allowed = self.matrix.portset(mask_id)
            if single is not None:
                allowed_here = allowed.contains(*single)
            else:
                allowed_here = bool(allowed & scope)
            verdicts[mask_id] = allowed_here is (expect is Expectation.ALLOW)
        return verdicts[ids]

    def _explain(
        self, src: _Members, dst: _Members, scope: PortSet, pair: tuple[_Point, _Point]
    ) -> FlowExplanation:
        single = _single_port(scope)
        return explain_endpoints(
            self.classes,
            self.compiled,
            self._flow_end(src, pair[0]),
            self._flow_end(dst, pair[1]),
            single,
        )

    def _flow_end(self, members: _Members, point: _Point) -> FlowEndpoint:
        if isinstance(point, int):
            pod = self.cluster.pods[point]
            if members.named is not None:
                return FlowEndpoint(members.named, pod, None, len(members.pods), point)
            return FlowEndpoint(pod.key, pod, None, pod_index=point)
        return FlowEndpoint(str(point), None, point)

    def _name(self, members: _Members, point: _Point) -> str:
        if isinstance(point, int):
            pod = self.cluster.pods[point]
            return members.named if members.named is not None else pod.endpoint_name
        return str(point)


_TURNING: Final = {
    Expectation.ALLOW: frozenset({Action.DENY, Action.PASS}),
    Expectation.DENY: frozenset({Action.ALLOW, Action.PASS}),
}
"""The actions of an address rule that could turn each expected verdict into the other."""

_Point = int | Address
"""One endpoint of a pair: a pod index, or an external address (inside one atom)."""


@dataclass
class _Tally:
    """What one assertion's cells add up to, as they are judged."""

    total: int = 0
    """Pairs checked."""
    failing_count: int = 0
    """Pairs that fail."""
    failing: list[FailingPair] = field(default_factory=list)
    """The failing pairs named so far, in order."""
    named: set[FailingPair] = field(default_factory=set)
    """The same, for de-duplication (replicas of a workload share a name)."""
    cells: int = 0
    """Failing cells looked into for names."""
    more: bool = False
    """Whether failing pairs were left unnamed."""
    explanation: FlowExplanation | None = None
    """The walk of the first failing pair."""


@dataclass(frozen=True)
class _Grid:
    """The connection-set ids and pair counts between the classes (or atoms) of two ends."""

    rows: tuple[tuple[_Point, ...], ...]
    """Per row, the source points behind it (pods of one class, or one atom's address)."""
    cols: tuple[tuple[_Point, ...], ...]
    """Per column, the destination points."""
    ids: npt.NDArray[np.uint32]
    """Connection-set ids, [row, column]."""
    counts: npt.NDArray[np.int64]
    """Pairs per cell, a pod to itself excepted."""

    @classmethod
    def build(cls, evaluator: AssertionEvaluator, src: _Members, dst: _Members) -> _Grid:
        """The grid of two ends, at least one of them pods."""
        matrix = evaluator.matrix
        rows, row_keys = _points(evaluator, src)
        cols, col_keys = _points(evaluator, dst)
        if src.pods and dst.pods:
            ids = matrix.pod_to_pod[np.ix_(row_keys, col_keys)]
        elif src.pods:
            ids = matrix.pod_to_ext[np.ix_(row_keys, col_keys)]
        else:
            ids = matrix.ext_to_pod[np.ix_(row_keys, col_keys)]
        sizes_r = np.array([len(r) for r in rows], dtype=np.int64)
        sizes_c = np.array([len(c) for c in cols], dtype=np.int64)
        counts = sizes_r[:, None] * sizes_c[None, :]
        if src.pods and dst.pods:
            both = set(src.pods) & set(dst.pods)
            row_of = {int(k): r for r, k in enumerate(row_keys)}
            col_of = {int(k): c for c, k in enumerate(col_keys)}
            for pod in both:
                cls_ = int(evaluator.class_of_pod[pod])
                counts[row_of[cls_], col_of[cls_]] -= 1
        return cls(tuple(rows), tuple(cols), ids, counts)

    def pairs(self, i: int, j: int) -> list[tuple[_Point, _Point]]:
        """Pairs of distinct points in cell (i, j), at most ``FAILING_SHOWN``."""
        out: list[tuple[_Point, _Point]] = []
        for s in self.rows[i]:
            for d in self.cols[j]:
                if isinstance(s, int) and isinstance(d, int) and s == d:
                    continue
                out.append((s, d))
                if len(out) >= FAILING_SHOWN:
                    return out
        return out


def _points(
    evaluator: AssertionEvaluator, members: _Members
) -> tuple[list[tuple[_Point, ...]], npt.NDArray[np.int64]]:
    """The rows of one end: pods grouped by class, or one address per atom; and their keys
    (class or atom indices) into the matrix."""
    if members.pods:
        by_class: dict[int, list[_Point]] = defaultdict(list)
        for pod in members.pods:
            by_class[int(evaluator.class_of_pod[pod])].append(pod)
        keys = sorted(by_class)
        return [tuple(by_class[k]) for k in keys], np.array(keys, dtype=np.int64)
    assert members.addresses is not None
    atoms = evaluator.classes.ip_atoms
    rows: list[tuple[_Point, ...]] = [
        (_first_address(atoms.range_set([a]) & members.addresses),) for a in members.atoms
    ]
    return rows, np.array(members.atoms, dtype=np.int64)


def _first_address(addresses: IPRangeSet) -> Address:
    for version in (4, 6):
        intervals = addresses.family(version).intervals
        if intervals:
            lo = intervals[0][0]
            return ipaddress.IPv4Address(lo) if version == 4 else ipaddress.IPv6Address(lo)
    raise ValueError("an empty address set has no first address")


def _rules(part: DirectionVerdict, action: Action) -> list[DecidingRule]:
    return [
        DecidingRule(part.direction, step.what, step.origin.location)
        for step in part.steps
        if step.origin is not None and step.action is action
    ]


def _direction_allows(part: DirectionVerdict, explanation: FlowExplanation) -> bool:
    if explanation.port is None:
        return bool(part.allowed)
    return part.allowed.contains(*explanation.port)


def _policy_origins(cluster: Cluster) -> dict[str, Origin]:
    """Where each policy is written, by the name explanations give it."""
    out: dict[str, Origin] = {}
    for policy in cluster.policies:
        if policy.location is not None:
            out[f"NetworkPolicy/{policy.key}"] = policy.location
    for calico in cluster.calico_policies:
        if calico.location is not None:
            out[calico.source] = calico.location
    for admin in cluster.admin_policies:
        if admin.location is not None:
            out[admin.key] = admin.location
    return out


def _single_port(scope: PortSet) -> tuple[str, int] | None:
    """(protocol, port) when the scope is one port, else None."""
    protocols = scope.protocols()
    if len(protocols) != 1:
        return None
    ranges = scope.as_ranges()[protocols[0]]
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return protocols[0], ranges[0][0]
    return None


def _pods_by_name(pods: Sequence[Pod]) -> dict[str, list[int]]:
    """Pod indices by every name an end may use: a workload's key (all its pods) and a pod's
    own key; a workload's key wins, as ``explain`` resolves names."""
    by_workload: dict[str, list[int]] = defaultdict(list)
    by_pod: dict[str, list[int]] = defaultdict(list)
    for i, pod in enumerate(pods):
        if pod.workload is not None:
            by_workload[pod.workload.key].append(i)
        by_pod[pod.key].append(i)
    return {**by_pod, **by_workload}


def _pairs_text(count: int) -> str:
    return f"{count} pair{'' if count == 1 else 's'}"
