"""Hygiene checks: pods outside NetworkPolicy, policies and rules that match nothing, CNI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

import numpy as np

from netfence.analyses.audit import evidence as ev
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.host_network import HOST_LEVEL_ADVICE
from netfence.analyses.audit.predicates import (
    applying_rules,
    dropped_by_rule,
    peer_masks,
    peer_path,
    peer_selectors,
    policy_resource,
    policy_selection,
    rule_destinations,
    rule_key,
    rule_resource,
    unresolved_named_ports,
)
from netfence.analyses.audit.registry import check
from netfence.model.cluster import Cluster
from netfence.model.findings import CheckInfo, Finding, ResourceRef, Severity
from netfence.model.layers import RuleOrigin
from netfence.policy.rules import PortEntry

POLICY_ENGINES = {
    "calico": re.compile(r"calico-node|calico/node|canal"),
    "cilium": re.compile(r"cilium"),
    "azure-npm": re.compile(r"azure-npm|networkpolicymanager"),
    "antrea": re.compile(r"antrea-agent|antrea/antrea"),
    "kube-router": re.compile(r"kube-router"),
    "weave": re.compile(r"weave-net|weaveworks/weave-kube"),
}
"""Network plugins that enforce NetworkPolicy, recognised by DaemonSet name or image."""


@check(
    "NF015",
    "Pod uses the host network",
    Severity.HIGH,
    description=(
        "Pods with hostNetwork: true share the node's network namespace: NetworkPolicy does "
        "not govern their traffic, and they can reach node-local services."
    ),
    remediation=HOST_LEVEL_ADVICE,
    controls=(
        "OWASP Kubernetes Security Cheat Sheet: Pod security (hostNetwork)",
        "NSA/CISA Kubernetes Hardening Guide: Pod security",
    ),
    peers={
        "kubescape": ("C-0041",),
        "checkov": ("CKV_K8S_19",),
        "polaris": ("hostNetworkSet",),
        "trivy": ("KSV-0009",),
        "kube-bench": ("5.2.5",),
    },
)
def host_network(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads whose pods use the host network; a node agent of the platform is info."""
    for view in ctx.workloads:
        pods = [ctx.cluster.pods[i] for i in view.pods if ctx.cluster.pods[i].host_network]
        if not pods:
            continue
        agent = is_node_agent(view.kind, view.namespace)
        note = (
            ": expected of a node agent of the platform, whose host must be guarded instead"
            if agent
            else ""
        )
        yield finding(
            info,
            f"{view.kind} {view.name} runs with hostNetwork: NetworkPolicy does not apply "
            f"to its traffic{note}.",
            (view.resource,),
            ev.HostNetwork(tuple(p.key for p in pods[:20]), len(pods)),
            severity=Severity.INFO if agent else None,
        )


PLATFORM_NAMESPACES: Final = frozenset({"kube-system", "calico-system", "tigera-operator"})
"""Namespaces of the cluster's own components (Kubernetes, and Calico as AKS enabled by Azure
Arc installs it), whose DaemonSets on the host network are node agents (kube-proxy, the CNI,
calico-node): Pod Security's privileged level exists for them."""


def is_node_agent(kind: str, namespace: str) -> bool:
    """A DaemonSet of a platform namespace: one pod per node, run by the platform, which
    needs the node's network (kube-proxy, calico-node); host networking is its job."""
    return kind == "DaemonSet" and namespace in PLATFORM_NAMESPACES


@check(
    "NF016",
    "Container binds a host port",
    Severity.MEDIUM,
    description=(
        "A hostPort exposes the container on the node's address, where traffic may bypass "
        "the policies that guard the pod's own address."
    ),
    remediation="Expose the workload through a Service instead of a hostPort.",
    controls=("NSA/CISA Kubernetes Hardening Guide: Pod security",),
    peers={
        "kubescape": ("C-0044",),
        "checkov": ("CKV_K8S_26",),
        "polaris": ("hostPortSet",),
        "trivy": ("KSV-0024",),
    },
)
def host_ports(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads with containers that bind host ports."""
    for view in ctx.workloads:
        ports = sorted(
            {
                f"{p.host_port}/{p.protocol}"
                for i in view.pods
                for p in ctx.cluster.pods[i].ports
                if p.host_port
            }
        )
        if ports:
            yield finding(
                info,
                f"{view.kind} {view.name} binds host port(s) {', '.join(ports)}.",
                (view.resource,),
                ev.HostPorts(tuple(ports)),
            )


@check(
    "NF017",
    "Policy selects no pods",
    Severity.LOW,
    description=(
        "The policy's selection (a NetworkPolicy's podSelector, a Calico policy's selector and "
        "namespace scope, an AdminNetworkPolicy's subject) matches no pod or workload in the "
        "input, so it has no effect (often a label typo)."
    ),
    remediation="Fix the selector so it selects the intended pods, or delete the policy.",
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"kubescape": ("C-0299",), "kube-score": ("networkpolicy-targets-pod",)},
)
def policy_selects_nothing(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Policies of any family whose selection matches nothing."""
    for policy in ctx.compiled.policies:
        if any(s is not None and s.any() for s in (policy.selected_in, policy.selected_out)):
            continue
        selection = policy_selection(ctx, policy)
        yield finding(
            info,
            f"{policy.policy} selects no pods ({selection.field}: {selection.text}).",
            (policy_resource(policy.kind, policy.namespace, policy.name, selection.location),),
            ev.SelectsNothing(
                policy.policy, selection.pod_selector, selection.text, selection.field
            ),
        )


@check(
    "NF018",
    "Peer matches no pods",
    Severity.LOW,
    description=(
        "A rule's peer (a NetworkPolicy or AdminNetworkPolicy peer, a Calico rule's source or "
        "destination) matches no pod and no address in the input, so the rule matches nothing "
        "through it today (often a label or namespace typo). Peers that match nothing only "
        "because netfence does not model them (Calico services, domainNames) are NF029's."
    ),
    remediation="Fix the selectors so they match the intended peers, or remove the peer.",
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"nca": ("sanity: vacuity",)},
)
def peer_matches_nothing(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Peers of rules that apply to some pod, matching no endpoint at all."""
    dropped = dropped_by_rule(ctx)
    for _tier, rule in applying_rules(ctx):
        for k, mask, location in peer_masks(rule):
            origin = rule.origin
            key = rule_key(origin, whole_rule=k is None)
            if mask.any() or rule_key(_at_peer(origin, k)) in dropped or key in dropped:
                continue
            path = peer_path(origin, k)
            namespaces, pods = peer_selectors(ctx, rule, k)
            yield finding(
                info,
                f"{origin.policy} {path} matches no pods.",
                (rule_resource(origin, location),),
                ev.EmptyPeer(origin.policy, path, namespaces, pods),
                detail_key=path,
            )


def _at_peer(origin: RuleOrigin, peer_index: int | None) -> RuleOrigin:
    return RuleOrigin(
        origin.kind, origin.namespace, origin.name, origin.direction, origin.rule_index,
        peer_index=peer_index,
    )  # fmt: skip


@check(
    "NF019",
    "Named port resolves on no destination",
    Severity.MEDIUM,
    description=(
        "A rule of any policy family names a port that no destination pod of the rule "
        "declares (by name, and by protocol where the API asks for one), so that part of the "
        "rule matches nothing: the intended traffic is blocked, or a Deny denies nothing."
    ),
    remediation=(
        "Use the name the destination's container port declares (or its number), with the "
        "right protocol."
    ),
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"netpol-analyzer": ("warning: named port",), "kube-netpol": ("KNP-031",)},
)
def named_port_unresolved(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Named ports that resolve on none of the rule's destinations."""
    for _tier, rule in applying_rules(ctx):
        targets = rule_destinations(ctx, rule)
        for path, entry in unresolved_named_ports(ctx, rule):
            name, protocol = _named_text(entry)
            origin = rule.origin
            yield finding(
                info,
                f"{origin.policy} {path} names port {name!r} ({protocol}), which no "
                f"destination pod of the rule declares.",
                (rule_resource(origin, entry.location),),
                ev.UnresolvedNamedPort(
                    origin.policy,
                    name if protocol == ANY_PROTOCOL else f"{name}/{protocol}",
                    int(np.count_nonzero(targets)),
                ),
                detail_key=path,
            )


ANY_PROTOCOL = "any protocol"
"""How a named port that matches the container port whatever its protocol is described."""


def _named_text(entry: PortEntry) -> tuple[str, str]:
    """(name, protocol) of an entry; the AdminNetworkPolicy family's named ports match the
    container port whatever its protocol (``any protocol``)."""
    protocols = sorted({protocol for _, protocol in entry.named})
    return entry.named[0][0], protocols[0] if len(protocols) == 1 else ANY_PROTOCOL


@check(
    "NF020",
    "No NetworkPolicy engine found",
    Severity.HIGH,
    description=(
        "The input shows a cluster (a kube-system namespace or objects in it, or Node "
        "objects), yet none of its DaemonSets is a network plugin that enforces NetworkPolicy "
        "(Calico, Cilium, Azure NPM, Antrea, kube-router, Weave Net) and no Calico or "
        "AdminNetworkPolicy resource shows one, so the policies may not be enforced at all. "
        "AKS enabled by Azure Arc uses Calico. Manifests of applications alone say nothing "
        "about the cluster's plugin: no finding."
    ),
    remediation=(
        "Run a network plugin that enforces NetworkPolicy for ingress and egress, or include "
        "its DaemonSet (kube-system or calico-system) in the input."
    ),
    controls=("CIS 5.3.1", "NSA/CISA Kubernetes Hardening Guide: Network policies"),
    peers={"kubescape": ("C-0205", "C-0240"), "kube-bench": ("5.3.1",)},
)
def no_policy_engine(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """The input shows a cluster with no sign of a policy-enforcing network plugin."""
    cluster = ctx.cluster
    if not shows_a_cluster(cluster) or has_engine_resources(cluster):
        return
    daemonsets = {
        p.endpoint_name: p
        for p in cluster.pods
        if p.workload is not None and p.workload.kind == "DaemonSet"
    }
    for name, pod in daemonsets.items():
        text = " ".join((name, *pod.images))
        if any(pattern.search(text) for pattern in POLICY_ENGINES.values()):
            return
    yield finding(
        info,
        "No DaemonSet of a NetworkPolicy-enforcing plugin is in the input "
        f"({len(daemonsets)} DaemonSet(s) seen); policies may not be enforced.",
        (ResourceRef("Cluster", None, "cluster"),),
        ev.NoPolicyEngine(tuple(sorted(daemonsets)), tuple(sorted(POLICY_ENGINES))),
    )


def shows_a_cluster(cluster: Cluster) -> bool:
    """Whether the input describes a cluster rather than one application: a kube-system
    namespace (given, or holding some object), or Node objects."""
    return (
        "kube-system" in cluster.namespaces
        or bool(cluster.nodes)
        or any(s.namespace == "kube-system" for s in cluster.services)
    )


def has_engine_resources(cluster: Cluster) -> bool:
    """Whether resources only a policy engine serves are in the input: Calico's
    (projectcalico.org) or the AdminNetworkPolicy family's."""
    return bool(
        cluster.calico_policies
        or cluster.calico_tiers
        or cluster.network_sets
        or cluster.admin_policies
    )
