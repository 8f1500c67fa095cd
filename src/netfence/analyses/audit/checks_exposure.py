"""Exposure checks: rules that admit everything, the Internet, metadata, API server and DNS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from netfence.analyses.audit import evidence as ev
from netfence.analyses.audit.context import PUBLIC, AuditContext, WorkloadView
from netfence.analyses.audit.evidence import finding
from netfence.analyses.audit.fronting import FrontDoor, Fronting
from netfence.analyses.audit.grouping import MAX_NAMES
from netfence.analyses.audit.predicates import (
    NAMESPACE_LABELS,
    Provenance,
    applying_rules,
    external_provenance,
    matches_every_peer,
    matches_every_port,
    matches_future_objects,
    networkpolicy_rules,
    peer_is_any_pod_anywhere,
    policy_resource,
    rule_cause,
    rule_resource,
    rule_text,
    source_policy,
)
from netfence.analyses.audit.registry import check
from netfence.engine.evaluator import FlowWalk, StepKind, walk_flow
from netfence.model.findings import Cause, CheckInfo, Finding, ResourceRef, Severity
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.model.selectors import LabelSelector
from netfence.policy.rules import CompiledPolicy, CompiledRule
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

METADATA_ADDRESSES = {
    "169.254.169.254": "cloud instance metadata service (Azure IMDS)",
    "168.63.129.16": "Azure WireServer / platform virtual IP",
}
"""Platform addresses pods should not reach (NSA/CISA: protecting cloud infrastructure)."""


def allows_everything(ctx: AuditContext, rule: CompiledRule) -> bool:
    """An Allow rule that takes effect and matches every pod, every IPv4 address and every
    TCP and UDP port: whichever family it belongs to."""
    return (
        rule.action is Action.ALLOW
        and rule.rule_id in ctx.effective_rules
        and matches_every_peer(ctx, rule)
        and matches_every_port(ctx, rule)
    )


def _allow_all(ctx: AuditContext, info: CheckInfo, direction: Direction) -> Iterator[Finding]:
    _ = ctx.matrix  # the walk that fills ctx.effective_rules
    for _tier, rule in applying_rules(ctx, direction):
        if not allows_everything(ctx, rule):
            continue
        way = (
            "from every pod and address"
            if direction is Direction.INGRESS
            else "to every pod and address"
        )
        origin = rule.origin
        yield finding(
            info,
            f"{rule_text(origin)} allows traffic {way} on every port, which undoes the "
            f"isolation of the pods it selects.",
            (rule_resource(origin),),
            ev.AllowAll(origin.policy, origin.rule_path),
            detail_key=origin.rule_path,
            cause=rule_cause(origin),
        )


@check(
    "NF006",
    "Rule allows all ingress",
    Severity.HIGH,
    description=(
        "An Allow rule of any policy family (a NetworkPolicy rule, a Calico Allow, an "
        "AdminNetworkPolicy Allow) admits every pod and every IPv4 address on every TCP and UDP "
        "port, so the pods it applies to are as open as if no policy selected them."
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
        "An Allow rule of any policy family lets the pods it applies to reach every pod and "
        "every IPv4 address on every TCP and UDP port, including the Internet, cloud metadata "
        "and the API server."
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
    """(public addresses reached, all ranges that hold them, ports) over the workload's pods.

    Workloads whose classes have the same subject signatures reach the same (see
    ``AuditContext.external_reach``): computed once per set of signatures."""
    key = (outbound, frozenset(ctx.subject_signature(c, outbound) for c in view.classes))
    memo: dict[tuple[bool, frozenset[int]], tuple[IPRangeSet, IPRangeSet, PortSet]]
    memo = ctx.memo("public reach", dict)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _public_reach_of(ctx, view, outbound)
    return found


def _public_reach_of(
    ctx: AuditContext, view: WorkloadView, outbound: bool
) -> tuple[IPRangeSet, IPRangeSet, PortSet]:
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


def _single_cause(provenance: Provenance) -> Cause | None:
    """The one rule that lets the traffic through, when one alone does: then it is what to
    change. That is an Allow rule, or a Pass rule whose traffic no later tier decides (so the
    default allows it); traffic the default alone lets through has no rule to blame."""
    rules = provenance.allowed_by + provenance.passed_by
    if len(rules) != 1 or (provenance.by_default and not provenance.passed_by):
        return None
    return rule_cause(rules[0])


def _how_allowed(provenance: Provenance) -> str:
    """A clause naming what lets the traffic through, for the message: ``, allowed by ...``."""
    parts = []
    if provenance.allowed_by:
        names = [rule_text(o) for o in provenance.allowed_by]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        parts.append(f"allowed by {', '.join(names[:3])}{more}")
    if provenance.passed_by:
        names = [rule_text(o) for o in provenance.passed_by]
        parts.append(
            f"passed on by {', '.join(names)} and allowed because no later policy selects it"
        )
    elif provenance.by_default:
        parts.append("allowed because no policy decides it")
    return f", {'; '.join(parts)}" if parts else ""


@check(
    "NF008",
    "Workload accepts traffic from the Internet",
    Severity.HIGH,
    description=(
        "The workload is isolated for ingress, yet its policies admit public Internet "
        "addresses. The finding lists the ranges and ports the policies let in. Where a "
        "LoadBalancer or NodePort Service, or a gateway, fronts the workload (an ingress "
        "controller serving Ingresses, a gateway serving routes), exposure on the ports it "
        "opens is expected and reported at info; exposure on other ports, and of workloads "
        "nothing fronts, stays high."
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
    group_message="{cause} exposes {count} to the public Internet: {names}.",
)
def ingress_from_internet(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Ingress-isolated workloads that public addresses may reach, told apart by what fronts
    them."""
    fronting = ctx.memo("fronting", lambda: Fronting(ctx.cluster))
    for view in ctx.workloads:
        if not ctx.all_classes(view, ctx.governed_in):
            continue  # NF002 reports open workloads
        public, ranges, ports = _public_reach(ctx, view, outbound=False)
        if not public:
            continue
        provenance = external_provenance(ctx, view.classes, False, public)
        reach = _InternetExposure(view, public, ranges, provenance)
        pods = [ctx.cluster.pods[i] for i in view.pods]
        door = fronting.front_door(pods)
        if door is None:
            backends = fronting.backend_of(pods)
            if not backends:
                yield reach.finding(info, ports, None)
            else:
                yield reach.finding(
                    _with_remediation(info, _backend_advice(backends)),
                    ports,
                    f"it is a backend of {_listed(backends)}, reached through the ingress "
                    "controller or gateway",
                )
            continue
        expected, beyond = ports & door.ports, ports - door.ports
        if expected:
            yield reach.finding(
                _with_remediation(info, _expected_advice(door)),
                expected,
                f"expected exposure: {_fronted_text(door)}",
                severity=Severity.INFO,
                detail_key="expected",
            )
        if beyond:
            yield reach.finding(
                _with_remediation(info, _beyond_advice(door)),
                beyond,
                f"beyond the ports {_fronted_text(door, serves=False)} opens "
                f"({_ports_text(door.ports) if door.ports else 'none resolved'})",
            )


@dataclass(frozen=True)
class _InternetExposure:
    """What NF008 found for one workload, to state for some of its ports."""

    view: WorkloadView
    public: IPRangeSet
    ranges: IPRangeSet
    provenance: Provenance

    def finding(
        self,
        info: CheckInfo,
        ports: PortSet,
        context: str | None,
        severity: Severity | None = None,
        detail_key: str = "",
    ) -> Finding:
        share = _share_of_internet(self.public)
        everything = share >= BROAD
        view, provenance = self.view, self.provenance
        note = f"; {context}" if context else ""
        if severity is None and not everything:
            severity = Severity.MEDIUM
        return finding(
            info,
            f"{view.kind} {view.name} accepts {_ports_text(ports)} from "
            f"{'most of the public Internet' if everything else 'public addresses'} "
            f"({share:.0%} of public IPv4){_how_allowed(provenance)}{note}.",
            (view.resource,),
            ev.InternetReach(
                self.ranges.describe(),
                ports.describe(),
                tuple(rule_text(o) for o in provenance.allowed_by),
                tuple(rule_text(o) for o in provenance.passed_by),
                provenance.by_default,
            ),
            severity=severity,
            detail_key=detail_key,
            cause=_single_cause(provenance),
        )


def _with_remediation(info: CheckInfo, remediation: str) -> CheckInfo:
    """The check's entry with advice that fits this finding (renderers print the finding's
    check entry, so the advice travels with it)."""
    return replace(info, remediation=remediation)


def _fronted_text(door: FrontDoor, serves: bool = True) -> str:
    text = f"fronted by {', '.join(door.fronted_by)}"
    if serves and door.serves:
        text += f", serving {_listed(door.serves)}"
    return text


def _expected_advice(door: FrontDoor) -> str:
    return (
        "Expected exposure: nothing to close. To narrow who may connect, set the Service's "
        "loadBalancerSourceRanges or name the client ranges in the rule's ipBlock; keep the "
        f"admitted ports to those {', '.join(door.fronted_by)} opens."
    )


def _beyond_advice(door: FrontDoor) -> str:
    return (
        f"Admit public addresses only on the ports {', '.join(door.fronted_by)} opens "
        f"({_ports_text(door.ports) if door.ports else 'none resolved'}): name those ports "
        "in the rule that admits them, and admit the other ports from the pods that need them."
    )


def _backend_advice(backends: tuple[str, ...]) -> str:
    return (
        f"The workload is a backend of {_listed(backends)}: clients reach it through the "
        "ingress controller or gateway. Admit only those pods (a namespaceSelector and a "
        "podSelector naming them) on the backend's ports, instead of public address space."
    )


def _listed(names: tuple[str, ...]) -> str:
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


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
    group_message="{cause} lets {count} reach most of the public Internet: {names}.",
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
        provenance = external_provenance(ctx, view.classes, True, public)
        yield finding(
            info,
            f"{view.kind} {view.name} may reach {share:.0%} of the public IPv4 Internet on "
            f"{_ports_text(ports)}{_how_allowed(provenance)}.",
            (view.resource,),
            ev.InternetEgress(
                ranges.describe(),
                ports.describe(),
                tuple(rule_text(o) for o in provenance.allowed_by),
                tuple(rule_text(o) for o in provenance.passed_by),
                provenance.by_default,
            ),
            cause=_single_cause(provenance),
        )


def _union(sets: Iterable[PortSet]) -> PortSet:
    """The union of port sets, without building a new set for a single one."""
    found: PortSet | None = None
    for ports in sets:
        found = ports if found is None else found | ports
    return found if found is not None else PortSet.none()


_METADATA_TARGETS: Final = {
    address: IPRangeSet.from_cidr(f"{address}/32") for address in METADATA_ADDRESSES
}


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
    group_message="{count} may reach cloud metadata or platform addresses through {cause}: {names}.",
)
def metadata_reachable(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads whose pods may reach metadata and platform addresses."""
    for view in ctx.workloads:
        reached: dict[str, ev.PlatformAddress] = {}
        for address, what in METADATA_ADDRESSES.items():
            target = _METADATA_TARGETS[address]
            ports = _union(ctx.reach_to(cls, target) for cls in view.classes)
            if ports:
                reached[address] = ev.PlatformAddress(what, ports.describe())
        if not reached:
            continue
        targets = IPRangeSet.union_of([_METADATA_TARGETS[a] for a in reached])
        provenance = external_provenance(ctx, view.classes, True, targets)
        yield finding(
            info,
            f"{view.kind} {view.name} may reach {', '.join(reached)}{_how_allowed(provenance)}.",
            (view.resource,),
            ev.MetadataReach(reached),
            cause=_reach_cause(ctx, view, provenance),
        )


def _reach_cause(ctx: AuditContext, view: WorkloadView, provenance: Provenance) -> Cause | None:
    """The one Allow rule that lets the traffic out; or, when no policy decides it at all,
    the namespace, where a default deny would stop it."""
    single = _single_cause(provenance)
    if single is not None:
        return single
    if provenance.by_default and not provenance.allowed_by and not provenance.passed_by:
        return Cause(ctx.namespace_resource(ctx.cluster.namespaces[view.namespace]))
    return None


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
            yield finding(
                info,
                f"{view.kind} {view.name} may reach the API server at {', '.join(reached)}.",
                (view.resource,),
                ev.ApiServerReach(tuple(reached)),
            )


@check(
    "NF012",
    "Policy blocks cluster DNS",
    Severity.MEDIUM,
    description=(
        "The workload may send some traffic, but not to the cluster DNS (pods labelled "
        "k8s-app=kube-dns in kube-system) on UDP 53 and TCP 53, so name resolution fails or "
        "breaks on large answers. The finding names the side that blocks: the workload's own "
        "egress policies, or the ingress policies of the DNS server. A workload whose egress is "
        "denied altogether resolves no names by design and is not reported."
    ),
    remediation=(
        "Allow egress to the cluster DNS pods on UDP 53 and TCP 53 (client side), or admit the "
        "clients in the DNS server's ingress policy (server side), as the finding names."
    ),
    controls=("NSA/CISA Kubernetes Hardening Guide: Network policies",),
    peers={"kube-netpol": ("KNP-030",), "cyclonus": ("lint: DNS blocked",)},
    group_message="{cause} keeps {count} from the cluster DNS: {names}.",
)
def dns_blocked(ctx: AuditContext, info: CheckInfo) -> Iterator[Finding]:
    """Workloads that send traffic but cannot resolve names, with the side that blocks."""
    dns = sorted(ctx.dns_classes)
    if not dns:
        return
    for view in ctx.workloads:
        if view.namespace == "kube-system" and any(c in ctx.dns_classes for c in view.classes):
            continue
        if not any(_sends_something(ctx, c) for c in view.classes):
            continue  # egress denied by design: it resolves nothing
        blocks = _dns_blocks(ctx, view.classes, dns)
        if blocks is None:
            continue
        yield _dns_finding(ctx, info, view, blocks)


@dataclass(frozen=True)
class _DnsBlock:
    """Where DNS traffic of one workload stops."""

    missing: tuple[str, ...]
    """``UDP 53``, ``TCP 53``: what does not get through."""
    egress: tuple[str, ...]
    """What the workload's own egress policies block."""
    ingress: tuple[str, ...]
    """What the DNS server's ingress policies block."""
    egress_by: tuple[Cause, ...]
    """The client's policies (or Deny rules) that block, in walk order."""
    ingress_by: tuple[Cause, ...]
    """The DNS server's policies (or Deny rules) that block, in walk order."""


def _sends_something(ctx: AuditContext, cls: int) -> bool:
    """Whether the class may open any connection to another endpoint (pod or address)."""
    return bool(ctx.memo("sends something", lambda: _senders(ctx))[cls])


def _senders(ctx: AuditContext) -> npt.NDArray[np.bool_]:
    """Per class, whether it may open any connection to another endpoint: the matrix read a
    block of rows at a time, not one row per workload."""
    matrix = ctx.matrix
    count = ctx.classes.count
    out: npt.NDArray[np.bool_] = np.asarray(matrix.pod_to_ext.any(axis=1), dtype=np.bool_)
    step = max(1, _SENDER_CELLS // max(1, count))
    for start in range(0, count, step):
        stop = min(count, start + step)
        ids = matrix.rows(start, stop)
        ids[np.arange(stop - start), np.arange(start, stop)] = 0  # to itself is no egress
        out[start:stop] |= ids.any(axis=1)
    return out


_SENDER_CELLS: Final = 1 << 22
"""Class pairs read at a time by :func:`_senders`."""


def _dns_blocks(ctx: AuditContext, classes: Iterable[int], dns: list[int]) -> _DnsBlock | None:
    """Which protocols of DNS are blocked, and on which side, for a workload's classes."""
    atoms = ctx.classes.port_atoms
    matrix = ctx.matrix
    missing: list[str] = []
    egress: list[str] = []
    ingress: list[str] = []
    egress_by: dict[str, Cause] = {}
    ingress_by: dict[str, Cause] = {}
    for proto in ("UDP", "TCP"):
        # The atom holding port 53: the rules cannot tell its values apart.
        asked = atoms.mask_of_atoms([atoms.atom_of(proto, 53)])
        blocked_out = blocked_in = False
        for c in classes:
            for d in dns:
                if matrix.portset(int(matrix.pod_to_pod[c, d])).contains(proto, 53):
                    continue  # the map lets it through: no walk needed
                out = walk_flow(ctx.compiled, Direction.EGRESS, c, d, d, asked)
                into = walk_flow(ctx.compiled, Direction.INGRESS, d, c, d, asked)
                if (asked & ~out.allowed).any():
                    blocked_out = True
                    egress_by.update((k.key, k) for k in _blockers(ctx, out))
                if (asked & ~into.allowed).any():
                    blocked_in = True
                    ingress_by.update((k.key, k) for k in _blockers(ctx, into))
        if blocked_out or blocked_in:
            missing.append(f"{proto} 53")
        if blocked_out:
            egress.append(f"{proto} 53")
        if blocked_in:
            ingress.append(f"{proto} 53")
    if not missing:
        return None
    return _DnsBlock(
        tuple(missing),
        tuple(egress),
        tuple(ingress),
        tuple(egress_by.values()),
        tuple(ingress_by.values()),
    )


def _blockers(ctx: AuditContext, walk: FlowWalk) -> list[Cause]:
    """What blocks a walk: its Deny rules, or else the policies that select the subject and
    allow too little (their default deny)."""
    denies = [
        rule_cause(s.origin)
        for s in walk.steps
        if s.kind is StepKind.RULE and s.action is Action.DENY and s.origin is not None
    ]
    if denies:
        return denies
    return [Cause(_compiled_resource(ctx, p)) for p in walk.selecting]


def _compiled_resource(ctx: AuditContext, compiled: CompiledPolicy) -> ResourceRef:
    """A compiled policy as a resource, at the start of the policy as written."""
    written = source_policy(ctx, compiled.kind, compiled.policy_index)
    return policy_resource(compiled.kind, compiled.namespace, compiled.name, written.location)


def _dns_finding(
    ctx: AuditContext, info: CheckInfo, view: WorkloadView, block: _DnsBlock
) -> Finding:
    """The NF012 finding: the client side first (its fix is the client's), else the server."""
    parts = []
    if block.egress:
        names = ", ".join(c.text for c in block.egress_by) or "its egress policies"
        parts.append(f"its egress ({names}) blocks {' and '.join(block.egress)}")
    if block.ingress:
        names = ", ".join(c.text for c in block.ingress_by) or "its ingress policies"
        parts.append(f"the DNS server's ingress ({names}) blocks {' and '.join(block.ingress)}")
    client_side = bool(block.egress)
    causes = block.egress_by if client_side else block.ingress_by
    if client_side and len(causes) != 1:
        # Several policies share the blame: the namespace is where the DNS allowance goes.
        namespace = ctx.cluster.namespaces[view.namespace]
        cause: Cause | None = Cause(ctx.namespace_resource(namespace))
    else:
        cause = causes[0] if causes else None
    return finding(
        info,
        f"{view.kind} {view.name} may not reach the cluster DNS on "
        f"{' and '.join(block.missing)}: {'; '.join(parts)}.",
        (view.resource,),
        ev.DnsBlocked(
            block.missing,
            tuple(sorted(ctx.dns_names)),
            block.egress,
            block.ingress,
            tuple(c.text for c in (*block.egress_by, *block.ingress_by)),
        ),
        cause=cause,
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
    # Peers repeat a few namespace selectors: each is matched against the namespaces once.
    matching: dict[LabelSelector, list[str]] = {}
    for ref in networkpolicy_rules(ctx):
        if ref.rule.peers is None:
            continue
        for j, peer in enumerate(ref.rule.peers):
            selector = peer.namespace_selector
            if selector is None or peer_is_any_pod_anywhere(peer):
                continue
            if peer.pod_selector is not None and not peer.pod_selector.selects_all:
                continue
            found = matching.get(selector)
            if found is None:
                found = matching[selector] = sorted(
                    n for n, ns in namespaces.items() if selector.matches(ns.labels)
                )
            others = [n for n in found if n != ref.policy.namespace]
            if not others:
                continue
            origin = replace(ref.compiled.origin, peer_index=j)
            yield finding(
                info,
                f"{origin.policy} {origin.path} admits every pod of {_namespaces_text(others)}.",
                (rule_resource(origin, peer.location),),
                ev.WideNamespacePeer(origin.policy, origin.path, tuple(others)),
                detail_key=origin.path,
            )


def _namespaces_text(names: list[str]) -> str:
    """The namespaces by name, or past ``MAX_NAMES`` their count and the first few."""
    if len(names) <= MAX_NAMES:
        return ", ".join(names)
    shown = ", ".join(names[:MAX_NAMES])
    return f"{len(names)} namespaces: {shown} and {len(names) - MAX_NAMES} more"


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
    _ = ctx.matrix  # the walk that fills ctx.effective_rules
    for ref in networkpolicy_rules(ctx):
        if ref.rule.peers is None or allows_everything(ctx, ref.compiled):
            continue  # NF006 / NF007 report an allow-all rule
        for j, peer in enumerate(ref.rule.peers):
            if peer.ip_block is not None or peer.namespace_selector is None:
                continue
            if not (
                matches_future_objects(peer.namespace_selector, NAMESPACE_LABELS)
                and matches_future_objects(peer.pod_selector)
            ):
                continue
            origin = replace(ref.compiled.origin, peer_index=j)
            yield finding(
                info,
                f"{origin.policy} {origin.path} admits pods of any namespace created later "
                f"(namespaceSelector: {peer.namespace_selector}).",
                (rule_resource(origin, peer.location),),
                ev.FuturePeer(
                    origin.policy,
                    origin.path,
                    str(peer.namespace_selector),
                    str(peer.pod_selector) if peer.pod_selector else None,
                ),
                detail_key=origin.path,
            )
