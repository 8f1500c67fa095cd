"""Sets of IP addresses (IPv4 and IPv6 together), kept as integer intervals per family."""

from __future__ import annotations

import ipaddress
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from netfence.sets.intervals import IntervalSet

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_MAX: Final = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


@dataclass(frozen=True)
class AddressTerm:
    """One CIDR less the CIDRs excepted from it: the NetworkPolicy ``ipBlock`` shape.

    Every excepted CIDR lies inside ``cidr``; the term stands for ``cidr`` minus their union.
    """

    cidr: IPNetwork
    """The enclosing block."""
    excepts: tuple[IPNetwork, ...] = ()
    """CIDRs inside ``cidr`` that the term leaves out, disjoint and in address order."""

    def __str__(self) -> str:
        """``10.0.0.0/8``, or ``0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12``."""
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(str(e) for e in self.excepts)}"

    def addresses(self) -> IPRangeSet:
        """The addresses the term stands for."""
        return IPRangeSet.from_cidr(self.cidr) - IPRangeSet.from_cidrs(self.excepts)


TERM_SEPARATOR: Final = "; "
"""Between the terms of one address set in text: an except list itself uses ", "."""


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
    def from_address_range(cls, start: str, end: str) -> IPRangeSet:
        """The addresses from ``start`` to ``end``, both included (one family; ``end`` not
        before ``start``), as an IP pool's start and end give them."""
        first, last = ipaddress.ip_address(start), ipaddress.ip_address(end)
        if first.version != last.version or int(last) < int(first):
            raise ValueError(
                f"{start}-{end} is no range: the end precedes the start or the families differ"
            )
        span = IntervalSet.of(int(first), int(last))
        return cls(v4=span) if first.version == 4 else cls(v6=span)

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
    def whole_family(cls, version: int) -> IPRangeSet:
        """Every address of one family (4 or 6)."""
        empty = IntervalSet([])
        whole = IntervalSet.of(0, _MAX[version])
        return cls(whole, empty) if version == 4 else cls(empty, whole)

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

    def terms(self) -> list[AddressTerm]:
        """The fewest CIDRs-with-excepts whose union is exactly this set, in address order.

        Terms are pairwise disjoint; IPv4 ones come first. What is minimised is the number of
        CIDRs written (each term's CIDR plus its excepts), then the number of terms: the set
        ``0.0.0.0/0`` less ``10.0.0.0/8`` is one term of two CIDRs, not the eight CIDRs
        that make it up, while scattered addresses stay one plain CIDR each.

        Why not a greedy cover (the smallest CIDR around each connected block, minus its
        holes)? It can be far from the best, and the best costs no more to find: on the
        binary tree of CIDRs, a block that is partly in the set is either split between its
        two halves or written whole, as a term (when most of it is in the set) or as an
        except (when most of it is out, its members then written as terms nested in that
        except). Only blocks that hold the end of an interval are partly in the set, so the
        choice is made at most ``2 * bits`` times per interval of the set, in two passes:
        the costs bottom-up, then the chosen writing top-down (see ``_TermPlanner``).
        The result is the shortest writing whose terms are disjoint and nest along the CIDR
        tree; an exhaustive search that also allows overlapping terms finds nothing shorter
        on any subset of an eight-address block (the tests run it).
        """
        out: list[AddressTerm] = []
        for version, intervals in ((4, self._v4), (6, self._v6)):
            if intervals:
                out.extend(_TermPlanner(version, intervals.intervals).terms())
        return out

    @classmethod
    def from_terms(cls, terms: Iterable[AddressTerm]) -> IPRangeSet:
        """The union of the addresses of ``terms``."""
        return cls.union_of(term.addresses() for term in terms)

    def compact(self) -> str:
        """``str`` of each of ``terms``, joined by ``TERM_SEPARATOR``; empty for no addresses."""
        return TERM_SEPARATOR.join(str(term) for term in self.terms())

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


_COST_TERM: Final = (1 << 64) + 1
"""Cost of writing one CIDR as a term: one CIDR (high part) and one term (low part)."""
_COST_EXCEPT: Final = 1 << 64
"""Cost of writing one CIDR as an except: one CIDR, no term."""


class _TermPlanner:
    """Finds ``IPRangeSet.terms`` for one family by dynamic programming on the CIDR tree.

    For a block N, ``inside(N)`` is the cheapest writing of the set's part of N as terms, and
    ``outside(N)`` the cheapest writing of N's part outside the set as excepts (with the set's
    addresses inside an excepted block put back as nested terms). For a block partly in the
    set, with halves L and R::

        inside(N)  = min(inside(L) + inside(R),   term N  + outside(L) + outside(R))
        outside(N) = min(outside(L) + outside(R), except N + inside(L) + inside(R))

    A block wholly in the set is one term inside, nothing outside; an empty block the reverse.
    Costs are ``CIDRs << 64 | terms``, so sums compare as (CIDRs, then terms).
    """

    def __init__(self, version: int, intervals: tuple[tuple[int, int], ...]) -> None:
        self._version = version
        self._bits = 32 if version == 4 else 128
        self._intervals = intervals
        self._starts = [lo for lo, _ in intervals]
        # (block start, prefix length) of a mixed block -> (split inside?, split outside?,
        # then the interval index ranges of its two halves: left i, left j, right i, right j)
        self._plans: dict[tuple[int, int], tuple[bool, bool, int, int, int, int]] = {}

    def terms(self) -> list[AddressTerm]:
        """The chosen terms, in address order."""
        self._cost(0, 0, 0, len(self._intervals))
        found: list[tuple[int, int, list[tuple[int, int]]]] = []
        self._write_inside(0, 0, 0, len(self._intervals), found)
        network = ipaddress.IPv4Network if self._version == 4 else ipaddress.IPv6Network
        found.sort(key=lambda term: term[:2])
        return [
            AddressTerm(network((lo, plen)), tuple(network(e) for e in sorted(excepts)))
            for lo, plen, excepts in found
        ]

    def _state(self, lo: int, plen: int, i: int, j: int) -> int:
        """-1: no address of the block is in the set; 1: all are; 0: some are."""
        if i == j:
            return -1
        if j - i == 1:
            first, last = self._intervals[i]
            if first <= lo and last >= lo + (1 << (self._bits - plen)) - 1:
                return 1
        return 0

    def _cost(self, lo: int, plen: int, i: int, j: int) -> tuple[int, int]:
        """(inside cost, outside cost) of a block, recording the choices of mixed blocks."""
        state = self._state(lo, plen, i, j)
        if state == 1:
            return _COST_TERM, 0
        if state == -1:
            return 0, _COST_EXCEPT
        # The halves: intervals starting below mid go left; one that starts below mid and
        # ends at or past it goes right too.
        mid = lo + (1 << (self._bits - plen - 1))
        split = bisect_left(self._starts, mid, i, j)
        right_first = split - 1 if split > i and self._intervals[split - 1][1] >= mid else split
        left_in, left_out = self._cost(lo, plen + 1, i, split)
        right_in, right_out = self._cost(mid, plen + 1, right_first, j)
        split_in, whole_in = left_in + right_in, _COST_TERM + left_out + right_out
        split_out, whole_out = left_out + right_out, _COST_EXCEPT + left_in + right_in
        self._plans[(lo, plen)] = (
            split_in <= whole_in,
            split_out <= whole_out,
            i,
            split,
            right_first,
            j,
        )
        return min(split_in, whole_in), min(split_out, whole_out)

    def _write_inside(
        self,
        lo: int,
        plen: int,
        i: int,
        j: int,
        found: list[tuple[int, int, list[tuple[int, int]]]],
    ) -> None:
        state = self._state(lo, plen, i, j)
        if state == -1:
            return
        if state == 1:
            found.append((lo, plen, []))
            return
        split_inside, _, li, lj, ri, rj = self._plans[(lo, plen)]
        mid = lo + (1 << (self._bits - plen - 1))
        if split_inside:
            self._write_inside(lo, plen + 1, li, lj, found)
            self._write_inside(mid, plen + 1, ri, rj, found)
            return
        excepts: list[tuple[int, int]] = []
        found.append((lo, plen, excepts))
        self._write_outside(lo, plen + 1, li, lj, excepts, found)
        self._write_outside(mid, plen + 1, ri, rj, excepts, found)

    def _write_outside(
        self,
        lo: int,
        plen: int,
        i: int,
        j: int,
        excepts: list[tuple[int, int]],
        found: list[tuple[int, int, list[tuple[int, int]]]],
    ) -> None:
        state = self._state(lo, plen, i, j)
        if state == 1:
            return
        if state == -1:
            excepts.append((lo, plen))
            return
        _, split_outside, li, lj, ri, rj = self._plans[(lo, plen)]
        mid = lo + (1 << (self._bits - plen - 1))
        if split_outside:
            self._write_outside(lo, plen + 1, li, lj, excepts, found)
            self._write_outside(mid, plen + 1, ri, rj, excepts, found)
            return
        excepts.append((lo, plen))
        self._write_inside(lo, plen + 1, li, lj, found)
        self._write_inside(mid, plen + 1, ri, rj, found)


NOT_INTERNET_V4: Final = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
"""IPv4 special-purpose blocks the public internet does not route (private, shared, loopback,
link-local, documentation, benchmarking, multicast, reserved)."""
PUBLIC_ADDRESSES: Final = IPRangeSet.from_cidrs(["0.0.0.0/0", "2000::/3"]) - IPRangeSet.from_cidrs(
    [*NOT_INTERNET_V4, "2001:db8::/32"]
)
"""The address space the public internet reaches: IPv4 less its special-purpose blocks, and
IPv6 global unicast less the documentation block."""
