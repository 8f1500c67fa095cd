"""Masks over endpoint classes and address atoms that every language builds its rules from.

One place turns namespaces, address sets and port entries into masks, so the languages share
one ipBlock-to-mask rule (a pod matches an address set when one of its IPs lies in it, as
CNIs enforce ipBlock) and one resolution of named ports.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from netfence.model.selectors import LabelSelector
from netfence.policy.rules import CompiledRule
from netfence.policy.space import BoolArray, EndpointSpace, NamedPort
from netfence.sets.atoms import AddressEndpoints, Mask
from netfence.sets.ipranges import IPRangeSet


class MaskBuilder:
    """Builds and caches masks over one endpoint space."""

    def __init__(self, space: EndpointSpace) -> None:
        self.space = space
        self.count = space.count
        """Number of pod classes: endpoint masks index classes first."""
        self.total = space.count + len(space.ip_atoms)
        """Length of an endpoint mask: classes, then address atoms."""
        self.ip_endpoints = AddressEndpoints(space.ip_atoms, space.class_ip_atoms)
        """Which classes' pod IPs lie in which address atoms."""
        self.ns_index = {name: i for i, name in enumerate(space.namespaces)}
        """Namespace name to its index in ``space.namespaces``."""
        self._ns_cache: dict[LabelSelector, BoolArray] = {}
        self._named_atoms: dict[NamedPort, npt.NDArray[np.int64]] = {}

    def namespaces_matching(self, selector: LabelSelector) -> BoolArray:
        """Which namespaces (by index) a Kubernetes label selector matches."""
        found = self._ns_cache.get(selector)
        if found is None:
            namespaces = self.space.cluster.namespaces
            found = np.array(
                [selector.matches(namespaces[n].labels) for n in self.space.namespaces],
                dtype=np.bool_,
            )
            self._ns_cache[selector] = found
        return found

    def in_namespace(self, namespace: str) -> BoolArray:
        """The classes of one namespace."""
        in_ns: BoolArray = self.space.class_ns == self.ns_index[namespace]
        return in_ns

    def none(self) -> BoolArray:
        """An endpoint mask matching nothing."""
        return np.zeros(self.total, dtype=np.bool_)

    def everything(self) -> BoolArray:
        """An endpoint mask matching every class and address."""
        return np.ones(self.total, dtype=np.bool_)

    def pods(self, classes: BoolArray) -> BoolArray:
        """An endpoint mask matching the given classes and no address."""
        out = self.none()
        out[: self.count] = classes
        return out

    def addresses(self, addresses: IPRangeSet) -> BoolArray:
        """An endpoint mask matching the atoms inside ``addresses`` and the classes with a pod
        IP inside them. ``addresses`` must be one of the address sets the languages' facts
        named (or a union of them): atoms are the pieces those sets do not split."""
        return self.ip_endpoints.mask(addresses)

    def span(self, protocol: str, lo: int, hi: int) -> Mask:
        """The port mask of values lo..hi of a protocol."""
        return self.space.port_atoms.mask_of_span(protocol, lo, hi)

    def named_atoms(self, port: NamedPort) -> npt.NDArray[np.int64]:
        """Per class, the atom index of the named port, or -1 where it does not resolve."""
        found = self._named_atoms.get(port)
        if found is None:
            numbers = self.space.named[port]
            atoms = self.space.port_atoms
            found = np.array(
                [-1 if n < 0 else atoms.atom_of(port[1], int(n)) for n in numbers.tolist()],
                dtype=np.int64,
            )
            self._named_atoms[port] = found
        return found

    def target_masks(
        self, rule: CompiledRule, targets: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.uint64]:
        """The ports a rule matches towards each target (a class index, or an atom index past
        the classes), excluded ports removed."""
        words = self.space.port_atoms.words
        out = np.broadcast_to(rule.static, (len(targets), words)).copy()
        self.add_named(out, rule.named, targets)
        if rule.static_not is not None or rule.named_not:
            excluded = np.zeros_like(out)
            if rule.static_not is not None:
                excluded |= rule.static_not
            self.add_named(excluded, rule.named_not, targets)
            out &= ~excluded
        return out

    def add_named(
        self,
        out: npt.NDArray[np.uint64],
        named: list[NamedPort] | tuple[NamedPort, ...],
        targets: npt.NDArray[np.intp],
    ) -> None:
        """Set the bits of named ports in ``out`` (one row per target), resolved on each
        in-cluster target; an address target resolves no name."""
        if not named:
            return
        pods = targets < self.count
        pod_targets = targets[pods]
        rows = np.flatnonzero(pods)
        for port in named:
            atom = self.named_atoms(port)[pod_targets]
            ok = atom >= 0
            bits = np.left_shift(np.uint64(1), (atom[ok] & 63).astype(np.uint64))
            np.bitwise_or.at(out, (rows[ok], atom[ok] >> 6), bits)
