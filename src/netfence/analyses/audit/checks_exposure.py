"""Exposure checks: rules that admit everything, the Internet, metadata, API server and DNS."""

from __future__ import annotations

from collections.abc import Iterator

from netfence.analyses.audit.context import (
    PUBLIC,
    AuditContext,
    WorkloadView,
    selecting_policies,
)
from netfence.analyses.audit.fixes import dns_fix
from netfence.analyses.audit.registry import check
from netfence.analyses.audit.rules import (
    NAMESPACE_LABELS,
    RuleRef,
    iter_rules,
    matches_future_objects,
    peer_is_any_pod_anywhere,
    rule_addresses,
    rule_allows_every_peer,
    rule_allows_every_port,
)
from netfence.model.findings import CheckInfo, Finding, Severity
from netfence.model.networkpolicy import Direction
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

METADATA_ADDRESSES = {
    "169.254.169.254": "cloud instance metadata service (Azure IMDS)",
    "168.63.129.16": "Azure WireServer / platform virtual IP",
}
"""Platform addresses pods should not reach (NSA/CISA: protecting cloud infrastructure)."""


def _effective(ctx: AuditContext, ref: RuleRef) -> bool:
    return bool(ctx.compiled.selected[ctx.policy_index(ref.policy)].any())


def _allow_all(ctx: AuditContext, info: CheckInfo, direction: Direction) -> Iterator[Finding]:
    for ref in iter_rules(ctx.cluster.policies):
        if ref.direction is not direction or not _effective(ctx, ref):
            continue
        if not (rule_allows_every_peer(ref.rule) and rule_allows_every_port(ref.rule)):
            continue
        way = (
            "from every pod and address"
            if direction is Direction.INGRESS
            else "to every pod and address"
        )
        yield Finding(
            info,
            f"{ref.policy.key} {ref.path} allows traffic {way} on every port, which undoes "
            f"the isolation of the pods it selects.",
            (ctx.policy_resource(ref.policy, ref.rule.location),),
            evidence={"policy": ref.policy.key, "rule": ref.path, "peers": "all", "ports": "All"},
            detail_key=ref.path,
        )


@check(
    "NF006",
    "Rule allows all ingress",
    Severity.HIGH,
    description=(
        "An ingress rule admits every pod of every namespace and every address on every port, "
        "so the pods it selects are as open as if no policy selected them."
    ),
    remediation="Name the sources (pods, namespaces, CIDRs) and ports the workload serves.",
    controls=(
        "NSA/CISA Kubernetes Hardening Guide: Network policies",
        "OWASP Kubernetes Security Cheat Sheet: Use Kubernetes network policies",
    ),
    peers={"kube-netpol": ("KNP-008", "KNP-010")},
)
def allow_all_ingress(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Ingress rules that admit everything."""
    yield from _allow_all(ctx, info, Direction.INGRESS)


@check(
    "NF007",
    "Rule allows all egress",
    Severity.MEDIUM,
    description=(
        "An egress rule lets the selected pods reach every pod and every address on every "
        "port, including the Internet, cloud metadata and the API server."
    ),
    remediation="Name the destinations and ports the workload needs.",
    controls=("NIST SP 800-190 4.4.2", "NSA/CISA Kubernetes Hardening Guide: Network policies"),
    peers={"kube-netpol": ("KNP-013", "KNP-015")},
)
def allow_all_egress(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Egress rules that admit everything."""
    yield from _allow_all(ctx, info, Direction.EGRESS)


def _public_reach(
    ctx: AuditContext, view: WorkloadView, outbound: bool
) -> tuple[IPRangeSet, IPRangeSet, PortSet]:
    """(public addresses reached, all ranges that hold them, ports) over the workload's pods."""
    public: list[IPRangeSet] = []
    ranges: list[IPRangeSet] = []
    ports = PortSet.none()
    for cls in view.classes:
        for reach, allowed in ctx.external_reach(cls, outbound):
            if reach_public := reach & PUBLIC:
                public.append(reach_public)
                ranges.append(reach)
                ports = ports | allowed
    return IPRangeSet.union_of(public), IPRangeSet.union_of(ranges), ports


BROAD = 0.5
"""Share of the public IPv4 space from which a workload counts as open to the Internet."""


def _share_of_internet(public: IPRangeSet) -> float:
    """How much of the public IPv4 space ``public`` covers."""
    return public.family(4).size() / PUBLIC.family(4).size()


def _ports_text(ports: PortSet) -> str:
    return "any port" if ports.is_all() else ports.describe()


def _contributors(
    ctx: AuditContext, view: WorkloadView, ingress: bool, target: IPRangeSet
) -> list[str]:
    names = []
    for policy in selecting_policies(ctx, view, ingress):
        direction = Direction.INGRESS if ingress else Direction.EGRESS
        for i, rule in enumerate(policy.rules(direction)):
            # Named ports never match addresses: such egress rules do not reach them.
            by_number = rule.ports is None or any(not isinstance(p.port, str) for p in rule.ports)
            if rule_addresses(rule) & target and (ingress or by_number):
                names.append(f"{policy.key} spec.{direction.value.lower()}[{i}]")
    return names


@check(
    "NF008",
    "Workload accepts traffic from the Internet",
    Severity.HIGH,
    description=(
        "The workload is isolated for ingress, yet its policies admit public Internet "
        "addresses. The finding lists the ranges and ports the policies let in."
    ),
    remediation=(
        "Admit only the load balancer or ingress controller, or the specific client ranges, "
        "instead of public address space."
    ),
    controls=(
        "NSA/CISA Kubernetes Hardening Guide: Network policies",
        "NIST SP 800-190 4.3.3",
    ),
    peers={"kube-netpol": ("KNP-019",), "trivy": ("KUBE-0001",)},
)
def ingress_from_internet(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Ingress-isolated workloads that public addresses may reach."""
    for view in ctx.workloads:
        if not ctx.all_classes(view, ctx.governed_in):
            continue  # NF002 reports open workloads
        public, ranges, ports = _public_reach(ctx, view, outbound=False)
        if not public:
            continue
        everything = _share_of_internet(public) >= BROAD
        yield Finding(
            info,
            f"{view.kind} {view.name} accepts {_ports_text(ports)} from "
            f"{'most of the public Internet' if everything else 'public addresses'} "
            f"({_share_of_internet(public):.0%} of public IPv4).",
            (view.resource,),
            evidence={
                "sources": ranges.describe(),
                "ports": ports.describe(),
                "allowed_by": _contributors(ctx, view, True, public),
            },
            severity=None if everything else Severity.MEDIUM,
        )


@check(
    "NF009",
    "Workload may send traffic to most of the Internet",
    Severity.MEDIUM,
    description=(
        "The workload is restricted for egress, yet its policies let it reach at least half of "
        "the public IPv4 space on some ports (0.0.0.0/0 less a few exceptions): unbounded "
        "egress that serves exfiltration and command and control."
    ),
    remediation="Allow only the destinations the workload needs, by CIDR or through a proxy.",
    controls=("NIST SP 800-190 4.4.2", "NSA/CISA Kubernetes Hardening Guide: Network policies"),
    peers={"kube-netpol": ("KNP-018",), "trivy": ("KUBE-0002",)},
)
def egress_to_internet(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Egress-isolated workloads that may reach the whole public IPv4 space."""
    for view in ctx.workloads:
        if not ctx.all_classes(view, ctx.governed_out):
            continue  # NF003 reports open workloads
        public, ranges, ports = _public_reach(ctx, view, outbound=True)
        share = _share_of_internet(public)
        if share < BROAD:
            continue
        yield Finding(
            info,
            f"{view.kind} {view.name} may reach {share:.0%} of the public IPv4 Internet on "
            f"{_ports_text(ports)}.",
            (view.resource,),
            evidence={
                "destinations": ranges.describe(),
                "ports": ports.describe(),
                "allowed_by": _contributors(ctx, view, False, PUBLIC),
            },
        )


@check(
    "NF010",
    "Workload can reach cloud metadata or platform addresses",
    Severity.HIGH,
    description=(
        "The workload's pods may connect to 169.254.169.254 (instance metadata, which hands "
        "out managed-identity tokens) or 168.63.129.16 (Azure WireServer)."
    ),
    remediation=(
        "Deny egress to these addresses: add them to the ipBlock except list of broad egress "
        "rules, and isolate the workload for egress."
    ),
    controls=(
        "NSA/CISA Kubernetes Hardening Guide: Protecting sensitive cloud infrastructure",
        "NIST SP 800-190 4.4.2",
    ),
    peers={"kube-netpol": ("KNP-018",)},
)
def metadata_reachable(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads whose pods may reach metadata and platform addresses."""
    for view in ctx.workloads:
        reached = {}
        for address, what in METADATA_ADDRESSES.items():
            target = IPRangeSet.from_cidr(f"{address}/32")
            ports = PortSet.none()
            for cls in view.classes:
                ports = ports | ctx.reach_to(cls, target)
            if ports:
                reached[address] = {"service": what, "ports": ports.describe()}
        if not reached:
            continue
        yield Finding(
            info,
            f"{view.kind} {view.name} may reach {', '.join(reached)}.",
            (view.resource,),
            evidence={"addresses": reached},
        )


@check(
    "NF011",
    "Workload can reach the Kubernetes API server",
    Severity.LOW,
    description=(
        "The workload's pods may connect to the API server (the default/kubernetes Service "
        "and its endpoints, or the address given with --api-server). Workloads that do not "
        "manage the cluster should not: keep management traffic apart from data traffic."
    ),
    remediation=(
        "Isolate the workload for egress and allow the API server only to operators and "
        "controllers that need it; accept those in the baseline."
    ),
    controls=(
        "NSA/CISA Kubernetes Hardening Guide: Control plane hardening",
        "OWASP Kubernetes Security Cheat Sheet: Controlling network access to sensitive ports",
    ),
)
def api_server_reachable(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads that may open connections to the API server."""
    if not ctx.api_servers:
        return
    for view in ctx.workloads:
        reached = []
        for ip, port in ctx.api_servers:
            target = IPRangeSet.from_cidr(f"{ip}/{32 if ':' not in ip else 128}")
            if any(ctx.reach_to(cls, target).contains("TCP", port) for cls in view.classes):
                reached.append(f"{ip}:{port}")
        if reached:
            yield Finding(
                info,
                f"{view.kind} {view.name} may reach the API server at {', '.join(reached)}.",
                (view.resource,),
                evidence={"api_server": reached},
            )


@check(
    "NF012",
    "Egress policy blocks DNS",
    Severity.MEDIUM,
    description=(
        "The workload is isolated for egress but may not reach the cluster DNS (pods labelled "
        "k8s-app=kube-dns in kube-system) on UDP 53 and TCP 53, so name resolution fails or "
        "breaks on large answers."
    ),
    remediation="Allow egress to the cluster DNS pods on UDP 53 and TCP 53.",
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"kube-netpol": ("KNP-030",), "cyclonus": ("lint: DNS blocked",)},
)
def dns_blocked(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Egress-isolated workloads that cannot resolve names."""
    dns = ctx.dns_classes
    if not dns:
        return
    matrix = ctx.matrix
    for view in ctx.workloads:
        if view.namespace == "kube-system" and any(c in dns for c in view.classes):
            continue
        if not ctx.all_classes(view, ctx.governed_out):
            continue
        missing = []
        for proto in ("UDP", "TCP"):
            ok = all(
                any(matrix.portset(int(matrix.pod_to_pod[c, d])).contains(proto, 53) for d in dns)
                for c in view.classes
            )
            if not ok:
                missing.append(f"{proto} 53")
        if not missing:
            continue
        yield Finding(
            info,
            f"{view.kind} {view.name} is isolated for egress and may not reach the cluster DNS "
            f"on {' and '.join(missing)}.",
            (view.resource,),
            evidence={"blocked": missing, "dns": sorted(ctx.dns_names)},
            fix=dns_fix(view.namespace),
        )


@check(
    "NF013",
    "Rule admits every pod of other namespaces",
    Severity.LOW,
    description=(
        "A peer with a namespaceSelector and no podSelector admits every pod of the matching "
        "namespaces, which is usually wider than the one or two workloads that need access."
    ),
    remediation="Add a podSelector to the peer naming the workloads that need the access.",
    controls=(
        "NIST SP 800-190 4.3.3",
        "OWASP Kubernetes Security Cheat Sheet: Use Kubernetes network policies",
    ),
    peers={"kube-netpol": ("KNP-009", "KNP-014")},
)
def cross_namespace_wide(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Peers that admit whole other namespaces."""
    namespaces = ctx.cluster.namespaces
    for ref in iter_rules(ctx.cluster.policies):
        if not _effective(ctx, ref) or ref.rule.peers is None:
            continue
        for j, peer in enumerate(ref.rule.peers):
            if peer.namespace_selector is None or peer_is_any_pod_anywhere(peer):
                continue
            if peer.pod_selector is not None and not peer.pod_selector.selects_all:
                continue
            others = sorted(
                n
                for n, ns in namespaces.items()
                if n != ref.policy.namespace and peer.namespace_selector.matches(ns.labels)
            )
            if not others:
                continue
            path = f"{ref.path}.{ref.peers_key}[{j}]"
            yield Finding(
                info,
                f"{ref.policy.key} {path} admits every pod of {', '.join(others)}.",
                (ctx.policy_resource(ref.policy, peer.location),),
                evidence={"policy": ref.policy.key, "peer": path, "namespaces": others},
                detail_key=path,
            )


@check(
    "NF014",
    "Rule admits pods that do not exist yet",
    Severity.MEDIUM,
    description=(
        "A peer's selectors match namespaces and pods created later with no particular labels "
        "(an empty namespaceSelector, or one built only from NotIn/DoesNotExist, with no "
        "restricting podSelector), so any new workload anywhere gains the access."
    ),
    remediation=(
        "Select peers by labels they must carry (In, Exists, matchLabels), for namespaces and "
        "pods alike."
    ),
    controls=("NIST SP 800-190 4.3.3", "NSA/CISA Kubernetes Hardening Guide: Network policies"),
    peers={"netpol-analyzer": ("--exposure",)},
)
def future_workloads(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Peers open to namespaces and pods that may be created later."""
    for ref in iter_rules(ctx.cluster.policies):
        if not _effective(ctx, ref) or ref.rule.peers is None:
            continue
        if rule_allows_every_peer(ref.rule) and rule_allows_every_port(ref.rule):
            continue  # NF006 / NF007 report it
        for j, peer in enumerate(ref.rule.peers):
            if peer.ip_block is not None or peer.namespace_selector is None:
                continue
            if not (
                matches_future_objects(peer.namespace_selector, NAMESPACE_LABELS)
                and matches_future_objects(peer.pod_selector)
            ):
                continue
            path = f"{ref.path}.{ref.peers_key}[{j}]"
            yield Finding(
                info,
                f"{ref.policy.key} {path} admits pods of any namespace created later "
                f"(namespaceSelector: {peer.namespace_selector}).",
                (ctx.policy_resource(ref.policy, peer.location),),
                evidence={
                    "policy": ref.policy.key,
                    "peer": path,
                    "namespaceSelector": str(peer.namespace_selector),
                    "podSelector": str(peer.pod_selector) if peer.pod_selector else None,
                },
                detail_key=path,
            )
