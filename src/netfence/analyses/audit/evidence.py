"""The evidence of every check, as typed records, and the one conversion to JSON.

Each check states its evidence as a frozen dataclass here; :func:`finding` turns it into the
JSON-ready mapping a :class:`~netfence.model.findings.Finding` carries. A field's JSON key is
its name, or the ``key`` in its metadata where the contract spells it otherwise
(``namespaceSelector``). docs/json-findings.md lists every key by check.

Rule and policy references are ``Kind/namespace/name`` (``Kind/name`` for cluster-scoped
kinds), as :class:`~netfence.model.layers.RuleOrigin` names them, so a Calico NetworkPolicy
is never confused with a Kubernetes one of the same name.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netfence.model.findings import Cause, CheckInfo, Finding, ResourceRef, Severity


def _key(name: str) -> dict[str, str]:
    return {"key": name}


class Evidence:
    """Base of every check's evidence record."""


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    """The JSON-ready mapping of an evidence record (tuples become lists)."""
    return {
        f.metadata.get("key", f.name): _plain(getattr(evidence, f.name))
        for f in dataclasses.fields(evidence)  # type: ignore[arg-type]
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Evidence):
        return evidence_json(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def finding(
    info: CheckInfo,
    message: str,
    resources: tuple[ResourceRef, ...],
    evidence: Evidence,
    *,
    fix: str | None = None,
    severity: Severity | None = None,
    detail_key: str = "",
    cause: Cause | None = None,
) -> Finding:
    """A finding of ``info`` with its typed evidence converted to JSON."""
    return Finding(
        info,
        message,
        resources,
        evidence=evidence_json(evidence),
        fix=fix,
        severity=severity,
        detail_key=detail_key,
        cause=cause,
    )


# Isolation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamespaceWithoutPolicy(Evidence):
    """NF001."""

    namespace: str
    """The namespace."""
    pod_endpoints: int
    """Pod endpoints (pods or workloads) in it."""
    policies: int = 0
    """Policies of any family that apply to it: always 0."""


@dataclass(frozen=True)
class NotIsolated(Evidence):
    """NF002, NF003."""

    direction: str
    """``Ingress`` or ``Egress``."""
    pods_not_isolated: int
    """How many of the workload's pods no policy restricts."""
    isolated: bool = False
    """Always false."""
    allowed: str = "All"
    """What those pods are allowed: everything."""


@dataclass(frozen=True)
class NoDefaultDeny(Evidence):
    """NF004, NF005."""

    namespace: str
    """The namespace."""
    direction: str
    """``Ingress`` or ``Egress``."""


# Exposure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllowAll(Evidence):
    """NF006, NF007."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    rule: str
    """The rule's field path."""
    peers: str = "all"
    """What peers it matches: every pod and address."""
    ports: str = "All"
    """What ports it matches: every port."""


@dataclass(frozen=True)
class InternetReach(Evidence):
    """NF008; NF009 keys the ranges ``destinations`` (see :class:`InternetEgress`)."""

    ranges: str = field(metadata=_key("sources"))
    """The address ranges allowed, in full (they hold the public addresses)."""
    ports: str
    """The ports allowed to or from them."""
    allowed_by: tuple[str, ...]
    """The rules that allow the traffic: ``Kind/namespace/name spec.ingress[0]``."""
    passed_by: tuple[str, ...] = ()
    """Pass rules that hand some of it on to no later decision (so it is allowed by default)."""
    by_default: bool = False
    """Whether some of it is allowed because no policy decides it."""


@dataclass(frozen=True)
class InternetEgress(InternetReach):
    """NF009: as NF008, the ranges keyed ``destinations``."""

    ranges: str = field(metadata=_key("destinations"))
    """The address ranges allowed, in full (they hold the public addresses)."""


@dataclass(frozen=True)
class PlatformAddress(Evidence):
    """One address of NF010."""

    service: str
    """What the address serves."""
    ports: str
    """The ports the workload may use to it."""


@dataclass(frozen=True)
class MetadataReach(Evidence):
    """NF010."""

    addresses: Mapping[str, PlatformAddress]
    """Per platform address reached, what it is and on which ports."""


@dataclass(frozen=True)
class ApiServerReach(Evidence):
    """NF011."""

    api_server: tuple[str, ...]
    """``IP:port`` of the API server endpoints reached."""


@dataclass(frozen=True)
class DnsBlocked(Evidence):
    """NF012."""

    blocked: tuple[str, ...]
    """``UDP 53``, ``TCP 53``: what is blocked."""
    dns: tuple[str, ...]
    """The cluster DNS endpoints."""
    blocked_by_egress: tuple[str, ...] = ()
    """What the workload's own egress policies block."""
    blocked_by_dns_ingress: tuple[str, ...] = ()
    """What the DNS server's ingress policies block."""
    blocking: tuple[str, ...] = ()
    """The policies (or Deny rules) that block, client side first."""


@dataclass(frozen=True)
class WideNamespacePeer(Evidence):
    """NF013."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    peer: str
    """The peer's field path."""
    namespaces: tuple[str, ...]
    """Other namespaces whose every pod it admits."""


@dataclass(frozen=True)
class FuturePeer(Evidence):
    """NF014."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    peer: str
    """The peer's field path."""
    namespace_selector: str = field(metadata=_key("namespaceSelector"))
    """The peer's namespace selector."""
    pod_selector: str | None = field(metadata=_key("podSelector"))
    """The peer's pod selector, if any."""


# Hygiene ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostNetwork(Evidence):
    """NF015."""

    pods: tuple[str, ...]
    """Up to 20 of the pods on the host network."""
    count: int
    """How many there are."""


@dataclass(frozen=True)
class HostPorts(Evidence):
    """NF016."""

    host_ports: tuple[str, ...]
    """``port/protocol`` of each host port bound."""


@dataclass(frozen=True)
class SelectsNothing(Evidence):
    """NF017."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    pod_selector: str | None = field(metadata=_key("podSelector"))
    """A Kubernetes NetworkPolicy's podSelector; None for the other kinds."""
    selector: str
    """The policy's selection as written in its language (``podSelector``, Calico
    ``selector``, an admin policy's ``subject``)."""
    selector_field: str = dataclasses.field(metadata=_key("field"))
    """Where the selection is written: ``spec.podSelector``, ``spec.selector``,
    ``spec.subject``."""


@dataclass(frozen=True)
class EmptyPeer(Evidence):
    """NF018."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    peer: str
    """The peer's field path (a Calico rule's ``source`` or ``destination``)."""
    namespace_selector: str | None = field(metadata=_key("namespaceSelector"))
    """Its namespace selector, if any."""
    pod_selector: str | None = field(metadata=_key("podSelector"))
    """Its pod selector (Calico: ``selector``), if any."""


@dataclass(frozen=True)
class UnresolvedNamedPort(Evidence):
    """NF019."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    port: str
    """``name/protocol`` (just the name where the API matches any protocol)."""
    destinations: int
    """How many destination classes the rule has (none of which declares the port)."""


@dataclass(frozen=True)
class NoPolicyEngine(Evidence):
    """NF020."""

    daemonsets: tuple[str, ...]
    """The DaemonSets seen."""
    known_engines: tuple[str, ...]
    """The engines netfence recognises."""


# Redundancy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedundantRule(Evidence):
    """NF021."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    rule: str
    """The rule's field path."""
    direction: str
    """``Ingress`` or ``Egress``."""


@dataclass(frozen=True)
class RedundantPolicy(Evidence):
    """NF022."""

    policy: str
    """The policy, ``Kind/namespace/name``."""


# Layers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoClusterDefaultDeny(Evidence):
    """NF023."""

    direction: str
    """``Ingress`` or ``Egress``."""


@dataclass(frozen=True)
class ShadowedRule(Evidence):
    """NF024."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    rule: str
    """The rule's field path."""
    tier: str
    """The tier it is in."""
    action: str
    """Its action."""


@dataclass(frozen=True)
class PassToDefault(Evidence):
    """NF025."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    rule: str
    """The rule's field path."""
    workloads: tuple[str, ...]
    """Up to 20 workloads whose passed traffic is allowed by default."""


@dataclass(frozen=True)
class LogOnly(Evidence):
    """NF026."""

    policy: str
    """The policy (``namespace/name`` or ``name``)."""
    rules: int
    """How many Log rules it has."""


@dataclass(frozen=True)
class SharedPriority(Evidence):
    """NF027."""

    priority: float | None
    """The shared priority (a Calico order; None for Calico policies without one)."""
    tier: str
    """``Admin`` or ``Baseline``, or the Calico tier's name."""


@dataclass(frozen=True)
class HostEndpointPolicy(Evidence):
    """NF028, for one policy."""

    policy: str
    """The policy (``namespace/name`` or ``name``)."""
    flags: tuple[str, ...]
    """Which of preDNAT, doNotTrack, applyOnForward it sets."""


@dataclass(frozen=True)
class HostEndpointObjects(Evidence):
    """NF028, for the HostEndpoint and Profile objects."""

    objects: Mapping[str, int]
    """How many of each kind the input holds."""


@dataclass(frozen=True)
class DroppedFeature(Evidence):
    """NF029."""

    policy: str
    """The policy, ``Kind/namespace/name``."""
    feature: str
    """The feature, as the API names it (``http``, ``services``, ``source.ports``,
    ``domainNames``)."""
    path: str
    """The field path of the use."""
    effect: str
    """How verdicts may differ from the cluster's where it is used."""


# Facts the input lacks ---------------------------------------------------------------------


@dataclass(frozen=True)
class MissingFact(Evidence):
    """NF030."""

    fact: str
    """The fact the input lacks: ``pod addresses`` or ``named ports``."""
    subject: str
    """The policy (``Kind/namespace/name``) or Service (``Service/namespace/name``) concerned."""
    depends: tuple[str, ...]
    """What depends on it: rules (``Kind/namespace/name spec.egress[0]``) or Service ports."""
    ranges: str = ""
    """For pod addresses: the rules' addresses inside the pod address space."""
    address_space: str = ""
    """For pod addresses: where the pod address space was taken from."""
    pods: int = 0
    """Pods concerned: those with no address, or those the Service selects."""
