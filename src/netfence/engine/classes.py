"""Group pods that no selector, ipBlock or named port can tell apart into classes.

Connectivity is computed once per class; output expands classes back to pods or workloads.
A class is fixed by: the namespace, which of the policies' pod selectors match the labels,
which address atoms the pod's IPs fall in, and what each named port of the policies
resolves to on the pod.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from netfence.engine.atoms import IPAtoms, PortAtoms
from netfence.engine.labelindex import LabelIndex
from netfence.model.cluster import Cluster
from netfence.model.networkpolicy import Peer
from netfence.model.selectors import LabelSelector

NamedPort = tuple[str, str]
"""(port name, protocol) as a NetworkPolicyPort names it."""


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

    @property
    def count(self) -> int:
        """Number of pod classes."""
        return len(self.members)

    def pod_selector_mask(self, selector: LabelSelector) -> npt.NDArray[np.bool_]:
        """Which classes' labels match ``selector`` (namespace not considered)."""
        return self.labels.select(selector)[self.class_labels]


def _policy_selectors(cluster: Cluster) -> list[LabelSelector]:
    found: dict[LabelSelector, None] = {}
    for policy in cluster.policies:
        found[policy.pod_selector] = None
        for rule in policy.ingress + policy.egress:
            for peer in rule.peers or ():
                if peer.pod_selector is not None:
                    found[peer.pod_selector] = None
    return list(found)


def _policy_peers(cluster: Cluster) -> list[Peer]:
    return [
        peer
        for policy in cluster.policies
        for rule in policy.ingress + policy.egress
        for peer in rule.peers or ()
    ]


def build_classes(cluster: Cluster) -> EndpointClasses:
    """Partition the cluster's pods into classes and atomize ports and addresses."""
    pods = cluster.pods
    namespaces = list(cluster.namespaces)
    ns_index = {name: i for i, name in enumerate(namespaces)}

    cidrs: list[str] = []
    for peer in _policy_peers(cluster):
        if peer.ip_block is not None:
            cidrs.append(peer.ip_block.cidr)
            cidrs.extend(peer.ip_block.excepts)
    ip_atoms = IPAtoms(cidrs)

    named_ports: dict[NamedPort, None] = {}
    spans: list[tuple[str, int, int]] = []
    for policy in cluster.policies:
        for rule in policy.ingress + policy.egress:
            for port in rule.ports or ():
                if isinstance(port.port, str):
                    named_ports[(port.port, port.protocol)] = None
                elif port.port is not None:
                    spans.append((port.protocol, port.port, port.end_port or port.port))

    # Distinct label sets, then which of the policies' selectors each matches.
    label_keys: dict[tuple[tuple[str, str], ...], int] = {}
    pod_label_ids = np.fromiter(
        (label_keys.setdefault(tuple(sorted(p.labels.items())), len(label_keys)) for p in pods),
        dtype=np.int32,
        count=len(pods),
    )
    distinct_labels = [dict(k) for k in label_keys]
    index = LabelIndex(distinct_labels)
    selectors = _policy_selectors(cluster)
    if selectors and distinct_labels:
        signature = np.stack([index.select(s) for s in selectors], axis=1)
        packed = np.packbits(signature, axis=1)
        _, label_group = np.unique(packed, axis=0, return_inverse=True)
        label_group = label_group.reshape(-1)
    else:
        label_group = np.zeros(len(distinct_labels), dtype=np.int64)

    named_list = list(named_ports)
    keys: dict[tuple[object, ...], int] = {}
    members: list[list[int]] = []
    representatives: list[int] = []
    class_ip: list[frozenset[int]] = []
    for i, pod in enumerate(pods):
        atoms = frozenset(ip_atoms.atom_of(ip) for ip in pod.ips)
        resolved = tuple(pod.named_port(name, proto) for name, proto in named_list)
        key = (pod.namespace, int(label_group[pod_label_ids[i]]), atoms, resolved)
        cls = keys.get(key)
        if cls is None:
            cls = keys[key] = len(members)
            members.append([])
            representatives.append(i)
            class_ip.append(atoms)
        members[cls].append(i)

    named: dict[NamedPort, npt.NDArray[np.int32]] = {}
    for name, proto in named_list:
        numbers = [pods[r].named_port(name, proto) for r in representatives]
        named[(name, proto)] = np.array([-1 if n is None else n for n in numbers], dtype=np.int32)
        spans.extend((proto, n, n) for n in numbers if n is not None)
    return EndpointClasses(
        cluster=cluster,
        namespaces=namespaces,
        members=members,
        class_ns=np.array([ns_index[pods[r].namespace] for r in representatives], dtype=np.int32),
        class_labels=pod_label_ids[representatives] if representatives else np.zeros(0, np.int32),
        labels=index,
        class_ip_atoms=class_ip,
        named=named,
        ip_atoms=ip_atoms,
        port_atoms=PortAtoms.collect(spans),
    )
