"""The whole check catalog: importing the check modules registers their checks.

Kept apart from ``registry`` (which the check modules import for its decorator) so that no
module imports a module that imports it back.
"""

from __future__ import annotations

from netfence.analyses.audit import (
    checks_exposure,
    checks_facts,
    checks_hygiene,
    checks_isolation,
    checks_layers,
    checks_redundancy,
)
from netfence.analyses.audit.registry import CheckFunction, registered
from netfence.model.findings import CheckInfo

CHECK_MODULES = (
    checks_exposure,
    checks_facts,
    checks_hygiene,
    checks_isolation,
    checks_layers,
    checks_redundancy,
)
"""The modules whose checks make up the catalog."""


def catalog() -> list[tuple[CheckInfo, CheckFunction]]:
    """Every check, by ID."""
    return registered()
