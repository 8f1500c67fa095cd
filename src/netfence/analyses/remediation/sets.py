"""One fix set per namespace: the default deny its findings call for, with allowances for
exactly what its workloads are allowed today, and the DNS allowances asked for.

Allowances are read from today's connectivity map (workload granularity): for each workload a
new deny isolates, one policy per direction names every source (or destination) it has today,
workloads by namespace name and pod labels, address ranges as ipBlocks, on the ports allowed
today. Kubernetes NetworkPolicy allowances are additive and a deny only isolates, so together
they leave every existing flow as it is while new pods start with nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from netfence.analyses.audit.fixes import (
    FixRequest,
    allowance_policy,
    default_deny_policy,
    dns_egress_policy,
    dump_documents,
    workload_peer,
)
from netfence.analyses.connectivity_map import ConnectivityMap
from netfence.model.cluster import Cluster, Pod
from netfence.model.networkpolicy import Direction, NetworkPolicy
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import KUBERNETES_PROTOCOLS, PortSet


class Unfixable(Exception):
    """A namespace whose fix cannot be written as NetworkPolicy; the message says why."""


@dataclass
class WorkloadInfo:
    """A workload (or bare Pod) as a fix names it."""

    name: str
    """``namespace/name`` as the map names it."""
    namespace: str
    """Its namespace."""
    short: str
    """The name it goes by inside its namespace (the kind too when the name is shared)."""
    labels: dict[str, str]
    """Labels every pod of it carries."""
    resource: str
    """Its key as findings name it (``Deployment/namespace/name``, ``Pod/namespace/name``)."""
    pods: list[Pod] = field(default_factory=list)
    """Its pods."""


def workloads_of(cluster: Cluster) -> dict[str, WorkloadInfo]:
    """Every workload of the cluster by its map name, with the labels its pods share."""
    out: dict[str, WorkloadInfo] = {}
    for pod in cluster.pods:
        name = pod.endpoint_name
        info = out.get(name)
        if info is None:
            short = name.split("/", 1)[1].replace("/", "-").lower()
            owner = pod.workload
            resource = (
                f"{owner.kind}/{owner.namespace}/{owner.name}"
                if owner is not None
                else f"Pod/{pod.namespace}/{pod.name}"
            )
            info = out[name] = WorkloadInfo(name, pod.namespace, short, dict(pod.labels), resource)
        else:
            info.labels = {k: v for k, v in info.labels.items() if pod.labels.get(k) == v}
        info.pods.append(pod)
    return out


@dataclass(frozen=True)
class FixSet:
    """The policies one namespace's findings call for, merged to apply together."""

    namespace: str
    """The namespace."""
    policies: tuple[dict[str, Any], ...]
    """The NetworkPolicy documents, deny first."""
    deny: frozenset[Direction]
    """Directions the set's default deny covers."""
    dns_for: frozenset[str]
    """Workloads the set lets reach the cluster DNS."""
    deny_name: str | None = None
    """The name of its default deny, when it has one."""
    subjects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per allowance policy, the workloads it selects (their keys as findings name them)."""

    @property
    def names(self) -> tuple[str, ...]:
        """The names of its policies, in order."""
        return tuple(str(p["metadata"]["name"]) for p in self.policies)

    documents: tuple[str, ...] = ()
    """Each policy as YAML, in order (dumped once: a round that leaves a policy as it was
    reuses its text, and the proof its reading)."""

    @property
    def text(self) -> str:
        """The set as one YAML stream."""
        return "---\n".join(self.documents)

    def without(self, drops: set[tuple[str, str]]) -> FixSet:
        """The set less the generated policies (``(name, "")``) and rules (``(name,
        "spec.ingress[2]")``) that others of the set cover."""
        kept: list[dict[str, Any]] = []
        documents: list[str] = []
        for policy, document in zip(self.policies, self.documents, strict=True):
            name = str(policy["metadata"]["name"])
            if (name, "") in drops:
                continue
            spec = dict(policy["spec"])
            changed = False
            for key in ("ingress", "egress"):
                if key in spec:
                    rules = [
                        rule
                        for i, rule in enumerate(spec[key])
                        if (name, f"spec.{key}[{i}]") not in drops
                    ]
                    changed |= len(rules) != len(spec[key])
                    spec[key] = rules
            fresh = {**policy, "spec": spec}
            kept.append(fresh)
            documents.append(dump_documents([fresh]) if changed else document)
        return dataclasses.replace(self, policies=tuple(kept), documents=tuple(documents))


def _isolated_today(policies: Iterable[NetworkPolicy], pod: Pod, direction: Direction) -> bool:
    """NetworkPolicy spec: a pod selected by a policy of a direction is isolated in that
    direction; the deny changes nothing for it, its own policies keep its flows."""
    return any(direction in p.policy_types and p.pod_selector.matches(pod.labels) for p in policies)


def _needs_allowance(
    policies: Iterable[NetworkPolicy], info: WorkloadInfo, direction: Direction
) -> bool:
    """Whether a deny of ``direction`` newly isolates some pod of the workload (``policies``:
    those of its namespace)."""
    return any(not _isolated_today(policies, pod, direction) for pod in info.pods)


def policy_ports(ports: PortSet) -> list[dict[str, Any]] | None:
    """``ports`` as NetworkPolicyPorts; None when every port of every protocol (the field is
    then left out)."""
    if ports.is_all():
        return None
    beyond = set(ports.protocols()) - set(KUBERNETES_PROTOCOLS)
    if beyond:
        raise Unfixable(
            f"allowed today on {ports.describe()}, which NetworkPolicy ports cannot name"
        )
    out: list[dict[str, Any]] = []
    for protocol in KUBERNETES_PROTOCOLS:
        for lo, hi in ports.ports(protocol):
            entry: dict[str, Any] = {"protocol": protocol, "port": lo}
            if hi > lo:
                entry["endPort"] = hi
            out.append(entry)
    return out


_FAMILIES: Final = ("0.0.0.0/0", "::/0")
"""Each address family whole."""


def ip_blocks(addresses: IPRangeSet) -> list[dict[str, Any]]:
    """``addresses`` as ipBlock peers: per family the CIDRs, or the whole family less an
    ``except`` list when that is shorter."""
    out: list[dict[str, Any]] = []
    for whole in _FAMILIES:
        family = IPRangeSet.from_cidr(whole)
        part = addresses & family
        if not part:
            continue
        rest = (family - part).cidr_strings()
        cidrs = part.cidr_strings()
        if len(rest) + 1 < len(cidrs):
            block: dict[str, Any] = {"cidr": whole}
            if rest:
                block["except"] = rest
            out.append({"ipBlock": block})
        else:
            out.extend({"ipBlock": {"cidr": c}} for c in cidrs)
    return out


def _rules(
    peers: Mapping[str, PortSet], workloads: Mapping[str, WorkloadInfo], direction: Direction
) -> list[dict[str, Any]]:
    """One rule per distinct port set, listing every peer allowed exactly those ports."""
    by_ports: dict[PortSet, list[str]] = defaultdict(list)
    for peer, ports in peers.items():
        by_ports[ports].append(peer)
    key = "from" if direction is Direction.INGRESS else "to"
    rules: list[dict[str, Any]] = []
    for ports, names in sorted(by_ports.items(), key=lambda item: sorted(item[1])):
        entries: list[dict[str, Any]] = []
        addresses: list[str] = []
        for name in sorted(names):
            info = workloads.get(name)
            if info is None:
                addresses.append(name)
                continue
            if not info.labels:
                raise Unfixable(f"{name} has no pod labels to name it by in a peer")
            entries.append(workload_peer(info.namespace, info.labels))
        if addresses:
            entries.extend(ip_blocks(IPRangeSet.from_cidrs(addresses)))
        rule: dict[str, Any] = {key: entries}
        written = policy_ports(ports)
        if written is not None:
            rule["ports"] = written
        rules.append(rule)
    return rules


MAX_NAME: Final = 253
"""Longest object name the API accepts (a DNS subdomain)."""


class _Names:
    """Policy names in one namespace that clash with none in the input, nor with each other."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)

    def claim(self, wanted: str) -> str:
        if len(wanted) > MAX_NAME:
            digest = hashlib.sha256(wanted.encode()).hexdigest()[:10]
            wanted = f"{wanted[: MAX_NAME - 11].rstrip('-.')}-{digest}"
        name, count = wanted, 2
        while name in self.taken:
            suffix = f"-{count}"
            name = wanted[: MAX_NAME - len(suffix)] + suffix
            count += 1
        self.taken.add(name)
        return name


def flows_by_workload(
    cmap: ConnectivityMap, wanted_in: set[str], wanted_out: set[str]
) -> tuple[dict[str, dict[str, PortSet]], dict[str, dict[str, PortSet]]]:
    """For the workloads asked about, their sources (``wanted_in``) and destinations
    (``wanted_out``) today, each with the ports allowed."""
    incoming: dict[str, dict[str, PortSet]] = defaultdict(dict)
    outgoing: dict[str, dict[str, PortSet]] = defaultdict(dict)
    for conn in cmap.connections:
        allowed = conn.allowed
        for dst in (d for d in conn.dst if d in wanted_in):
            _add_all(incoming[dst], conn.src, allowed)
        for src in (s for s in conn.src if s in wanted_out):
            _add_all(outgoing[src], conn.dst, allowed)
    return incoming, outgoing


def _add_all(peers: dict[str, PortSet], names: Iterable[str], allowed: PortSet) -> None:
    """``allowed`` for each of ``names``; a pair is in one connection of the map, so a
    union is rare (only where an address range is named twice) and is made only then."""
    for name in names:
        found = peers.get(name)
        peers[name] = allowed if found is None else found | allowed


def by_resource(workloads: Mapping[str, WorkloadInfo], resource: str) -> str:
    """The map name of the workload a finding names by its resource key."""
    for info in workloads.values():
        if info.resource == resource:
            return info.name
    raise Unfixable(f"{resource} is not a workload of the input")


def _selections(
    members: list[WorkloadInfo], local: list[WorkloadInfo]
) -> list[tuple[dict[str, Any], list[WorkloadInfo]]]:
    """podSelectors for workloads that are allowed the same today: one for them all where a
    label they all carry tells their pods apart from every other pod of the namespace (its
    values ``In``), so that a cluster where most workloads are open to all gets one allowance
    per namespace rather than one per workload; else one per workload, by its labels."""
    if len(members) > 1:
        wanted = {id(p) for m in members for p in m.pods}
        shared = set.intersection(*(set(m.labels) for m in members))
        for key in sorted(shared):
            values = sorted({m.labels[key] for m in members})
            picked = {id(p) for w in local for p in w.pods if p.labels.get(key) in values}
            if picked == wanted:
                selector = {"matchExpressions": [{"key": key, "operator": "In", "values": values}]}
                return [(selector, members)]
    return [({"matchLabels": dict(sorted(m.labels.items()))}, [m]) for m in members]


def build_set(
    cluster: Cluster,
    namespace: str,
    requests: list[FixRequest],
    workloads: Mapping[str, WorkloadInfo],
    flows: tuple[dict[str, dict[str, PortSet]], dict[str, dict[str, PortSet]]],
) -> FixSet:
    """The merged fix set of one namespace; Unfixable when it cannot be written."""
    deny = frozenset(d for r in requests for d in r.deny)
    dns_for = frozenset(
        by_resource(workloads, r.dns_for) for r in requests if r.dns_for is not None
    )
    own = [p for p in cluster.policies if p.namespace == namespace]
    names = _Names(p.name for p in own)
    policies: list[dict[str, Any]] = []
    deny_name = None
    subjects: dict[str, tuple[str, ...]] = {}
    if deny:
        suffix = "all" if len(deny) == 2 else next(iter(deny)).value.lower()
        deny_name = names.claim(f"default-deny-{suffix}")
        policies.append(default_deny_policy(namespace, deny_name, deny))
    local = [w for w in workloads.values() if w.namespace == namespace]
    for direction in (Direction.INGRESS, Direction.EGRESS):
        if direction not in deny:
            continue
        today = flows[0] if direction is Direction.INGRESS else flows[1]
        alike: dict[str, tuple[list[dict[str, Any]], list[WorkloadInfo]]] = {}
        for info in sorted(local, key=lambda w: w.name):
            if not _needs_allowance(own, info, direction):
                continue
            peers = today.get(info.name)
            if not peers:
                continue  # allowed nothing today in this direction: the deny keeps it so
            if not info.labels:
                raise Unfixable(f"{info.name} has no pod labels to select it by")
            rules = _rules(peers, workloads, direction)
            key = json.dumps(rules, sort_keys=True)
            alike.setdefault(key, (rules, []))[1].append(info)
        for rules, members in alike.values():
            for selector, chosen in _selections(members, local):
                first = chosen[0].short
                label = first if len(chosen) == 1 else f"{first}-and-{len(chosen) - 1}-more"
                name = names.claim(f"allow-{direction.value.lower()}-{label}")
                subjects[name] = tuple(m.resource for m in chosen)
                policies.append(allowance_policy(namespace, name, selector, direction, rules))
    if dns_for:
        everyone = {w.name for w in local}
        if dns_for >= everyone:
            policies.append(dns_egress_policy(namespace, names.claim("allow-dns-egress"), {}))
        else:
            for wanted in sorted(dns_for):
                info = workloads[wanted]
                if not info.labels:
                    raise Unfixable(f"{info.name} has no pod labels to select it by")
                selector = {"matchLabels": dict(sorted(info.labels.items()))}
                name = names.claim(f"allow-dns-egress-{info.short}")
                policies.append(dns_egress_policy(namespace, name, selector))
    documents = tuple(dump_documents([p]) for p in policies)
    return FixSet(namespace, tuple(policies), deny, dns_for, deny_name, subjects, documents)
