"""Management/data separation: which workloads reach the control plane, the management
network and the nodes' ports, and whether data networks reach the management network, each
with the pod-policy rule and the firewall layers and rules that let it through.

The pod policies are read through the audit's context (the one evaluator); the firewall
layers through :func:`netfence.analyses.firewall.path.trace`, with the source as the layers
see it (SNAT to the node by default, as the plan says). A destination inside the cluster (a
Service clusterIP) is decided by the pod policies alone: the layers never see it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from netfence.analyses.audit.context import AuditContext, WorkloadView
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.grouping import group_findings
from netfence.analyses.audit.host_network import host_network_subjects, with_host_advice
from netfence.analyses.audit.predicates import Provenance, rule_key, rule_text
from netfence.analyses.firewall.path import FirewallPath
from netfence.analyses.separation import catalog
from netfence.analyses.separation import evidence as ev
from netfence.analyses.separation.layers import (
    Paths,
    allowing_resources,
    lnet_prefixes,
    path_evidence,
    path_text,
    workload_end,
)
from netfence.analyses.separation.networks import data_to_management, shared_networks
from netfence.analyses.separation.reach import cause_of, how_allowed, policy_reach, provenance
from netfence.analyses.separation.targets import (
    MANAGING_NAMESPACES,
    Target,
    addresses_text,
    control_plane_targets,
    management_target,
    node_target,
    port_names,
    ports_text,
)
from netfence.model.address_plan import AddressPlan
from netfence.model.cluster import Cluster
from netfence.model.findings import CheckInfo, Finding, ResourceRef, Severity
from netfence.model.firewall import FirewallLayer
from netfence.model.layers import RuleOrigin
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet


def check_separation(
    plan: AddressPlan | None,
    cluster: Cluster,
    layers: Sequence[FirewallLayer] = (),
    api_servers: Sequence[tuple[str, int]] = (),
    *,
    context: AuditContext | None = None,
) -> list[Finding]:
    """The NF221-NF225 findings over the plan (None: the cluster's own objects only), the
    cluster's policies and the firewall layers (in the order an outbound flow crosses them).

    ``api_servers`` are (IP, port) pairs given for the API server beyond the input's
    default/kubernetes endpoints; ``context`` an audit context of the same cluster and
    API servers to reuse. Findings of one check with one cause are merged (as the audit's).
    """
    ctx = context if context is not None else AuditContext(cluster, tuple(api_servers))
    run = _Run(plan, ctx, Paths(layers, lnet_prefixes(plan)))
    found: list[Finding] = []
    servers = ctx.api_servers
    found.extend(
        run.workloads(catalog.CONTROL_PLANE_REACHABLE, control_plane_targets(plan, servers))
    )
    management = management_target(plan, cluster, servers)
    if management is not None:
        found.extend(run.workloads(catalog.MANAGEMENT_REACHABLE, [management]))
    nodes = node_target(plan, cluster, servers)
    if nodes is not None:
        found.extend(run.workloads(catalog.NODE_PORTS_REACHABLE, [nodes]))
    subjects = host_network_subjects(cluster)
    # Workload facts of one rule merge into one finding on the rule, as the audit's do; the
    # plan's networks are few and each finding is already on its own network.
    grouped = group_findings(with_host_advice(f, subjects) for f in found)
    if plan is not None:
        grouped.extend(data_to_management(plan, run.paths))
        grouped.extend(shared_networks(plan, run.paths))
    return grouped


MANAGING_SEVERITY = {
    catalog.CONTROL_PLANE_REACHABLE.check_id: Severity.INFO,
    catalog.MANAGEMENT_REACHABLE.check_id: Severity.LOW,
    catalog.NODE_PORTS_REACHABLE.check_id: Severity.LOW,
}
"""The severity of a finding on a workload that manages the cluster: it needs the API
server (info); it may need the kubelet or the cloud agent, narrowly (low)."""
MANAGING_ADVICE = (
    "The workload manages the cluster and may need this: allow it only the addresses and "
    "ports it uses (the API server on 6443, the kubelet on 10250), and accept the finding in "
    "the baseline."
)
"""The remediation of a finding on a workload that manages the cluster."""


@dataclass(frozen=True)
class _Reached:
    """One destination a workload reaches, past the pod policies and any layers."""

    target: Target
    addresses: IPRangeSet
    policy_ports: PortSet
    reached: PortSet
    undecided: PortSet
    path: FirewallPath | None
    local: bool = False

    def text(self) -> str:
        ports = self.reached | self.undecided
        named = port_names(ports) if self.target.what == "node addresses" else ""
        return (
            f"{self.target.what} {addresses_text(self.addresses)} on {named or ports_text(ports)}"
        )

    def evidence(self) -> ev.TargetReach:
        return ev.TargetReach(
            self.target.what,
            self.addresses.describe(),
            self.policy_ports.describe(),
            self.reached.describe() if self.reached else "",
            self.undecided.describe() if self.undecided else "",
            path_evidence(self.path) if self.path is not None else None,
            self.local,
        )


@dataclass(frozen=True)
class _Run:
    """What the workload checks share: the plan, the audit context, the layers' paths."""

    plan: AddressPlan | None
    ctx: AuditContext
    paths: Paths

    def workloads(self, info: CheckInfo, targets: Sequence[Target]) -> Iterator[Finding]:
        """One finding per workload that reaches some of ``targets``."""
        if not targets:
            return
        for view in self.ctx.workloads:
            reached = [r for t in targets for r in self._reach(view, t)]
            if reached and not self._intended(info, view, reached):
                yield self._finding(info, view, reached)

    def _intended(self, info: CheckInfo, view: WorkloadView, reached: list[_Reached]) -> bool:
        """Whether the reach is what the guidance asks for: a workload that manages the
        cluster, allowed the control plane by explicit rules of its policies (not by a
        namespace default), is the operator the API server is to be kept for."""
        if info is not catalog.CONTROL_PLANE_REACHABLE or view.namespace not in MANAGING_NAMESPACES:
            return False
        rules = _merged(
            provenance(self.ctx, view.classes, r.addresses, r.reached | r.undecided)
            for r in reached
        )
        return bool(rules.allowed_by) and not rules.by_default and not rules.passed_by

    def _reach(self, view: WorkloadView, target: Target) -> Iterator[_Reached]:
        """What of ``target`` the workload reaches: past its pod policies, then past the
        layers on the path to each part of it (none for a Service clusterIP)."""
        found = policy_reach(self.ctx, view, target.addresses, target.ports)
        if not found.ports:
            return
        if not self.paths.layers or target.in_cluster:
            yield _Reached(target, found.addresses, found.ports, found.ports, PortSet.none(), None)
            return
        pods = [self.ctx.cluster.pods[i] for i in view.pods]
        for addresses, local in self.paths.on_path(found.addresses):
            ports = policy_reach(self.ctx, view, addresses, target.ports).ports
            if not ports:
                continue
            if not self.paths.layers_to(local):
                yield _Reached(target, addresses, ports, ports, PortSet.none(), None, local)
                continue
            end = workload_end(self.plan, self.ctx.cluster, pods, addresses)
            path = self.paths.trace(end, addresses, ports, local)
            if path.allowed or path.undecided:  # else the layers keep it apart
                yield _Reached(target, addresses, ports, path.allowed, path.undecided, path, local)

    def _finding(self, info: CheckInfo, view: WorkloadView, reached: list[_Reached]) -> Finding:
        ctx = self.ctx
        rules = _merged(
            provenance(ctx, view.classes, r.addresses, r.reached | r.undecided) for r in reached
        )
        isolated = ctx.all_classes(view, ctx.governed_out)
        manages = view.namespace in MANAGING_NAMESPACES
        severity: Severity | None = None
        if manages:
            severity = MANAGING_SEVERITY[info.check_id]
            info = dataclasses.replace(info, remediation=MANAGING_ADVICE)
        elif not any(r.reached for r in reached):
            severity = Severity.LOW  # only "cannot decide" ports: the layers may keep it apart
        message = (
            f"{view.kind} {view.name} may reach {', '.join(r.text() for r in reached)}: "
            f"{how_allowed(rules, isolated)}{_layers_clause(reached)}."
        )
        return finding(
            info,
            message,
            (view.resource, *_layer_rules(reached)),
            ev.WorkloadReach(
                tuple(r.evidence() for r in reached),
                tuple(rule_text(o) for o in rules.allowed_by),
                tuple(rule_text(o) for o in rules.passed_by),
                isolated,
                rules.by_default,
                manages,
            ),
            severity=severity,
            cause=cause_of(ctx, view, rules),
        )


NO_ROUTED_LAYER = (
    "no layer given is on the path (the clusters' own lnet, reached without a router; only "
    "a layer on the nodes would be)"
)
"""What a message says of a destination on the clusters' lnets that no node layer guards."""


def _layers_clause(reached: Sequence[_Reached]) -> str:
    """``; through fw (fw: rules[0]), with SNAT to node ...`` for the destinations past the
    layers, each destination named when their paths differ."""
    said: list[tuple[str, str]] = []
    for r in reached:
        if r.path is not None:
            said.append((r.text(), path_text(r.path)))
        elif r.local:
            said.append((r.text(), NO_ROUTED_LAYER))
    if not said:
        return ""
    if len({text for _, text in said}) == 1:
        return f"; {said[0][1]}"
    return "; " + "; ".join(f"to {what}: {text}" for what, text in said)


def _merged(provenances: Iterable[Provenance]) -> Provenance:
    """One provenance of several, each rule once, in order of first mention."""
    allowed: dict[tuple[object, ...], RuleOrigin] = {}
    passed: dict[tuple[object, ...], RuleOrigin] = {}
    by_default = False
    for p in provenances:
        for o in p.allowed_by:
            allowed.setdefault(rule_key(o, whole_rule=True), o)
        for o in p.passed_by:
            passed.setdefault(rule_key(o, whole_rule=True), o)
        by_default = by_default or p.by_default
    return Provenance(tuple(allowed.values()), tuple(passed.values()), by_default)


def _layer_rules(reached: Sequence[_Reached]) -> tuple[ResourceRef, ...]:
    """The firewall rules that let the flows through, as resources, once each."""
    found: dict[str, ResourceRef] = {}
    for r in reached:
        if r.path is None:
            continue
        for resource in allowing_resources(r.path):
            found.setdefault(resource.key, resource)
    return tuple(found.values())
