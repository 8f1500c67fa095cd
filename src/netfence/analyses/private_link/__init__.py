"""``privatelink check``: a Private Link design's names against a real resolver, its documented
limits, and the firewall layers the endpoints that stay public must cross."""

from __future__ import annotations
