"""Parse Calico (projectcalico.org/v3) resources: NetworkPolicy, GlobalNetworkPolicy, Tier,
NetworkSet and GlobalNetworkSet.

Defaults follow Calico's resource reference: a policy with no ``selector`` applies to every
endpoint in its scope (``all()``); ``types`` is inferred from the rule lists present (Ingress
when there are none); a policy with no tier sits in the ``default`` tier; a tier's default
action is Deny.

Numbers are what Go decodes from JSON: ``order`` a finite number (NaN and the infinities
have no JSON form), ports and protocol numbers decimal digits only. ``nets`` entries are
CIDRs as Go's ``net.ParseCIDR`` reads them, or single IP addresses.
"""

from __future__ import annotations

import re
from typing import Final

from netfence.model.calico import (
    DEFAULT_TIER,
    CalicoNetworkSet,
    CalicoPolicy,
    CalicoPorts,
    CalicoRule,
    CalicoTier,
    EntityRule,
)
from netfence.model.calico_selector import Selector
from netfence.model.layers import Action
from netfence.model.networkpolicy import Direction
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.calico_selector_parser import SelectorSyntaxError, parse_selector
from netfence.sources.fields import Field, parse_directions
from netfence.sources.k8s_validation import Network, parse_cidr, parse_ip

CALICO_API: Final = "projectcalico.org/v3"
"""The Calico API group and version netfence reads."""
CALICO_KINDS: Final = frozenset(
    {"NetworkPolicy", "GlobalNetworkPolicy", "Tier", "NetworkSet", "GlobalNetworkSet"}
)
"""Calico kinds netfence models."""
_PORT_PROTOCOLS: Final = frozenset({"TCP", "UDP", "SCTP", "UDPLite"})
_NAMED_PROTOCOLS: Final = frozenset({"TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"})
_NUMBER: Final = re.compile(r"[0-9]+\Z")
"""A port or protocol number written as text: ASCII digits only."""
_MAX_DIGITS: Final = 5
"""More digits than this is out of every port's and protocol's range (and never converted)."""


def selector_field(field: Field | None, default: str | None = None) -> Selector | None:
    """Parse a selector-valued field; a syntax error names the field and the column."""
    if field is None:
        return parse_selector(default) if default is not None else None
    text = field.string()
    try:
        return parse_selector(text)
    except SelectorSyntaxError as exc:
        raise field.error(f"bad selector {text!r}: {exc}") from None


def _protocol(field: Field | None) -> str | None:
    if field is None:
        return None
    if field.is_integer():
        value = field.integer()
        if not 1 <= value <= 255:
            raise field.error(f"protocol number {value} is outside 1-255")
        return str(value)
    text = field.string()
    if text in _NAMED_PROTOCOLS:
        return text
    if _NUMBER.match(text) and len(text) <= _MAX_DIGITS and 1 <= int(text) <= 255:
        return text
    raise field.error(
        f"unknown protocol {text!r} (expected TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)"
    )


def _nets(field: Field | None) -> tuple[str, ...] | None:
    if field is None:
        return None
    out = []
    for item in field.items():
        text = item.string()
        try:
            out.append(str(_net(text)))
        except ValueError as exc:
            raise item.error(f"invalid CIDR {text!r}: {exc}") from None
    return tuple(out)


def _net(text: str) -> Network:
    """A CIDR, or one IP address as the network of that address alone."""
    if "/" in text:
        return parse_cidr(text)
    return parse_cidr(f"{text}/{parse_ip(text).max_prefixlen}")


def _ports(field: Field | None) -> CalicoPorts | None:
    if field is None:
        return None
    spans: list[tuple[int, int]] = []
    names: list[str] = []
    for item in field.items():
        if item.is_integer():
            lo = hi = item.integer()
        else:
            text = item.string()
            if ":" in text:
                left, _, right = text.partition(":")
                if not (_NUMBER.match(left) and _NUMBER.match(right)):
                    raise item.error(f"bad port range {text!r} (expected lo:hi)")
                if max(len(left), len(right)) > _MAX_DIGITS:
                    raise item.error("port range is outside 0-65535")
                lo, hi = int(left), int(right)
            elif _NUMBER.match(text):
                if len(text) > _MAX_DIGITS:
                    raise item.error("port is outside 0-65535")
                lo = hi = int(text)
            else:
                names.append(text)
                continue
        if not (0 <= lo <= hi <= 65535):
            raise item.error(f"port range {lo}:{hi} is outside 0-65535 or reversed")
        spans.append((lo, hi))
    return CalicoPorts(tuple(spans), tuple(names))


def _entity(field: Field | None) -> EntityRule:
    if field is None:
        return EntityRule()
    field.mapping()
    accounts = field.get("serviceAccounts")
    names_field = accounts.get("names") if accounts is not None else None
    return EntityRule(
        nets=_nets(field.get("nets")),
        not_nets=_nets(field.get("notNets")) or (),
        selector=selector_field(field.get("selector")),
        not_selector=selector_field(field.get("notSelector")),
        namespace_selector=selector_field(field.get("namespaceSelector")),
        ports=_ports(field.get("ports")),
        not_ports=_ports(field.get("notPorts")),
        service_account_names=(
            tuple(n.string() for n in names_field.items()) if names_field is not None else None
        ),
        service_account_selector=selector_field(
            accounts.get("selector") if accounts is not None else None
        ),
        services=field.get("services") is not None,
    )


def _rule(field: Field) -> CalicoRule:
    field.mapping()
    action_field = field.require("action")
    text = action_field.string()
    try:
        action = Action(text)
    except ValueError:
        raise action_field.error(
            f"unknown action {text!r} (expected Allow, Deny, Log or Pass)"
        ) from None
    protocol_field = field.get("protocol")
    protocol = _protocol(protocol_field)
    source = _entity(field.get("source"))
    destination = _entity(field.get("destination"))
    for side, name in ((source, "source"), (destination, "destination")):
        if (
            side.ports is not None or side.not_ports is not None
        ) and protocol not in _PORT_PROTOCOLS:
            where = field.get(name)
            assert where is not None
            raise where.error("ports need protocol TCP, UDP, SCTP or UDPLite")
    version_field = field.get("ipVersion")
    version = version_field.integer() if version_field is not None else None
    if version not in (None, 4, 6):
        assert version_field is not None
        raise version_field.error("ipVersion must be 4 or 6")
    return CalicoRule(
        action=action,
        protocol=protocol,
        not_protocol=_protocol(field.get("notProtocol")),
        source=source,
        destination=destination,
        ip_version=version,
        icmp=_icmp(field.get("icmp")),
        not_icmp=_icmp(field.get("notICMP")),
        http=field.get("http") is not None,
        location=field.part_location,
    )


def _icmp(field: Field | None) -> tuple[int, int | None] | None:
    """An ``icmp``/``notICMP`` match: a type (0-254) and an optional code (0-255)."""
    if field is None:
        return None
    field.mapping()
    type_field = field.require("type")
    kind = type_field.integer()
    if not 0 <= kind <= 254:
        raise type_field.error(f"ICMP type {kind} is outside 0-254")
    code_field = field.get("code")
    code = code_field.integer() if code_field is not None else None
    if code is not None and not 0 <= code <= 255:
        assert code_field is not None
        raise code_field.error(f"ICMP code {code} is outside 0-255")
    return kind, code


def _flag(spec: Field, key: str) -> bool:
    found = spec.get(key)
    return found.boolean() if found is not None else False


def parse_calico_policy(obj: Field, kind: str, namespace: str | None, name: str) -> CalicoPolicy:
    """A Calico NetworkPolicy (``namespace`` set) or GlobalNetworkPolicy."""
    spec = obj.require("spec")
    spec.mapping()
    ingress_field, egress_field = spec.get("ingress"), spec.get("egress")
    ingress = tuple(_rule(r) for r in ingress_field.items()) if ingress_field else ()
    egress = tuple(_rule(r) for r in egress_field.items()) if egress_field else ()
    types = parse_directions(spec.get("types"))
    if not types:
        # Inferred from the rule lists present; Ingress when there are none.
        # Calico keys this on rules being present, not on the list keys (an empty list counts
        # as no rules).
        if ingress or not egress:
            types.add(Direction.INGRESS)
        if egress:
            types.add(Direction.EGRESS)
    tier_field = spec.get("tier")
    tier = tier_field.string() if tier_field is not None else DEFAULT_TIER
    order_field = spec.get("order")
    order = order_field.number() if order_field is not None else None
    selector = selector_field(spec.get("selector"), default="all()")
    assert selector is not None
    ns_selector = spec.get("namespaceSelector")
    if ns_selector is not None and namespace is not None:
        raise ns_selector.error("namespaceSelector is only valid in a GlobalNetworkPolicy")
    # Calico names tiered policies <tier>.<name>; accept either form and keep the short name.
    short = name[len(tier) + 1 :] if tier != DEFAULT_TIER and name.startswith(f"{tier}.") else name
    return CalicoPolicy(
        kind=kind,
        namespace=namespace,
        name=short,
        tier=tier,
        order=order,
        selector=selector,
        types=frozenset(types),
        ingress=ingress,
        egress=egress,
        namespace_selector=selector_field(ns_selector),
        service_account_selector=selector_field(spec.get("serviceAccountSelector")),
        do_not_track=_flag(spec, "doNotTrack"),
        pre_dnat=_flag(spec, "preDNAT"),
        apply_on_forward=_flag(spec, "applyOnForward"),
        location=obj.origin,
    )


def parse_calico_tier(obj: Field, name: str) -> CalicoTier:
    """A Tier."""
    spec = obj.get("spec")
    order = None
    action = Action.DENY
    if spec is not None:
        order_field = spec.get("order")
        if order_field is not None:
            order = order_field.number()
        action_field = spec.get("defaultAction")
        if action_field is not None:
            text = action_field.string()
            if text not in ("Deny", "Pass"):
                raise action_field.error(f"defaultAction must be Deny or Pass, not {text!r}")
            action = Action(text)
    return CalicoTier(name, order, action, obj.origin)


def parse_network_set(obj: Field, namespace: str | None, name: str) -> CalicoNetworkSet:
    """A NetworkSet (``namespace`` set) or GlobalNetworkSet."""
    metadata = obj.require("metadata")
    labels_field = metadata.get("labels")
    labels = labels_field.labels() if labels_field is not None else {}
    spec = obj.get("spec")
    nets = _nets(spec.get("nets")) if spec is not None else None
    cidrs = nets or ()
    return CalicoNetworkSet(
        namespace, name, labels, cidrs, IPRangeSet.from_cidrs(cidrs), obj.origin
    )
