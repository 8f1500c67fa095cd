"""The shipped JSON Schema of the address plan (draft 2020-12) and the reader agree: every
valid plan (templates, the docs' example, the fixtures) validates, and every bad plan the
schema can express is refused by both, so the two cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from netfence.errors import InputError
from netfence.model.address_plan import PLAN_VERSION, Platform
from netfence.sources.address_plan import (
    address_plan_schema,
    address_plan_template,
    parse_address_plan,
)
from tests.sources.test_address_plan import BAD, FIXTURES, HEADER

DOCS = Path(__file__).resolve().parents[2] / "docs" / "address-plan.md"
NOT_EXPRESSIBLE = {
    # Rules a JSON Schema cannot state; the reader alone refuses these.
    "host bits set",
    "v4-mapped",
    "pool start after end",
    "pool families differ",
    "duplicate lnet name",
    "unknown lnet",
    "unknown lb pool",
    "lb pool on unknown lnet",
    "two pod CIDRs of one family",
    "two service CIDRs of one family",
    "no_proxy CIDR with host bits",
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(address_plan_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_is_versioned_and_describes_every_field():
    schema = json.loads(address_plan_schema())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f":{PLAN_VERSION}")
    assert schema["properties"]["version"]["const"] == PLAN_VERSION

    def undescribed(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    yield f"{path}.{name}"
            for key, sub in node.items():
                yield from undescribed(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                yield from undescribed(sub, f"{path}[{i}]")

    missing = [p for p in undescribed(schema, "$") if ".anyOf" not in p and ".if" not in p]
    missing = [p for p in missing if ".else" not in p]
    assert missing == []


def docs_example() -> str:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(r"## Example\n.*?```yaml\n(.*?)```", text, re.S)
    assert found, "docs/address-plan.md has no ## Example yaml block"
    return found.group(1)


def valid_plans() -> list[tuple[str, str]]:
    plans = [(f"template {p.value}", address_plan_template(p)) for p in Platform]
    plans += [(path.name, path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.iterdir())]
    plans.append(("docs example", docs_example()))
    return plans


@pytest.mark.parametrize(("name", "text"), valid_plans(), ids=[n for n, _ in valid_plans()])
def test_valid_plans_validate_and_read(validator, name, text):
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(text))]
    assert errors == []
    parse_address_plan(text, name)


EXPRESSIBLE = [c for c in BAD if c[0] not in NOT_EXPRESSIBLE]


def json_path(parts) -> str:
    """A schema error's path in the reader's notation: ``clusters[1].control_plane_ip``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


@pytest.mark.parametrize(
    ("body", "field"), [(c[1], c[3]) for c in EXPRESSIBLE], ids=[c[0] for c in EXPRESSIBLE]
)
def test_bad_plans_are_refused_by_schema_and_reader_at_the_same_field(validator, body, field):
    """Both refuse, and the schema's most relevant error stands at the reader's field (or at
    the mapping that lacks it or holds the unknown key)."""
    text = HEADER + body
    error = jsonschema.exceptions.best_match(validator.iter_errors(yaml.safe_load(text)))
    assert error is not None
    with pytest.raises(InputError) as caught:
        parse_address_plan(text, "plan.yaml")
    assert caught.value.field == field
    if field != "(document)":
        assert field.startswith(json_path(error.absolute_path)), error.message


@pytest.mark.parametrize(
    "text",
    [
        HEADER.replace("version: 1", "version: 2")
        + "data_networks: [{name: d, cidrs: [10.0.0.0/8]}]",
        HEADER.replace("netfence.address-plan", "other")
        + "data_networks: [{name: d, cidrs: [10.0.0.0/8]}]",
        HEADER.replace("name: site\n", "") + "data_networks: [{name: d, cidrs: [10.0.0.0/8]}]",
    ],
    ids=["version", "format", "name"],
)
def test_header_refusals_agree(validator, text):
    assert not validator.is_valid(yaml.safe_load(text))
    with pytest.raises(InputError):
        parse_address_plan(text, "plan.yaml")


def test_every_reader_field_is_in_the_schema():
    """The reader's field lists and the schema's properties are the same names."""
    from netfence.sources import address_plan as reader

    schema = json.loads(address_plan_schema())
    defs = schema["$defs"]
    pairs = {
        "_TOP": schema,
        "_LNET": defs["logical_network"],
        "_RANGE": defs["range"],
        "_CLUSTER": defs["cluster"],
        "_LB_POOL": defs["load_balancer_pool"],
        "_MANAGEMENT": defs["management"],
        "_NAMED": defs["named_network"],
        "_PROXY": defs["proxy"],
    }
    for constant, node in pairs.items():
        assert set(getattr(reader, constant)) == set(node["properties"]), constant
