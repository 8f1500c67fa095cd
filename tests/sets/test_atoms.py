"""Address atoms: pieces no address set splits, grouped by the sets that hold them."""

from __future__ import annotations

import ipaddress

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netfence.sets import IntervalSet, IPRangeSet
from netfence.sets.atoms import AddressEndpoints, IPAtoms, PortAtoms
from netfence.sets.ports import FULL, OTHER, PROTOCOLS, PortSet

v4 = st.builds(
    lambda addr, plen: str(ipaddress.ip_network((addr, plen), strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
v6 = st.builds(
    lambda addr, plen: str(ipaddress.ip_network((addr, plen), strict=False)),
    st.integers(0, 2**128 - 1),
    st.integers(0, 128),
)
cidrs = st.lists(st.one_of(v4, v6), max_size=12)
address_sets = st.lists(cidrs.map(IPRangeSet.from_cidrs), max_size=6)


def all_pieces(atoms: IPAtoms) -> list[tuple[int, int, int, int]]:
    """(family, first, last, atom) of every piece, in address order."""
    return sorted((v, lo, hi, a) for a in range(len(atoms)) for v, lo, hi in atoms.pieces(a))


@given(address_sets, cidrs)
def test_atoms_are_exactly_the_pieces_no_set_tells_apart(sets, strings):
    """Pieces tile both families; two share an atom iff same family and same sets hold them."""
    atoms = IPAtoms([*sets, *strings])
    given_sets = [*sets, *(IPRangeSet.from_cidr(c) for c in strings)]
    pieces = all_pieces(atoms)
    for version, top in ((4, 2**32 - 1), (6, 2**128 - 1)):
        spans = [(lo, hi) for v, lo, hi, _ in pieces if v == version]
        assert spans[0][0] == 0 and spans[-1][1] == top
        assert all(a[1] + 1 == b[0] for a, b in zip(spans, spans[1:], strict=False))
    signature = {}
    for v, lo, _, atom in pieces:
        key = (v, tuple(s.family(v).__contains__(lo) for s in given_sets))
        assert signature.setdefault(key, atom) == atom  # same sets: same atom
        assert atoms.families[atom] == v
    assert len(set(signature.values())) == len(signature) == len(atoms)  # else: apart


@given(address_sets, st.data())
def test_atoms_in_finds_the_atoms_of_any_union_of_the_sets(sets, data):
    """For the sets given and their unions, the atoms inside rebuild the set exactly."""
    atoms = IPAtoms(sets)
    chosen = data.draw(st.lists(st.sampled_from(sets), max_size=4)) if sets else []
    addresses = IPRangeSet.union_of(chosen)
    inside = atoms.atoms_in(addresses)
    assert inside.dtype == np.bool_ and len(inside) == len(atoms)
    for atom in range(len(atoms)):
        expected = all(addresses.family(v).__contains__(lo) for v, lo, _ in atoms.pieces(atom))
        assert bool(inside[atom]) == expected
    assert atoms.range_set(np.flatnonzero(inside).tolist()) == addresses


@given(address_sets, st.data())
def test_range_set_is_the_union_of_the_atoms_pieces(sets, data):
    """range_set merges runs of pieces; it equals the union of the chosen atoms' pieces."""
    atoms = IPAtoms(sets)
    chosen = data.draw(st.lists(st.integers(0, len(atoms) - 1), max_size=len(atoms)))
    spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for atom in chosen:
        for v, lo, hi in atoms.pieces(atom):
            spans[v].append((lo, hi))
    assert atoms.range_set(chosen) == IPRangeSet(IntervalSet(spans[4]), IntervalSet(spans[6]))
    assert atoms.range_set(iter(chosen)) == atoms.range_set(chosen)


def test_many_prefixes_in_few_sets_make_few_atoms():
    """8,000 disjoint /24s in four rule-sized sets are four atoms, plus the rest per family."""
    blocks = [f"20.{i // 256}.{i % 256}.0/24" for i in range(0, 16000, 2)]  # none adjacent
    sets = [IPRangeSet.from_cidrs(blocks[i::4]) for i in range(4)]
    atoms = IPAtoms(sets)
    assert len(atoms) == 4 + 1 + 1
    for s in sets:
        assert np.flatnonzero(atoms.atoms_in(s)).size == 1
    assert atoms.atom_of("20.0.0.1") == atoms.atom_of("20.0.8.1") != atoms.atom_of("20.0.2.1")
    assert atoms.atom_of("1.1.1.1") == atoms.atom_of("8.8.8.8") != atoms.atom_of("::1")


def test_atoms_in_refuses_a_set_that_splits_an_atom():
    """A set that is not a union of atoms has no exact answer: ValueError, not a guess."""
    atoms = IPAtoms(["10.0.0.0/8"])
    assert atoms.atoms_in(IPRangeSet.from_cidr("10.0.0.0/8")).sum() == 1
    with pytest.raises(ValueError, match="not a union"):
        atoms.atoms_in(IPRangeSet.from_cidr("10.1.0.0/16"))


def test_atoms_in_is_exact_beyond_64_bits():
    """IPv6 pieces above 2**64 (no numpy int64 holds them) are found exactly."""
    atoms = IPAtoms(["ffff::/16", "ffff:ffff::/33", "fffe::/16", "::/1"])
    inside = atoms.atoms_in(IPRangeSet.from_cidr("ffff:ffff::/33"))
    (atom,) = np.flatnonzero(inside).tolist()
    assert [(v, str(ipaddress.IPv6Address(lo))) for v, lo, _ in atoms.pieces(atom)] == [
        (6, "ffff:ffff::")
    ]
    assert atoms.atom_of("ffff:ffff:7fff::1") == atom != atoms.atom_of("ffff:ffff:8000::")
    rest = atoms.atoms_in(
        IPRangeSet.from_cidr("ffff::/16") - IPRangeSet.from_cidr("ffff:ffff::/33")
    )
    assert [p for a in np.flatnonzero(rest) for p in atoms.pieces(a)][-1][2] == 2**128 - 1


def test_address_endpoints_mark_atoms_and_the_classes_holding_them():
    """Classes whose pods hold an atom inside the set are matched, and those atoms."""
    blocks = ["10.244.0.0/24", "10.244.1.0/24", "fd00::/64", "10.244.0.0/23", "0.0.0.0/0"]
    atoms = IPAtoms([*blocks, "198.51.100.0/24"])
    class_atoms = [
        {atoms.atom_of("10.244.0.5")},
        {atoms.atom_of("10.244.1.5"), atoms.atom_of("fd00::5")},
        set(),
        {atoms.atom_of("192.0.2.1")},
    ]
    endpoints = AddressEndpoints(atoms, class_atoms)
    for block, classes in zip(
        [*blocks, "198.51.100.0/24"], ([0], [1], [1], [0, 1], [0, 1, 3], []), strict=True
    ):
        addresses = IPRangeSet.from_cidr(block)
        mask = endpoints.mask(addresses)
        assert len(mask) == 4 + len(atoms)
        assert np.flatnonzero(mask[:4]).tolist() == classes
        assert mask[4:].tolist() == atoms.atoms_in(addresses).tolist()


def test_atoms_in_refuses_a_set_ending_inside_the_last_piece():
    """The end of a family is checked too: a set may not stop short inside the last piece."""
    atoms = IPAtoms(["255.0.0.0/8"])
    assert atoms.atoms_in(IPRangeSet.from_cidr("255.0.0.0/8")).sum() == 1
    with pytest.raises(ValueError, match="not a union"):
        atoms.atoms_in(IPRangeSet.from_cidr("255.0.0.0/9"))


@given(
    st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 24)), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)), min_size=1, max_size=4),
)
def test_atoms_overlapping_agrees_with_range_set(blocks, probe):
    """An atom overlaps a set exactly when its addresses and the set intersect, for any set,
    even one that splits atoms."""

    def cidrs(pairs):
        return [str(ipaddress.ip_network((addr, plen), strict=False)) for addr, plen in pairs]

    atoms = IPAtoms([IPRangeSet.from_cidrs(cidrs(blocks[: i + 1])) for i in range(len(blocks))])
    addresses = IPRangeSet.from_cidrs(cidrs(probe))
    expected = [bool(atoms.range_set([i]) & addresses) for i in range(len(atoms))]
    assert atoms.atoms_overlapping(addresses).tolist() == expected


def test_no_mask_holds_an_atom_no_packet_can_be_in():
    # Calico rule "protocol: any" (no protocol field) matches every protocol: as a PortSet,
    # OTHER's values skip the named protocols' numbers (6 is TCP, 17 UDP). Cutting OTHER
    # there leaves atoms no packet can be in; the default allow (full) must not hold them,
    # or "no policy" and "allow everything" would be different masks for the same traffic.
    atoms = PortAtoms.collect(
        (proto, lo, hi) for proto in PROTOCOLS for lo, hi in PortSet.all().ports(proto)
    )
    assert any(lo == hi == 6 and proto == OTHER for proto, lo, hi in atoms.atoms)
    assert np.array_equal(atoms.full, atoms.mask_of_portset(PortSet.all()))
    assert np.array_equal(
        atoms.mask_of_protocol(OTHER), atoms.mask_of_portset(PortSet({OTHER: FULL[OTHER]}))
    )
    assert atoms.to_portset(atoms.full) == PortSet.all()
