"""Split the port and address spaces into the disjoint pieces a collection of sets can tell apart.

Every port entry and every ipBlock is a union of atoms, so sets of connections become bit
masks over atoms and set algebra becomes bitwise operations on numpy words.
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import FULL, PROTOCOLS, PortSet

Mask = npt.NDArray[np.uint64]
"""A bit mask over port atoms, as ``words`` 64-bit words."""

_TOP = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


class PortAtoms:
    """Disjoint (protocol, lo, hi) pieces covering every value of every protocol."""

    def __init__(self, boundaries: dict[str, set[int]]) -> None:
        self.atoms: list[tuple[str, int, int]] = []
        self._starts: dict[str, list[int]] = {}
        self._index: dict[str, list[int]] = {}
        for proto in PROTOCOLS:
            starts: list[int] = []
            indices: list[int] = []
            # One span per protocol, from its lowest to its highest value: values outside the
            # protocol (OTHER's gaps are the named protocols' numbers) never occur, and
            # to_portset keeps only the protocol's own values. Fewer atoms, narrower masks.
            full = FULL[proto].intervals
            for lo, hi in ((full[0][0], full[-1][1]),):
                cuts = sorted({lo, *(b for b in boundaries.get(proto, ()) if lo < b <= hi)})
                for i, start in enumerate(cuts):
                    end = cuts[i + 1] - 1 if i + 1 < len(cuts) else hi
                    starts.append(start)
                    indices.append(len(self.atoms))
                    self.atoms.append((proto, start, end))
            self._starts[proto] = starts
            self._index[proto] = indices
        self.words = (len(self.atoms) + 63) // 64
        self.full: Mask = self.mask_of_atoms(range(len(self.atoms)))
        self.empty: Mask = np.zeros(self.words, dtype=np.uint64)

    @classmethod
    def collect(cls, spans: Iterable[tuple[str, int, int]]) -> PortAtoms:
        """Atoms fine enough for every (protocol, lo, hi) span given."""
        boundaries: dict[str, set[int]] = {p: set() for p in PROTOCOLS}
        for proto, lo, hi in spans:
            boundaries[proto].add(lo)
            boundaries[proto].add(hi + 1)
        return cls(boundaries)

    def atom_of(self, protocol: str, port: int) -> int:
        """Index of the atom holding ``port`` of ``protocol`` (the value must be one of it)."""
        starts = self._starts[protocol]
        return self._index[protocol][bisect.bisect_right(starts, port) - 1]

    def mask_of_atoms(self, indices: Iterable[int]) -> Mask:
        """The mask with the given atom bits set."""
        mask = np.zeros(self.words, dtype=np.uint64)
        for i in indices:
            mask[i >> 6] |= np.uint64(1 << (i & 63))
        return mask

    def mask_of_span(self, protocol: str, lo: int, hi: int) -> Mask:
        """The mask of the atoms making up values lo..hi of ``protocol`` (the span's ends are
        atom boundaries; values that are not the protocol's, like OTHER's named numbers, are
        skipped)."""
        return self.mask_of_atoms(
            self._index[protocol][i]
            for i, start in enumerate(self._starts[protocol])
            if lo <= start <= hi
        )

    def mask_of_portset(self, values: PortSet) -> Mask:
        """The mask of a PortSet whose interval ends are atom boundaries."""
        mask = self.empty.copy()
        for proto in values.protocols():
            for lo, hi in values.ports(proto):
                mask |= self.mask_of_span(proto, lo, hi)
        return mask

    def mask_of_protocol(self, protocol: str) -> Mask:
        """Every value of one protocol."""
        return self.mask_of_atoms(self._index[protocol])

    def to_portset(self, mask: Mask) -> PortSet:
        """The PortSet a mask stands for."""
        spans: dict[str, list[tuple[int, int]]] = {p: [] for p in PROTOCOLS}
        for word_index, word in enumerate(mask.tolist()):
            while word:
                low_bit = word & -word
                i = (word_index << 6) + low_bit.bit_length() - 1
                proto, lo, hi = self.atoms[i]
                spans[proto].append((lo, hi))
                word ^= low_bit
        return PortSet({p: IntervalSet(s) for p, s in spans.items()})


class IPAtoms:
    """Disjoint address ranges covering IPv4 and IPv6 that no ipBlock splits."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        cuts: dict[int, set[int]] = {4: {0}, 6: {0}}
        for cidr in cidrs:
            net = ipaddress.ip_network(cidr, strict=False)
            cuts[net.version].add(int(net.network_address))
            end = int(net.broadcast_address) + 1
            if end <= _TOP[net.version]:
                cuts[net.version].add(end)
        self.atoms: list[tuple[int, int, int]] = []
        self._starts: dict[int, list[int]] = {}
        self._first: dict[int, int] = {}
        for version in (4, 6):
            starts = sorted(cuts[version])
            ends = [*(s - 1 for s in starts[1:]), _TOP[version]]
            self._starts[version] = starts
            self._first[version] = len(self.atoms)
            self.atoms.extend(
                zip(itertools.repeat(version, len(starts)), starts, ends, strict=True)
            )

    def __len__(self) -> int:
        return len(self.atoms)

    def atom_of(self, address: str) -> int:
        """Index of the atom holding one address."""
        ip = ipaddress.ip_address(address)
        return self._first[ip.version] + bisect.bisect_right(self._starts[ip.version], int(ip)) - 1

    def atoms_in(self, addresses: IPRangeSet) -> npt.NDArray[np.bool_]:
        """Which atoms lie inside ``addresses`` (atoms never straddle a block's edge).

        An atom is inside when its first address is: for each interval of the set, the atoms
        starting in it are one slice, found by bisection on the starts (exact integers, so
        IPv6 too), which costs O(k log n) for k intervals and n atoms.
        """
        out = np.zeros(len(self.atoms), dtype=np.bool_)
        for version in (4, 6):
            starts, first = self._starts[version], self._first[version]
            for lo, hi in addresses.family(version):
                i = bisect.bisect_left(starts, lo)
                j = bisect.bisect_right(starts, hi, lo=i)
                out[first + i : first + j] = True
        return out

    def range_set(self, indices: Iterable[int]) -> IPRangeSet:
        """The addresses of the given atoms."""
        v4: list[tuple[int, int]] = []
        v6: list[tuple[int, int]] = []
        atoms = self.atoms
        for i in indices:
            version, lo, hi = atoms[i]
            (v4 if version == 4 else v6).append((lo, hi))
        return IPRangeSet(IntervalSet(v4), IntervalSet(v6))


class AddressEndpoints:
    """Endpoints (classes, then address atoms) that lie inside address sets.

    An ipBlock, a Calico net or an admin network matches the atoms inside it and also the
    classes whose pods have an IP inside it (as CNIs enforce it). Which atoms each class
    holds is kept as (class, atom) pairs rather than as a dense classes x atoms matrix, so
    a set costs the bisection of ``IPAtoms.atoms_in`` plus one pass over the pods' atoms.
    """

    def __init__(self, atoms: IPAtoms, class_atoms: Sequence[Iterable[int]]) -> None:
        self.atoms = atoms
        self.count = len(class_atoms)
        self.total = self.count + len(atoms)
        pairs = [(c, a) for c, held in enumerate(class_atoms) for a in held]
        self._classes = np.array([c for c, _ in pairs], dtype=np.intp)
        self._atoms = np.array([a for _, a in pairs], dtype=np.intp)

    def holders(self, inside: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Which classes hold some atom of the atom mask ``inside``."""
        out = np.zeros(self.count, dtype=np.bool_)
        out[self._classes[inside[self._atoms]]] = True
        return out

    def mask(self, addresses: IPRangeSet) -> npt.NDArray[np.bool_]:
        """Over classes then atoms: the endpoints inside ``addresses``."""
        out = np.empty(self.total, dtype=np.bool_)
        inside = self.atoms.atoms_in(addresses)
        out[self.count :] = inside
        out[: self.count] = self.holders(inside)
        return out
