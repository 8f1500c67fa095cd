"""The seam between the model and the engine: the interface every policy language implements.

A language contributes *facts* (the selectors, address blocks, named ports and port spans its
policies can tell endpoints and connections apart by), from which the engine builds endpoint
classes and atoms; it then compiles its policies against those classes into
:class:`~netfence.policy.rules.CompiledPolicy` records placed in tiers. It declares what of
its language it models and what it drops, and finds where a cluster uses what is dropped.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from netfence.errors import Location
from netfence.model.cluster import Cluster
from netfence.model.layers import Action, RuleOrigin
from netfence.policy.masks import MaskBuilder
from netfence.policy.rules import CompiledPolicy
from netfence.policy.space import EndpointSpace, Facts


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
