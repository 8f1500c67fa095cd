"""Sets of (protocol, port) pairs: what a connection may use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from netfence.sets.intervals import IntervalSet

KUBERNETES_PROTOCOLS: Final = ("TCP", "UDP", "SCTP")
"""Protocols Kubernetes NetworkPolicy ports and container ports name."""
PORT_PROTOCOLS: Final = ("TCP", "UDP", "SCTP", "UDPLite")
"""Protocols with ports; their values are port numbers 1-65535."""
ICMP_PROTOCOLS: Final = ("ICMP", "ICMPv6")
"""ICMP and ICMPv6; their values are ``type * 256 + code`` (0-65535)."""
OTHER = "OTHER"
"""Every other IP protocol; its values are protocol numbers."""
PROTOCOLS: Final = (*PORT_PROTOCOLS, *ICMP_PROTOCOLS, OTHER)
"""Every protocol of the model, in canonical order: together they are all IP traffic."""
PROTOCOL_NUMBERS: Final = {
    "ICMP": 1,
    "TCP": 6,
    "UDP": 17,
    "ICMPv6": 58,
    "SCTP": 132,
    "UDPLite": 136,
}
"""IANA numbers of the protocols the model names."""

MIN_PORT: Final = 1
MAX_PORT: Final = 65535
_ALL_PORTS: Final = IntervalSet.of(MIN_PORT, MAX_PORT)
FULL: Final = {
    **dict.fromkeys(PORT_PROTOCOLS, _ALL_PORTS),
    **dict.fromkeys(ICMP_PROTOCOLS, IntervalSet.of(0, 65535)),
    OTHER: IntervalSet.of(0, 255) - IntervalSet((n, n) for n in PROTOCOL_NUMBERS.values()),
}
"""Every value of each protocol."""


def protocol_of_number(number: int) -> tuple[str, int | None]:
    """(protocol, value) for an IANA protocol number: a named protocol (every value), or
    OTHER with the number as its value."""
    for name, known in PROTOCOL_NUMBERS.items():
        if known == number:
            return name, None
    return OTHER, number


class PortSet:
    """An immutable set of ports per protocol, canonical so equal sets compare equal."""

    __slots__ = ("_by_protocol",)

    def __init__(self, by_protocol: Mapping[str, IntervalSet] | None = None) -> None:
        items = {} if by_protocol is None else by_protocol
        self._by_protocol: Final[dict[str, IntervalSet]] = {
            proto: ports
            for proto in PROTOCOLS
            if (ports := items.get(proto, IntervalSet()) & FULL[proto])
        }
        unknown = set(items) - set(PROTOCOLS)
        if unknown:
            raise ValueError(f"unknown protocol {sorted(unknown)[0]!r}")

    @classmethod
    def all(cls) -> PortSet:
        """Every port of every protocol."""
        return cls(FULL)

    @classmethod
    def none(cls) -> PortSet:
        """The empty set."""
        return cls()

    @classmethod
    def of(cls, protocol: str, lo: int | None = None, hi: int | None = None) -> PortSet:
        """Ports ``lo``..``hi`` of ``protocol``; all its values when ``lo`` is None."""
        if lo is None:
            return cls({protocol: FULL[protocol]})
        return cls({protocol: IntervalSet.of(lo, lo if hi is None else hi)})

    @classmethod
    def from_ranges(cls, ranges: Mapping[str, Iterable[tuple[int, int]]]) -> PortSet:
        """Build from ``{"TCP": [(lo, hi), ...], ...}``."""
        return cls({proto: IntervalSet(r) for proto, r in ranges.items()})

    def ports(self, protocol: str) -> IntervalSet:
        """The ports allowed for ``protocol``."""
        return self._by_protocol.get(protocol, IntervalSet())

    def protocols(self) -> tuple[str, ...]:
        """Protocols with at least one port, in canonical order."""
        return tuple(self._by_protocol)

    def contains(self, protocol: str, port: int) -> bool:
        """Whether ``port`` of ``protocol`` is in the set."""
        return port in self.ports(protocol)

    def is_all(self) -> bool:
        """Whether every port of every protocol is in the set."""
        return all(self.ports(proto) == FULL[proto] for proto in PROTOCOLS)

    def as_ranges(self) -> dict[str, list[list[int]]]:
        """``{"TCP": [[lo, hi], ...]}`` for protocols with ports, in canonical order."""
        return {p: [[lo, hi] for lo, hi in s] for p, s in self._by_protocol.items()}

    def __bool__(self) -> bool:
        return bool(self._by_protocol)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortSet) and self._by_protocol == other._by_protocol

    def __hash__(self) -> int:
        return hash(tuple(self._by_protocol.items()))

    def __or__(self, other: PortSet) -> PortSet:
        return PortSet({p: self.ports(p) | other.ports(p) for p in PROTOCOLS})

    def __and__(self, other: PortSet) -> PortSet:
        return PortSet({p: self.ports(p) & other.ports(p) for p in PROTOCOLS})

    def __sub__(self, other: PortSet) -> PortSet:
        return PortSet({p: self.ports(p) - other.ports(p) for p in PROTOCOLS})

    def issubset(self, other: PortSet) -> bool:
        """Whether every (protocol, port) here is in ``other``."""
        return not (self - other)

    def __repr__(self) -> str:
        return f"PortSet({self.describe()})"

    def describe(self) -> str:
        """Human form: ``All``, ``None``, or ``TCP 80,443,8000-8080; UDP 53``."""
        if self.is_all():
            return "All"
        if not self:
            return "None"
        parts = []
        for proto, ports in self._by_protocol.items():
            if ports == FULL[proto]:
                parts.append(f"{proto} all" if proto != OTHER else "other protocols")
            elif proto in ICMP_PROTOCOLS:
                parts.append(f"{proto} {_icmp_text(ports)}")
            else:
                spans = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)
                parts.append(f"protocol {spans}" if proto == OTHER else f"{proto} {spans}")
        return "; ".join(parts)


def _icmp_text(values: IntervalSet) -> str:
    """ICMP values as ``type 8``, ``types 0-8`` or ``8/0`` (type/code)."""
    parts = []
    for lo, hi in values:
        if lo % 256 == 0 and hi % 256 == 255:
            first, last = lo // 256, hi // 256
            parts.append(f"type {first}" if first == last else f"types {first}-{last}")
        else:
            parts.append(
                f"{lo // 256}/{lo % 256}"
                if lo == hi
                else f"{lo // 256}/{lo % 256}-{hi // 256}/{hi % 256}"
            )
    return ",".join(parts)
