"""Split the port and address spaces into the disjoint pieces a collection of sets can tell apart.

Every port entry and every ipBlock is a union of atoms, so sets of connections become bit
masks over atoms and set algebra becomes bitwise operations on numpy words.
"""

from __future__ import annotations

import bisect
import ipaddress
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
        # A cut at a named protocol's number (OTHER's gaps, cut by a rule on every protocol)
        # makes an atom no packet can be in: it is left out of every mask, so that allowing
        # "everything" by default and by an all-protocol rule give the same mask.
        self._live = [
            i
            for i, (proto, lo, hi) in enumerate(self.atoms)
            if FULL[proto] & IntervalSet.of(lo, hi)
        ]
        self.full: Mask = self.mask_of_atoms(self._live)
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
        return self.mask_of_atoms(self._index[protocol]) & self.full

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
    """The addresses of IPv4 and IPv6 split into atoms that no given address set tells apart.

    The sets (CIDRs, or IPRangeSets such as a rule's ipBlocks together) cut each family into
    disjoint ranges, the *pieces*. Pieces of one family that lie in exactly the same sets
    form one atom, so an atom may be several ranges: 50,000 ipBlocks in a few hundred rules
    make a few hundred atoms, not 100,000. Every set given, and every union of them, is a
    union of atoms; ``atoms_in`` refuses any other set.
    """

    def __init__(self, blocks: Iterable[str | IPRangeSet]) -> None:
        sets = list(
            dict.fromkeys(IPRangeSet.from_cidr(b) if isinstance(b, str) else b for b in blocks)
        )
        self._starts: dict[int, list[int]] = {}
        self._piece_atom: dict[int, npt.NDArray[np.intp]] = {}
        self._atom_pieces: list[list[tuple[int, int, int]]] = []
        families: list[int] = []
        for version in (4, 6):
            top = _TOP[version]
            cuts = {0}
            for addresses in sets:
                for lo, hi in addresses.family(version):
                    cuts.add(lo)
                    if hi < top:
                        cuts.add(hi + 1)
            starts = sorted(cuts)
            ends = [*(start - 1 for start in starts[1:]), top]
            first, piece_atom = _group_pieces(starts, version, sets)
            piece_atom += len(self._atom_pieces)
            self._atom_pieces.extend([] for _ in range(len(first)))
            for atom, lo, hi in zip(piece_atom.tolist(), starts, ends, strict=True):
                self._atom_pieces[atom].append((version, lo, hi))
            families.extend([version] * len(first))
            self._starts[version] = starts
            self._piece_atom[version] = piece_atom
        self.families: npt.NDArray[np.int8] = np.array(families, dtype=np.int8)
        """Per atom, its family (4 or 6); an atom never mixes families."""

    def __len__(self) -> int:
        return len(self._atom_pieces)

    def pieces(self, atom: int) -> list[tuple[int, int, int]]:
        """The (family, first, last) ranges that make up one atom, in address order."""
        return list(self._atom_pieces[atom])

    def atom_of(self, address: str) -> int:
        """Index of the atom holding one address."""
        ip = ipaddress.ip_address(address)
        piece = bisect.bisect_right(self._starts[ip.version], int(ip)) - 1
        return int(self._piece_atom[ip.version][piece])

    def atoms_in(self, addresses: IPRangeSet) -> npt.NDArray[np.bool_]:
        """Which atoms lie inside ``addresses``, a union of atoms (any set given, or a union
        of them); ``ValueError`` for a set that splits an atom.

        For each interval of the set, the pieces starting in it are one slice, found by
        bisection on the starts (exact integers, so IPv6 too): O(k log n) for k intervals and
        n pieces, plus one numpy pass over the pieces to map them to atoms.
        """
        out = np.zeros(len(self), dtype=np.bool_)
        for version in (4, 6):
            intervals = addresses.family(version).intervals
            if not intervals:
                continue
            starts, piece_atom = self._starts[version], self._piece_atom[version]
            inside = np.zeros(len(starts), dtype=np.bool_)
            count, top = len(starts), _TOP[version]
            for lo, hi in intervals:
                i = bisect.bisect_left(starts, lo)
                j = bisect.bisect_right(starts, hi, lo=i)
                if (
                    i == count
                    or starts[i] != lo
                    or (starts[j] != hi + 1 if j < count else hi != top)
                ):
                    raise ValueError(f"{addresses!r} is not a union of the address atoms")
                inside[i:j] = True
            out[piece_atom[inside]] = True
            if (out[piece_atom] & ~inside).any():
                raise ValueError(f"{addresses!r} is not a union of the address atoms")
        return out

    def atoms_overlapping(self, addresses: IPRangeSet) -> npt.NDArray[np.bool_]:
        """Which atoms hold at least one address of ``addresses`` (any set: it may split
        atoms). Per interval, the pieces it touches are one slice, found by bisection."""
        out = np.zeros(len(self), dtype=np.bool_)
        for version in (4, 6):
            intervals = addresses.family(version).intervals
            if not intervals:
                continue
            starts, piece_atom = self._starts[version], self._piece_atom[version]
            touched = np.zeros(len(starts), dtype=np.bool_)
            for lo, hi in intervals:
                first = bisect.bisect_right(starts, lo) - 1  # the piece holding lo
                last = bisect.bisect_right(starts, hi)  # past the piece holding hi
                touched[first:last] = True
            out[piece_atom[touched]] = True
        return out

    def range_set(self, indices: Iterable[int]) -> IPRangeSet:
        """The addresses of the given atoms.

        The atoms' pieces, in address order, tile each family, so each run of consecutive
        chosen pieces is one interval: found with numpy over the pieces, not piece by piece.
        """
        chosen = np.zeros(len(self) + 1, dtype=np.bool_)
        chosen[np.fromiter(indices, dtype=np.intp)] = True
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for version in (4, 6):
            starts = self._starts[version]
            inside = np.zeros(len(starts) + 2, dtype=np.int8)
            inside[1:-1] = chosen[self._piece_atom[version]]
            edges = np.flatnonzero(np.diff(inside))  # run i is pieces edges[2i]..edges[2i+1]-1
            firsts, lasts = edges[0::2].tolist(), edges[1::2].tolist()
            top = _TOP[version]
            spans[version] = [
                (starts[a], starts[b] - 1 if b < len(starts) else top)
                for a, b in zip(firsts, lasts, strict=True)
            ]
        return IPRangeSet(IntervalSet(spans[4]), IntervalSet(spans[6]))


_SETS_PER_PASS = 512
"""Address sets whose membership bits are grouped in one pass (bounds the bit matrix)."""


def _group_pieces(
    starts: list[int], version: int, sets: list[IPRangeSet]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group the pieces of one family by the sets that hold them.

    Returns (first piece of each group, group of each piece), groups numbered in the order
    of their first piece. Each pass marks which of up to ``_SETS_PER_PASS`` sets hold each
    piece, one bit per set, next to the groups so far; equal rows stay together.
    """
    group = np.zeros(len(starts), dtype=np.int64)
    for offset in range(0, len(sets), _SETS_PER_PASS):
        chunk = sets[offset : offset + _SETS_PER_PASS]
        member = np.zeros((len(starts), 8 + (len(chunk) + 7) // 8), dtype=np.uint8)
        member[:, :8] = group.view(np.uint8).reshape(-1, 8)
        for column, addresses in enumerate(chunk, start=64):
            bit = np.uint8(1 << (column & 7))
            for lo, hi in addresses.family(version):
                i = bisect.bisect_left(starts, lo)
                member[i : bisect.bisect_right(starts, hi, lo=i), column >> 3] |= bit
        keys = np.ascontiguousarray(member).view(np.dtype((np.void, member.shape[1])))
        _, inverse = np.unique(keys.reshape(-1), return_inverse=True)
        group = inverse.reshape(-1).astype(np.int64)
    _, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(first), dtype=np.intp)
    rank[order] = np.arange(len(first))
    return first[order], rank[inverse.reshape(-1)]


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
