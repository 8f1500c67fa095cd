"""What protocols and values a Calico rule matches, as port sets (shared by map and walk).

Values are ports for TCP, UDP, SCTP and UDPLite, ``type * 256 + code`` for ICMP and ICMPv6,
and protocol numbers for the other IP protocols (see ``sets/ports.py``).
"""

from __future__ import annotations

from netfence.model.calico import CalicoPorts, CalicoRule
from netfence.sets.ports import (
    ICMP_PROTOCOLS,
    MAX_PORT,
    MIN_PORT,
    PROTOCOL_NUMBERS,
    PortSet,
    protocol_of_number,
)

NamedPort = tuple[str, str]


def protocol_values(protocol: str | None) -> PortSet:
    """Every value of a rule's ``protocol`` (a name or a number); all traffic when None."""
    if protocol is None:
        return PortSet.all()
    if protocol in PROTOCOL_NUMBERS:
        return PortSet.of(protocol)
    name, value = protocol_of_number(int(protocol))
    return PortSet.of(name) if value is None else PortSet.of(name, value)


def _icmp_values(protocol: str | None, icmp: tuple[int, int | None]) -> PortSet:
    kind, code = icmp
    lo = kind * 256 + (code or 0)
    hi = lo if code is not None else kind * 256 + 255
    families = [protocol] if protocol in ICMP_PROTOCOLS else list(ICMP_PROTOCOLS)
    out = PortSet.none()
    for family in families:
        assert family is not None
        out = out | PortSet.of(family, lo, hi)
    return out


def _port_values(ports: CalicoPorts, protocols: PortSet) -> tuple[PortSet, list[NamedPort]]:
    values = PortSet.none()
    named: list[NamedPort] = []
    for proto in protocols.protocols():
        for lo, hi in ports.spans:
            if hi >= MIN_PORT:
                values = values | PortSet.of(proto, max(lo, MIN_PORT), min(hi, MAX_PORT))
        named.extend((name, proto) for name in ports.names)
    return values, named


def rule_values(rule: CalicoRule) -> tuple[PortSet, list[NamedPort], PortSet, list[NamedPort]]:
    """(values matched, named ports matched, values excluded, named ports excluded)."""
    protocols = protocol_values(rule.protocol)
    if rule.icmp is not None:
        protocols = protocols & _icmp_values(rule.protocol, rule.icmp)
    named: list[NamedPort] = []
    if rule.destination.ports is not None:
        matched, named = _port_values(rule.destination.ports, protocols)
    else:
        matched = protocols
    excluded = PortSet.none()
    named_not: list[NamedPort] = []
    if rule.not_protocol is not None:
        excluded = excluded | protocol_values(rule.not_protocol)
    if rule.not_icmp is not None:
        excluded = excluded | _icmp_values(rule.protocol, rule.not_icmp)
    if rule.destination.not_ports is not None:
        values, named_not = _port_values(rule.destination.not_ports, protocols)
        excluded = excluded | values
    return matched, named, excluded, named_not
