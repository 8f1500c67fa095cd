"""Unknown fields: a field the API does not define is reported, not silently dropped.

The API server prunes fields it does not know (``kubectl --validate=strict`` refuses them), so
``spec.ingres`` would reach the cluster as no ingress rules at all, and ``podSelector:
{matchLabel: ...}`` as an empty selector that selects every pod. netfence reports each
unknown field with its file, line, path and the closest known name: as a warning by
default, as an error with ``strict``.

The fields of the core kinds come from the API's published schema (:mod:`k8s_schema`,
generated from the official ``kubernetes`` client); those of Calico (projectcalico.org/v3)
of the AdminNetworkPolicy family (policy.networking.k8s.io) and of the Gateway API routes
(gateway.networking.k8s.io) are written here from their resource references and CRDs. ``status`` is not checked.
"""

from __future__ import annotations

import difflib
import logging
from typing import Final

from netfence.errors import InputError
from netfence.sources.fields import Field
from netfence.sources.k8s_schema import ROOTS, TYPES
from netfence.sources.k8s_services import ROUTE_KINDS

LOG: Final = logging.getLogger("netfence")

_META: Final = "V1ObjectMeta"
_SELECTOR: Final = "V1LabelSelector"

# Calico projectcalico.org/v3 (resource reference: NetworkPolicy, GlobalNetworkPolicy, Tier,
# NetworkSet, GlobalNetworkSet). One policy spec serves both policy kinds; the parser refuses
# namespaceSelector in a namespaced policy with its own message.
_CALICO: Final[dict[str, dict[str, str]]] = {
    "calico.Policy": {
        "apiVersion": "",
        "kind": "",
        "metadata": _META,
        "spec": "calico.PolicySpec",
    },
    "calico.PolicySpec": {
        "order": "",
        "tier": "",
        "selector": "",
        "types": "",
        "ingress": "[calico.Rule]",
        "egress": "[calico.Rule]",
        "serviceAccountSelector": "",
        "namespaceSelector": "",
        "doNotTrack": "",
        "preDNAT": "",
        "applyOnForward": "",
        "performanceHints": "",
    },
    "calico.Rule": {
        "action": "",
        "ipVersion": "",
        "protocol": "",
        "notProtocol": "",
        "icmp": "calico.ICMP",
        "notICMP": "calico.ICMP",
        "source": "calico.EntityRule",
        "destination": "calico.EntityRule",
        "http": "calico.HTTPMatch",
        "metadata": "calico.RuleMetadata",
    },
    "calico.ICMP": {"type": "", "code": ""},
    "calico.RuleMetadata": {"annotations": ""},
    "calico.HTTPMatch": {"methods": "", "paths": "[calico.HTTPPath]"},
    "calico.HTTPPath": {"exact": "", "prefix": ""},
    "calico.EntityRule": {
        "nets": "",
        "notNets": "",
        "selector": "",
        "notSelector": "",
        "namespaceSelector": "",
        "ports": "",
        "notPorts": "",
        "serviceAccounts": "calico.ServiceAccountMatch",
        "services": "calico.ServiceMatch",
    },
    "calico.ServiceAccountMatch": {"names": "", "selector": ""},
    "calico.ServiceMatch": {"name": "", "namespace": ""},
    "calico.Tier": {"apiVersion": "", "kind": "", "metadata": _META, "spec": "calico.TierSpec"},
    "calico.TierSpec": {"order": "", "defaultAction": ""},
    "calico.NetworkSet": {
        "apiVersion": "",
        "kind": "",
        "metadata": _META,
        "spec": "calico.NetworkSetSpec",
    },
    "calico.NetworkSetSpec": {"nets": "", "allowedEgressDomains": ""},
}

# policy.networking.k8s.io (network-policy-api CRDs): AdminNetworkPolicy and
# BaselineAdminNetworkPolicy (v1alpha1), ClusterNetworkPolicy (v1alpha2). A rule's ``ports``
# (v1alpha2) and ``protocols`` (v1alpha1) are left known: the parser refuses each in the
# version that lacks it, naming the right one.
_ADMIN: Final[dict[str, dict[str, str]]] = {
    "anp.Policy": {"apiVersion": "", "kind": "", "metadata": _META, "spec": "anp.Spec"},
    "anp.Spec": {
        "priority": "",
        "tier": "",
        "subject": "anp.Subject",
        "ingress": "[anp.IngressRule]",
        "egress": "[anp.EgressRule]",
    },
    "anp.Subject": {"namespaces": _SELECTOR, "pods": "anp.NamespacedPod"},
    "anp.NamespacedPod": {"namespaceSelector": _SELECTOR, "podSelector": _SELECTOR},
    "anp.IngressRule": {
        "name": "",
        "action": "",
        "from": "[anp.Peer]",
        "ports": "[anp.Port]",
        "protocols": "[anp.Protocol]",
    },
    "anp.EgressRule": {
        "name": "",
        "action": "",
        "to": "[anp.Peer]",
        "ports": "[anp.Port]",
        "protocols": "[anp.Protocol]",
    },
    "anp.Peer": {
        "namespaces": _SELECTOR,
        "pods": "anp.NamespacedPod",
        "nodes": _SELECTOR,
        "networks": "",
        "domainNames": "",
    },
    "anp.Port": {
        "portNumber": "anp.PortNumber",
        "portRange": "anp.PortRange",
        "namedPort": "",
    },
    "anp.PortNumber": {"protocol": "", "port": ""},
    "anp.PortRange": {"protocol": "", "start": "", "end": ""},
    "anp.Protocol": {
        "tcp": "anp.ProtocolPort",
        "udp": "anp.ProtocolPort",
        "sctp": "anp.ProtocolPort",
        "destinationNamedPort": "",
    },
    "anp.ProtocolPort": {"destinationPort": "anp.DestinationPort"},
    "anp.DestinationPort": {"number": "", "range": "anp.Range"},
    "anp.Range": {"start": "", "end": ""},
}

# gateway.networking.k8s.io routes (Gateway API CRDs, standard and experimental channels):
# HTTPRoute, GRPCRoute, TCPRoute, TLSRoute. Matches, filters, timeouts and retries are not
# walked: netfence reads parents and backends only.
_ROUTE_RULE: Final = {
    "name": "",
    "matches": "",
    "filters": "",
    "backendRefs": "[gw.BackendRef]",
    "timeouts": "",
    "retry": "",
    "sessionPersistence": "",
}
_GATEWAY: Final[dict[str, dict[str, str]]] = {
    "gw.Route": {"apiVersion": "", "kind": "", "metadata": _META, "spec": "gw.RouteSpec"},
    "gw.RouteSpec": {"parentRefs": "[gw.ParentRef]", "hostnames": "", "rules": "[gw.Rule]"},
    "gw.ParentRef": {
        "group": "",
        "kind": "",
        "namespace": "",
        "name": "",
        "sectionName": "",
        "port": "",
    },
    "gw.Rule": _ROUTE_RULE,
    "gw.BackendRef": {
        "group": "",
        "kind": "",
        "name": "",
        "namespace": "",
        "port": "",
        "weight": "",
        "filters": "",
    },
}

SCHEMAS: Final[dict[str, dict[str, str]]] = {**TYPES, **_CALICO, **_ADMIN, **_GATEWAY}
"""Every type the checker knows: type -> JSON field -> the type of its value."""

_CALICO_ROOTS: Final = {
    "NetworkPolicy": "calico.Policy",
    "GlobalNetworkPolicy": "calico.Policy",
    "Tier": "calico.Tier",
    "NetworkSet": "calico.NetworkSet",
    "GlobalNetworkSet": "calico.NetworkSet",
}
_KIND_ROOTS: Final = {kind: name for (_, kind), name in ROOTS.items()}


def root_type(api_version: str, kind: str) -> str | None:
    """The schema type of an object, or None for a kind this module does not check."""
    if api_version == "projectcalico.org/v3":
        return _CALICO_ROOTS.get(kind)
    if api_version.startswith("policy.networking.k8s.io/"):
        return "anp.Policy"
    if api_version.startswith("gateway.networking.k8s.io/"):
        return "gw.Route" if kind in ROUTE_KINDS else None
    found = ROOTS.get((api_version or "v1", kind))
    if found is None and api_version.startswith(("apps/", "batch/", "extensions/")):
        found = _KIND_ROOTS.get(kind)  # older versions of the same workload kinds
    return found


def check_fields(obj: Field, type_name: str, strict: bool) -> None:
    """Report every field of ``obj`` (of schema type ``type_name``) the API does not define:
    the first as an InputError when ``strict``, each as a warning otherwise."""
    for problem in _unknown(obj, type_name):
        if strict:
            raise InputError(
                f"{problem.message} (--strict refuses unknown fields)",
                problem.location,
                problem.field,
            )
        LOG.warning("%s", problem)


def _unknown(field: Field, type_name: str) -> list[InputError]:
    # Unknown fields are rare: the plain values are checked first, and the Fields that name
    # each problem's path and line are built only when there is one.
    if not _has_unknown(field.value, type_name):
        return []
    return _unknown_fields(field, type_name)


def _has_unknown(value: object, type_name: str) -> bool:
    """Whether ``value`` (of schema type ``type_name``) holds a field the API does not define:
    what :func:`_unknown_fields` reports, on the plain values."""
    known = SCHEMAS.get(type_name)
    if known is None or not isinstance(value, dict):
        return False
    for key, child in value.items():
        ref = known.get(key)
        if ref is None:
            return True
        if ref and _has_unknown_in(child, ref):
            return True
    return False


def _has_unknown_in(value: object, ref: str) -> bool:
    if ref.startswith("[") and isinstance(value, list):
        return any(_has_unknown(item, ref[1:-1]) for item in value)
    if ref.startswith("{") and isinstance(value, dict):
        return any(_has_unknown(child, ref[1:-1]) for child in value.values())
    return _has_unknown(value, ref)


def _unknown_fields(field: Field, type_name: str) -> list[InputError]:
    known = SCHEMAS.get(type_name)
    if known is None or not isinstance(field.value, dict):
        return []
    found: list[InputError] = []
    for key, child in field.entries():
        ref = known.get(key)
        if ref is None:
            found.append(child.error(_message(key, known)))
        elif ref:
            found.extend(_walk(child, ref))
    return found


def _walk(field: Field, ref: str) -> list[InputError]:
    if ref.startswith("[") and isinstance(field.value, list):
        return [err for item in field.items() for err in _unknown_fields(item, ref[1:-1])]
    if ref.startswith("{") and isinstance(field.value, dict):
        return [err for _, child in field.entries() for err in _unknown_fields(child, ref[1:-1])]
    return _unknown_fields(field, ref)


def _message(key: str, known: dict[str, str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[key.lower()]] if key.lower() in lowered else []
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown field {key!r}{hint}"
