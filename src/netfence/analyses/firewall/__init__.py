"""Firewall consistency: what the firewall layers block of what the cluster needs, what they
allow beyond it, and rules that are too broad, shadowed, redundant or cannot be decided."""

from __future__ import annotations
