"""What policy languages compile against: endpoint classes, atoms, and the facts that shape them.

Languages contribute :class:`Facts`, from which the engine builds the endpoint classes and
atoms; they compile against the :class:`EndpointSpace` those form. The engine's
``EndpointClasses`` implements the space, so languages never import the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from netfence.model.calico_selector import Selector
from netfence.model.cluster import Cluster
from netfence.model.selectors import LabelSelector
from netfence.sets.atoms import IPAtoms, PortAtoms
from netfence.sets.ipranges import IPRangeSet

BoolArray = npt.NDArray[np.bool_]
"""One boolean per endpoint class (or per class, then per address atom)."""
NamedPort = tuple[str, str]
"""(port name, protocol) as a rule names a container port."""


@dataclass
class Facts:
    """What policies can tell pods and connections apart by (dicts keep first-seen order)."""

    pod_selectors: dict[LabelSelector, None] = field(default_factory=dict)
    """Kubernetes label selectors over pod labels."""
    calico_selectors: dict[Selector, None] = field(default_factory=dict)
    """Calico selector expressions over workload-endpoint labels."""
    addresses: list[str | IPRangeSet] = field(default_factory=list)
    """Every address set the compiled rules test (a CIDR, or a set): address atoms are the
    pieces none of them splits, so a rule must match exactly these sets (or unions)."""
    named_ports: dict[NamedPort, None] = field(default_factory=dict)
    """Container port names the rules name."""
    spans: list[tuple[str, int, int]] = field(default_factory=list)
    """(protocol, lo, hi) value spans the rules name."""

    def merge(self, other: Facts) -> None:
        """Add another language's facts to these."""
        self.pod_selectors.update(other.pod_selectors)
        self.calico_selectors.update(other.calico_selectors)
        self.addresses.extend(other.addresses)
        self.named_ports.update(other.named_ports)
        self.spans.extend(other.spans)


class EndpointSpace(Protocol):
    """What a language compiles against: endpoint classes and the atoms of ports and addresses.

    The engine's ``EndpointClasses`` is the implementation; languages see only this.
    """

    @property
    def cluster(self) -> Cluster:
        """The cluster the classes were built from."""

    @property
    def count(self) -> int:
        """Number of pod classes."""

    @property
    def namespaces(self) -> list[str]:
        """Namespace names; ``class_ns`` indexes this list."""

    @property
    def members(self) -> list[list[int]]:
        """Indices into ``cluster.pods`` of each class's pods (the first stands for it)."""

    @property
    def class_ns(self) -> npt.NDArray[np.int32]:
        """Namespace index of each class."""

    @property
    def class_ip_atoms(self) -> list[frozenset[int]]:
        """Address atoms each class's pod IPs fall in."""

    @property
    def named(self) -> Mapping[NamedPort, npt.NDArray[np.int32]]:
        """For each named port the rules use: its number on each class, or -1."""

    @property
    def ip_atoms(self) -> IPAtoms:
        """The address atoms."""

    @property
    def port_atoms(self) -> PortAtoms:
        """The port atoms."""

    def pod_selector_mask(self, selector: LabelSelector) -> BoolArray:
        """Which classes' labels a Kubernetes label selector matches."""

    def calico_selector_mask(self, selector: Selector) -> BoolArray:
        """Which classes' Calico endpoint labels a Calico selector matches."""
