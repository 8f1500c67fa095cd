"""Address atoms: membership by bisection, the atoms' ranges, and endpoints inside a set."""

from __future__ import annotations

import ipaddress

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from netfence.sets import IPRangeSet
from netfence.sets.atoms import AddressEndpoints, IPAtoms

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
cidrs = st.lists(st.one_of(v4, v6), max_size=30)


def reference_atoms_in(atoms: IPAtoms, addresses: IPRangeSet) -> list[bool]:
    """One membership test per atom (what atoms_in answered before it bisected)."""
    return [lo in addresses.family(version) for version, lo, _ in atoms.atoms]


@given(cidrs, st.data())
def test_atoms_in_matches_one_test_per_atom(blocks, data):
    """For sets built from the atoms' CIDRs, bisection finds exactly the atoms inside."""
    atoms = IPAtoms(blocks)
    chosen = data.draw(st.lists(st.sampled_from(blocks), max_size=8)) if blocks else []
    removed = data.draw(st.lists(st.sampled_from(blocks), max_size=3)) if blocks else []
    addresses = IPRangeSet.from_cidrs(chosen) - IPRangeSet.from_cidrs(removed)
    inside = atoms.atoms_in(addresses)
    assert inside.dtype == np.bool_ and len(inside) == len(atoms)
    assert inside.tolist() == reference_atoms_in(atoms, addresses)
    assert atoms.range_set(np.flatnonzero(inside).tolist()) == addresses


@given(cidrs)
def test_atoms_tile_both_families(blocks):
    """Atoms are sorted, disjoint and cover every address; each CIDR is a union of atoms."""
    atoms = IPAtoms(blocks)
    for version, top in ((4, 2**32 - 1), (6, 2**128 - 1)):
        spans = [(lo, hi) for v, lo, hi in atoms.atoms if v == version]
        assert spans[0][0] == 0 and spans[-1][1] == top
        assert all(a[1] + 1 == b[0] for a, b in zip(spans, spans[1:], strict=False))
    for block in blocks:
        net = IPRangeSet.from_cidr(block)
        assert atoms.range_set(np.flatnonzero(atoms.atoms_in(net)).tolist()) == net


def test_atoms_in_is_exact_beyond_64_bits():
    """IPv6 atoms above 2**64 (no numpy int64 holds them) are found exactly."""
    atoms = IPAtoms(["ffff::/16", "ffff:ffff::/33", "fffe::/16", "::/1"])
    inside = atoms.atoms_in(IPRangeSet.from_cidr("ffff::/16"))
    got = [atoms.atoms[i] for i in np.flatnonzero(inside)]
    assert [(v, str(ipaddress.IPv6Address(lo))) for v, lo, _ in got] == [
        (6, "ffff::"),
        (6, "ffff:ffff::"),
        (6, "ffff:ffff:8000::"),
    ]
    assert got[-1][2] == 2**128 - 1
    assert not atoms.atoms_in(IPRangeSet.from_cidr("fffe::/16"))[atoms.atom_of("ffff::1")]


def test_address_endpoints_mark_atoms_and_the_classes_holding_them():
    """Classes whose pods hold an atom inside the set are matched, and those atoms."""
    atoms = IPAtoms(["10.244.0.0/24", "10.244.1.0/24", "fd00::/64"])
    class_atoms = [
        {atoms.atom_of("10.244.0.5")},
        {atoms.atom_of("10.244.1.5"), atoms.atom_of("fd00::5")},
        set(),
        {atoms.atom_of("192.0.2.1")},
    ]
    endpoints = AddressEndpoints(atoms, class_atoms)
    for block, classes in (
        ("10.244.0.0/24", [0]),
        ("fd00::/64", [1]),
        ("10.244.0.0/23", [0, 1]),
        ("0.0.0.0/0", [0, 1, 3]),
        ("198.51.100.0/24", []),
    ):
        addresses = IPRangeSet.from_cidr(block)
        mask = endpoints.mask(addresses)
        assert len(mask) == 4 + len(atoms)
        assert np.flatnonzero(mask[:4]).tolist() == classes
        assert mask[4:].tolist() == atoms.atoms_in(addresses).tolist()
