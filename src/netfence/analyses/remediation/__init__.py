"""Fixes proven by the engine: one set of policies per namespace, applied and checked before
any finding carries it (see :func:`plan_fixes`)."""

from __future__ import annotations

from netfence.analyses.remediation.planner import FixOutcome, FixPlan, plan_fixes
from netfence.analyses.remediation.proof import FlowChange, MapDiff, compare_maps

__all__ = ["FixOutcome", "FixPlan", "FlowChange", "MapDiff", "compare_maps", "plan_fixes"]
