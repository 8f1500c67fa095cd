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

from netfence.engine.calico_ports import rule_values
from netfence.engine.calico_selector_eval import evaluate
from netfence.engine.labelindex import LabelIndex
from netfence.model.calico_selector import Selector
from netfence.model.cluster import Cluster, Pod
from netfence.model.selectors import LabelSelector
from netfence.sets.atoms import IPAtoms, PortAtoms
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import KUBERNETES_PROTOCOLS

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
    calico_labels: LabelIndex | None = None
    """Distinct Calico endpoint label sets (None without Calico policies)."""
    class_calico_labels: npt.NDArray[np.int32] | None = None
    """Each class's Calico label set, as an index into ``calico_labels``."""

    @property
    def count(self) -> int:
        """Number of pod classes."""
        return len(self.members)

    def calico_selector_mask(self, selector: Selector) -> npt.NDArray[np.bool_]:
        """Which classes' Calico endpoint labels match ``selector``."""
        if self.calico_labels is None or self.class_calico_labels is None:
            return np.zeros(self.count, dtype=np.bool_)
        return evaluate(selector, self.calico_labels)[self.class_calico_labels]

    def pod_selector_mask(self, selector: LabelSelector) -> npt.NDArray[np.bool_]:
        """Which classes' labels match ``selector`` (namespace not considered)."""
        return self.labels.select(selector)[self.class_labels]


CALICO_NAMESPACE_LABEL = "projectcalico.org/namespace"
"""Label Calico puts on every workload endpoint: its namespace."""
CALICO_ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
"""Label Calico puts on every workload endpoint: ``k8s``."""
CALICO_SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
"""Label Calico puts on every workload endpoint: its service account."""


def calico_labels(pod: Pod) -> dict[str, str]:
    """The labels Calico's selectors see on a pod's workload endpoint."""
    labels = dict(pod.labels)
    labels[CALICO_NAMESPACE_LABEL] = pod.namespace
    labels[CALICO_ORCHESTRATOR_LABEL] = "k8s"
    labels[CALICO_SERVICE_ACCOUNT_LABEL] = pod.service_account
    return labels


@dataclass
class _PolicyFacts:
    """What the policies of every language can tell pods and ports apart by."""

    pod_selectors: dict[LabelSelector, None]
    calico_selectors: dict[Selector, None]
    addresses: list[str | IPRangeSet]
    """Every address set the compiled rules test: IP atoms are the pieces none splits."""
    named_ports: dict[NamedPort, None]
    spans: list[tuple[str, int, int]]


def _collect_facts(cluster: Cluster) -> _PolicyFacts:
    facts = _PolicyFacts({}, {}, [], {}, [])
    for policy in cluster.policies:
        facts.pod_selectors[policy.pod_selector] = None
        for rule in policy.ingress + policy.egress:
            blocks = [p.ip_block.addresses for p in rule.peers or () if p.ip_block is not None]
            if blocks:  # the compiler matches a rule's ipBlocks together
                facts.addresses.append(IPRangeSet.union_of(blocks))
            for peer in rule.peers or ():
                if peer.pod_selector is not None:
                    facts.pod_selectors[peer.pod_selector] = None
            for port in rule.ports or ():
                if isinstance(port.port, str):
                    facts.named_ports[(port.port, port.protocol)] = None
                elif port.port is not None:
                    facts.spans.append((port.protocol, port.port, port.end_port or port.port))
    for admin in cluster.admin_policies:
        if admin.subject.pod_selector is not None:
            facts.pod_selectors[admin.subject.pod_selector] = None
        for arule in admin.ingress + admin.egress:
            for apeer in arule.peers:
                if apeer.pod_selector is not None:
                    facts.pod_selectors[apeer.pod_selector] = None
                facts.addresses.append(apeer.addresses)
                if apeer.node_selector is not None:
                    facts.addresses.append(
                        IPRangeSet.from_cidrs(
                            f"{ip}/{128 if ':' in ip else 32}"
                            for ip in node_ips(cluster, apeer.node_selector)
                        )
                    )
            for aport in arule.ports or ():  # ports of one rule, any policy of the family
                if aport.named is not None:
                    for proto in KUBERNETES_PROTOCOLS:  # the container port's own protocol
                        facts.named_ports[(aport.named, proto)] = None
                elif aport.start is not None and aport.protocol is not None:
                    facts.spans.append((aport.protocol, aport.start, aport.end or aport.start))
    for cpolicy in cluster.calico_policies:
        facts.calico_selectors[cpolicy.selector] = None
        for crule in cpolicy.ingress + cpolicy.egress:
            for entity in (crule.source, crule.destination):
                for sel in (entity.selector, entity.not_selector):
                    if sel is not None:
                        facts.calico_selectors[sel] = None
                facts.addresses.append(IPRangeSet.from_cidrs(entity.nets or ()))
                facts.addresses.append(IPRangeSet.from_cidrs(entity.not_nets))
            matched, named, excluded, named_not = rule_values(crule)
            for values in (matched, excluded):
                facts.spans.extend(
                    (proto, lo, hi)
                    for proto in values.protocols()
                    for lo, hi in values.ports(proto)
                )
            for named_port in named + named_not:
                facts.named_ports[named_port] = None
    for network_set in cluster.network_sets:
        facts.addresses.append(network_set.addresses)
    return facts


def node_ips(cluster: Cluster, selector: LabelSelector) -> list[str]:
    """Addresses of the nodes a label selector matches."""
    return [ip for node in cluster.nodes if selector.matches(node.labels) for ip in node.addresses]


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
    pods = cluster.pods
    namespaces = list(cluster.namespaces)
    ns_index = {name: i for i, name in enumerate(namespaces)}
    facts = _collect_facts(cluster)
    ip_atoms = IPAtoms(facts.addresses)
    spans = facts.spans

    # Distinct label sets, then which of the policies' selectors each matches.
    pod_label_ids, distinct_labels = _distinct([tuple(sorted(p.labels.items())) for p in pods])
    index = LabelIndex(distinct_labels)
    label_group = _signature_groups(index, [index.select(s) for s in facts.pod_selectors])
    calico_index: LabelIndex | None = None
    calico_ids = np.zeros(len(pods), dtype=np.int32)
    calico_group = np.zeros(1, dtype=np.int64)
    if facts.calico_selectors:
        calico_ids, distinct_calico = _distinct(
            [tuple(sorted(calico_labels(p).items())) for p in pods]
        )
        calico_index = LabelIndex(distinct_calico)
        calico_group = _signature_groups(
            calico_index, [evaluate(s, calico_index) for s in facts.calico_selectors]
        )

    named_list = list(facts.named_ports)
    keys: dict[tuple[object, ...], int] = {}
    members: list[list[int]] = []
    representatives: list[int] = []
    class_ip: list[frozenset[int]] = []
    for i, pod in enumerate(pods):
        atoms = frozenset(ip_atoms.atom_of(ip) for ip in pod.ips)
        resolved = tuple(pod.named_port(name, proto) for name, proto in named_list)
        key = (
            pod.namespace,
            int(label_group[pod_label_ids[i]]),
            int(calico_group[calico_ids[i]]) if calico_index is not None else 0,
            pod.service_account if calico_index is not None else "",
            pod.host_network,
            atoms,
            resolved,
        )
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
        calico_labels=calico_index,
        class_calico_labels=calico_ids[representatives] if calico_index is not None else None,
    )
