"""Fuzzing the loader, the connectivity map and the audit with spoiled Kubernetes documents.

Requirement (README "Exit codes"): whatever a manifest holds, netfence either reads it or
refuses it with a NetfenceError (an InputError naming the place); it never fails with another
exception. Each example is a small cluster (one valid object of every modelled kind) with one
object spoiled (wrong types, boundary values, hostile unicode, unknown fields, deleted
required fields, duplicated keys), written as YAML or JSON; every stage runs in-process:
load, the connectivity map at both granularities, explain, the audit and every renderer.

The run is derandomized (the same examples every time) and small enough for CI; set
``NETFENCE_FUZZ_EXAMPLES`` to run more.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netfence.analyses.audit import run_audit
from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.engine.explain import explain_flow
from netfence.errors import NetfenceError
from netfence.report.connectivity import RENDERERS
from netfence.report.findings_json import render_json
from netfence.report.findings_markdown import render_markdown
from netfence.report.findings_text import render_text
from netfence.report.junit import render_junit
from netfence.report.sarif import render_sarif
from netfence.sources.manifests import load_cluster_from_text
from tests.fuzz.documents import SEEDS, duplicate_key, mutated, to_json, to_yaml

EXAMPLES = int(os.environ.get("NETFENCE_FUZZ_EXAMPLES", "300"))

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True)
def _quiet_warnings() -> Any:
    """Unknown fields are logged as warnings; thousands of them would only slow the run."""
    logger = logging.getLogger("netfence")
    saved = logger.disabled
    logger.disabled = True
    yield
    logger.disabled = saved


def exercise(text: str, name: str, strict: bool) -> None:
    """Every stage on one input; a NetfenceError is a refusal, anything else a bug."""
    try:
        cluster = load_cluster_from_text(text, name, strict=strict)
        for granularity in Granularity:
            cmap = connectivity_map(cluster, granularity)
            for render in RENDERERS.values():
                render(cmap)
        pods = [f"{p.namespace}/{p.name}" for p in cluster.pods]
        if pods:
            explain_flow(cluster, pods[0], pods[-1], None)
            explain_flow(cluster, "203.0.113.9", pods[0], "80/TCP")
        report = run_audit(cluster)
        for render_report in (render_json, render_sarif, render_junit, render_markdown):
            render_report(report)
        render_text(report, color=False)
    except NetfenceError:
        pass


def stream(documents: list[dict[str, Any]], form: str) -> tuple[str, str]:
    if form == "yaml":
        return "\n---\n".join(to_yaml(d) for d in documents) + "\n", "fuzz.yaml"
    items = {"apiVersion": "v1", "kind": "List", "items": documents}
    return to_json(items, ascii_only=form == "json-ascii"), "fuzz.json"


@st.composite
def clusters(draw: st.DrawFn) -> tuple[str, str, bool]:
    target = draw(st.integers(0, len(SEEDS) - 1))
    documents = [draw(mutated(seed)) if i == target else seed for i, seed in enumerate(SEEDS)]
    form = draw(st.sampled_from(["yaml", "json", "json-ascii"]))
    text, name = stream(documents, form)
    if form != "yaml" and draw(st.booleans()):
        text = duplicate_key(text, draw(st.sampled_from(["kind", "apiVersion", "items"])))
    return text, name, draw(st.booleans())


def test_the_seeds_load_and_audit_cleanly():
    """The unspoiled cluster is valid: the fuzzer starts from input netfence accepts."""
    for form in ("yaml", "json"):
        text, name = stream(SEEDS, form)
        cluster = load_cluster_from_text(text, name, strict=True)
        assert len(cluster.pods) == 2
        assert cluster.admin_policies and cluster.calico_policies and cluster.policies
        run_audit(cluster)


@FUZZ
@given(clusters())
def test_spoiled_documents_are_read_or_refused(case: tuple[str, str, bool]) -> None:
    text, name, strict = case
    exercise(text, name, strict)


@FUZZ
@given(st.sampled_from(SEEDS), st.data())
def test_one_spoiled_document_alone(seed: dict[str, Any], data: st.DataObject) -> None:
    """A single object, spoiled, with nothing around it to lean on."""
    doc = data.draw(mutated(seed))
    for form in ("yaml", "json"):
        text, name = stream([doc], form)
        exercise(text, name, strict=False)


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_bytes_are_read_or_refused(raw: bytes | str) -> None:
    """Not a manifest at all: garbage, as text handed to the loader."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    for name in ("junk.yaml", "junk.json"):
        exercise(text, name, strict=False)
