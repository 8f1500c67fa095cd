"""Management/data separation checks (NF221-NF225): the plan, the cluster's policies and the
firewall layers, against the control plane, the management network and the nodes."""

from __future__ import annotations

from netfence.analyses.separation.catalog import CHECKS
from netfence.analyses.separation.check import check_separation

__all__ = ["CHECKS", "check_separation"]
