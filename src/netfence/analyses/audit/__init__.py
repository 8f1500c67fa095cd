"""The network-hardening audit: every applicable check over one cluster, one findings list."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence

from netfence.analyses.address_plan.catalog import CHECKS as ADDRESS_PLAN_CHECKS
from netfence.analyses.audit.catalog import catalog
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.audit.grouping import group_findings
from netfence.analyses.audit.host_network import host_network_subjects, with_host_advice
from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.analyses.firewall.catalog import CHECKS as FIREWALL_CHECKS
from netfence.analyses.private_link.catalog import CHECKS as PRIVATE_LINK_CHECKS
from netfence.analyses.separation.catalog import CHECKS as SEPARATION_CHECKS
from netfence.errors import QueryError
from netfence.model.cluster import Cluster
from netfence.model.findings import CheckInfo, Finding

__all__ = [
    "Acceptance",
    "AuditReport",
    "check_catalog",
    "chosen_checks",
    "every_check",
    "run_audit",
    "with_findings",
]


def check_catalog() -> list[CheckInfo]:
    """Every check netfence runs, by ID."""
    return [info for info, _ in catalog()]


def every_check() -> list[CheckInfo]:
    """Every check netfence has: the audit's, then the firewall layers' (``firewall
    check``, and ``scan`` with firewall exports), the address plan's and the management/data
    separation's (``ipplan check``, and ``scan`` with a plan), Private Link's
    (``privatelink check``, and ``scan`` with Private Link settings)."""
    return [
        *check_catalog(),
        *FIREWALL_CHECKS,
        *ADDRESS_PLAN_CHECKS,
        *SEPARATION_CHECKS,
        *PRIVATE_LINK_CHECKS,
    ]


def chosen_checks(
    checks: Sequence[CheckInfo], select: Iterable[str] | None, ignore: Iterable[str] | None
) -> list[str]:
    """The IDs of ``checks`` that ``--select`` and ``--ignore`` leave; QueryError for an ID
    no check of netfence has."""
    known = {info.check_id for info in every_check()}
    wanted = set(select) if select else known
    dropped = set(ignore or ())
    unknown = sorted((wanted | dropped) - known)
    if unknown:
        raise QueryError(f"unknown check ID(s): {', '.join(unknown)} (netfence checks lists them)")
    return [c.check_id for c in checks if c.check_id in wanted and c.check_id not in dropped]


def _chosen(select: Iterable[str] | None, ignore: Iterable[str] | None) -> list[str]:
    return chosen_checks(check_catalog(), select, ignore)


def _sort_key(finding: Finding) -> tuple[int, str, str, str]:
    primary = finding.primary.key if finding.primary else ""
    return (-finding.effective_severity.rank, finding.check.check_id, primary, finding.fingerprint)


def run_audit(
    cluster: Cluster,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    baseline: Sequence[Acceptance] = (),
    api_servers: tuple[tuple[str, int], ...] = (),
    today: datetime.date | None = None,
    inputs: tuple[str, ...] = (),
    on_check: Callable[[CheckInfo, int, int], None] | None = None,
    context: AuditContext | None = None,
) -> AuditReport:
    """Run the selected checks; findings a live baseline entry accepts are set apart, and
    the rest of one check with the same cause are merged into one finding (``grouping``).

    ``on_check(info, n, total)`` is called as the n-th of ``total`` checks starts (the CLI
    names it on its progress line). ``context``, an audit context of the same cluster and
    API servers, is reused (so that later checks over it, such as the separation checks, do
    not evaluate the policies again).
    """
    chosen = set(_chosen(select, ignore))
    ctx = context if context is not None else AuditContext(cluster, api_servers)
    day = today or datetime.date.today()
    live = [a for a in baseline if a.expires is None or a.expires >= day]
    standing: list[Finding] = []
    accepted: list[tuple[Finding, Acceptance]] = []
    ran: list[CheckInfo] = []
    host_network = host_network_subjects(cluster)
    selected = [(info, function) for info, function in catalog() if info.check_id in chosen]
    for number, (info, function) in enumerate(selected, 1):
        if on_check is not None:
            on_check(info, number, len(selected))
        ran.append(info)
        for found in function(ctx, info):
            finding = with_host_advice(found, host_network)
            entry = next((a for a in live if a.matches(finding)), None)
            if entry is None:
                standing.append(finding)
            else:
                accepted.append((finding, entry))
    # Baseline entries are matched against the per-workload facts first, so that accepting
    # one workload leaves the others of the same cause standing; then causes are merged.
    standing = group_findings(standing)
    standing.sort(key=_sort_key)
    accepted.sort(key=lambda pair: _sort_key(pair[0]))
    return AuditReport(tuple(standing), tuple(accepted), tuple(ran), inputs)


def with_findings(
    report: AuditReport,
    checks: Sequence[CheckInfo],
    findings: Iterable[Finding],
    *,
    baseline: Sequence[Acceptance] = (),
    today: datetime.date | None = None,
) -> AuditReport:
    """``report`` with the findings of further checks (the firewall layers') added: a live
    baseline entry accepts them as it does the audit's, and all are sorted as one."""
    day = today or datetime.date.today()
    live = [a for a in baseline if a.expires is None or a.expires >= day]
    standing = list(report.findings)
    accepted = list(report.accepted)
    for finding in findings:
        entry = next((a for a in live if a.matches(finding)), None)
        if entry is None:
            standing.append(finding)
        else:
            accepted.append((finding, entry))
    standing.sort(key=_sort_key)
    accepted.sort(key=lambda pair: _sort_key(pair[0]))
    ran = (*report.checks, *(c for c in checks if c not in report.checks))
    return AuditReport(tuple(standing), tuple(accepted), ran, report.inputs)
