"""The connectivity JSON contract (version 3) read back into pairs, for the tests.

Both forms and ``ConnectivityMap.pairs`` are brought to one canonical shape: in-cluster pairs
with their allowed sets, and for each in-cluster endpoint, direction and allowed set the
external addresses it holds for (forms may cut the same addresses into different terms).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from netfence.model.cluster import Cluster
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

Pairs = dict[tuple[str, str], PortSet]
Canonical = tuple[Pairs, dict[tuple[str, str, PortSet], IPRangeSet]]


def ports_of(allowed: dict[str, list[list[int]]]) -> PortSet:
    """The PortSet of an ``allowed`` object."""
    return PortSet.from_ranges({p: [(lo, hi) for lo, hi in r] for p, r in allowed.items()})


def is_external(name: str) -> bool:
    """An address term's name (in-cluster names are namespace/name, without "." or ":")."""
    head = name.split("/", 1)[0]
    return "." in head or ":" in head


def addresses_of(name: str) -> IPRangeSet:
    """The addresses of a term's name, ``CIDR`` or ``CIDR except A, B``."""
    cidr, _, excepts = name.partition(" except ")
    found = IPRangeSet.from_cidr(cidr)
    if excepts:
        found = found - IPRangeSet.from_cidrs(excepts.split(", "))
    return found


def workload_pairs(pod_pairs: Pairs, cluster: Cluster) -> Pairs:
    """Workload pairs from pod pairs: a workload gets what all its pods get, from each pod
    to each other pod (a workload to itself: its pods to one another; none for one pod,
    which has no replica to reach). External ends stay as they are."""
    of: dict[str, str] = {}
    pods: dict[str, list[str]] = defaultdict(list)
    for pod in cluster.pods:
        of[pod.key] = pod.endpoint_name
        pods[pod.endpoint_name].append(pod.key)
    templates = {p.key for p in cluster.pods if p.is_template}

    def members(name: str) -> list[str]:
        return [name] if is_external(name) else pods[name]

    ends = {of.get(s, s) for s, _ in pod_pairs} | {of.get(d, d) for _, d in pod_pairs}
    out: Pairs = {}
    for a in ends:
        for b in ends:
            cells = [(p, q) for p in members(a) for q in members(b) if p != q or p in templates]
            if not cells or (is_external(a) and is_external(b)):
                continue
            ports = PortSet.all()
            for cell in cells:
                ports = ports & pod_pairs.get(cell, PortSet.none())
            if ports:
                out[(a, b)] = ports
    return out


def canonical(pairs: Pairs) -> Canonical:
    """In-cluster pairs as they are; external ends merged per endpoint, direction, ports."""
    inside: Pairs = {}
    pieces: dict[tuple[str, str, PortSet], list[IPRangeSet]] = defaultdict(list)
    for (src, dst), ports in pairs.items():
        if not ports:
            continue
        if is_external(dst):
            pieces[(src, "egress", ports)].append(addresses_of(dst))
        elif is_external(src):
            pieces[(dst, "ingress", ports)].append(addresses_of(src))
        else:
            inside[(src, dst)] = ports
    return inside, {key: IPRangeSet.union_of(sets) for key, sets in pieces.items()}


def _add(pairs: Pairs, pair: tuple[str, str], ports: PortSet) -> None:
    pairs[pair] = pairs.get(pair, PortSet.none()) | ports


def flat_pairs(document: dict[str, Any]) -> Pairs:
    """The pairs of a ``pairs`` form document."""
    assert document["form"] == "pairs"
    pairs: Pairs = {}
    for entry in document["pairs"]:
        _add(pairs, (entry["src"], entry["dst"]), ports_of(entry["allowed"]))
    return pairs


def _cells(document: dict[str, Any]) -> dict[tuple[str, str], PortSet]:
    cells: dict[tuple[str, str], PortSet] = {}
    for entry in document["connections"]:
        ports = ports_of(entry["allowed"])
        for src in entry["src"]:
            for dst in entry["dst"]:
                assert (src, dst) not in cells, "a pair of groups is named once"
                cells[(src, dst)] = ports
    return cells


def expand_groups(document: dict[str, Any]) -> Pairs:
    """The pairs a ``groups`` form document stands for, at its granularity: pods pair with
    the members of the groups they may reach (a pod never with itself, unless it stands for
    replicas); a workload gets what all its pods get."""
    assert document["form"] == "groups"
    cells = _cells(document)
    terms = {g["id"]: [t["name"] for t in g["addresses"]] for g in document["external"]}
    groups = {g["id"]: g for g in document["groups"]}
    if document["granularity"] == "pod":
        return _expand_pods(cells, groups, terms)
    return _expand_workloads(cells, groups, terms)


def _expand_pods(
    cells: dict[tuple[str, str], PortSet],
    groups: dict[str, dict[str, Any]],
    terms: dict[str, list[str]],
) -> Pairs:
    def names(group: str) -> list[str]:
        return terms[group] if group in terms else groups[group]["members"]

    pairs: Pairs = {}
    for (src, dst), ports in cells.items():
        replicated = set(groups[src]["replicated"]) if src in groups else set()
        for a in names(src):
            for b in names(dst):
                if src != dst or a != b or a in replicated:
                    _add(pairs, (a, b), ports)
    return pairs


def _expand_workloads(
    cells_of: dict[tuple[str, str], PortSet],
    groups: dict[str, dict[str, Any]],
    terms: dict[str, list[str]],
) -> Pairs:
    of: dict[str, dict[str, int]] = defaultdict(dict)  # endpoint -> its groups, pods in each
    for gid, group in groups.items():
        for member in group["members"]:
            # A replicated member stands for several pods.
            many = member["name"] in group["replicated"]
            of[member["name"]][gid] = member["pods"] + many
    for gid, names in terms.items():
        for name in names:
            of[name][gid] = 1
    pairs: Pairs = {}
    for a in of:
        for b in of:
            if is_external(a) and is_external(b):
                continue
            cells = [(g, h) for g in of[a] for h in of[b] if a != b or g != h or of[a][g] > 1]
            if not cells:
                continue
            ports = PortSet.all()
            for cell in cells:
                ports = ports & cells_of.get(cell, PortSet.none())
            if ports:
                pairs[(a, b)] = ports
    return pairs
