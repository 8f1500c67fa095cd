"""Order what every language compiles into the layered walk, one tier after another.

For each direction:

- The Admin tier (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin), by priority.
- Without Calico policies: the Kubernetes NetworkPolicy tier (a union with isolation).
  With them: Calico's tiers by order (``policy/calico.py``), Kubernetes NetworkPolicies in
  the ``default`` tier at order 1000, and the Admin and Baseline policies in Calico's
  built-in tiers for them, ordered together with Calico policies of those tiers.
- The Baseline tier (BaselineAdminNetworkPolicy, ClusterNetworkPolicy tier Baseline).
- Then the default: allow.

Rules are numbered (``rule_id``) in walk order, ingress and egress alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from netfence.model.calico import DEFAULT_TIER
from netfence.model.layers import RuleId
from netfence.model.networkpolicy import Direction
from netfence.policy.calico import (
    ADMIN_TIER_NAMES,
    BASELINE_TIER_NAMES,
    builtin_tier_name,
    tier_settings,
)
from netfence.policy.masks import MaskBuilder
from netfence.policy.registry import LANGUAGES
from netfence.policy.rules import (
    CompiledPolicy,
    CompiledRule,
    CompiledTier,
    LazyMasks,
    Placement,
    make_tier,
)
from netfence.policy.space import BoolArray, EndpointSpace


@dataclass(eq=False)
class CompiledPolicies:
    """Every policy of every language compiled once, in tiers in evaluation order."""

    space: EndpointSpace
    """The classes and atoms the masks are over."""
    masks: MaskBuilder
    """The mask builder (for named-port masks towards given targets)."""
    tiers: list[CompiledTier]
    """All tiers, in evaluation order."""
    policies: list[CompiledPolicy]
    """Every compiled policy, language by language in registry order."""
    rules: list[CompiledRule]
    """Every rule in walk order; a rule's ``rule_id`` is its index here."""
    isolated_in: BoolArray
    """Classes some tier with an end-of-tier deny selects for ingress."""
    isolated_out: BoolArray
    """Classes some tier with an end-of-tier deny selects for egress."""

    kubernetes: list[CompiledPolicy]
    """The Kubernetes NetworkPolicies, indexed as ``cluster.policies``."""
    selected: Sequence[BoolArray]
    """Per Kubernetes NetworkPolicy (index in ``cluster.policies``), the classes it selects."""
    lookups: dict[tuple[int, Direction], object] = field(default_factory=dict, repr=False)
    """Indexes the evaluator builds once and reuses across one-flow walks (by tier position
    and direction)."""

    def kubernetes_rules(self, direction: Direction) -> list[CompiledRule]:
        """Kubernetes NetworkPolicy rules of one direction, of policies that select a class."""
        return [r for p in self.kubernetes for r in p.rules(direction)]


def compile_layers(space: EndpointSpace) -> CompiledPolicies:
    """Compile every policy of every registered language and lay the tiers out."""
    masks = MaskBuilder(space)
    policies = [p for lang in LANGUAGES for p in lang.compile(space, masks)]
    by_place: dict[Placement, list[CompiledPolicy]] = {place: [] for place in Placement}
    for policy in policies:
        by_place[policy.placement].append(policy)
    count = space.count
    if space.cluster.calico_policies:  # Calico's layout, even if only host policies remain
        tiers = _calico_layout(space, by_place)
    else:
        tiers = []
        if by_place[Placement.ADMIN]:
            tiers.append(make_tier("Admin", False, by_place[Placement.ADMIN], count))
        tiers.append(make_tier("NetworkPolicy", True, by_place[Placement.KUBERNETES], count))
        if by_place[Placement.BASELINE]:
            tiers.append(make_tier("Baseline", False, by_place[Placement.BASELINE], count))
    rules: list[CompiledRule] = []
    isolated_in = np.zeros(count, dtype=np.bool_)
    isolated_out = np.zeros(count, dtype=np.bool_)
    for tier in tiers:
        for rule in tier.ingress + tier.egress:
            rule.rule_id = RuleId(len(rules))
            rules.append(rule)
        if tier.end_deny:
            isolated_in |= tier.selected_in
            isolated_out |= tier.selected_out
    kubernetes = by_place[Placement.KUBERNETES]
    # Computed when asked (a few checks): a list would hold policies x classes bytes.
    selected = LazyMasks(len(kubernetes), lambda i: _selection(kubernetes[i], count))
    return CompiledPolicies(
        space, masks, tiers, policies, rules, isolated_in, isolated_out, kubernetes, selected
    )


def _selection(policy: CompiledPolicy, count: int) -> BoolArray:
    """The classes a policy selects, for whichever direction it governs."""
    chosen = policy.selection()
    return chosen if chosen is not None else np.zeros(count, np.bool_)


def _calico_layout(
    space: EndpointSpace, by_place: dict[Placement, list[CompiledPolicy]]
) -> list[CompiledTier]:
    """Calico's tiers by (order, name), holding the other languages' policies where Calico
    places them."""
    cluster = space.cluster
    defined = {t.name: t for t in cluster.calico_tiers}
    names = set(defined) | {p.tier for p in cluster.calico_policies}
    members: dict[str, list[CompiledPolicy]] = {DEFAULT_TIER: list(by_place[Placement.KUBERNETES])}
    if by_place[Placement.ADMIN]:
        members[builtin_tier_name(names, ADMIN_TIER_NAMES)] = list(by_place[Placement.ADMIN])
    if by_place[Placement.BASELINE]:
        members[builtin_tier_name(names, BASELINE_TIER_NAMES)] = list(by_place[Placement.BASELINE])
    for policy in by_place[Placement.CALICO]:
        members.setdefault(policy.tier, []).append(policy)
    placed = []
    for name, tier_members in members.items():
        order, end_deny = tier_settings(name, defined.get(name))
        placed.append((order, name, make_tier(name, end_deny, tier_members, space.count)))
    return [tier for _, _, tier in sorted(placed, key=lambda t: (t[0], t[1]))]
