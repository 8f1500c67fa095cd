"""The connectivity JSON (docs/json-connectivity.md, schema_version 2) against its JSON Schema.

The schema ships with the package (``netfence/report/schemas/connectivity-2.json``); the
bundled example's output at both granularities, whole and for one namespace, must satisfy it.
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
    text = (resources.files("netfence.report") / "schemas" / "connectivity-2.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "args",
    [
        ["--granularity", "workload"],
        ["--granularity", "pod"],
        ["--granularity", "pod", "-n", "shop"],
    ],
    ids=["workload", "pod", "pod-one-namespace"],
)
def test_example_output_satisfies_the_schema(cli, validator, args):
    """Every document the example gives is valid against the shipped schema of its version."""
    result = cli("connectivity", EXAMPLE, "-o", "json", *args)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["schema_version"] == SCHEMA_VERSION == "2"
    validator.validate(document)
    assert any(e["kind"] == "IPRange" and e["except"] for e in document["endpoints"])


def test_schema_refuses_a_version_1_document(validator):
    """Version 1 named external ranges by bare CIDRs, without ``cidr``/``except``: the version
    2 schema refuses it (so the test above can fail)."""
    old = {
        "schema_version": "1",
        "granularity": "workload",
        "endpoints": [{"name": "0.0.0.0/5", "kind": "IPRange", "namespace": None}],
        "connections": [{"src": "ns/a", "dst": "0.0.0.0/5", "allowed": {"TCP": [[443, 443]]}}],
    }
    errors = list(validator.iter_errors(old))
    assert errors
    old["schema_version"] = "2"
    assert not validator.is_valid(old), "an IPRange endpoint without cidr/except is refused"


def test_the_documented_example_satisfies_the_schema(validator):
    """docs/json-connectivity.md's example document is valid, and names only its endpoints."""
    text = (ROOT / "docs" / "json-connectivity.md").read_text(encoding="utf-8")
    found = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert found is not None
    document = json.loads(found.group(1))
    validator.validate(document)
    named = {
        name
        for entry in document["connections"]
        for side in ("src", "dst")
        for name in ([entry[side]] if isinstance(entry[side], str) else entry[side])
    }
    assert named == {e["name"] for e in document["endpoints"]}


def test_firewall_output_satisfies_the_schema(cli, validator):
    """Paths (issue 10, deliverable 4): ``connectivity --firewall -o json`` keeps the map's
    keys and adds a ``firewall`` key the shipped schema describes."""
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
    assert document["firewall"]["connections"]
    broken = json.loads(result.out)
    broken["firewall"]["connections"][0]["parts"][0]["cluster_end"] = "nat"
    assert list(validator.iter_errors(broken))
