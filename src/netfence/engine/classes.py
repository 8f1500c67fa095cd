"""Group pods that no selector, ipBlock or named port can tell apart into classes.

Connectivity is computed once per class; output expands classes back to pods or workloads.
A class is fixed by: the namespace, which of the policies' pod selectors match the labels,
which address atoms the pod's IPs fall in, and what each named port of the policies
resolves to on the pod.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from netfence.engine.calico_selector_eval import evaluate
from netfence.engine.labelindex import LabelIndex
from netfence.model.calico import endpoint_labels
from netfence.model.calico_selector import Selector
from netfence.model.cluster import Cluster
from netfence.model.selectors import LabelSelector
from netfence.policy.registry import collect_facts
from netfence.policy.space import Facts, NamedPort
from netfence.sets.atoms import IPAtoms, PortAtoms


@dataclass
class EndpointClasses:
    """Pods partitioned into classes, with what the engine needs to know per class."""

    cluster: Cluster
    """The cluster the classes were built from."""
    namespaces: list[str]
    """Namespace names; ``class_ns`` indexes this list."""
    members: list[list[int]]
    """Indices into ``cluster.pods`` of each class's pods."""
    class_ns: npt.NDArray[np.int32]
    """Namespace index of each class."""
    class_labels: npt.NDArray[np.int32]
    """Each class's label set, as an index into ``labels``."""
    labels: LabelIndex
    """Distinct label sets of the classes' representatives."""
    class_ip_atoms: list[frozenset[int]]
    """Address atoms the class's pod IPs fall in."""
    named: dict[NamedPort, npt.NDArray[np.int32]]
    """For each named port the policies use: its number on each class, or -1."""
    ip_atoms: IPAtoms
    """The address atoms."""
    port_atoms: PortAtoms
    """The port atoms."""
    calico_labels: LabelIndex | None = None
    """Distinct Calico endpoint label sets (None without Calico policies)."""
    class_calico_labels: npt.NDArray[np.int32] | None = None
    """Each class's Calico label set, as an index into ``calico_labels``."""

    @property
    def count(self) -> int:
        """Number of pod classes."""
        return len(self.members)

    @functools.cached_property
    def class_of_pod(self) -> npt.NDArray[np.int64]:
        """The class of each pod (by index in ``cluster.pods``), computed once."""
        found = np.empty(len(self.cluster.pods), dtype=np.int64)
        for c, members in enumerate(self.members):
            found[members] = c
        return found

    def calico_selector_mask(self, selector: Selector) -> npt.NDArray[np.bool_]:
        """Which classes' Calico endpoint labels match ``selector``."""
        if self.calico_labels is None or self.class_calico_labels is None:
            return np.zeros(self.count, dtype=np.bool_)
        return evaluate(selector, self.calico_labels)[self.class_calico_labels]

    def pod_selector_mask(self, selector: LabelSelector) -> npt.NDArray[np.bool_]:
        """Which classes' labels match ``selector`` (namespace not considered)."""
        return self.labels.select(selector)[self.class_labels]


def _signature_groups(
    index: LabelIndex, masks: list[npt.NDArray[np.bool_]]
) -> npt.NDArray[np.int64]:
    """Group label sets by which of the selectors (given as masks) match them."""
    if not masks or index.size == 0:
        return np.zeros(index.size, dtype=np.int64)
    packed = np.packbits(np.stack(masks, axis=1), axis=1)
    _, group = np.unique(packed, axis=0, return_inverse=True)
    return np.asarray(group.reshape(-1), dtype=np.int64)


def _distinct(
    label_sets: list[tuple[tuple[str, str], ...]],
) -> tuple[npt.NDArray[np.int32], list[dict[str, str]]]:
    keys: dict[tuple[tuple[str, str], ...], int] = {}
    ids = np.fromiter(
        (keys.setdefault(k, len(keys)) for k in label_sets), dtype=np.int32, count=len(label_sets)
    )
    return ids, [dict(k) for k in keys]


def build_classes(cluster: Cluster) -> EndpointClasses:
    """Partition the cluster's pods into classes and atomize ports and addresses."""
    return build_joint_classes([cluster])[0]


@dataclass
class _SideView:
    """One cluster's view of the pods: label sets and what its selectors make of them."""

    cluster: Cluster
    label_ids: npt.NDArray[np.int32]
    index: LabelIndex
    label_group: npt.NDArray[np.int64]
    calico_index: LabelIndex | None
    calico_ids: npt.NDArray[np.int32]
    calico_group: npt.NDArray[np.int64]

    def key(self, i: int, named_list: list[NamedPort]) -> tuple[object, ...]:
        """What tells pod ``i`` apart in this cluster (its addresses excepted)."""
        pod = self.cluster.pods[i]
        calico = self.calico_index is not None
        return (
            pod.namespace,
            int(self.label_group[self.label_ids[i]]),
            int(self.calico_group[self.calico_ids[i]]) if calico else 0,
            pod.service_account if calico else "",
            pod.host_network,
            tuple(pod.named_port(name, proto) for name, proto in named_list),
        )


def _side_view(cluster: Cluster, facts: Facts) -> _SideView:
    pods = cluster.pods
    label_ids, distinct_labels = _distinct([tuple(sorted(p.labels.items())) for p in pods])
    index = LabelIndex(distinct_labels)
    label_group = _signature_groups(index, [index.select(s) for s in facts.pod_selectors])
    calico_index: LabelIndex | None = None
    calico_ids = np.zeros(len(pods), dtype=np.int32)
    calico_group = np.zeros(1, dtype=np.int64)
    if facts.calico_selectors:
        calico_ids, distinct_calico = _distinct(
            [
                tuple(sorted(endpoint_labels(p.labels, p.namespace, p.service_account).items()))
                for p in pods
            ]
        )
        calico_index = LabelIndex(distinct_calico)
        calico_group = _signature_groups(
            calico_index, [evaluate(s, calico_index) for s in facts.calico_selectors]
        )
    return _SideView(cluster, label_ids, index, label_group, calico_index, calico_ids, calico_group)


def build_joint_classes(clusters: Sequence[Cluster]) -> list[EndpointClasses]:
    """Classes and atoms that every one of several clusters' policies can be compiled against.

    The clusters must list the same pods in the same order (``pods[i]`` is one endpoint seen
    by each cluster, its labels possibly different) and the same namespaces. The facts of
    every cluster's policies are merged, so the address and port atoms are shared; a class
    is a set of pods no cluster tells apart. The result has one ``EndpointClasses`` per
    cluster, with the same members, atoms and namespaces, so matrices computed from them can
    be compared cell by cell.
    """
    first = clusters[0]
    pods = first.pods
    if any(len(c.pods) != len(pods) for c in clusters):
        raise ValueError("joint classes need the same pods in every cluster")
    namespaces = list(first.namespaces)
    ns_index = {name: i for i, name in enumerate(namespaces)}
    facts = Facts()
    for cluster in clusters:
        facts.merge(collect_facts(cluster))
    ip_atoms = IPAtoms(facts.addresses)
    spans = facts.spans
    views = [_side_view(cluster, facts) for cluster in clusters]

    named_list = list(facts.named_ports)
    keys: dict[tuple[object, ...], int] = {}
    members: list[list[int]] = []
    representatives: list[int] = []
    # Each cluster's own addresses of the pod: one pod may have an IP on one side only (a
    # manifest without status against a running cluster), and ipBlocks see that.
    class_ip: list[list[frozenset[int]]] = [[] for _ in views]
    for i in range(len(pods)):
        atoms = [frozenset(ip_atoms.atom_of(ip) for ip in v.cluster.pods[i].ips) for v in views]
        key = (*atoms, *(view.key(i, named_list) for view in views))
        cls = keys.get(key)
        if cls is None:
            cls = keys[key] = len(members)
            members.append([])
            representatives.append(i)
            for side, side_atoms in zip(class_ip, atoms, strict=True):
                side.append(side_atoms)
        members[cls].append(i)

    named_per_view: list[dict[NamedPort, npt.NDArray[np.int32]]] = []
    for view in views:
        named: dict[NamedPort, npt.NDArray[np.int32]] = {}
        for name, proto in named_list:
            numbers = [view.cluster.pods[r].named_port(name, proto) for r in representatives]
            named[(name, proto)] = np.array(
                [-1 if n is None else n for n in numbers], dtype=np.int32
            )
            spans.extend((proto, n, n) for n in numbers if n is not None)
        named_per_view.append(named)
    port_atoms = PortAtoms.collect(spans)
    class_ns = np.array([ns_index[pods[r].namespace] for r in representatives], dtype=np.int32)
    return [
        EndpointClasses(
            cluster=view.cluster,
            namespaces=namespaces,
            members=members,
            class_ns=class_ns,
            class_labels=view.label_ids[representatives]
            if representatives
            else np.zeros(0, np.int32),
            labels=view.index,
            class_ip_atoms=side_ip,
            named=named,
            ip_atoms=ip_atoms,
            port_atoms=port_atoms,
            calico_labels=view.calico_index,
            class_calico_labels=view.calico_ids[representatives]
            if view.calico_index is not None
            else None,
        )
        for view, named, side_ip in zip(views, named_per_view, class_ip, strict=True)
    ]
