"""The check catalog: every audit check registers here with its metadata."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from netfence.model.findings import CheckId, CheckInfo, Finding, Severity

if TYPE_CHECKING:
    from netfence.analyses.audit.context import AuditContext

CheckFunction = Callable[["AuditContext", CheckInfo], Iterable[Finding]]
"""A check: reads the audit context, yields findings of its own CheckInfo."""

_CATALOG: dict[CheckId, tuple[CheckInfo, CheckFunction]] = {}


def check(
    check_id: str,
    title: str,
    severity: Severity,
    *,
    description: str,
    remediation: str,
    controls: Iterable[str] = (),
    peers: dict[str, tuple[str, ...]] | None = None,
    group_message: str | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under a stable ID with its catalog entry."""

    def register(function: CheckFunction) -> CheckFunction:
        info = CheckInfo(
            check_id=CheckId(check_id),
            title=title,
            severity=severity,
            description=description,
            remediation=remediation,
            controls=tuple(controls),
            peers=dict(peers or {}),
        )
        if group_message is not None:
            info = replace(info, group_message=group_message)
        if info.check_id in _CATALOG:
            raise ValueError(f"check {check_id} registered twice")
        _CATALOG[info.check_id] = (info, function)
        return function

    return register


def registered() -> list[tuple[CheckInfo, CheckFunction]]:
    """The checks registered so far, by ID (``catalog`` imports every check module first)."""
    return [_CATALOG[k] for k in sorted(_CATALOG)]
