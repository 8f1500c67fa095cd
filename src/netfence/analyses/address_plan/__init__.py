"""Address plan checks (the ``NF2xx`` family): a plan against the AKS Arc planning rules, and
a cluster's own objects against its plan."""

from __future__ import annotations

from netfence.analyses.address_plan.catalog import CHECKS
from netfence.analyses.address_plan.check import check_address_plan

__all__ = ["CHECKS", "check_address_plan"]
