"""Kubernetes label selectors (metav1.LabelSelector): matchLabels and matchExpressions."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Operator(enum.StrEnum):
    """The operators of a LabelSelectorRequirement."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, order=True)
class Requirement:
    """One requirement on one label key; matchLabels entries become ``In`` with one value."""

    key: str
    """The label key."""
    operator: Operator
    """How the key's value is tested."""
    values: tuple[str, ...] = ()
    """Sorted, de-duplicated values for In and NotIn; empty for Exists and DoesNotExist."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy the requirement.

        NotIn and DoesNotExist match objects that lack the key (LabelSelectorRequirement,
        Kubernetes API reference; labels.Selector semantics).
        """
        value = labels.get(self.key)
        match self.operator:
            case Operator.IN:
                return value is not None and value in self.values
            case Operator.NOT_IN:
                return value is None or value not in self.values
            case Operator.EXISTS:
                return value is not None
            case Operator.DOES_NOT_EXIST:
                return value is None

    def __str__(self) -> str:
        match self.operator:
            case Operator.IN if len(self.values) == 1:
                return f"{self.key}={self.values[0]}"
            case Operator.IN | Operator.NOT_IN:
                return f"{self.key} {self.operator.value} ({','.join(self.values)})"
            case Operator.EXISTS:
                return self.key
            case Operator.DOES_NOT_EXIST:
                return f"!{self.key}"


@dataclass(frozen=True)
class LabelSelector:
    """A conjunction of requirements; no requirements selects everything.

    Requirements are kept sorted and de-duplicated, so selectors that mean the same compare
    and hash equal (the engine evaluates each distinct selector once).
    """

    requirements: tuple[Requirement, ...] = ()
    """All must hold (matchLabels and matchExpressions are AND-ed)."""

    @classmethod
    def create(cls, requirements: list[Requirement]) -> LabelSelector:
        """Build the canonical selector from requirements in any order."""
        return cls(tuple(sorted(set(requirements))))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every requirement holds for ``labels``."""
        return all(req.matches(labels) for req in self.requirements)

    @property
    def selects_all(self) -> bool:
        """Whether this is the empty selector, which matches every object."""
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements) if self.requirements else "{}"
