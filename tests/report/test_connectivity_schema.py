"""The connectivity JSON (docs/json-connectivity.md, schema_version 3) against its JSON Schema.

The schema ships with the package (``netfence/report/schemas/connectivity-3.json``); the
bundled example's output in both forms, at both granularities, whole and for one namespace,
must satisfy it.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from netfence.report.connectivity import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "arc-cluster"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    text = (resources.files("netfence.report") / "schemas" / "connectivity-3.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("form", [[], ["--flat"]], ids=["groups", "pairs"])
@pytest.mark.parametrize(
    "args",
    [
        ["--granularity", "workload"],
        ["--granularity", "pod"],
        ["--granularity", "pod", "-n", "shop"],
    ],
    ids=["workload", "pod", "pod-one-namespace"],
)
def test_example_output_satisfies_the_schema(cli, validator, args, form):
    """Every document the example gives, in either form, is valid against the shipped schema
    of its version."""
    result = cli("connectivity", EXAMPLE, "-o", "json", *args, *form)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["schema_version"] == SCHEMA_VERSION == "3"
    assert document["form"] == ("pairs" if form else "groups")
    validator.validate(document)
    if not form:
        assert any(t["except"] for g in document["external"] for t in g["addresses"])


def test_schema_refuses_a_version_2_document(validator):
    """Version 2 listed endpoint names in connections: the version 3 schema refuses it, and a
    groups document whose connections name endpoints rather than group ids (so the test above
    can fail)."""
    old = {
        "schema_version": "2",
        "granularity": "workload",
        "endpoints": [{"name": "ns/a", "kind": "Deployment", "namespace": "ns"}],
        "connections": [{"src": "ns/a", "dst": "ns/a", "allowed": {"TCP": [[443, 443]]}}],
    }
    assert list(validator.iter_errors(old))
    renamed = {
        "schema_version": "3",
        "form": "groups",
        "granularity": "workload",
        "policies": [],
        "groups": [],
        "external": [],
        "connections": [{"src": ["ns/a"], "dst": ["ns/a"], "allowed": {"TCP": [[443, 443]]}}],
    }
    assert not validator.is_valid(renamed), "connections name group ids"


def test_the_documented_examples_satisfy_the_schema(validator):
    """docs/json-connectivity.md's example documents (both forms) are valid, and the groups
    example's connections name only its groups."""
    text = (ROOT / "docs" / "json-connectivity.md").read_text(encoding="utf-8")
    documents = [json.loads(found) for found in re.findall(r"```json\n(.*?)```", text, re.DOTALL)]
    assert {d["form"] for d in documents} == {"groups", "pairs"}
    for document in documents:
        validator.validate(document)
        if document["form"] == "groups":
            ids = {g["id"] for g in (*document["groups"], *document["external"])}
            named = {n for c in document["connections"] for side in ("src", "dst") for n in c[side]}
            assert named <= ids
            policies = {p["id"] for p in document["policies"]}
            assert {
                p for g in document["groups"] for side in g["selected_by"].values() for p in side
            } <= policies


def test_firewall_output_satisfies_the_schema(cli, validator):
    """Paths (issue 10, deliverable 4): ``connectivity --firewall -o json`` keeps the map's
    keys (the groups form) and adds a ``firewall`` key the shipped schema describes."""
    data = ROOT / "tests" / "cli" / "data" / "firewall_path"
    result = cli(
        "connectivity",
        data / "cluster.yaml",
        "-o",
        "json",
        "--firewall",
        data / "node-nsg.json",
        data / "perimeter.json",
    )
    assert result.code == 0, result.err
    document = json.loads(result.out)
    validator.validate(document)
    assert document["form"] == "groups"
    assert document["firewall"]["connections"]
    broken = json.loads(result.out)
    broken["firewall"]["connections"][0]["parts"][0]["cluster_end"] = "nat"
    assert list(validator.iter_errors(broken))
