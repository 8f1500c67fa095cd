"""Manifest builders for the layered (tiered) policy languages of the conformance suite.

Calico (``projectcalico.org/v3``): ``calico_np``, ``calico_gnp``, ``tier``, ``network_set``,
``global_network_set``; Calico selectors are the selector strings Calico takes.

The AdminNetworkPolicy family (``policy.networking.k8s.io``): ``anp`` and ``banp`` (v1alpha1)
and ``cnp`` (v1alpha2 ClusterNetworkPolicy), with subject and peer builders.

Also ``sa_pod`` (a Pod running as a service account) and ``service_account``. Every builder
returns one YAML document; join them with ``helpers.docs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .helpers import ALL, Allowed, PortSpec, merge, pod

CALICO_API = "projectcalico.org/v3"
NPAPI_V1ALPHA1 = "policy.networking.k8s.io/v1alpha1"
NPAPI_V1ALPHA2 = "policy.networking.k8s.io/v1alpha2"

Rule = dict[str, Any]


def _dump(obj: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(obj), sort_keys=False, default_flow_style=False)


# --------------------------------------------------------------------------------------------
# Pods with service accounts
# --------------------------------------------------------------------------------------------


def sa_pod(
    name: str,
    ns: str = "default",
    labels: Mapping[str, str] | None = None,
    *,
    service_account: str,
    ports: Sequence[PortSpec] = (),
    ip: str | Sequence[str] | None = None,
) -> str:
    """A Pod (as ``helpers.pod``) whose spec.serviceAccountName is ``service_account``."""
    body = yaml.safe_load(pod(name, ns, labels, ports, ip))
    body["spec"] = {"serviceAccountName": service_account, **body["spec"]}
    return _dump(body)


def host_pod(name: str, ns: str = "default", labels: Mapping[str, str] | None = None) -> str:
    """A host-networked Pod (spec.hostNetwork true)."""
    body = yaml.safe_load(pod(name, ns, labels))
    body["spec"] = {"hostNetwork": True, **body["spec"]}
    return _dump(body)


def service_account(name: str, ns: str, labels: Mapping[str, str] | None = None) -> str:
    """A ServiceAccount document."""
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = dict(labels)
    return _dump({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})


# --------------------------------------------------------------------------------------------
# Calico
# --------------------------------------------------------------------------------------------


def _calico_spec(
    *,
    selector: str | None,
    tier: str | None,
    order: float | None,
    types: list[str] | None,
    ingress: list[Rule] | None,
    egress: list[Rule] | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if tier is not None:
        spec["tier"] = tier
    if order is not None:
        spec["order"] = order
    if selector is not None:
        spec["selector"] = selector
    spec.update(extra or {})
    if types is not None:
        spec["types"] = list(types)
    if ingress is not None:
        spec["ingress"] = list(ingress)
    if egress is not None:
        spec["egress"] = list(egress)
    return spec


def _tiered_name(name: str, tier: str | None) -> str:
    """Calico names a policy of a tier other than ``default`` ``<tier>.<name>``."""
    if tier is None or tier == "default":
        return name
    return f"{tier}.{name}"


def calico_np(
    name: str,
    ns: str,
    *,
    selector: str | None = None,
    tier: str | None = None,
    order: float | None = None,
    types: list[str] | None = None,
    ingress: list[Rule] | None = None,
    egress: list[Rule] | None = None,
    service_account_selector: str | None = None,
) -> str:
    """A Calico NetworkPolicy; fields left as None are omitted (Calico's defaults apply)."""
    extra = {}
    if service_account_selector is not None:
        extra["serviceAccountSelector"] = service_account_selector
    spec = _calico_spec(
        selector=selector,
        tier=tier,
        order=order,
        types=types,
        ingress=ingress,
        egress=egress,
        extra=extra,
    )
    return _dump(
        {
            "apiVersion": CALICO_API,
            "kind": "NetworkPolicy",
            "metadata": {"name": _tiered_name(name, tier), "namespace": ns},
            "spec": spec,
        }
    )


def calico_gnp(
    name: str,
    *,
    selector: str | None = None,
    namespace_selector: str | None = None,
    tier: str | None = None,
    order: float | None = None,
    types: list[str] | None = None,
    ingress: list[Rule] | None = None,
    egress: list[Rule] | None = None,
) -> str:
    """A Calico GlobalNetworkPolicy; fields left as None are omitted."""
    extra = {}
    if namespace_selector is not None:
        extra["namespaceSelector"] = namespace_selector
    spec = _calico_spec(
        selector=selector,
        tier=tier,
        order=order,
        types=types,
        ingress=ingress,
        egress=egress,
        extra=extra,
    )
    return _dump(
        {
            "apiVersion": CALICO_API,
            "kind": "GlobalNetworkPolicy",
            "metadata": {"name": _tiered_name(name, tier)},
            "spec": spec,
        }
    )


def tier(name: str, order: float | None = None, default_action: str | None = None) -> str:
    """A Calico Tier; ``order`` None leaves it unordered (last)."""
    spec: dict[str, Any] = {}
    if order is not None:
        spec["order"] = order
    if default_action is not None:
        spec["defaultAction"] = default_action
    return _dump(
        {"apiVersion": CALICO_API, "kind": "Tier", "metadata": {"name": name}, "spec": spec}
    )


def network_set(name: str, ns: str, labels: Mapping[str, str], nets: Sequence[str]) -> str:
    """A Calico NetworkSet (namespaced)."""
    return _dump(
        {
            "apiVersion": CALICO_API,
            "kind": "NetworkSet",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
            "spec": {"nets": list(nets)},
        }
    )


def global_network_set(name: str, labels: Mapping[str, str], nets: Sequence[str]) -> str:
    """A Calico GlobalNetworkSet."""
    return _dump(
        {
            "apiVersion": CALICO_API,
            "kind": "GlobalNetworkSet",
            "metadata": {"name": name, "labels": dict(labels)},
            "spec": {"nets": list(nets)},
        }
    )


def allow(**fields: Any) -> Rule:
    """A Calico rule with action Allow and the given fields (``protocol``, ``source``...)."""
    return {"action": "Allow", **fields}


def deny(**fields: Any) -> Rule:
    """A Calico rule with action Deny."""
    return {"action": "Deny", **fields}


def pass_(**fields: Any) -> Rule:
    """A Calico rule with action Pass."""
    return {"action": "Pass", **fields}


def log(**fields: Any) -> Rule:
    """A Calico rule with action Log."""
    return {"action": "Log", **fields}


def to_ports(*ports: int | str) -> dict[str, Any]:
    """A destination EntityRule matching ``ports`` (numbers, "lo:hi" strings, names)."""
    return {"ports": list(ports)}


# --------------------------------------------------------------------------------------------
# AdminNetworkPolicy family
# --------------------------------------------------------------------------------------------


def match(**kv: str) -> dict[str, Any]:
    """A matchLabels LabelSelector (``{}`` when empty: matches everything)."""
    return {"matchLabels": dict(kv)} if kv else {}


def ns_subject(**kv: str) -> dict[str, Any]:
    """A ``namespaces`` subject: every pod of the namespaces with these labels."""
    return {"namespaces": match(**kv)}


def pods_subject(namespaces: dict[str, Any], pods: dict[str, Any]) -> dict[str, Any]:
    """A ``pods`` subject: the pods ``pods`` selects in the namespaces ``namespaces`` selects."""
    return {"pods": {"namespaceSelector": namespaces, "podSelector": pods}}


def ns_peer(**kv: str) -> dict[str, Any]:
    """A ``namespaces`` peer."""
    return {"namespaces": match(**kv)}


def pods_peer(namespaces: dict[str, Any], pods: dict[str, Any]) -> dict[str, Any]:
    """A ``pods`` peer."""
    return {"pods": {"namespaceSelector": namespaces, "podSelector": pods}}


def networks_peer(*cidrs: str) -> dict[str, Any]:
    """A ``networks`` peer (egress only)."""
    return {"networks": list(cidrs)}


def admin_rule(
    action: str,
    peers: list[dict[str, Any]],
    *,
    egress: bool = False,
    ports: list[dict[str, Any]] | None = None,
    protocols: list[dict[str, Any]] | None = None,
    name: str | None = None,
) -> Rule:
    """An ANP/BANP (``ports``) or CNP (``protocols``) rule."""
    rule: Rule = {}
    if name is not None:
        rule["name"] = name
    rule["action"] = action
    rule["to" if egress else "from"] = peers
    if ports is not None:
        rule["ports"] = ports
    if protocols is not None:
        rule["protocols"] = protocols
    return rule


def port_number(port: int, protocol: str | None = None) -> dict[str, Any]:
    """A v1alpha1 ``portNumber`` entry (protocol omitted: TCP)."""
    entry: dict[str, Any] = {"port": port}
    if protocol is not None:
        entry = {"protocol": protocol, **entry}
    return {"portNumber": entry}


def port_range(start: int, end: int, protocol: str | None = None) -> dict[str, Any]:
    """A v1alpha1 ``portRange`` entry."""
    entry: dict[str, Any] = {"start": start, "end": end}
    if protocol is not None:
        entry = {"protocol": protocol, **entry}
    return {"portRange": entry}


def named_port(name: str) -> dict[str, Any]:
    """A v1alpha1 ``namedPort`` entry."""
    return {"namedPort": name}


def _admin_doc(
    api_version: str,
    kind: str,
    name: str,
    head: Mapping[str, Any],
    subject: dict[str, Any],
    ingress: list[Rule] | None,
    egress: list[Rule] | None,
) -> str:
    spec: dict[str, Any] = {**head, "subject": subject}
    if ingress is not None:
        spec["ingress"] = list(ingress)
    if egress is not None:
        spec["egress"] = list(egress)
    return _dump(
        {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, "spec": spec}
    )


def anp(
    name: str,
    priority: int,
    subject: dict[str, Any],
    *,
    ingress: list[Rule] | None = None,
    egress: list[Rule] | None = None,
) -> str:
    """An AdminNetworkPolicy (v1alpha1)."""
    return _admin_doc(
        NPAPI_V1ALPHA1,
        "AdminNetworkPolicy",
        name,
        {"priority": priority},
        subject,
        ingress,
        egress,
    )


def banp(
    subject: dict[str, Any],
    *,
    ingress: list[Rule] | None = None,
    egress: list[Rule] | None = None,
) -> str:
    """The BaselineAdminNetworkPolicy singleton ``default`` (v1alpha1)."""
    return _admin_doc(
        NPAPI_V1ALPHA1, "BaselineAdminNetworkPolicy", "default", {}, subject, ingress, egress
    )


def cnp(
    name: str,
    tier_name: str,
    priority: int,
    subject: dict[str, Any],
    *,
    ingress: list[Rule] | None = None,
    egress: list[Rule] | None = None,
) -> str:
    """A ClusterNetworkPolicy (v1alpha2) of tier ``Admin`` or ``Baseline``."""
    return _admin_doc(
        NPAPI_V1ALPHA2,
        "ClusterNetworkPolicy",
        name,
        {"tier": tier_name, "priority": priority},
        subject,
        ingress,
        egress,
    )


def cnp_port(protocol: str, number: int | None = None, *, start: int = 0, end: int = 0) -> Rule:
    """A v1alpha2 ``protocols`` entry: ``tcp``/``udp``/``sctp`` with a number or a range."""
    dest: dict[str, Any] = (
        {"number": number} if number is not None else {"range": {"start": start, "end": end}}
    )
    return {protocol.lower(): {"destinationPort": dest}}


def cnp_named_port(name: str) -> Rule:
    """A v1alpha2 ``destinationNamedPort`` entry."""
    return {"destinationNamedPort": name}


def all_but_tcp(*ports: int | tuple[int, int]) -> Allowed:
    """All traffic except the given TCP ports and ranges."""
    holes = merge((p, p) if isinstance(p, int) else p for p in ports)
    kept: list[tuple[int, int]] = []
    lo = 1
    for h_lo, h_hi in holes:
        if lo < h_lo:
            kept.append((lo, h_lo - 1))
        lo = h_hi + 1
    if lo <= 65535:
        kept.append((lo, 65535))
    return {**ALL, "TCP": kept}
