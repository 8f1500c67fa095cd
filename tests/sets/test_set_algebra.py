"""Property tests: interval, port and IP range sets obey set algebra, checked against Python sets."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from netfence.sets import IntervalSet, IPRangeSet, PortSet
from tests.sets.strategies import nets

UNIVERSE = 64  # small enough to compare with explicit Python sets

intervals = st.lists(
    st.tuples(st.integers(0, UNIVERSE), st.integers(0, UNIVERSE)).map(lambda t: (min(t), max(t))),
    max_size=6,
)


def as_set(s: IntervalSet) -> set[int]:
    return {v for lo, hi in s for v in range(lo, hi + 1)}


def explicit(spans: list[tuple[int, int]]) -> set[int]:
    return {v for lo, hi in spans for v in range(lo, hi + 1)}


@given(intervals, intervals)
def test_interval_operations_match_python_sets(a: list[tuple[int, int]], b: list[tuple[int, int]]):
    """Union, intersection and difference agree with explicit sets."""
    x, y = IntervalSet(a), IntervalSet(b)
    assert as_set(x | y) == explicit(a) | explicit(b)
    assert as_set(x & y) == explicit(a) & explicit(b)
    assert as_set(x - y) == explicit(a) - explicit(b)
    assert x.issubset(y) == (explicit(a) <= explicit(b))
    assert x.size() == len(explicit(a))


@given(intervals)
def test_interval_representation_is_canonical(a: list[tuple[int, int]]):
    """Equal sets have equal representations: sorted, disjoint, never adjacent."""
    s = IntervalSet(a)
    rebuilt = IntervalSet([(v, v) for v in sorted(explicit(a))])
    assert s == rebuilt and hash(s) == hash(rebuilt)
    spans = s.intervals
    assert all(spans[i][1] + 1 < spans[i + 1][0] for i in range(len(spans) - 1))


@given(intervals, st.integers(-1, UNIVERSE + 1))
def test_interval_membership(a: list[tuple[int, int]], v: int):
    """Membership by binary search agrees with the explicit set."""
    assert (v in IntervalSet(a)) == (v in explicit(a))


protocols = st.sampled_from(["TCP", "UDP", "SCTP"])
ports = st.integers(1, 65535)
portsets = st.lists(
    st.tuples(protocols, ports, ports).map(lambda t: PortSet.of(t[0], min(t[1:]), max(t[1:]))),
    max_size=4,
).map(lambda parts: _union(parts))


def _union(parts: list[PortSet]) -> PortSet:
    out = PortSet.none()
    for p in parts:
        out = out | p
    return out


@given(portsets, portsets, portsets)
def test_portset_laws(a: PortSet, b: PortSet, c: PortSet):
    """Port sets form a Boolean algebra: commutative, associative, distributive, De Morgan."""
    assert a | b == b | a and a & b == b & a
    assert (a | b) | c == a | (b | c)
    assert a & (b | c) == (a & b) | (a & c)
    full = PortSet.all()
    assert full - (a | b) == (full - a) & (full - b)
    assert (a - b) & b == PortSet.none()
    assert (a & b).issubset(a)


@given(portsets, protocols, ports)
def test_portset_membership_follows_operations(a: PortSet, proto: str, port: int):
    """contains() agrees with how the set was built."""
    b = PortSet.of(proto, port)
    assert (a | b).contains(proto, port)
    assert not (a - b).contains(proto, port)


def test_portset_describe():
    """The human form names protocols and spans; the full set is 'All'."""
    assert PortSet.all().describe() == "All"
    assert PortSet.none().describe() == "None"
    s = PortSet.of("TCP", 80) | PortSet.of("TCP", 8000, 8080) | PortSet.of("UDP")
    assert s.describe() == "TCP 80,8000-8080; UDP all"


@given(st.lists(nets, max_size=4), st.lists(nets, max_size=4))
def test_ip_cidrs_cover_exactly(a, b):
    """cidrs() covers exactly the set: rebuilding from its CIDRs gives the same set."""
    s = IPRangeSet.from_cidrs(a) - IPRangeSet.from_cidrs(b)
    assert IPRangeSet.from_cidrs(list(s.cidrs())) == s


@given(st.lists(nets, max_size=4), st.lists(nets, max_size=4), nets)
def test_ip_membership(a, b, probe):
    """An address is in A - B exactly when it is in some CIDR of A and in none of B."""
    s = IPRangeSet.from_cidrs(a) - IPRangeSet.from_cidrs(b)
    addr = probe.network_address
    expected = any(addr in n for n in a if n.version == addr.version) and not any(
        addr in n for n in b if n.version == addr.version
    )
    assert s.contains(addr) == expected


def test_ip_families_stay_apart():
    """IPv4 and IPv6 addresses never mix, and host bits are cleared."""
    s = IPRangeSet.from_cidr("10.244.1.7/16")
    assert [str(c) for c in s.cidrs()] == ["10.244.0.0/16"]
    both = s | IPRangeSet.from_cidr("fd00::/8")
    assert [str(c) for c in both.cidrs()] == ["10.244.0.0/16", "fd00::/8"]
    assert not both.contains("::a0f4:1")


def test_ip_describe_prefers_the_shorter_form():
    """Large sets read as 'everything except ...'; small ones as their CIDRs."""
    most = IPRangeSet.from_cidr("0.0.0.0/0") - IPRangeSet.from_cidr("169.254.169.254/32")
    assert most.describe() == "0.0.0.0/0 except 169.254.169.254/32"
    small = IPRangeSet.from_cidrs(["203.0.113.0/24", "fd00::/8"])
    assert small.describe() == "203.0.113.0/24, fd00::/8"


many_nets = st.lists(nets, max_size=60)


@given(many_nets)
def test_from_cidrs_equals_the_fold_of_unions(cidrs):
    """from_cidrs (sorted and merged once) is the union of the CIDRs one at a time."""
    folded = IPRangeSet()
    for cidr in cidrs:
        folded = folded | IPRangeSet.from_cidr(cidr)
    built = IPRangeSet.from_cidrs(cidrs)
    assert built == folded and hash(built) == hash(folded)
    assert IPRangeSet.from_cidrs(str(c) for c in cidrs) == folded


@given(st.lists(st.lists(nets, max_size=5), max_size=12))
def test_union_of_equals_the_fold_of_unions(groups):
    """IPRangeSet.union_of and IntervalSet.union_of agree with folding ``|``."""
    sets = [IPRangeSet.from_cidrs(g) for g in groups]
    folded = IPRangeSet()
    for s in sets:
        folded = folded | s
    assert IPRangeSet.union_of(sets) == folded
    assert IPRangeSet.union_of(iter(sets)) == folded
    for version in (4, 6):
        assert IntervalSet.union_of(s.family(version) for s in sets) == folded.family(version)


@given(st.lists(intervals, max_size=8))
def test_interval_union_of_is_canonical(parts):
    """The union of many interval sets is canonical and holds exactly their values."""
    union = IntervalSet.union_of(IntervalSet(p) for p in parts)
    assert as_set(union) == set().union(*(explicit(p) for p in parts))
    assert union == IntervalSet([(v, v) for v in sorted(as_set(union))])


def test_from_cidrs_of_many_prefixes():
    """Thousands of prefixes (adjacent, nested, repeated, both families) merge exactly."""
    cidrs = [f"10.{i // 256}.{i % 256}.0/24" for i in range(4096)]  # 10.0.0.0/12, adjacent
    cidrs += ["10.3.0.0/16", "10.3.4.0/24", "10.3.4.0/24", "192.0.2.0/25", "192.0.2.128/25"]
    cidrs += [f"2001:db8:{i:x}::/48" for i in range(0, 512, 2)]
    s = IPRangeSet.from_cidrs(cidrs)
    v6 = [str(ipaddress.ip_network(f"2001:db8:{i:x}::/48")) for i in range(0, 512, 2)]
    expected = ["10.0.0.0/12", "192.0.2.0/24", *v6]
    assert [str(c) for c in s.cidrs()] == expected


@given(st.lists(nets, max_size=6), st.lists(nets, max_size=6))
def test_cidrs_are_what_ipaddress_summarizes(a, b):
    """cidrs, cidr_blocks and cidr_strings give ipaddress.summarize_address_range's CIDRs."""
    s = IPRangeSet.from_cidrs(a) - IPRangeSet.from_cidrs(b)
    expected = [
        net
        for version, cls in ((4, ipaddress.IPv4Address), (6, ipaddress.IPv6Address))
        for lo, hi in s.family(version)
        for net in ipaddress.summarize_address_range(cls(lo), cls(hi))
    ]
    assert list(s.cidrs()) == expected
    assert list(s.cidr_blocks()) == [
        (n.version, int(n.network_address), n.prefixlen) for n in expected
    ]
    assert s.cidr_strings() == [str(n) for n in expected]


def test_from_addresses_is_single_addresses_of_both_families():
    """One address is a /32 (IPv4) or /128 (IPv6) range of its own."""
    addresses = IPRangeSet.from_addresses(["10.0.0.1", "fd00::1", "10.0.0.2"])
    assert addresses == IPRangeSet.from_cidrs(["10.0.0.1/32", "10.0.0.2/32", "fd00::1/128"])
    """``whole_family``: 0.0.0.0/0 for IPv4, ::/0 for IPv6, and together every address."""
    v4, v6 = IPRangeSet.whole_family(4), IPRangeSet.whole_family(6)
    assert v4 == IPRangeSet.from_cidrs(["0.0.0.0/0"]) and v6 == IPRangeSet.from_cidrs(["::/0"])
    assert v4 | v6 == IPRangeSet.everything() and not v4 & v6


def test_address_range_holds_both_ends_as_an_ip_pool_start_and_end_do() -> None:
    """AKS Arc IP pools are given as start and end addresses, both usable (AKS-LNET)."""
    pool = IPRangeSet.from_address_range("10.0.0.10", "10.0.0.20")
    assert pool.contains("10.0.0.10") and pool.contains("10.0.0.20")
    assert not pool.contains("10.0.0.9") and not pool.contains("10.0.0.21")
    assert pool == IPRangeSet.from_cidrs(
        ["10.0.0.10/31", "10.0.0.12/30", "10.0.0.16/30", "10.0.0.20/32"]
    )


def test_address_range_refuses_an_end_before_its_start_or_two_families() -> None:
    """A range is one family, start first: anything else is no range."""
    for start, end in (("10.0.0.20", "10.0.0.10"), ("10.0.0.1", "fd00::1")):
        try:
            IPRangeSet.from_address_range(start, end)
        except ValueError:
            continue
        raise AssertionError(f"{start}-{end} was accepted")
