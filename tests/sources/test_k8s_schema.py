"""The checked-in field lists (sources/k8s_schema.py) are the official client's.

netfence needs the field lists at run time but not the ``kubernetes`` client (a large
package with its own dependencies), so the lists are generated from the client's models
and checked in; this test regenerates them whenever the client is installed
(``pip install -e '.[schema]'``) and fails when they drift. Regenerate with
``python -m tests.sources.k8s_schema_gen > src/netfence/sources/k8s_schema.py``.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from netfence.sources import k8s_schema
from tests.sources import k8s_schema_gen


def test_schema_covers_every_modelled_core_kind():
    """Each core kind netfence reads has its root type, and every reference resolves."""
    assert set(k8s_schema.ROOTS) == set(k8s_schema_gen.ROOTS)
    for fields in k8s_schema.TYPES.values():
        for ref in fields.values():
            assert not ref or ref.strip("[]{}") in k8s_schema.TYPES, ref
    assert all(
        k8s_schema.TYPES[name]["status"] == ""
        for name in k8s_schema.ROOTS.values()
        if "status" in k8s_schema.TYPES[name]
    )


def test_k8s_schema_matches_the_client():
    """The checked-in TYPES equal what the installed kubernetes client's models define (skipped
    on a developer machine without the client; CI installs it, so there it always runs)."""
    if importlib.util.find_spec("kubernetes") is None:
        message = "the kubernetes client is not installed (pip install -e '.[schema]')"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
        pytest.skip(message)
    assert k8s_schema_gen.client_types() == k8s_schema.TYPES
