"""The layered rule model every policy language is compiled into: tiers, ordered rules, actions."""

from __future__ import annotations

import enum


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
