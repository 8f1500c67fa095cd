"""nca 2.1.0, the peer analyzer of the differential tests, from its own virtual environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def nca_python() -> str:
    """The python of nca's virtual environment (``NETFENCE_NCA_PYTHON``, which .ci/run sets);
    skipped without it, a failure under CI."""
    found = os.environ.get("NETFENCE_NCA_PYTHON")
    if found and Path(found).exists():
        return found
    message = "nca 2.1.0 is not installed (set NETFENCE_NCA_PYTHON to its venv's python)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)
