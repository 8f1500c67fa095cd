"""Parse the AdminNetworkPolicy family of policy.networking.k8s.io into the model.

Accepted kinds (:data:`ADMIN_KINDS`): AdminNetworkPolicy and BaselineAdminNetworkPolicy
(``v1alpha1``) and ClusterNetworkPolicy (``v1alpha2``). Validation follows the CRDs the API
server enforces (OpenAPI limits, enums and CEL rules of network-policy-api), so an object
that would be refused on apply is refused here, with the field and line of the problem:

- ``spec.priority`` 0-1000 (ANP, CNP); ``spec.tier`` Admin or Baseline (CNP); a BANP must be
  named ``default``;
- ``subject``, each peer, each port entry, each ``destinationPort``: exactly one field set;
- ingress peers are ``namespaces`` or ``pods``; egress peers also ``nodes``, ``networks`` and
  (not in a BANP) ``domainNames``, which only Allow (ANP) or Accept (CNP) rules may use;
- actions: ANP Allow/Deny/Pass, BANP Allow/Deny, CNP Accept/Deny/Pass;
- list sizes: v1alpha1 rules <= 100, peers and ports 1-100; v1alpha2 rules <= 25, peers and
  protocols 1-25; ``networks`` and ``domainNames`` 1-25, without duplicates;
- ports 1-65535, ranges with start < end; named ports not with networks/nodes/domainNames
  peers; CIDRs valid (at most 43 characters, IPv4 or IPv6, host bits cleared on reading);
  rule names at most 100 characters.

Fields unknown to the CRD are ignored, as the API server prunes them, except ``ports`` in a
v1alpha2 rule and ``protocols`` in a v1alpha1 rule: dropping those silently would widen the
rule to every port, so they are refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from netfence.errors import Location
from netfence.model.adminpolicy import (
    AdminNetworkPolicy,
    AdminPeer,
    AdminPeerKind,
    AdminPort,
    AdminRule,
    AdminSubject,
    AdminTier,
)
from netfence.model.layers import Action
from netfence.model.selectors import LabelSelector
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import MAX_PORT, MIN_PORT
from netfence.sources.fields import Field, parse_protocol
from netfence.sources.k8s_selectors import parse_label_selector
from netfence.sources.k8s_validation import parse_cidr

API_V1ALPHA1: Final = "policy.networking.k8s.io/v1alpha1"
"""The API version of AdminNetworkPolicy and BaselineAdminNetworkPolicy."""
API_V1ALPHA2: Final = "policy.networking.k8s.io/v1alpha2"
"""The API version of ClusterNetworkPolicy."""

ANP: Final = "AdminNetworkPolicy"
"""Kind of the Admin-tier v1alpha1 policy."""
BANP: Final = "BaselineAdminNetworkPolicy"
"""Kind of the Baseline-tier v1alpha1 singleton."""
CNP: Final = "ClusterNetworkPolicy"
"""Kind of the v1alpha2 policy of either tier."""

ADMIN_KINDS: Final[dict[tuple[str, str], str]] = {
    (API_V1ALPHA1, ANP): ANP,
    (API_V1ALPHA1, BANP): BANP,
    (API_V1ALPHA2, CNP): CNP,
}
"""The (apiVersion, kind) pairs :func:`parse_admin_policy` accepts, each to the model's kind."""

BANP_NAME: Final = "default"
"""The only name a BaselineAdminNetworkPolicy may have."""
MIN_PRIORITY: Final = 0
"""Lowest ``spec.priority`` (evaluated first)."""
MAX_PRIORITY: Final = 1000
"""Highest ``spec.priority``."""
MAX_RULE_NAME: Final = 100
"""Longest rule ``name``, in characters."""
MAX_CIDR_LENGTH: Final = 43
"""Longest ``networks`` entry, in characters."""
MAX_NETWORKS: Final = 25
"""Most CIDRs in one ``networks`` peer."""
MAX_DOMAINS: Final = 25
"""Most names in one ``domainNames`` peer."""

# A DNS name of letters, digits, '-' and '_' (no label starting or ending with '-' or '_'),
# at least two labels, an optional trailing dot, optionally prefixed by the wildcard "*.".
_LABEL: Final = r"[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?"
_DOMAIN_NAME: Final = re.compile(rf"^(\*\.)?({_LABEL}\.)+{_LABEL}\.?$")

_INGRESS_PEERS: Final = (AdminPeerKind.NAMESPACES, AdminPeerKind.PODS)
_ALL_PEERS: Final = tuple(AdminPeerKind)
_NO_NAMED_PORTS: Final = frozenset(
    {AdminPeerKind.NETWORKS, AdminPeerKind.NODES, AdminPeerKind.DOMAIN_NAMES}
)
_V1ALPHA2_PROTOCOLS: Final = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}
_NAMED_PORT_V1ALPHA2: Final = "destinationNamedPort"


@dataclass(frozen=True)
class _Dialect:
    """What one kind accepts."""

    kind: str
    actions: Mapping[str, Action]
    egress_peers: tuple[AdminPeerKind, ...]
    max_rules: int
    max_peers: int
    max_ports: int
    ports_key: str
    """``ports`` (v1alpha1) or ``protocols`` (v1alpha2)."""
    namespace_selector_required: bool
    """Whether ``pods`` needs ``namespaceSelector`` (v1alpha1) or defaults it to all (v1alpha2)."""


_DIALECTS: Final = {
    (API_V1ALPHA1, ANP): _Dialect(
        kind=ANP,
        actions={"Allow": Action.ALLOW, "Deny": Action.DENY, "Pass": Action.PASS},
        egress_peers=_ALL_PEERS,
        ports_key="ports",
        namespace_selector_required=True,
        max_rules=100,
        max_peers=100,
        max_ports=100,
    ),
    (API_V1ALPHA1, BANP): _Dialect(
        kind=BANP,
        actions={"Allow": Action.ALLOW, "Deny": Action.DENY},
        egress_peers=tuple(k for k in _ALL_PEERS if k is not AdminPeerKind.DOMAIN_NAMES),
        ports_key="ports",
        namespace_selector_required=True,
        max_rules=100,
        max_peers=100,
        max_ports=100,
    ),
    (API_V1ALPHA2, CNP): _Dialect(
        kind=CNP,
        actions={"Accept": Action.ALLOW, "Deny": Action.DENY, "Pass": Action.PASS},
        egress_peers=_ALL_PEERS,
        ports_key="protocols",
        namespace_selector_required=False,
        max_rules=25,
        max_peers=25,
        max_ports=25,
    ),
}


def parse_admin_policy(obj: Field, api_version: str, kind: str, name: str) -> AdminNetworkPolicy:
    """Parse one object whose (apiVersion, kind) is in :data:`ADMIN_KINDS`.

    ``name`` is the object's ``metadata.name``. Raises InputError at the first field the
    API server would refuse.
    """
    dialect = _DIALECTS.get((api_version, kind))
    if dialect is None:
        where = obj.get("apiVersion") or obj
        raise where.error(f"{kind} is not a kind of {api_version or 'this apiVersion'}")
    spec = obj.require("spec")
    spec.mapping()
    if kind == BANP:
        if name != BANP_NAME:
            raise _name_field(obj).error(
                f"a BaselineAdminNetworkPolicy must be named {BANP_NAME!r}, not {name!r}"
                " (it is a cluster singleton)"
            )
        tier, priority = AdminTier.BASELINE, 0
    else:
        tier = _parse_tier(spec) if kind == CNP else AdminTier.ADMIN
        priority = _parse_priority(spec.require("priority"))
    subject = _parse_subject(spec.require("subject"), dialect)
    ingress = _parse_rules(spec.get("ingress"), dialect, egress=False)
    egress = _parse_rules(spec.get("egress"), dialect, egress=True)
    return AdminNetworkPolicy(
        kind=dialect.kind,
        name=name,
        tier=tier,
        priority=priority,
        subject=subject,
        ingress=ingress,
        egress=egress,
        location=obj.origin,
    )


def _name_field(obj: Field) -> Field:
    metadata = obj.get("metadata")
    found = metadata.get("name") if metadata is not None else None
    return found if found is not None else obj


def _parse_tier(spec: Field) -> AdminTier:
    tier_field = spec.require("tier")
    text = tier_field.string()
    try:
        return AdminTier(text)
    except ValueError:
        raise tier_field.error(f"unknown tier {text!r} (expected Admin or Baseline)") from None


def _parse_priority(field: Field) -> int:
    priority = field.integer()
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise field.error(f"priority {priority} is outside {MIN_PRIORITY}-{MAX_PRIORITY}")
    return priority


def _items(field: Field, low: int, high: int, what: str) -> list[Field]:
    """The items of a list field, between ``low`` and ``high`` of them."""
    items = list(field.items())
    if len(items) < low:
        raise field.error(f"must not be empty: at least {low} of the {what} is required")
    if len(items) > high:
        raise field.error(f"at most {high} {what} are allowed, got {len(items)}")
    return items


def _one_of(field: Field, keys: tuple[str, ...], what: str) -> tuple[str, Field]:
    """The one entry of ``keys`` set in mapping ``field``; an error for none or several."""
    mapping = field.mapping()
    present = [k for k in keys if field.get(k) is not None]
    allowed = ", ".join(keys)
    if not present:
        unknown = sorted(k for k in mapping if k not in keys)
        hint = f"; unknown field {', '.join(map(repr, unknown))}" if unknown else ""
        raise field.error(f"{what} needs exactly one of {allowed} (none given{hint})")
    if len(present) > 1:
        second = field.get(present[1])
        assert second is not None
        raise second.error(
            f"{what} takes exactly one of {allowed}; {present[0]} and {present[1]} are both set"
        )
    found = field.get(present[0])
    assert found is not None
    return present[0], found


def _parse_subject(subject: Field, dialect: _Dialect) -> AdminSubject:
    key, value = _one_of(subject, ("namespaces", "pods"), "a subject")
    if key == "namespaces":
        return AdminSubject(parse_label_selector(value), None, subject.part_location)
    namespaces, pods = _parse_namespaced_pod(value, dialect)
    return AdminSubject(namespaces, pods, subject.part_location)


def _parse_namespaced_pod(field: Field, dialect: _Dialect) -> tuple[LabelSelector, LabelSelector]:
    """A ``pods`` subject or peer: namespaceSelector (required in v1alpha1) and podSelector."""
    field.mapping()
    if dialect.namespace_selector_required:
        namespaces = parse_label_selector(field.require("namespaceSelector"))
    else:
        ns_field = field.get("namespaceSelector")
        namespaces = parse_label_selector(ns_field) if ns_field is not None else LabelSelector()
    return namespaces, parse_label_selector(field.require("podSelector"))


def _parse_rules(rules: Field | None, dialect: _Dialect, egress: bool) -> tuple[AdminRule, ...]:
    if rules is None:
        return ()
    direction = "egress" if egress else "ingress"
    items = _items(rules, 0, dialect.max_rules, f"{direction} rules")
    return tuple(_parse_rule(rule, dialect, egress) for rule in items)


def _parse_rule(rule: Field, dialect: _Dialect, egress: bool) -> AdminRule:
    rule.mapping()
    name = ""
    name_field = rule.get("name")
    if name_field is not None:
        name = name_field.string()
        if len(name) > MAX_RULE_NAME:
            raise name_field.error(
                f"a rule name is at most {MAX_RULE_NAME} characters, got {len(name)}"
            )
    action = _parse_action(rule.require("action"), dialect)

    peers_key = "to" if egress else "from"
    peers_field = rule.require(peers_key)
    peer_items = _items(peers_field, 1, dialect.max_peers, "peers")
    peers = [(_parse_peer(item, dialect, egress), item) for item in peer_items]

    wrong_key = "protocols" if dialect.ports_key == "ports" else "ports"
    wrong = rule.get(wrong_key)
    if wrong is not None:
        version = API_V1ALPHA2 if dialect.kind == CNP else API_V1ALPHA1
        raise wrong.error(
            f"{wrong_key} is not a field of {dialect.kind} rules in {version};"
            f" use {dialect.ports_key}"
        )
    ports: list[tuple[AdminPort, Field]] | None = None
    ports_field = rule.get(dialect.ports_key)
    if ports_field is not None:
        what = "ports" if dialect.ports_key == "ports" else "protocols entries"
        entries = _items(ports_field, 1, dialect.max_ports, what)
        parse = _parse_port_v1alpha1 if dialect.ports_key == "ports" else _parse_protocol_v1alpha2
        ports = [(parse(entry), entry) for entry in entries]

    for peer, peer_field in peers:
        if peer.kind is AdminPeerKind.DOMAIN_NAMES and action is not Action.ALLOW:
            allow = next(text for text, act in dialect.actions.items() if act is Action.ALLOW)
            raise peer_field.error(
                f"domainNames peers are only allowed in {allow} rules, not {action.value}"
            )
    no_named = next((p for p, _ in peers if p.kind in _NO_NAMED_PORTS), None)
    if no_named is not None and ports is not None:
        for port, port_field in ports:
            if port.named is not None:
                raise port_field.error(
                    f"named port {port.named!r} cannot be used with a {no_named.kind.value} peer"
                    " in the same rule (only pods have named ports)"
                )
    return AdminRule(
        name=name,
        action=action,
        peers=tuple(p for p, _ in peers),
        ports=tuple(p for p, _ in ports) if ports is not None else None,
        location=rule.part_location,
    )


def _parse_action(field: Field, dialect: _Dialect) -> Action:
    text = field.string()
    action = dialect.actions.get(text)
    if action is None:
        names = list(dialect.actions)
        expected = ", ".join(names[:-1]) + f" or {names[-1]}"
        hint = ""
        if dialect.kind == CNP and text == "Allow":
            hint = "; v1alpha2 renamed Allow to Accept"
        elif dialect.kind == BANP and text == "Pass":
            hint = "; a baseline policy is the last tier, there is nothing to pass to"
        raise field.error(f"unknown action {text!r} for {dialect.kind} (expected {expected}{hint})")
    return action


def _parse_peer(peer: Field, dialect: _Dialect, egress: bool) -> AdminPeer:
    peer.mapping()
    allowed = dialect.egress_peers if egress else _INGRESS_PEERS
    for kind in _ALL_PEERS:
        if kind in allowed:
            continue
        misplaced = peer.get(kind.value)
        if misplaced is None:
            continue
        if not egress and kind in dialect.egress_peers:
            raise misplaced.error(
                f"{kind.value} peers are only allowed in egress rules"
                " (ingress peers are namespaces or pods)"
            )
        raise misplaced.error(f"{kind.value} peers are not supported by {dialect.kind}")
    key, value = _one_of(peer, tuple(k.value for k in allowed), "a peer")
    kind = AdminPeerKind(key)
    location = peer.part_location
    if kind is AdminPeerKind.NAMESPACES:
        return AdminPeer(kind, namespace_selector=parse_label_selector(value), location=location)
    if kind is AdminPeerKind.PODS:
        namespaces, pods = _parse_namespaced_pod(value, dialect)
        return AdminPeer(kind, namespace_selector=namespaces, pod_selector=pods, location=location)
    if kind is AdminPeerKind.NODES:
        return AdminPeer(kind, node_selector=parse_label_selector(value), location=location)
    if kind is AdminPeerKind.NETWORKS:
        networks = _parse_networks(value)
        return AdminPeer(
            kind,
            networks=tuple(str(n) for n in networks),
            addresses=IPRangeSet.from_cidrs(networks),
            location=location,
        )
    return AdminPeer(kind, domains=_parse_domains(value), location=location)


def _unique(items: list[Field], what: str) -> None:
    """Refuse repeated values in a ``listType=set`` list (the API server compares as written)."""
    seen: dict[str, Field] = {}
    for item in items:
        text = item.string()
        if text in seen:
            raise item.error(f"duplicate {what} {text!r} (also at {seen[text].path})")
        seen[text] = item


def _parse_networks(field: Field) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    items = _items(field, 1, MAX_NETWORKS, "CIDRs")
    _unique(items, "CIDR")
    return [_parse_cidr(item) for item in items]


def _parse_cidr(field: Field) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    text = field.string()
    if len(text) > MAX_CIDR_LENGTH:
        raise field.error(f"a CIDR is at most {MAX_CIDR_LENGTH} characters, got {len(text)}")
    if (":" in text) == ("." in text):
        # Neither an IPv4 nor an IPv6 form, or an IPv4 address embedded in IPv6.
        raise field.error(
            f"invalid CIDR {text!r}: IPv4 or IPv6 expected (IPv4 embedded in IPv6 is refused)"
        )
    try:
        # CEL's isCIDR parses as netip.ParsePrefix (no leading zeros in the length either).
        # Host bits are cleared, as implementations do: "10.1.2.3/8" is 10.0.0.0/8.
        return parse_cidr(text, strict_prefix=True)
    except ValueError as exc:
        raise field.error(f"invalid CIDR {text!r}: {exc}") from None


def _parse_domains(field: Field) -> tuple[str, ...]:
    items = _items(field, 1, MAX_DOMAINS, "domain names")
    _unique(items, "domain name")
    domains: list[str] = []
    for item in items:
        text = item.string()
        if not _DOMAIN_NAME.match(text):
            raise item.error(
                f"invalid domain name {text!r} (expected a name like example.com or"
                " *.example.com; '*' only as a whole leading label)"
            )
        # DNS names are case-insensitive and "example.com." is "example.com".
        domains.append(text.lower().rstrip("."))
    return tuple(domains)


def _port_number(field: Field) -> int:
    value = field.integer()
    if not MIN_PORT <= value <= MAX_PORT:
        raise field.error(f"port {value} is outside {MIN_PORT}-{MAX_PORT}")
    return value


def _port_range(field: Field, protocol: str, location: Location | None) -> AdminPort:
    field.mapping()
    start = _port_number(field.require("start"))
    end_field = field.require("end")
    end = _port_number(end_field)
    if start >= end:
        raise end_field.error(f"end {end} must be greater than start {start}")
    return AdminPort(protocol, start, end, location=location)


def _named_port(field: Field, location: Location | None) -> AdminPort:
    name = field.string()
    if not name:
        raise field.error("a named port needs a name")
    return AdminPort(None, named=name, location=location)


def _parse_port_v1alpha1(entry: Field) -> AdminPort:
    """One ``ports`` entry: exactly one of portNumber, portRange, namedPort."""
    key, value = _one_of(entry, ("portNumber", "portRange", "namedPort"), "a port entry")
    if key == "namedPort":
        return _named_port(value, entry.part_location)
    value.mapping()
    protocol = parse_protocol(value)  # defaults to TCP
    if key == "portRange":
        return _port_range(value, protocol, entry.part_location)
    port = _port_number(value.require("port"))
    return AdminPort(protocol, port, port, location=entry.part_location)


def _parse_protocol_v1alpha2(entry: Field) -> AdminPort:
    """One ``protocols`` entry: exactly one of tcp, udp, sctp, destinationNamedPort."""
    keys = (*_V1ALPHA2_PROTOCOLS, _NAMED_PORT_V1ALPHA2)
    key, value = _one_of(entry, keys, "a protocols entry")
    if key == _NAMED_PORT_V1ALPHA2:
        return _named_port(value, entry.part_location)
    protocol = _V1ALPHA2_PROTOCOLS[key]
    value.mapping()
    dest = value.get("destinationPort")
    if dest is None:
        raise value.error(f"{key} needs destinationPort (a number or a range)")
    which, port_field = _one_of(dest, ("number", "range"), "a destinationPort")
    if which == "range":
        return _port_range(port_field, protocol, entry.part_location)
    port = _port_number(port_field)
    return AdminPort(protocol, port, port, location=entry.part_location)
