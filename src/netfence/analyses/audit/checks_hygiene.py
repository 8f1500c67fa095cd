"""Hygiene checks: pods outside NetworkPolicy, policies and rules that match nothing, CNI."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.registry import check
from netfence.analyses.audit.rules import iter_rules
from netfence.model.findings import CheckInfo, Finding, ResourceRef, Severity
from netfence.model.networkpolicy import Direction
from netfence.policy.kubernetes import KubernetesCompiler

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
    remediation="Remove hostNetwork unless the pod is a node agent that needs it; accept those.",
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
    """Workloads whose pods use the host network."""
    for view in ctx.workloads:
        pods = [ctx.cluster.pods[i] for i in view.pods if ctx.cluster.pods[i].host_network]
        if pods:
            yield Finding(
                info,
                f"{view.kind} {view.name} runs with hostNetwork: NetworkPolicy does not apply "
                f"to its traffic.",
                (view.resource,),
                evidence={"pods": [p.key for p in pods][:20], "count": len(pods)},
            )


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
            yield Finding(
                info,
                f"{view.kind} {view.name} binds host port(s) {', '.join(ports)}.",
                (view.resource,),
                evidence={"host_ports": ports},
            )


@check(
    "NF017",
    "Policy selects no pods",
    Severity.LOW,
    description=(
        "The policy's podSelector matches no pod or workload of its namespace in the input, so "
        "it has no effect (often a label typo)."
    ),
    remediation="Fix the podSelector so it selects the intended pods, or delete the policy.",
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"kubescape": ("C-0299",), "kube-score": ("networkpolicy-targets-pod",)},
)
def policy_selects_nothing(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Policies whose podSelector matches nothing."""
    for p, policy in enumerate(ctx.cluster.policies):
        if ctx.compiled.selected[p].any():
            continue
        yield Finding(
            info,
            f"{policy.key} selects no pods (podSelector: {policy.pod_selector}).",
            (ctx.policy_resource(policy),),
            evidence={"policy": policy.key, "podSelector": str(policy.pod_selector)},
        )


@check(
    "NF018",
    "Peer matches no pods",
    Severity.LOW,
    description=(
        "A rule's podSelector/namespaceSelector peer matches no pod in the input, so it allows "
        "nothing today (often a label or namespace typo)."
    ),
    remediation="Fix the selectors so they match the intended peers, or remove the peer.",
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"nca": ("sanity: vacuity",)},
)
def peer_matches_nothing(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Selector peers that match no pod."""
    compiler = KubernetesCompiler(ctx.classes, ctx.compiled.masks)
    count = ctx.classes.count
    for ref in iter_rules(ctx.cluster.policies):
        if ref.rule.peers is None:
            continue
        ns = ref.policy.namespace
        for j, peer in enumerate(ref.rule.peers):
            if peer.ip_block is not None or compiler.peer(peer, ns)[:count].any():
                continue
            path = f"{ref.path}.{ref.peers_key}[{j}]"
            yield Finding(
                info,
                f"{ref.policy.key} {path} matches no pods.",
                (ctx.policy_resource(ref.policy, peer.location),),
                evidence={
                    "policy": ref.policy.key,
                    "peer": path,
                    "namespaceSelector": str(peer.namespace_selector)
                    if peer.namespace_selector is not None
                    else None,
                    "podSelector": str(peer.pod_selector) if peer.pod_selector else None,
                },
                detail_key=path,
            )


@check(
    "NF019",
    "Named port resolves on no destination",
    Severity.MEDIUM,
    description=(
        "A rule names a port (by name and protocol) that no destination pod of the rule "
        "declares, so that part of the rule allows nothing: the intended traffic is blocked."
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
    count = ctx.classes.count
    compiler = KubernetesCompiler(ctx.classes, ctx.compiled.masks)
    for ref in iter_rules(ctx.cluster.policies):
        if ref.rule.ports is None:
            continue
        p = ctx.policy_index(ref.policy)
        external = False
        if ref.direction is Direction.INGRESS:
            targets = ctx.compiled.selected[p]
        else:
            # A named port never matches an external address, so a rule towards addresses
            # only is as blocked as one whose pods lack the name.
            endpoints = compiler.endpoints(ref.rule, ref.policy.namespace)
            targets = endpoints[:count]
            external = bool(endpoints[count:].any())
        if not targets.any() and not external:
            continue
        for k, port in enumerate(ref.rule.ports):
            if not isinstance(port.port, str):
                continue
            resolved = ctx.classes.named.get((port.port, port.protocol))
            if resolved is not None and bool(np.any(resolved[targets] >= 0)):
                continue
            path = f"{ref.path}.ports[{k}]"
            yield Finding(
                info,
                f"{ref.policy.key} {path} names port {port.port!r} ({port.protocol}), which no "
                f"destination pod of the rule declares.",
                (ctx.policy_resource(ref.policy, port.location),),
                evidence={
                    "policy": ref.policy.key,
                    "port": f"{port.port}/{port.protocol}",
                    "destinations": int(np.count_nonzero(targets)),
                },
                detail_key=path,
            )


@check(
    "NF020",
    "No NetworkPolicy engine found",
    Severity.HIGH,
    description=(
        "None of the cluster's DaemonSets is a network plugin that enforces NetworkPolicy "
        "(Calico, Cilium, Azure NPM, Antrea, kube-router, Weave Net), so the policies may not "
        "be enforced at all. AKS enabled by Azure Arc uses Calico."
    ),
    remediation=(
        "Run a network plugin that enforces NetworkPolicy for ingress and egress, or include "
        "its DaemonSet (kube-system or calico-system) in the input."
    ),
    controls=("CIS 5.3.1", "NSA/CISA Kubernetes Hardening Guide: Network policies"),
    peers={"kubescape": ("C-0205", "C-0240"), "kube-bench": ("5.3.1",)},
)
def no_policy_engine(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """The cluster's DaemonSets include a policy-enforcing network plugin."""
    daemonsets = {
        p.endpoint_name: p
        for p in ctx.cluster.pods
        if p.workload is not None and p.workload.kind == "DaemonSet"
    }
    for name, pod in daemonsets.items():
        text = " ".join((name, *pod.images))
        if any(pattern.search(text) for pattern in POLICY_ENGINES.values()):
            return
    yield Finding(
        info,
        "No DaemonSet of a NetworkPolicy-enforcing plugin is in the input "
        f"({len(daemonsets)} DaemonSet(s) seen); policies may not be enforced.",
        (ResourceRef("Cluster", None, "cluster"),),
        evidence={"daemonsets": sorted(daemonsets), "known_engines": sorted(POLICY_ENGINES)},
    )
