"""Plan, apply and prove the fixes of an audit.

For every namespace some finding asks a fix of, the planner builds one merged set
(:mod:`.sets`), writes it as YAML, reads that YAML back with the project's own loader as if
it were given beside the input, and recomputes the map and the audit. A set stands only when

* every flow allowed today between existing endpoints is still allowed, on the same ports,
  except the DNS flows a DNS finding asks for (and nothing else is added);
* each finding it answers is gone from the re-run audit (for a missing default deny: the
  check sees every pod of the namespace isolated in that direction);
* the re-run audit has no finding that the original had not (compared by fingerprint).

A set that fails is dropped with the reason, and the others are proven again without it:
sets of different namespaces interact only through flows between them, and a flow is blamed
on the namespaces whose set could have changed it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from netfence.analyses.audit import AuditReport, run_audit
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.fixes import DNS_SELECTOR, FixRequest, request_of, requests_of
from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.analyses.remediation.proof import FlowChange, MapDiff, compare_maps
from netfence.analyses.remediation.sets import (
    FixSet,
    Unfixable,
    WorkloadInfo,
    build_set,
    by_resource,
    flows_by_workload,
    workloads_of,
)
from netfence.engine.classes import build_classes
from netfence.engine.connectivity import ConnectivityMatrix, compute_connectivity
from netfence.errors import InputError
from netfence.model.cluster import Cluster
from netfence.model.findings import Finding
from netfence.model.networkpolicy import Direction, NetworkPolicy
from netfence.sets.ports import PortSet
from netfence.sources.manifests import load_cluster_from_text

DNS_PORTS = PortSet.of("UDP", 53) | PortSet.of("TCP", 53)
"""What a DNS allowance adds."""


@dataclass(frozen=True)
class FixOutcome:
    """What became of one namespace's fix set."""

    namespace: str
    """The namespace."""
    text: str
    """The set as YAML (written only when proven)."""
    policies: tuple[str, ...]
    """Names of the policies in it."""
    resolves: tuple[Finding, ...]
    """The findings it answers."""
    proven: bool
    """Whether it passed the proof."""
    reason: str = ""
    """Why it was refused, when it was."""
    kept: int = 0
    """Allowed pairs (pod to pod, pod to address range) with an end in the namespace that it
    leaves as they are."""
    removed: tuple[FlowChange, ...] = ()
    """Flows it takes away (none for a proven set)."""
    added: tuple[FlowChange, ...] = ()
    """Flows it adds (DNS, for a DNS finding)."""


@dataclass(frozen=True)
class FixPlan:
    """The proven fixes of an audit."""

    report: AuditReport
    """The audit, each finding carrying its namespace's proven set as its fix (or none)."""
    outcomes: tuple[FixOutcome, ...]
    """Per namespace, in name order."""

    @property
    def proven(self) -> tuple[FixOutcome, ...]:
        """The sets that may be written."""
        return tuple(o for o in self.outcomes if o.proven)

    @property
    def refused(self) -> tuple[FixOutcome, ...]:
        """The sets that failed the proof or could not be written."""
        return tuple(o for o in self.outcomes if not o.proven)


def _requests(report: AuditReport) -> dict[str, list[tuple[Finding, FixRequest]]]:
    out: dict[str, list[tuple[Finding, FixRequest]]] = defaultdict(list)
    for finding in report.findings:
        for request in requests_of(finding):
            out[request.namespace].append((finding, request))
    return dict(sorted(out.items()))


def _apply(
    cluster: Cluster, sets: dict[str, FixSet], parsed: dict[str, tuple[NetworkPolicy, ...]]
) -> tuple[Cluster, dict[str, str]]:
    """The cluster with each set's policies added, read by the manifest loader; sets it
    refuses come back with the loader's message. ``parsed`` remembers each document read,
    for the rounds that prove a set again."""
    added: list[NetworkPolicy] = []
    failed: dict[str, str] = {}
    for namespace, fix in sets.items():
        mine: list[NetworkPolicy] = []
        try:
            for document in fix.documents:
                found = parsed.get(document)
                if found is None:
                    label = f"<fix for {namespace}>"
                    found = parsed[document] = load_cluster_from_text(document, label).policies
                mine.extend(found)
        except InputError as exc:
            failed[namespace] = f"the loader refuses the generated YAML: {exc}"
            continue
        added.extend(mine)
    return dataclasses.replace(cluster, policies=(*cluster.policies, *added)), failed


def _expected(change: FlowChange, sets: dict[str, FixSet], dns: set[str]) -> bool:
    """A change the findings ask for: DNS added for a workload a DNS finding names."""
    fix = sets.get(change.src_namespace or "")
    return (
        fix is not None
        and not change.removed
        and change.src in fix.dns_for
        and change.dst in dns
        and change.added.issubset(DNS_PORTS)
    )


def _culprits(change: FlowChange, sets: dict[str, FixSet]) -> set[str]:
    """The sets that could have changed a flow: the source's for egress, the destination's
    for ingress."""
    out = set()
    src, dst = sets.get(change.src_namespace or ""), sets.get(change.dst_namespace or "")
    if src is not None and (Direction.EGRESS in src.deny or src.dns_for):
        out.add(src.namespace)
    if dst is not None and Direction.INGRESS in dst.deny:
        out.add(dst.namespace)
    return out or set(sets)


def _describe(change: FlowChange) -> str:
    ports = change.removed if change.removed else change.added
    return f"{change.src} -> {change.dst} ({ports.describe()})"


def _blame_flows(diff: MapDiff, sets: dict[str, FixSet], dns: set[str]) -> dict[str, list[str]]:
    lost: dict[str, list[FlowChange]] = defaultdict(list)
    for change in diff.changes:
        if _expected(change, sets, dns):
            continue
        for namespace in _culprits(change, sets):
            lost[namespace].append(change)
    reasons: dict[str, list[str]] = defaultdict(list)
    for namespace, changes in lost.items():
        removed = [c for c in changes if c.removed]
        added = [c for c in changes if c.added and not c.removed]
        if removed:
            first = "; ".join(_describe(c) for c in removed[:3])
            reasons[namespace].append(f"it would remove {len(removed)} flow(s) (first: {first})")
        if added:
            first = "; ".join(_describe(c) for c in added[:3])
            reasons[namespace].append(f"it would add {len(added)} flow(s) (first: {first})")
    return reasons


_CARRIED: Final = {"NF008": "NF002", "NF009": "NF003"}
"""Exposure a workload open today keeps by design (today's flows stay): once the set isolates
it, the check that reports the exposure changes (NF002 "not isolated for ingress" becomes
NF008 "accepts traffic from the Internet"), not the exposure."""
_CARRIED_BY_POLICY: Final = {"NF006": "NF002", "NF007": "NF003"}
"""The same, reported on the set's allowance for a workload open to everything today."""

_INFORMED: Final = frozenset({"NF030"})
"""Informational checks a set's allowance may raise by design: it keeps today's external
flows as ipBlocks, and where pods have no addresses in the input an ipBlock that reaches into
pod space depends on them (NF030 says so), exactly as today's reach did."""

_REDUNDANT_RULE: Final = "NF021"
_REDUNDANT_POLICY: Final = "NF022"
_TODAY_ONLY: Final = frozenset({"NF017", _REDUNDANT_POLICY})
"""Checks that weigh a policy by the pods of today alone (it selects none; others isolate
them all): a namespace default deny is there for the pods to come, which the re-run
NF001/NF004/NF005 confirm it covers, so these findings on the set's deny are expected."""


@dataclass
class _Verdict:
    """What a re-run audit says of the sets."""

    reasons: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Per namespace, why its set fails."""
    drops: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    """Per namespace, (policy, rule path or "") of generated rules and policies that other
    generated ones cover: they are left out and the set proven again."""


def _namespace_of(finding: Finding) -> str | None:
    primary = finding.primary
    if primary is None:
        return None
    return primary.name if primary.kind == "Namespace" else primary.namespace


def _judge_new(
    finding: Finding, fix: FixSet, carried: set[tuple[str, str]], verdict: _Verdict
) -> None:
    """Sort one finding the set would add: an adjustment, an expected change, or a failure."""
    primary = finding.primary
    check_id = finding.check.check_id
    ours = primary is not None and primary.kind == "NetworkPolicy" and primary.name in fix.names
    if ours and primary is not None:
        if check_id in _TODAY_ONLY and primary.name == fix.deny_name:
            return
        if check_id in (_REDUNDANT_RULE, _REDUNDANT_POLICY) and primary.name != fix.deny_name:
            verdict.drops[fix.namespace].add((primary.name, finding.detail_key))
            return
        if check_id in _INFORMED:
            return
        chosen = fix.subjects.get(primary.name, ())
        if chosen and all((_CARRIED_BY_POLICY.get(check_id), s) in carried for s in chosen):
            return
    # The same fact on the same workloads, now with the set's allowance as its cause (today's
    # flows stay by design), or told by the check that reports it once the set isolates them.
    subjects = [r.key for r in finding.affected] or ([primary.key] if primary else [])
    was = {check_id, _CARRIED.get(check_id)}
    if subjects and all(any((c, key) in carried for c in was) for key in subjects):
        return
    key = primary.key if primary is not None else "the cluster"
    verdict.reasons[fix.namespace].append(f"it would add finding {check_id} on {key}")


def _judge(
    before: Sequence[Finding],
    after: Sequence[Finding],
    sets: dict[str, FixSet],
    answers: dict[str, list[Finding]],
    verdict: _Verdict,
) -> None:
    old = {f.fingerprint for f in before}
    carried = {
        (str(f.check.check_id), ref.key) for f in before for ref in f.affected or f.resources[:1]
    }
    now = {f.fingerprint for f in after}
    for finding in after:
        if finding.fingerprint in old:
            continue
        where = _namespace_of(finding)
        culprits = [sets[where]] if where in sets else list(sets.values())
        for fix in culprits:
            _judge_new(finding, fix, carried, verdict)
    for namespace, findings in answers.items():
        standing = [f for f in findings if f.fingerprint in now]
        if namespace in sets and standing:
            ids = ", ".join(sorted({f.check.check_id for f in standing}))
            verdict.reasons[namespace].append(f"{ids} would still stand after it")


def _prove(
    cluster: Cluster,
    before: ConnectivityMatrix,
    report: AuditReport,
    sets: dict[str, FixSet],
    answers: dict[str, list[Finding]],
    api_servers: tuple[tuple[str, int], ...],
    parsed: dict[str, tuple[NetworkPolicy, ...]],
) -> tuple[MapDiff, _Verdict]:
    """Apply every set at once, and judge the map and the audit that result."""
    verdict = _Verdict()
    fixed, failed = _apply(cluster, sets, parsed)
    for namespace, message in failed.items():
        verdict.reasons[namespace].append(message)
    if failed:
        return MapDiff(), verdict
    after = compute_connectivity(build_classes(fixed))
    diff = compare_maps(before, after)
    dns = _dns_endpoints(cluster)
    for namespace, problems in _blame_flows(diff, sets, dns).items():
        verdict.reasons[namespace].extend(problems)
    rerun = run_audit(fixed, select=[c.check_id for c in report.checks], api_servers=api_servers)
    original = [*report.findings, *(f for f, _ in report.accepted)]
    _judge(original, rerun.findings, sets, answers, verdict)
    return diff, verdict


MAX_ROUNDS: Final = 8
"""Proofs at most: each round drops failing sets or covered rules, so few are ever needed."""


def plan_fixes(
    cluster: Cluster,
    report: AuditReport,
    api_servers: tuple[tuple[str, int], ...] = (),
    context: AuditContext | None = None,
) -> FixPlan:
    """Build, apply and prove one fix set per namespace that ``report``'s findings ask a fix
    of; return the report with each such finding carrying its proven set (or no fix), and
    what became of every set."""
    requests = _requests(report)
    if not requests:
        return FixPlan(_attach(report, {}), ())
    before = context.matrix if context is not None else compute_connectivity(build_classes(cluster))
    workloads = workloads_of(cluster)
    need_in = {
        w.name for w in workloads.values() if _asks(requests, w.namespace, Direction.INGRESS)
    }
    need_out = {
        w.name for w in workloads.values() if _asks(requests, w.namespace, Direction.EGRESS)
    }
    cmap = connectivity_map(cluster, Granularity.WORKLOAD, namespaces=set(requests), matrix=before)
    flows = flows_by_workload(cmap, need_in, need_out)
    _admit_dns(flows[0], requests, _dns_endpoints(cluster), workloads)
    answers = {ns: [f for f, _ in pairs] for ns, pairs in requests.items()}
    outcomes: dict[str, FixOutcome] = {}
    sets: dict[str, FixSet] = {}
    for namespace, pairs in requests.items():
        try:
            sets[namespace] = build_set(cluster, namespace, [r for _, r in pairs], workloads, flows)
        except Unfixable as exc:
            outcomes[namespace] = _outcome(namespace, None, answers[namespace], str(exc))
    parsed: dict[str, tuple[NetworkPolicy, ...]] = {}
    for _ in range(MAX_ROUNDS):
        if not sets:
            break
        diff, verdict = _prove(cluster, before, report, sets, answers, api_servers, parsed)
        if not verdict.reasons and not verdict.drops:
            for namespace, fix in sets.items():
                outcomes[namespace] = _proven(fix, answers[namespace], diff)
            sets = {}
            break
        for namespace, why in verdict.reasons.items():
            fix = sets.pop(namespace)
            outcomes[namespace] = _outcome(namespace, fix, answers[namespace], "; ".join(why))
        for namespace, drops in verdict.drops.items():
            if namespace in sets:
                sets[namespace] = sets[namespace].without(drops)
    for namespace, fix in sets.items():
        late = f"no proof after {MAX_ROUNDS} rounds"
        outcomes[namespace] = _outcome(namespace, fix, answers[namespace], late)
    proven = {ns: o.text for ns, o in outcomes.items() if o.proven}
    return FixPlan(_attach(report, proven), tuple(outcomes[ns] for ns in sorted(outcomes)))


def _dns_endpoints(cluster: Cluster) -> set[str]:
    """The cluster DNS workloads, as the DNS allowance names them."""
    return {
        p.endpoint_name
        for p in cluster.pods
        if p.namespace == "kube-system"
        and all(p.labels.get(k) == v for k, v in DNS_SELECTOR.items())
    }


def _admit_dns(
    incoming: dict[str, dict[str, PortSet]],
    requests: dict[str, list[tuple[Finding, FixRequest]]],
    dns: set[str],
    workloads: dict[str, WorkloadInfo],
) -> None:
    """Sets apply together: when the DNS namespace gets an ingress deny, its allowances
    admit the DNS that other sets open for their workloads, not only today's clients."""
    asking: set[str] = set()
    for pairs in requests.values():
        for _, r in pairs:
            if r.dns_for is not None:
                with contextlib.suppress(Unfixable):  # its own set says why
                    asking.add(by_resource(workloads, r.dns_for))
    for server in dns:
        if server not in incoming and not _asks(requests, "kube-system", Direction.INGRESS):
            continue
        peers = incoming.setdefault(server, {})
        for client in asking:
            peers[client] = peers.get(client, PortSet.none()) | DNS_PORTS


def _asks(
    requests: dict[str, list[tuple[Finding, FixRequest]]], namespace: str, d: Direction
) -> bool:
    return any(d in r.deny for _, r in requests.get(namespace, ()))


def _outcome(
    namespace: str, fix: FixSet | None, resolves: Iterable[Finding], reason: str
) -> FixOutcome:
    text, names = (fix.text, fix.names) if fix is not None else ("", ())
    return FixOutcome(namespace, text, names, tuple(resolves), False, reason)


def _proven(fix: FixSet, resolves: Iterable[Finding], diff: MapDiff) -> FixOutcome:
    namespace = fix.namespace
    touched = [c for c in diff.changes if namespace in (c.src_namespace, c.dst_namespace)]
    return FixOutcome(
        namespace,
        fix.text,
        fix.names,
        tuple(resolves),
        True,
        kept=diff.kept.get(namespace, 0),
        removed=tuple(c for c in touched if c.removed),
        added=tuple(c for c in touched if c.added),
    )


def _attach(report: AuditReport, proven: dict[str, str]) -> AuditReport:
    """The report with every finding that asks a fix carrying its namespace's proven set."""

    def fixed(finding: Finding) -> Finding:
        request = request_of(finding)
        if request is None:
            return finding
        return dataclasses.replace(finding, fix=proven.get(request.namespace))

    return dataclasses.replace(
        report,
        findings=tuple(fixed(f) for f in report.findings),
        accepted=tuple((fixed(f), a) for f, a in report.accepted),
    )
