"""Connectivity assertions: flows that must be allowed or denied, as a spec file states them.

A spec (``format: netfence.connectivity-tests``, docs/connectivity-tests.md) lists named
assertions. Each names its two ends (a workload or pod, a selector of pods as a NetworkPolicy
peer writes one, or an address range), the port and protocol, and the verdict expected. An end
that matches several pods stands for every one of them: the assertion holds only when it holds
for every pair.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from netfence.model.origin import FileOrigin
from netfence.model.selectors import LabelSelector
from netfence.sets.ipranges import IPRangeSet

SPEC_FORMAT: Final = "netfence.connectivity-tests"
"""The value of a spec file's ``format`` field."""
SPEC_VERSION: Final = 1
"""The spec version this netfence reads and writes."""


class Expectation(enum.StrEnum):
    """The verdict an assertion expects."""

    ALLOW = "allow"
    """The flow must be allowed (on the port; without one, on at least one port)."""
    DENY = "deny"
    """The flow must be denied (on the port; without one, on every port)."""


class SpecProtocol(enum.StrEnum):
    """The protocols an assertion names, as NetworkPolicy ports do."""

    TCP = "TCP"
    """TCP, the default when a port is given."""
    UDP = "UDP"
    """UDP."""
    SCTP = "SCTP"
    """SCTP."""


@dataclass(frozen=True)
class NamedEnd:
    """An end named as ``explain`` takes it: a workload or pod ``ns/name``, or an address."""

    name: str
    """``namespace/name`` of a workload (every pod of it) or of a pod; or one IP address
    (the pod holding it, else an external address)."""

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class SelectorEnd:
    """Pods chosen as a NetworkPolicy peer chooses them: a namespace (by name or by labels)
    AND a pod selector."""

    namespace: str | None
    """The one namespace, by name; None when ``namespace_selector`` chooses."""
    namespace_selector: LabelSelector | None
    """Namespaces by their labels; None when ``namespace`` names the one."""
    pod_selector: LabelSelector
    """Pods of those namespaces by their labels (everything when absent)."""

    def __str__(self) -> str:
        where = (
            f"namespace {self.namespace}"
            if self.namespace is not None
            else f"namespaces {_selector_text(self.namespace_selector)}"
        )
        return f"pods {_selector_text(self.pod_selector)} in {where}"


@dataclass(frozen=True)
class AddressEnd:
    """Addresses outside the cluster's pods: one CIDR."""

    cidr: str
    """The CIDR as written (host bits cleared)."""
    addresses: IPRangeSet
    """Its addresses."""

    def __str__(self) -> str:
        return self.cidr


AssertionEnd = NamedEnd | SelectorEnd | AddressEnd
"""One end of an assertion."""


@dataclass(frozen=True)
class Assertion:
    """One named expectation about the flows between two ends."""

    name: str
    """Unique within the spec; how results name it."""
    source: AssertionEnd
    """Where the flow starts (``from``)."""
    destination: AssertionEnd
    """Where it goes (``to``)."""
    port: int | str | None
    """A port number, a named port (resolved on each destination pod), or None for any port."""
    protocol: SpecProtocol | None
    """The protocol; None only without a port, meaning every protocol."""
    expect: Expectation
    """The verdict expected."""
    reason: str
    """Why it must hold, in the author's words; shown when it fails."""
    origin: FileOrigin
    """Where the assertion is written (its item in ``tests``)."""

    @property
    def port_text(self) -> str:
        """``TCP 5432``, ``TCP postgres``, ``any UDP port`` or ``any port``."""
        if self.port is None:
            return f"any {self.protocol.value} port" if self.protocol else "any port"
        assert self.protocol is not None
        return f"{self.protocol.value} {self.port}"


@dataclass(frozen=True)
class ConnectivityTests:
    """A spec file's assertions, in the order written."""

    file: str
    """The spec file as named, or ``<stdin>``."""
    assertions: tuple[Assertion, ...]
    """Every assertion, in file order."""


def _selector_text(selector: LabelSelector | None) -> str:
    if selector is None or selector.selects_all:
        return "(all)"
    return "{" + ", ".join(str(r) for r in selector.requirements) + "}"
