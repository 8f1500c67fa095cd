"""Canonical, immutable set algebra: integer intervals, port/protocol sets, IP range sets."""

from __future__ import annotations

from netfence.sets.intervals import IntervalSet
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import KUBERNETES_PROTOCOLS, PROTOCOLS, PortSet

__all__ = ["KUBERNETES_PROTOCOLS", "PROTOCOLS", "IPRangeSet", "IntervalSet", "PortSet"]
