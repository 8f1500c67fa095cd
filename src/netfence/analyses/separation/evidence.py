"""The evidence of the separation checks, as typed records (JSON through
:func:`netfence.analyses.audit.evidence.evidence_json`)."""

from __future__ import annotations

from dataclasses import dataclass

from netfence.analyses.audit.evidence import Evidence


@dataclass(frozen=True)
class LayerStep(Evidence):
    """What one firewall layer on the path does with the flow."""

    layer: str
    """The layer's name."""
    allowed_by: tuple[str, ...]
    """The rules (``layer: path``, or ``default``) that let the ports through."""
    allowed: str
    """The ports it lets through."""
    blocked: str
    """The ports it blocks (empty when none)."""
    undecided: str
    """The ports it cannot decide (empty when none)."""
    reasons: tuple[str, ...] = ()
    """Why those ports cannot be decided."""


@dataclass(frozen=True)
class PathEvidence(Evidence):
    """The firewall layers a flow crosses, and what passes them all."""

    cluster_end: str
    """How the layers see the source: ``SNAT to node ...``, or the data network."""
    layers: tuple[LayerStep, ...]
    """Each layer, in path order."""
    allowed: str
    """The ports every layer lets through."""
    undecided: str
    """The ports no layer blocks and some layer cannot decide."""


@dataclass(frozen=True)
class TargetReach(Evidence):
    """One destination a workload may reach."""

    target: str
    """What it is: ``control-plane IP of cluster c1``, ``management network``."""
    addresses: str
    """The addresses reached."""
    ports: str
    """The ports the pod policies allow to it (of those the check asks)."""
    reached: str
    """The ports that also pass every firewall layer (the same as ``ports`` without layers,
    or for an address the layers do not see)."""
    undecided: str = ""
    """The ports some layer cannot decide."""
    path: PathEvidence | None = None
    """The firewall path, when layers were given and the address is outside the cluster."""
    on_lnet: bool = False
    """Whether the addresses are on the clusters' own lnets (only node layers judge them)."""


@dataclass(frozen=True)
class WorkloadReach(Evidence):
    """NF221, NF222, NF223: what a workload may reach and which pod-policy rules allow it."""

    reached: tuple[TargetReach, ...]
    """Each destination reached."""
    allowed_by: tuple[str, ...]
    """The pod-policy Allow rules that let it through, in walk order."""
    passed_by: tuple[str, ...]
    """Pass rules whose traffic no later tier decides (so the default allows it)."""
    isolated: bool
    """Whether some egress policy isolates the workload."""
    by_default: bool
    """Whether some of it is allowed because no policy decides it."""
    manages_cluster: bool = False
    """Whether the workload is in a namespace that manages the cluster."""


@dataclass(frozen=True)
class NetworkReach(Evidence):
    """NF224 and NF225 (internal ports): a plan network reaching another through the layers."""

    source: str
    """The source network (``data network dmz``)."""
    source_addresses: str
    """Its addresses."""
    destination: str
    """The destination (``management network``)."""
    destination_addresses: str
    """Its addresses."""
    ports: str
    """The ports every layer lets through."""
    undecided: str
    """The ports no layer blocks and some layer cannot decide."""
    path: PathEvidence | None = None
    """The firewall path."""


@dataclass(frozen=True)
class Unseparated(Evidence):
    """NF224 without firewall layers: nothing read separates the networks."""

    data_networks: tuple[str, ...]
    """The data networks, ``name (cidrs)``."""
    management: str
    """The management network's addresses."""
    layers: int = 0
    """Firewall layers given: none."""


@dataclass(frozen=True)
class SharedSegment(Evidence):
    """NF225 (plan): a network on the management VLAN or overlapping its prefixes."""

    network: str
    """``lnet aks-lnet`` or ``data network dmz``."""
    prefixes: tuple[str, ...]
    """Its prefixes."""
    vlan: int | None
    """Its VLAN."""
    management_vlan: int | None
    """The management network's VLAN."""
    overlap: str
    """The addresses it shares with the management network (empty when none)."""
    same_vlan: bool
    """Whether both are on the same VLAN."""
