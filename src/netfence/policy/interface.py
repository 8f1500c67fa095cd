"""The seam between the model and the engine: the interface every policy language implements.

A language contributes *facts* (the selectors, address blocks, named ports and port spans its
policies can tell endpoints and connections apart by), from which the engine builds endpoint
classes and atoms; it then compiles its policies against those classes into
:class:`~netfence.policy.rules.CompiledPolicy` records placed in tiers. It declares what of
its language it models and what it drops, and finds where a cluster uses what is dropped.

A firewall language (:class:`FirewallLanguage`) recognizes its exports and compiles each into
:class:`~netfence.model.firewall.FirewallLayer` records: ordered rules with their origins.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from netfence.errors import Location
from netfence.model.cluster import Cluster
from netfence.model.firewall import FirewallKind, FirewallLayer
from netfence.model.layers import Action, RuleOrigin
from netfence.policy.masks import MaskBuilder
from netfence.policy.rules import CompiledPolicy
from netfence.policy.space import EndpointSpace, Facts
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.fields import Field
from netfence.sources.service_tags import ServiceTags


@dataclass(frozen=True)
class Capability:
    """One feature of a language and whether netfence's verdicts model it."""

    feature: str
    """The field or construct, as the API names it (``http``, ``domainNames``, ...)."""
    modeled: bool
    """Whether verdicts take it into account exactly."""
    effect: str
    """For a dropped feature: how verdicts may differ from the cluster's where it is used."""


@dataclass(frozen=True)
class DroppedUse:
    """A place where the input uses a feature the model drops."""

    capability: Capability
    """The feature."""
    kind: str
    """Kind of the policy that uses it."""
    namespace: str | None
    """Its namespace, for namespaced kinds."""
    name: str
    """Its name."""
    path: str
    """The field path of the use (``spec.ingress[0].http``)."""
    location: Location | None
    """Where the use is written."""
    rule: RuleOrigin | None = None
    """The rule that uses it (with the peer entry, where the use is one peer), so checks can
    tell a dropped use from a real defect of the same rule."""
    action: Action | None = None
    """The rule's action, which says which way verdicts may err."""


class PolicyLanguage(abc.ABC):
    """One policy language: its facts, its compilation, its declared capabilities."""

    name: str
    """The language's name in the registry (``kubernetes``, ``calico``, ``admin``)."""
    capabilities: tuple[Capability, ...]
    """What of the language netfence models, and what it drops."""

    @abc.abstractmethod
    def facts(self, cluster: Cluster) -> Facts:
        """What this language's policies tell endpoints and connections apart by."""

    @abc.abstractmethod
    def compile(self, space: EndpointSpace, masks: MaskBuilder) -> Sequence[CompiledPolicy]:
        """Every policy of the language as compiled rules, with where it is placed."""

    def dropped_uses(self, cluster: Cluster) -> list[DroppedUse]:
        """Where the cluster uses a feature this language's model drops (none by default)."""
        return []

    def capability(self, feature: str) -> Capability:
        """The declared capability named ``feature``."""
        for capability in self.capabilities:
            if capability.feature == feature:
                return capability
        raise KeyError(feature)


@dataclass(frozen=True)
class FirewallContext:
    """What a firewall language may need beyond the export itself to give rules their meaning."""

    service_tags: ServiceTags | None = None
    """Service-tag ranges (``--service-tags``), to expand tags into addresses; without them a
    rule naming a tag is "cannot decide" for the addresses the tag may hold."""
    virtual_network: IPRangeSet | None = None
    """The address space NSG's ``VirtualNetwork`` tag stands for (``--virtual-network``), where
    the export does not expand it."""
    related: tuple[Field, ...] = ()
    """Other JSON exports given together that rules may refer to (Azure IP Groups, parent
    firewall policies), parsed, in the order given."""


class FirewallLanguage(abc.ABC):
    """One firewall language: how to recognize its exports and compile them into layers."""

    kind: FirewallKind
    """The language, as ``--firewall-format`` names it."""
    capabilities: tuple[Capability, ...]
    """What of the language netfence models, and what it turns into "cannot decide"."""

    @abc.abstractmethod
    def recognizes(self, text: str, root: Field | None) -> bool:
        """Whether an export is of this language (``root`` is the parsed JSON, None for an
        export that is not JSON)."""

    @abc.abstractmethod
    def read(
        self, text: str, root: Field | None, label: str, context: FirewallContext
    ) -> list[FirewallLayer]:
        """Every layer in one export (an az list output may hold several NSGs), each rule with
        its origin; InputError (file, path, field) for what the firewall itself would refuse."""
