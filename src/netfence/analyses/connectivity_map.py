"""The connectivity map users read: who may reach whom, on which ports, per endpoint.

Endpoints are workloads (``ns/name`` of the owning controller; a Pod without one is its own)
or pods, and external address ranges named by their CIDRs. Connections are grouped: each
entry says that every source it lists may reach every destination it lists on at least its
ports. A pod to itself (loopback) is never asserted, even when it stands on both sides.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import build_classes
from netfence.engine.connectivity import ClassPairIds, ConnectivityMatrix, compute_connectivity
from netfence.model.cluster import Cluster
from netfence.sets.ports import PortSet


class Granularity(enum.StrEnum):
    """What one endpoint of the map stands for."""

    WORKLOAD = "workload"
    POD = "pod"


@dataclass(frozen=True)
class Connection:
    """Every source may reach every destination on at least ``allowed``."""

    src: tuple[str, ...]
    """Source endpoint names, sorted."""
    dst: tuple[str, ...]
    """Destination endpoint names, sorted."""
    allowed: PortSet
    """Allowed protocols and ports."""


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of the map."""

    name: str
    """``namespace/name``, or a CIDR for an external range."""
    kind: str
    """The workload kind, ``Pod``, or ``IPRange``."""
    namespace: str | None
    """The namespace; None for external ranges."""


@dataclass(frozen=True)
class ConnectivityMap:
    """The grouped connections between endpoints at one granularity."""

    granularity: Granularity
    """Workloads or pods."""
    endpoints: tuple[Endpoint, ...]
    """Every endpoint that appears, in-cluster first."""
    connections: tuple[Connection, ...]
    """Grouped allowed connections, sorted."""

    def pairs(self) -> dict[tuple[str, str], PortSet]:
        """The map expanded into (source, destination) pairs.

        A pod to itself (loopback) is left out; a workload to itself stays: its replicas
        may reach each other.
        """
        out: dict[tuple[str, str], PortSet] = {}
        single_pods = {e.name for e in self.endpoints if e.kind == "Pod"}
        for conn in self.connections:
            for s in conn.src:
                for d in conn.dst:
                    if s != d or s not in single_pods:
                        out[(s, d)] = out.get((s, d), PortSet.none()) | conn.allowed
        return out


@dataclass
class Units:
    """Endpoints grouped by the classes their pods fall in."""

    names: list[list[str]]
    """Endpoint names of each unit group, sorted."""
    kinds: list[list[Endpoint]]
    """The endpoints of each unit group."""
    classes: list[tuple[int, ...]]
    """The classes behind each unit group."""


def endpoint_units(matrix: ConnectivityMatrix, granularity: Granularity) -> Units:
    """Endpoints at ``granularity``, grouped by the set of classes their pods fall in."""
    classes = matrix.classes
    pods = classes.cluster.pods
    class_of_pod = np.empty(len(pods), dtype=np.int64)
    for c, members in enumerate(classes.members):
        class_of_pod[members] = c
    per_unit: dict[str, set[int]] = defaultdict(set)
    endpoint: dict[str, Endpoint] = {}
    for i, pod in enumerate(pods):
        if granularity is Granularity.POD:
            name = pod.key
            kind = "Pod" if not pod.is_template else (pod.workload.kind if pod.workload else "Pod")
        else:
            name = pod.endpoint_name
            kind = pod.workload.kind if pod.workload is not None else "Pod"
        per_unit[name].add(int(class_of_pod[i]))
        endpoint.setdefault(name, Endpoint(name, kind, pod.namespace))
    groups: dict[tuple[int, ...], int] = {}
    units = Units([], [], [])
    for name in sorted(per_unit):
        signature = tuple(sorted(per_unit[name]))
        g = groups.get(signature)
        if g is None:
            g = groups[signature] = len(units.classes)
            units.classes.append(signature)
            units.names.append([])
            units.kinds.append([])
        units.names[g].append(name)
        units.kinds[g].append(endpoint[name])
    return units


def meet_rows(
    matrix: ConnectivityMatrix,
    ids: npt.NDArray[np.uint32] | ClassPairIds,
    groups: list[tuple[int, ...]],
) -> npt.NDArray[np.uint32]:
    """Row g of the result: the intersection of the connection sets of rows ``groups[g]``."""
    masks = np.stack(matrix.masks)
    out = np.empty((len(groups), ids.shape[1]), dtype=np.uint32)
    chunk = 256  # bounds the expanded masks held at once
    for start in range(0, len(groups), chunk):
        part = groups[start : start + chunk]
        values = masks[ids[[g[0] for g in part]]]
        for g, rows in enumerate(part):
            for r in rows[1:]:
                values[g] &= masks[ids[r]]
        out[start : start + len(part)] = matrix.table.encode(values)
    return out


def _unit_matrices(
    matrix: ConnectivityMatrix, units: Units
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    return unit_id_matrices(matrix, units.classes)


def unit_id_matrices(
    matrix: ConnectivityMatrix, groups: list[tuple[int, ...]]
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """unit x unit, unit x atom and atom x unit id matrices, a unit being the classes of
    ``groups[u]`` (ids into ``matrix.table``).

    A unit whose pods fall into several classes gets what all of them are allowed.
    """
    if all(len(sig) == 1 for sig in groups):
        first = np.array([sig[0] for sig in groups], dtype=np.int64)
        return (
            matrix.pod_to_pod[np.ix_(first, first)],
            matrix.pod_to_ext[first],
            matrix.ext_to_pod[:, first],
        )
    rows = meet_rows(matrix, matrix.pod_to_pod, groups)
    pp = meet_rows(matrix, np.ascontiguousarray(rows.T), groups).T
    pe = meet_rows(matrix, matrix.pod_to_ext, groups)
    ep = meet_rows(matrix, np.ascontiguousarray(matrix.ext_to_pod.T), groups).T
    return np.ascontiguousarray(pp), pe, np.ascontiguousarray(ep)


def connectivity_map(
    cluster: Cluster,
    granularity: Granularity = Granularity.WORKLOAD,
    namespaces: Iterable[str] | None = None,
    matrix: ConnectivityMatrix | None = None,
) -> ConnectivityMap:
    """Compute the grouped connectivity map of a cluster.

    ``namespaces`` keeps only connections with at least one end in those namespaces.
    """
    if matrix is None:
        matrix = compute_connectivity(build_classes(cluster))
    units = endpoint_units(matrix, granularity)
    pp, pe, ep = _unit_matrices(matrix, units)
    atoms = matrix.classes.ip_atoms
    if namespaces is not None:
        wanted = set(namespaces)
        inside = np.array([any(e.namespace in wanted for e in k) for k in units.kinds], dtype=bool)
        pp = np.where(inside[:, None] | inside[None, :], pp, 0).astype(np.uint32)
        pe = np.where(inside[:, None], pe, 0).astype(np.uint32)
        ep = np.where(inside[None, :], ep, 0).astype(np.uint32)

    count = len(units.classes)
    # External endpoints: atoms that every pod treats alike form one range, so the ranges
    # are disjoint and each is as large as the policies allow.
    ext_groups: dict[bytes, list[int]] = {}
    for a in range(pe.shape[1]):
        ext_groups.setdefault(pe[:, a].tobytes() + ep[a, :].tobytes(), []).append(a)
    groups = list(ext_groups.values())
    # Every external CIDR once, in address order; a group of atoms is the ranks of its CIDRs,
    # so a connection's destinations are merged by sorting integers, not parsing names.
    blocks: list[tuple[int, int, int]] = []  # (family, first address, prefix length)
    names: list[str] = []
    owner: list[int] = []
    for g, group in enumerate(groups):
        addresses = atoms.range_set(group)
        blocks.extend(addresses.cidr_blocks())
        names.extend(addresses.cidr_strings())
        owner.extend([g] * (len(blocks) - len(owner)))
    by_address = sorted(range(len(blocks)), key=blocks.__getitem__)
    ext_names = np.array([names[k] for k in by_address], dtype=object)
    group_ranks: list[list[int]] = [[] for _ in groups]
    for rank, k in enumerate(by_address):
        group_ranks[owner[k]].append(rank)
    ext_ranks = [np.array(r, dtype=np.intp) for r in group_ranks]
    used = np.zeros(len(ext_names), dtype=np.bool_)
    first_atom = np.array([g[0] for g in groups], dtype=np.int64)
    pe = pe[:, first_atom]
    ep = ep[first_atom, :]

    def names_of(indices: npt.NDArray[np.intp]) -> tuple[tuple[str, ...], npt.NDArray[np.intp]]:
        """The names of endpoints (unit groups, then external groups past ``count``), and
        the ranks of the external ones."""
        pods_part = sorted(n for i in indices[indices < count].tolist() for n in units.names[i])
        outside = indices[indices >= count] - count
        if not outside.size:
            return tuple(pods_part), np.zeros(0, dtype=np.intp)
        # Sorted runs, one per group: a stable (merging) sort takes them nearly as they are.
        ranks = np.sort(np.concatenate([ext_ranks[g] for g in outside.tolist()]), kind="stable")
        return tuple(pods_part) + tuple(ext_names[ranks].tolist()), ranks

    sources: list[tuple[npt.NDArray[np.uint32], tuple[str, ...], npt.NDArray[np.intp]]] = [
        (row, tuple(sorted(n for g in srcs for n in units.names[g])), np.zeros(0, dtype=np.intp))
        for row, srcs in _same_rows(np.concatenate([pp, pe], axis=1))
    ]
    sources.extend(
        (row, *names_of(np.array(srcs, dtype=np.intp) + count)) for row, srcs in _same_rows(ep)
    )
    connections: list[Connection] = []
    for row, src, src_ranks in sources:
        mask_ids = np.unique(row[row != 0]).tolist()
        if mask_ids:
            used[src_ranks] = True
        for mask_id in mask_ids:
            dst, dst_ranks = names_of(np.flatnonzero(row == mask_id))
            used[dst_ranks] = True
            connections.append(Connection(src, dst, matrix.portset(mask_id)))
    connections.sort(key=lambda c: (c.src, c.dst))
    endpoints = [e for kinds in units.kinds for e in kinds]
    endpoints.sort(key=lambda e: e.name)
    external = ext_names[used].tolist()
    endpoints.extend(Endpoint(c, "IPRange", None) for c in external)
    return ConnectivityMap(granularity, tuple(endpoints), tuple(connections))


def _same_rows(ids: npt.NDArray[np.uint32]) -> list[tuple[npt.NDArray[np.uint32], list[int]]]:
    """Rows that are equal, grouped: (the row, indices of the rows equal to it)."""
    groups: dict[bytes, list[int]] = {}
    for i in range(ids.shape[0]):
        groups.setdefault(ids[i].tobytes(), []).append(i)
    return [(ids[members[0]], members) for members in groups.values()]
