"""Sets of (protocol, port) pairs: what a connection may use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from netfence.sets.intervals import IntervalSet

PROTOCOLS: Final = ("TCP", "UDP", "SCTP")
"""Protocols NetworkPolicy ports name (networking.k8s.io/v1 NetworkPolicyPort.protocol)."""

MIN_PORT: Final = 1
MAX_PORT: Final = 65535
_ALL_PORTS: Final = IntervalSet.of(MIN_PORT, MAX_PORT)


class PortSet:
    """An immutable set of ports per protocol, canonical so equal sets compare equal."""

    __slots__ = ("_by_protocol",)

    def __init__(self, by_protocol: Mapping[str, IntervalSet] | None = None) -> None:
        items = {} if by_protocol is None else by_protocol
        self._by_protocol: Final[dict[str, IntervalSet]] = {
            proto: ports for proto in PROTOCOLS if (ports := items.get(proto, IntervalSet()))
        }
        unknown = set(items) - set(PROTOCOLS)
        if unknown:
            raise ValueError(f"unknown protocol {sorted(unknown)[0]!r}")

    @classmethod
    def all(cls) -> PortSet:
        """Every port of every protocol."""
        return cls(dict.fromkeys(PROTOCOLS, _ALL_PORTS))

    @classmethod
    def none(cls) -> PortSet:
        """The empty set."""
        return cls()

    @classmethod
    def of(cls, protocol: str, lo: int | None = None, hi: int | None = None) -> PortSet:
        """Ports ``lo``..``hi`` of ``protocol``; all its ports when ``lo`` is None."""
        if lo is None:
            return cls({protocol: _ALL_PORTS})
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
        return all(self.ports(proto) == _ALL_PORTS for proto in PROTOCOLS)

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
            if ports == _ALL_PORTS:
                parts.append(f"{proto} all")
            else:
                spans = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)
                parts.append(f"{proto} {spans}")
        return "; ".join(parts)
