"""netfence: exact reachability, audit and hardening for Kubernetes network policies."""

from __future__ import annotations

__version__ = "0.1.0"
