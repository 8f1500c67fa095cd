"""Parse networking.k8s.io/v1 NetworkPolicy objects, applying the API server's defaults.

Validation follows the API server's (``ValidateNetworkPolicySpec`` of Kubernetes'
networking validation): peers must name a selector or an ipBlock, never an ipBlock with a
selector; ``cidr`` and ``except`` parse as Go's ``net.ParseCIDR`` parses them, each
``except`` strictly inside ``cidr``; ports are 1-65535 or IANA service names; ``endPort``
needs a numeric ``port`` no greater than it; ``policyTypes`` has at most two entries, each
Ingress or Egress (a repeated entry is accepted, as the API server accepts it).
"""

from __future__ import annotations

import ipaddress

from netfence.model.networkpolicy import (
    Direction,
    IPBlock,
    NetworkPolicy,
    Peer,
    PolicyPort,
    PolicyRule,
)
from netfence.model.selectors import LabelSelector
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import MAX_PORT, MIN_PORT
from netfence.sources.fields import Field, parse_directions, parse_protocol
from netfence.sources.k8s_selectors import parse_label_selector
from netfence.sources.k8s_validation import iana_svc_name_problem, parse_cidr

MAX_POLICY_TYPES = 2
"""``policyTypes`` may list at most two entries."""


def parse_network_policy(obj: Field, namespace: str, name: str) -> NetworkPolicy:
    """Parse one NetworkPolicy object (already known to be networking.k8s.io/v1)."""
    spec = obj.require("spec")
    spec.mapping()
    selector_field = spec.get("podSelector")
    pod_selector = (
        parse_label_selector(selector_field) if selector_field is not None else LabelSelector()
    )
    ingress_field = spec.get("ingress")
    egress_field = spec.get("egress")
    ingress = tuple(_parse_rule(r, "from") for r in ingress_field.items()) if ingress_field else ()
    egress = tuple(_parse_rule(r, "to") for r in egress_field.items()) if egress_field else ()
    types_field = spec.get("policyTypes")
    if (
        types_field is not None
        and types_field.is_list()
        and len(types_field.value) > MAX_POLICY_TYPES
    ):
        raise types_field.error(
            f"at most {MAX_POLICY_TYPES} policy types (Ingress, Egress),"
            f" got {len(types_field.value)}"
        )
    types = parse_directions(types_field)
    if not types:
        # NetworkPolicySpec.policyTypes: when unset, Ingress always, and Egress when the
        # policy has egress rules.
        types.add(Direction.INGRESS)
        if egress:
            types.add(Direction.EGRESS)
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=pod_selector,
        policy_types=frozenset(types),
        ingress=ingress,
        egress=egress,
        location=obj.origin,
    )


def _parse_rule(rule: Field, peers_key: str) -> PolicyRule:
    rule.mapping()
    peers_field = rule.get(peers_key)
    ports_field = rule.get("ports")
    peers = tuple(_parse_peer(p) for p in peers_field.items()) if peers_field else ()
    ports = tuple(_parse_port(p) for p in ports_field.items()) if ports_field else ()
    # An empty or missing list matches everything (NetworkPolicyIngressRule/EgressRule).
    return PolicyRule(peers=peers or None, ports=ports or None, location=rule.part_location)


def _parse_peer(peer: Field) -> Peer:
    peer.mapping()
    pod_field = peer.get("podSelector")
    ns_field = peer.get("namespaceSelector")
    block_field = peer.get("ipBlock")
    if block_field is not None and (pod_field is not None or ns_field is not None):
        raise block_field.error("ipBlock cannot be combined with podSelector or namespaceSelector")
    if block_field is None and pod_field is None and ns_field is None:
        raise peer.error("a peer needs podSelector, namespaceSelector or ipBlock")
    return Peer(
        pod_selector=parse_label_selector(pod_field) if pod_field is not None else None,
        namespace_selector=parse_label_selector(ns_field) if ns_field is not None else None,
        ip_block=_parse_ip_block(block_field) if block_field is not None else None,
        location=peer.part_location,
    )


def _parse_network(field: Field) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    text = field.string()
    try:
        # Host bits are cleared: CNIs enforce "10.244.1.7/16" as 10.244.0.0/16.
        return parse_cidr(text)
    except ValueError as exc:
        raise field.error(f"invalid CIDR {text!r}: {exc}") from None


def _parse_ip_block(block: Field) -> IPBlock:
    cidr_field = block.require("cidr")
    network = _parse_network(cidr_field)
    excepts = []
    except_field = block.get("except")
    for item in except_field.items() if except_field is not None else ():
        carved = _parse_network(item)
        if carved.version != network.version or not carved.subnet_of(network):  # type: ignore[arg-type]
            raise item.error(f"except {carved} is outside cidr {network}")
        if carved.prefixlen == network.prefixlen:
            raise item.error(f"except {carved} must be strictly smaller than cidr {network}")
        excepts.append(carved)
    addresses = IPRangeSet.from_cidr(network) - IPRangeSet.from_cidrs(excepts)
    return IPBlock(str(network), tuple(str(e) for e in excepts), addresses)


def _parse_port(entry: Field) -> PolicyPort:
    entry.mapping()
    protocol = parse_protocol(entry)
    port_field = entry.get("port")
    end_field = entry.get("endPort")
    port: int | str | None = None
    if port_field is not None:
        port = _parse_port_value(port_field)
    end_port: int | None = None
    if end_field is not None:
        end_port = end_field.integer()
        if port is None:
            raise end_field.error("endPort needs a numeric port (port is not specified)")
        if isinstance(port, str):
            raise end_field.error(f"endPort cannot be used with the named port {port!r}")
        if not MIN_PORT <= end_port <= MAX_PORT:
            raise end_field.error(f"endPort {end_port} is outside {MIN_PORT}-{MAX_PORT}")
        if end_port < port:
            raise end_field.error(f"endPort {end_port} is below port {port}")
    return PolicyPort(protocol, port, end_port, entry.part_location)


def _parse_port_value(field: Field) -> int | str:
    if field.is_integer():
        value = field.integer()
        if not MIN_PORT <= value <= MAX_PORT:
            raise field.error(f"port {value} is outside {MIN_PORT}-{MAX_PORT}")
        return value
    text = field.string()
    problem = iana_svc_name_problem(text)
    if problem is not None:
        raise field.error(f"invalid named port {text!r}: {problem} (IANA_SVC_NAME expected)")
    return text
