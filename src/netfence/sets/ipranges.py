"""Sets of IP addresses (IPv4 and IPv6 together), kept as integer intervals per family."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import Final

from netfence.sets.intervals import IntervalSet

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_MAX: Final = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


class IPRangeSet:
    """An immutable set of IPv4 and IPv6 addresses."""

    __slots__ = ("_v4", "_v6")

    def __init__(self, v4: IntervalSet | None = None, v6: IntervalSet | None = None) -> None:
        self._v4: Final[IntervalSet] = v4 if v4 is not None else IntervalSet()
        self._v6: Final[IntervalSet] = v6 if v6 is not None else IntervalSet()

    @classmethod
    def from_cidr(cls, cidr: str | IPNetwork) -> IPRangeSet:
        """The addresses of one CIDR; host bits are ignored (``10.1.2.3/8`` is ``10.0.0.0/8``)."""
        net = ipaddress.ip_network(cidr, strict=False) if isinstance(cidr, str) else cidr
        span = IntervalSet.of(int(net.network_address), int(net.broadcast_address))
        return cls(v4=span) if net.version == 4 else cls(v6=span)

    @classmethod
    def from_addresses(cls, addresses: Iterable[str]) -> IPRangeSet:
        """The set of the given single addresses (IPv4 or IPv6, as written)."""
        return cls.from_cidrs(ipaddress.ip_network(address) for address in addresses)

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str | IPNetwork]) -> IPRangeSet:
        """The union of several CIDRs: parsed, then sorted and merged once per family."""
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for cidr in cidrs:
            net = ipaddress.ip_network(cidr, strict=False) if isinstance(cidr, str) else cidr
            spans[net.version].append((int(net.network_address), int(net.broadcast_address)))
        return cls(IntervalSet(spans[4]), IntervalSet(spans[6]))

    @classmethod
    def union_of(cls, sets: Iterable[IPRangeSet]) -> IPRangeSet:
        """The union of many sets, merged once per family (folding ``|`` would be quadratic)."""
        listed = list(sets)
        return cls(
            IntervalSet.union_of(s._v4 for s in listed), IntervalSet.union_of(s._v6 for s in listed)
        )

    @classmethod
    def everything(cls) -> IPRangeSet:
        """Every IPv4 and IPv6 address."""
        return cls(IntervalSet.of(0, _MAX[4]), IntervalSet.of(0, _MAX[6]))

    def family(self, version: int) -> IntervalSet:
        """The addresses of one family (4 or 6) as integers."""
        return self._v4 if version == 4 else self._v6

    def contains(self, address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """Whether one address is in the set."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        return int(ip) in self.family(ip.version)

    def cidrs(self) -> Iterator[IPNetwork]:
        """The fewest CIDRs that cover exactly this set, IPv4 first, each family in order."""
        for version, lo, prefixlen in self.cidr_blocks():
            network = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
            yield network((lo, prefixlen))

    def cidr_blocks(self) -> Iterator[tuple[int, int, int]]:
        """(family, first address, prefix length) of each CIDR of ``cidrs``, in its order."""
        for version, intervals in ((4, self._v4), (6, self._v6)):
            bits = 32 if version == 4 else 128
            for lo, hi in intervals:
                # The largest aligned block at lo that fits, then on from its end (what
                # ipaddress.summarize_address_range yields, without its per-block overhead).
                while lo <= hi:
                    size = min((lo & -lo) or (1 << bits), 1 << ((hi - lo + 1).bit_length() - 1))
                    yield version, lo, bits - size.bit_length() + 1
                    lo += size

    def cidr_strings(self) -> list[str]:
        """``str`` of each CIDR of ``cidrs``, IPv4 ones formatted straight from the integers."""
        out: list[str] = []
        for version, lo, prefixlen in self.cidr_blocks():
            if version == 4:
                out.append(f"{lo >> 24}.{lo >> 16 & 255}.{lo >> 8 & 255}.{lo & 255}/{prefixlen}")
            else:
                out.append(str(ipaddress.IPv6Network((lo, prefixlen))))
        return out

    def describe(self) -> str:
        """Human form per family: its CIDRs, or ``0.0.0.0/0 except ...`` when that is shorter."""
        parts: list[str] = []
        for version, whole in ((4, "0.0.0.0/0"), (6, "::/0")):
            own = IPRangeSet(v4=self._v4) if version == 4 else IPRangeSet(v6=self._v6)
            if not own:
                continue
            listed = own.cidr_strings()
            rest = (IPRangeSet.from_cidr(whole) - own).cidr_strings()
            if len(rest) + 1 < len(listed):
                parts.append(f"{whole} except {', '.join(rest)}")
            else:
                parts.extend(listed)
        return ", ".join(parts)

    def __bool__(self) -> bool:
        return bool(self._v4) or bool(self._v6)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IPRangeSet) and (self._v4, self._v6) == (other._v4, other._v6)

    def __hash__(self) -> int:
        return hash((self._v4, self._v6))

    def __or__(self, other: IPRangeSet) -> IPRangeSet:
        return IPRangeSet(self._v4 | other._v4, self._v6 | other._v6)

    def __and__(self, other: IPRangeSet) -> IPRangeSet:
        return IPRangeSet(self._v4 & other._v4, self._v6 & other._v6)

    def __sub__(self, other: IPRangeSet) -> IPRangeSet:
        return IPRangeSet(self._v4 - other._v4, self._v6 - other._v6)

    def issubset(self, other: IPRangeSet) -> bool:
        """Whether every address here is in ``other``."""
        return not (self - other)

    def __repr__(self) -> str:
        return f"IPRangeSet({[str(c) for c in self.cidrs()]!r})"
