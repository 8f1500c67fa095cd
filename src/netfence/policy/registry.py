"""The policy languages netfence evaluates, in one table.

Adding a language is one module implementing :class:`~netfence.policy.interface.PolicyLanguage`
and one row here (and, when it brings a new kind of tier, its place in ``layering``).
"""

from __future__ import annotations

from typing import Final

from netfence.model.cluster import Cluster
from netfence.policy.admin import AdminLanguage
from netfence.policy.calico import CalicoLanguage
from netfence.policy.interface import DroppedUse, PolicyLanguage
from netfence.policy.kubernetes import KubernetesLanguage
from netfence.policy.space import Facts

LANGUAGES: Final[tuple[PolicyLanguage, ...]] = (
    KubernetesLanguage(),
    CalicoLanguage(),
    AdminLanguage(),
)
"""Every policy language, in the order their facts and policies are collected."""


def collect_facts(cluster: Cluster) -> Facts:
    """What the policies of every language tell endpoints and connections apart by."""
    facts = Facts()
    for lang in LANGUAGES:
        facts.merge(lang.facts(cluster))
    return facts


def dropped_uses(cluster: Cluster) -> list[DroppedUse]:
    """Every place the cluster uses a feature some language's model drops."""
    return [use for lang in LANGUAGES for use in lang.dropped_uses(cluster)]
