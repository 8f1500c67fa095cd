"""What every check reads: the cluster, its classes, compiled policies and connectivity."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

from netfence.engine.classes import EndpointClasses, build_classes
from netfence.engine.connectivity import ConnectivityMatrix, compute_connectivity
from netfence.engine.signatures import subject_signatures
from netfence.model.cluster import Cluster, Namespace, Pod
from netfence.model.findings import ResourceRef
from netfence.model.layers import Action, RuleId
from netfence.model.networkpolicy import Direction, NetworkPolicy
from netfence.model.origin import Origin
from netfence.policy.layering import CompiledPolicies, compile_layers
from netfence.policy.rules import CompiledRule
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

T = TypeVar("T")

NON_PUBLIC_RANGES: Final = (
    # IANA special-purpose registries (RFC 6890 and successors): not reachable on the Internet.
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32",
    "fc00::/7", "fe80::/10", "ff00::/8",
)  # fmt: skip
"""Addresses that are not on the public Internet."""

PUBLIC: Final = IPRangeSet.everything() - IPRangeSet.from_cidrs(NON_PUBLIC_RANGES)
"""The public Internet, both families."""


@dataclass(frozen=True)
class WorkloadView:
    """A workload (or a bare Pod) as the audit sees it: its pods and their classes."""

    name: str
    """``namespace/name``."""
    kind: str
    """Workload kind, or ``Pod``."""
    namespace: str
    """Its namespace."""
    pods: tuple[int, ...]
    """Indices into ``cluster.pods``."""
    classes: tuple[int, ...]
    """Classes its pods fall in."""
    resource: ResourceRef
    """Where it is defined."""


def resource_of(kind: str, namespace: str | None, name: str, origin: Origin | None) -> ResourceRef:
    """A ResourceRef read from ``origin`` (None: only referenced)."""
    return ResourceRef(kind, namespace, name, origin)


class AuditContext:
    """Computed once per audit and shared by every check."""

    def __init__(self, cluster: Cluster, api_servers: tuple[tuple[str, int], ...] = ()) -> None:
        self.cluster = cluster
        self.api_servers: tuple[tuple[str, int], ...] = tuple(
            dict.fromkeys((*cluster.api_servers, *api_servers))
        )
        """API server (IP, port) pairs: found in the input, plus those given by the user."""
        self.classes: EndpointClasses = build_classes(cluster)
        self.compiled: CompiledPolicies = compile_layers(self.classes)
        class_of_pod = np.empty(len(cluster.pods), dtype=np.int64)
        for c, members in enumerate(self.classes.members):
            class_of_pod[members] = c
        self.class_of_pod = class_of_pod

    @functools.cached_property
    def matrix(self) -> ConnectivityMatrix:
        """The connectivity matrix (computed on first use), noting which rules take effect."""
        return compute_connectivity(self.classes, self.compiled, self.effective_rules)

    @functools.cached_property
    def effective_rules(self) -> set[RuleId]:
        """Ids of the compiled rules that decide or pass something (filled by the walk
        that computes the matrix)."""
        return set()

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, once per audit: what several checks share lives as long as this
        context and no longer (a module-level cache would keep whole contexts alive)."""
        if key not in self._memo:
            self._memo[key] = compute()
        found: T = self._memo[key]
        return found

    @functools.cached_property
    def _memo(self) -> dict[str, Any]:
        return {}

    @functools.cached_property
    def pod_network(self) -> npt.NDArray[np.bool_]:
        """Classes whose pods are on the pod network (not host-networked)."""
        pods = self.cluster.pods
        return np.array([not pods[m[0]].host_network for m in self.classes.members], dtype=np.bool_)

    def atoms_overlapping(self, addresses: IPRangeSet) -> npt.NDArray[np.intp]:
        """Address atoms with some address in ``addresses`` (computed once per set)."""
        found = self._overlapping.get(addresses)
        if found is None:
            found = np.flatnonzero(self.classes.ip_atoms.atoms_overlapping(addresses))
            self._overlapping[addresses] = found
        return found

    @functools.cached_property
    def _overlapping(self) -> dict[IPRangeSet, npt.NDArray[np.intp]]:
        return {}

    def deciding_rules(self, direction: Direction) -> list[CompiledRule]:
        """Every rule of one direction that decides or passes (not Log), in walk order."""
        found = self._deciding.get(direction)
        if found is None:
            found = self._deciding[direction] = [
                r
                for tier in self.compiled.tiers
                for r in tier.rules(direction)
                if r.action is not Action.LOG
            ]
        return found

    @functools.cached_property
    def _deciding(self) -> dict[Direction, list[CompiledRule]]:
        return {}

    @functools.cached_property
    def workloads(self) -> list[WorkloadView]:
        """Workloads and bare Pods, sorted by name."""
        groups: dict[str, list[int]] = {}
        for i, pod in enumerate(self.cluster.pods):
            groups.setdefault(pod.endpoint_name, []).append(i)
        views = []
        for name, members in sorted(groups.items()):
            first = self.cluster.pods[members[0]]
            views.append(
                WorkloadView(
                    name=name,
                    kind=first.workload.kind if first.workload else "Pod",
                    namespace=first.namespace,
                    pods=tuple(members),
                    classes=tuple(sorted({int(self.class_of_pod[m]) for m in members})),
                    resource=self.pod_resource(first),
                )
            )
        return views

    @functools.cached_property
    def governed_in(self) -> npt.NDArray[np.bool_]:
        """Classes some policy layer restricts for ingress (see ``governed``)."""
        return self.governed(Direction.INGRESS)

    @functools.cached_property
    def governed_out(self) -> npt.NDArray[np.bool_]:
        """Classes some policy layer restricts for egress (see ``governed``)."""
        return self.governed(Direction.EGRESS)

    def governed(self, direction: Direction) -> npt.NDArray[np.bool_]:
        """Classes some policy layer restricts in ``direction``: isolated by a tier that denies
        by default (NetworkPolicy, Calico), or the subject of an Admin or Baseline rule that
        decides something (Allow, Deny or Pass)."""
        compiled = self.compiled
        out = (
            compiled.isolated_in if direction is Direction.INGRESS else compiled.isolated_out
        ).copy()
        for tier in compiled.tiers:
            if tier.end_deny:
                continue
            for rule in tier.rules(direction):
                if rule.action is not Action.LOG and rule.endpoints.any():
                    out |= rule.subjects
        return out

    @functools.cached_property
    def dns_classes(self) -> set[int]:
        """Classes of the cluster DNS pods (kube-system, label k8s-app=kube-dns)."""
        return {int(self.class_of_pod[i]) for i in self._dns_pods}

    @functools.cached_property
    def dns_names(self) -> set[str]:
        """Endpoint names of the cluster DNS."""
        return {self.cluster.pods[i].endpoint_name for i in self._dns_pods}

    @functools.cached_property
    def _dns_pods(self) -> list[int]:
        return [
            i
            for i, p in enumerate(self.cluster.pods)
            if p.namespace == "kube-system" and p.labels.get("k8s-app") == "kube-dns"
        ]

    def pod_resource(self, pod: Pod) -> ResourceRef:
        """The resource a pod is reported as: its workload, or the Pod itself."""
        if pod.workload is not None:
            location = pod.workload.location or (pod.location if pod.is_template else None)
            return resource_of(pod.workload.kind, pod.namespace, pod.workload.name, location)
        return resource_of("Pod", pod.namespace, pod.name, pod.location)

    def policy_resource(self, policy: NetworkPolicy, location: Origin | None = None) -> ResourceRef:
        """A policy as a resource, at ``location`` (a rule or field) or at its start."""
        return resource_of(
            "NetworkPolicy", policy.namespace, policy.name, location or policy.location
        )

    def namespace_resource(self, namespace: Namespace) -> ResourceRef:
        """A namespace as a resource."""
        return resource_of("Namespace", None, namespace.name, namespace.location)

    def policy_index(self, policy: NetworkPolicy) -> int:
        """Index of a policy in the cluster's list."""
        return self._policy_indices[id(policy)]

    @functools.cached_property
    def _policy_indices(self) -> dict[int, int]:
        return {id(p): i for i, p in enumerate(self.cluster.policies)}

    def all_classes(self, view: WorkloadView, mask: npt.NDArray[np.bool_]) -> bool:
        """Whether ``mask`` holds for every class of the workload."""
        return bool(mask[list(view.classes)].all())

    def external_reach(self, cls: int, outbound: bool) -> list[tuple[IPRangeSet, PortSet]]:
        """Address ranges a class may reach (or be reached from), grouped by allowed ports."""
        # A class's row towards addresses depends only on its subject signature (the rules
        # that apply to it, and what their named ports resolve to on it): classes of one
        # signature share the answer.
        key = (self.subject_signature(cls, outbound), outbound)
        found = self._reach_cache.get(key)
        if found is None:
            found = self._reach_cache[key] = self._external_reach(cls, outbound)
        return found

    def subject_signature(self, cls: int, outbound: bool) -> int:
        """The class's subject signature for egress (``outbound``) or ingress."""
        return int(
            self.subject_signatures(Direction.EGRESS if outbound else Direction.INGRESS)[cls]
        )

    def subject_signatures(self, direction: Direction) -> npt.NDArray[np.intp]:
        """The subject signature of each class in ``direction`` (``engine/signatures.py``),
        computed once per audit."""
        return self.memo(
            f"subject signatures {direction.value}",
            lambda: subject_signatures(self.compiled, direction).of,
        )

    @functools.cached_property
    def _reach_cache(self) -> dict[tuple[int, bool], list[tuple[IPRangeSet, PortSet]]]:
        return {}

    def _external_reach(self, cls: int, outbound: bool) -> list[tuple[IPRangeSet, PortSet]]:
        matrix = self.matrix
        ids = matrix.pod_to_ext[cls] if outbound else matrix.ext_to_pod[:, cls]
        atoms = self.classes.ip_atoms
        out: list[tuple[IPRangeSet, PortSet]] = []
        for mask_id in np.unique(ids[ids != 0]).tolist():
            ranges = atoms.range_set(np.flatnonzero(ids == mask_id).tolist())
            out.append((ranges, matrix.portset(mask_id)))
        return out

    def reach_to(self, cls: int, addresses: IPRangeSet, outbound: bool = True) -> PortSet:
        """Ports a class may use to (or from) any address in ``addresses``: the union.

        Remembered per subject signature: workloads share them, and a cluster of many
        thousand pods asks the same few questions once per workload.
        """
        key = (self.subject_signature(cls, outbound), addresses, outbound)
        found = self._reach_to_cache.get(key)
        if found is None:
            found = PortSet.none()
            for ranges, ports in self.external_reach(cls, outbound):
                if ranges & addresses:
                    found = found | ports
            self._reach_to_cache[key] = found
        return found

    @functools.cached_property
    def _reach_to_cache(self) -> dict[tuple[int, IPRangeSet, bool], PortSet]:
        return {}

    def pods_at(self, address: str) -> list[int]:
        """Classes of pods that own ``address`` (so external atoms do not stand for it)."""
        ip = str(ipaddress.ip_address(address))
        return [int(self.class_of_pod[i]) for i, p in enumerate(self.cluster.pods) if ip in p.ips]


def selecting_policies(ctx: AuditContext, view: WorkloadView, ingress: bool) -> list[NetworkPolicy]:
    """Policies of the direction's type that select some pod of the workload."""
    direction = Direction.INGRESS if ingress else Direction.EGRESS
    out = []
    for p, policy in enumerate(ctx.cluster.policies):
        if direction in policy.policy_types and ctx.compiled.selected[p][list(view.classes)].any():
            out.append(policy)
    return out
