"""``IPRangeSet.terms``: an address set as CIDRs with excepts (the NetworkPolicy ipBlock shape).

Rules checked: the union of the terms is exactly the set (NetworkPolicy API reference, IPBlock:
``cidr`` less every ``except``, each ``except`` inside ``cidr``); the terms are disjoint and
in address order; and the writing is the shortest there is (fewest CIDRs written, then fewest
terms), compared with an exhaustive search on a small block.
"""

from __future__ import annotations

import heapq
import ipaddress
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from netfence.sets.ipranges import AddressTerm, IPRangeSet
from tests.sets.strategies import v4_nets, v6_nets


def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr)


def _sets(nets: st.SearchStrategy) -> st.SearchStrategy[IPRangeSet]:
    return st.builds(
        lambda a, b: IPRangeSet.from_cidrs(a) - IPRangeSet.from_cidrs(b),
        st.lists(nets, max_size=6),
        st.lists(nets, max_size=6),
    )


def _cidrs_written(terms: list[AddressTerm]) -> int:
    return sum(1 + len(t.excepts) for t in terms)


def _check_terms(s: IPRangeSet) -> list[AddressTerm]:
    terms = s.terms()
    assert IPRangeSet.from_terms(terms) == s
    for term in terms:
        assert all(e.version == term.cidr.version and e.subnet_of(term.cidr) for e in term.excepts)
        assert term.addresses(), "a term stands for at least one address"
    for a, b in zip(terms, terms[1:], strict=False):
        assert (a.cidr.version, int(a.cidr.network_address)) < (
            b.cidr.version,
            int(b.cidr.network_address),
        )
    for i, a in enumerate(terms):
        for b in terms[i + 1 :]:
            assert not (a.addresses() & b.addresses()), f"{a} and {b} overlap"
    # Never longer than the plain CIDR list, nor than one term over the whole family.
    assert _cidrs_written(terms) <= len(list(s.cidrs()))
    return terms


@given(_sets(v4_nets))
def test_ipv4_terms_rebuild_the_set(s):
    """IPv4: the union of the terms (each cidr less its excepts) is exactly the set."""
    _check_terms(s)


@given(_sets(v6_nets))
def test_ipv6_terms_rebuild_the_set(s):
    """IPv6: the union of the terms (each cidr less its excepts) is exactly the set."""
    _check_terms(s)


@given(_sets(st.one_of(v4_nets, v6_nets)))
def test_mixed_family_terms_put_ipv4_first(s):
    """Both families: IPv4 terms, then IPv6 ones; the union is still exactly the set."""
    versions = [t.cidr.version for t in _check_terms(s)]
    assert versions == sorted(versions)


def test_everything_but_the_private_ranges_is_one_term():
    """RFC 1918's three blocks out of 0.0.0.0/0: one term with three excepts."""
    s = IPRangeSet.from_cidr("0.0.0.0/0") - IPRangeSet.from_cidrs(
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    )
    assert _check_terms(s) == [
        AddressTerm(
            _net("0.0.0.0/0"), (_net("10.0.0.0/8"), _net("172.16.0.0/12"), _net("192.168.0.0/16"))
        )
    ]
    assert s.compact() == "0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"


def test_one_cidr_is_one_term_without_excepts():
    """A set that is one CIDR is written as that CIDR."""
    s = IPRangeSet.from_cidr("fd00::/8")
    assert _check_terms(s) == [AddressTerm(_net("fd00::/8"))]
    assert s.compact() == "fd00::/8"


def test_the_empty_set_has_no_terms():
    """No addresses: no terms, and an empty compact form."""
    assert IPRangeSet().terms() == []
    assert IPRangeSet().compact() == ""
    assert IPRangeSet.from_terms([]) == IPRangeSet()


def test_scattered_addresses_stay_single_cidrs():
    """Single addresses far apart: one /32 term each (an enclosing block with holes would
    write many more CIDRs)."""
    addresses = ["1.2.3.4", "8.8.8.8", "10.9.8.7", "203.0.113.9"]
    s = IPRangeSet.from_addresses(addresses)
    assert [str(t) for t in _check_terms(s)] == [f"{a}/32" for a in addresses]
    assert s.compact() == "1.2.3.4/32; 8.8.8.8/32; 10.9.8.7/32; 203.0.113.9/32"


def test_a_hole_with_an_island_nests_a_term_in_an_except():
    """0.0.0.0/0 less 10.0.0.0/8, with 10.1.0.0/16 given back: two terms (three CIDRs), the
    second inside the first one's except, rather than a term per CIDR around the island."""
    s = (IPRangeSet.from_cidr("0.0.0.0/0") - IPRangeSet.from_cidr("10.0.0.0/8")) | (
        IPRangeSet.from_cidr("10.1.0.0/16")
    )
    assert [str(t) for t in _check_terms(s)] == ["0.0.0.0/0 except 10.0.0.0/8", "10.1.0.0/16"]


# --- the shortest writing, against an exhaustive search on 10.0.0.0/29 -----------------------

BASE = int(ipaddress.ip_address("10.0.0.0"))
BITS = 3  # the block 10.0.0.0/29: 8 addresses, every one of its 255 non-empty subsets


def _block_mask(lo: int, prefixlen: int) -> int:
    return sum(1 << a for a in range(lo, lo + (1 << (BITS - prefixlen))))


def _as_set(mask: int) -> IPRangeSet:
    return IPRangeSet.from_cidrs(
        f"{ipaddress.ip_address(BASE + a)}/32" for a in range(8) if mask >> a & 1
    )


@cache
def _plain_cidrs(mask: int) -> int:
    return len(list(_as_set(mask).cidrs()))


def _candidate_terms() -> dict[int, int]:
    """Every term inside the block: its addresses (a mask) -> the fewest CIDRs that write it
    (its CIDR plus the fewest CIDRs that make up what it leaves out)."""
    best: dict[int, int] = {}
    for prefixlen in range(BITS + 1):
        for lo in range(0, 8, 1 << (BITS - prefixlen)):
            block = _block_mask(lo, prefixlen)
            sub = block
            while sub:
                cost = 1 + _plain_cidrs(block & ~sub)
                best[sub] = min(best.get(sub, cost), cost)
                sub = (sub - 1) & block
    return best


def _shortest(target: int, candidates: dict[int, int]) -> int:
    """Fewest CIDRs of any list of terms (overlapping or not) whose union is ``target``."""
    usable = [(t, c) for t, c in candidates.items() if not t & ~target]
    distance = {0: 0}
    queue = [(0, 0)]
    while queue:
        cost, covered = heapq.heappop(queue)
        if covered == target:
            return cost
        if cost > distance[covered]:
            continue
        for term, term_cost in usable:
            nxt = covered | term
            if cost + term_cost < distance.get(nxt, 1 << 30):
                distance[nxt] = cost + term_cost
                heapq.heappush(queue, (cost + term_cost, nxt))
    raise AssertionError("unreachable: single addresses cover every set")


def test_terms_are_the_shortest_writing_of_every_set_in_a_small_block():
    """For each of the 255 non-empty subsets of 10.0.0.0/29, no list of ipBlock terms, even
    overlapping ones, writes the set with fewer CIDRs than ``terms`` does."""
    candidates = _candidate_terms()
    for mask in range(1, 256):
        terms = _check_terms(_as_set(mask))
        assert _cidrs_written(terms) == _shortest(mask, candidates), _as_set(mask).compact()
