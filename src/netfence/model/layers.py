"""The layered rule model every policy language is compiled into: actions and rule origins.

A compiled rule says *what* it does (an :class:`Action`) and *where it comes from* (a
:class:`RuleOrigin`): the policy, the rule within it and, for one flow, the peer and port
entry that matched. Explanations, checks, SARIF locations and fixes all name rules through
the origin, never by parsing strings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, NewType

from netfence.errors import Location
from netfence.model.networkpolicy import Direction

RuleId = NewType("RuleId", int)
"""A compiled rule's number, unique within one compilation (its position in the walk)."""


class Action(enum.StrEnum):
    """What a matching rule does with a connection."""

    ALLOW = "Allow"
    """Allow it; no later rule or tier is consulted."""
    DENY = "Deny"
    """Deny it; no later rule or tier is consulted."""
    PASS = "Pass"
    """Skip the rest of this tier; the next tier decides."""
    LOG = "Log"
    """Record it and go on to the next rule (no verdict)."""


_PEER_FIELDS: Final = {
    # kind -> (ingress peer list, egress peer list, ports field): the API's own field names.
    "NetworkPolicy": ("from", "to", "ports"),
    "AdminNetworkPolicy": ("from", "to", "ports"),
    "BaselineAdminNetworkPolicy": ("from", "to", "ports"),
    "ClusterNetworkPolicy": ("from", "to", "protocols"),
    "CalicoNetworkPolicy": ("source", "destination", "destination.ports"),
    "GlobalNetworkPolicy": ("source", "destination", "destination.ports"),
}


@dataclass(frozen=True)
class RuleOrigin:
    """Where a compiled rule comes from: its policy, direction and rule, and for one flow the
    peer and port entry that matched."""

    kind: str
    """The policy's kind as netfence names it: ``NetworkPolicy`` (networking.k8s.io),
    ``CalicoNetworkPolicy``, ``GlobalNetworkPolicy``, ``AdminNetworkPolicy``,
    ``BaselineAdminNetworkPolicy`` or ``ClusterNetworkPolicy``."""
    namespace: str | None
    """The policy's namespace; None for cluster-scoped kinds."""
    name: str
    """The policy's name."""
    direction: Direction
    """Which rule list the rule is in."""
    rule_index: int
    """0-based index of the rule in that list."""
    peer_index: int | None = None
    """0-based index of the matching peer entry; None for the whole rule, or when the rule
    has no peer list (all peers) or the language has none (Calico)."""
    port_index: int | None = None
    """0-based index of the matching port entry; None for the whole rule or every port."""
    location: Location | None = None
    """Where the rule is written."""
    rule_name: str | None = None
    """The rule's own name, where the API gives rules names (the AdminNetworkPolicy family)."""

    @property
    def policy(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped kinds)."""
        key = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind}/{key}"

    @property
    def rule_path(self) -> str:
        """The rule's field path: ``spec.ingress[1]``."""
        return f"spec.{self.direction.value.lower()}[{self.rule_index}]"

    @property
    def path(self) -> str:
        """The field path down to the peer and port entry where known:
        ``spec.ingress[0].from[1]``, ``spec.egress[2].ports[0]``."""
        into, out, ports = _PEER_FIELDS.get(self.kind, ("from", "to", "ports"))
        text = self.rule_path
        if self.peer_index is not None:
            text += f".{into if self.direction is Direction.INGRESS else out}[{self.peer_index}]"
        if self.port_index is not None:
            text += f".{ports}[{self.port_index}]"
        return text

    @property
    def label(self) -> str:
        """The field path, with the rule's name where it has one: ``spec.ingress[0] (deny-all)``."""
        return f"{self.path} ({self.rule_name})" if self.rule_name else self.path

    def __str__(self) -> str:
        return f"{self.policy} {self.label}"
