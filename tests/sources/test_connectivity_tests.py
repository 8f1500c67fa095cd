"""Reading connectivity-test specs (docs/connectivity-tests.md): what a valid spec becomes,
one InputError naming the file, line and field for every bad field, and the shipped JSON Schema
agreeing with the reader on every case the schema can express."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from netfence.errors import InputError
from netfence.model.connectivity_tests import (
    SPEC_VERSION,
    AddressEnd,
    Expectation,
    NamedEnd,
    SelectorEnd,
    SpecProtocol,
)
from netfence.model.selectors import Operator
from netfence.sources.connectivity_tests import (
    connectivity_tests_schema,
    is_connectivity_tests,
    parse_connectivity_tests,
    read_connectivity_tests,
)
from netfence.sources.file_kinds import NetfenceFileKind, netfence_file_kind

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "connectivity-tests.md"
EXAMPLE = REPO / "examples" / "arc-cluster" / "tests" / "connectivity-tests.yaml"
HEADER = "format: netfence.connectivity-tests\nversion: 1\ntests:\n"
"""Lines 1-3 of every spec below: the first assertion starts at line 4."""
ONE = "  - name: a\n    from: shop/a\n    to: shop/b\n    expect: allow\n"
"""Lines 4-7: one valid assertion."""


def parse(body: str):
    return parse_connectivity_tests(HEADER + body, "spec.yaml")


def refusal(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_connectivity_tests(text, "spec.yaml")
    return caught.value


# --- valid specs ----------------------------------------------------------------------------


def test_names_selectors_and_ranges_become_the_three_kinds_of_end():
    spec = parse(
        "  - name: every end\n"
        "    from: {namespaceSelector: {matchLabels: {team: web}},"
        " podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]}]}}\n"
        "    to: {cidr: 203.0.113.0/24}\n"
        "    expect: deny\n"
        "  - name: by name\n"
        "    from: shop/frontend\n"
        "    to: 10.0.0.7\n"
        "    port: 8080\n"
        "    expect: allow\n"
        "    reason: the shop needs it\n"
    )
    first, second = spec.assertions
    assert isinstance(first.source, SelectorEnd)
    assert first.source.namespace is None and first.source.namespace_selector is not None
    assert [str(r) for r in first.source.namespace_selector.requirements] == ["team=web"]
    assert first.source.pod_selector.requirements[0].operator is Operator.NOT_IN
    assert first.destination == AddressEnd(
        "203.0.113.0/24", first.destination.addresses
    ) and first.destination.addresses.contains("203.0.113.9")
    assert first.expect is Expectation.DENY and first.port is None and first.protocol is None
    assert second.source == NamedEnd("shop/frontend") and second.destination == NamedEnd("10.0.0.7")
    assert (second.port, second.protocol) == (8080, SpecProtocol.TCP)
    assert second.reason == "the shop needs it"
    assert (first.origin.file, first.origin.line, second.origin.line) == ("spec.yaml", 4, 8)


def test_protocol_defaults_to_tcp_only_with_a_port():
    """NetworkPolicy ports default their protocol to TCP; an assertion without a port and
    without a protocol means every protocol."""
    spec = parse(
        ONE + "  - {name: b, from: shop/a, to: shop/b, port: dns, protocol: UDP, expect: allow}\n"
    )
    assert spec.assertions[0].protocol is None
    assert (spec.assertions[1].port, spec.assertions[1].protocol) == ("dns", SpecProtocol.UDP)


def test_a_selector_without_pod_selector_selects_every_pod_of_the_namespace():
    spec = parse("  - {name: a, from: {namespace: shop}, to: shop/b, expect: deny}\n")
    source = spec.assertions[0].source
    assert isinstance(source, SelectorEnd)
    assert source.namespace == "shop" and source.pod_selector.selects_all


def test_the_example_and_the_docs_example_read(tmp_path):
    assert len(read_connectivity_tests(str(EXAMPLE)).assertions) >= 5
    assert parse_connectivity_tests(docs_example(), "docs.yaml").assertions


def test_the_file_kind_is_registered_so_scan_does_not_warn(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(HEADER + ONE, encoding="utf-8")
    assert netfence_file_kind(str(path)) is NetfenceFileKind.CONNECTIVITY_TESTS
    assert is_connectivity_tests(yaml.safe_load(HEADER + ONE))


# --- refusals -------------------------------------------------------------------------------

BAD = [
    # (case, body after the header, line, field, message fragment)
    (
        "unknown assertion field",
        ONE + "    portt: 80\n",
        8,
        "tests[0].portt",
        "did you mean 'port'?",
    ),
    (
        "missing name",
        "  - {from: shop/a, to: shop/b, expect: allow}\n",
        4,
        "tests[0].name",
        "required",
    ),
    (
        "empty name",
        "  - {name: ' ', from: shop/a, to: shop/b, expect: allow}\n",
        4,
        "tests[0].name",
        "must not be empty",
    ),
    (
        "missing expect",
        "  - {name: a, from: shop/a, to: shop/b}\n",
        4,
        "tests[0].expect",
        "required",
    ),
    (
        "unknown expect",
        "  - {name: a, from: shop/a, to: shop/b, expect: allowed}\n",
        4,
        "tests[0].expect",
        "expected one of: allow, deny",
    ),
    (
        "lower-case protocol",
        "  - {name: a, from: shop/a, to: shop/b, port: 53, protocol: udp, expect: allow}\n",
        4,
        "tests[0].protocol",
        "expected one of: TCP, UDP, SCTP",
    ),
    (
        "port out of range",
        "  - {name: a, from: shop/a, to: shop/b, port: 70000, expect: allow}\n",
        4,
        "tests[0].port",
        "outside 1-65535",
    ),
    (
        "port name with capitals",
        "  - {name: a, from: shop/a, to: shop/b, port: HTTP, expect: allow}\n",
        4,
        "tests[0].port",
        "invalid port name",
    ),
    (
        "port a boolean",
        "  - {name: a, from: shop/a, to: shop/b, port: true, expect: allow}\n",
        4,
        "tests[0].port",
        "port number",
    ),
    (
        "name without namespace",
        "  - {name: a, from: frontend, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from",
        "neither namespace/name nor an IP",
    ),
    (
        "bad namespace",
        "  - {name: a, from: Shop/a, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from",
        "invalid namespace",
    ),
    (
        "bare CIDR",
        "  - {name: a, from: shop/a, to: 10.0.0.0/8, expect: allow}\n",
        4,
        "tests[0].to",
        "{cidr: ...}",
    ),
    (
        "end a list",
        "  - {name: a, from: [shop/a], to: shop/b, expect: allow}\n",
        4,
        "tests[0].from",
        "expected ns/name",
    ),
    (
        "unknown selector field",
        "  - {name: a, from: {namespace: shop, podSelecter: {}}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from.podSelecter",
        "did you mean 'podSelector'?",
    ),
    (
        "selector without namespace",
        "  - {name: a, from: {podSelector: {}}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from",
        "exactly one of namespace",
    ),
    (
        "selector with both namespaces",
        "  - {name: a, from: {namespace: shop, namespaceSelector: {}}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from",
        "exactly one of namespace",
    ),
    (
        "cidr with a selector",
        "  - {name: a, from: {cidr: 10.0.0.0/8, namespace: shop}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from.namespace",
        "unknown field",
    ),
    (
        "cidr host bits",
        "  - {name: a, from: {cidr: 10.0.0.1/8}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from.cidr",
        "host bits set",
    ),
    (
        "cidr garbage",
        "  - {name: a, from: {cidr: ten}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from.cidr",
        "invalid CIDR",
    ),
    (
        "unknown operator",
        "  - {name: a, from: {namespace: shop, podSelector: {matchExpressions: [{key: app, operator: in, values: [x]}]}}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from.podSelector.matchExpressions[0].operator",
        "unknown operator",
    ),
    (
        "In without values",
        "  - {name: a, from: {namespace: shop, podSelector: {matchExpressions: [{key: app, operator: In}]}}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from.podSelector.matchExpressions[0]",
        "at least one value",
    ),
    (
        "unknown label selector field",
        "  - {name: a, from: {namespace: shop, podSelector: {matchLabel: {a: b}}}, to: shop/b, expect: allow}\n",
        4,
        "tests[0].from.podSelector.matchLabel",
        "did you mean 'matchLabels'?",
    ),
    ("duplicate name", ONE + ONE, 8, "tests[1].name", "duplicate name 'a' (first at line 4)"),
    ("no assertion", " []\n", 3, "tests", "at least one assertion"),
    ("tests a mapping", " {a: 1}\n", 3, "tests", "list of assertions"),
    ("assertion a string", "  - a\n", 4, "tests[0]", "expected a mapping"),
    ("empty reason", ONE + "    reason: ''\n", 8, "tests[0].reason", "must not be empty"),
]

NOT_EXPRESSIBLE = {
    # Rules a JSON Schema does not state; the reader alone refuses these.
    "duplicate name",
    "cidr host bits",
}


@pytest.mark.parametrize(
    ("body", "line", "field", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_every_bad_field_is_one_error_with_line_and_path(body, line, field, fragment):
    error = refusal(HEADER + body)
    assert error.location is not None and error.location.file == "spec.yaml"
    assert (error.location.line, error.field) == (line, field), str(error)
    assert fragment in error.message, str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        ("version: 1\ntests: []\n", 1, "format", "required"),
        ("format: netfence.address-plan\nversion: 1\n", 1, "format", "unsupported format"),
        (
            "format: netfence.connectivity-tests\nversion: 2\ntests: []\n",
            2,
            "version",
            "unsupported version 2",
        ),
        ("format: netfence.connectivity-tests\nversion: 1\n", 1, "tests", "required"),
        (
            "format: netfence.connectivity-tests\nversion: 1\ntest: []\n",
            3,
            "test",
            "did you mean 'tests'?",
        ),
        (HEADER + ONE + "---\n" + HEADER + ONE, 9, "", "one YAML document, found 2"),
        ("", 1, "", "empty connectivity-test spec"),
        ("apiVersion: v1\nkind: Pod\n---\nkind: Pod\n", 1, "format", "required"),
    ],
)
def test_header_errors(text, line, field, fragment):
    error = refusal(text)
    assert error.location is not None and error.location.line == line, str(error)
    assert error.field == field and fragment in error.message, str(error)


# --- the JSON Schema and the reader agree ---------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(connectivity_tests_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_is_versioned_and_describes_every_field():
    schema = json.loads(connectivity_tests_schema())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f":{SPEC_VERSION}")
    assert schema["properties"]["version"]["const"] == SPEC_VERSION

    def undescribed(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub and not set(sub) <= {"minItems", "maxItems", "enum"}:
                    yield f"{path}.{name}"
            for key, sub in node.items():
                yield from undescribed(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                yield from undescribed(sub, f"{path}[{i}]")

    assert list(undescribed(schema, "$")) == []


def docs_example() -> str:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(r"## Example\n.*?```yaml\n(.*?)```", text, re.S)
    assert found, "docs/connectivity-tests.md has no ## Example yaml block"
    return found.group(1)


def test_every_valid_spec_validates(validator):
    valid = [
        docs_example(),
        EXAMPLE.read_text(encoding="utf-8"),
        HEADER + ONE,
        HEADER + "  - {name: b, from: {namespace: shop}, to: {cidr: 10.0.0.1}, port: 53,"
        " protocol: UDP, expect: deny, reason: why}\n",
        HEADER + "  - {name: c, from: 'fd00::1', to: {namespaceSelector: {},"
        " podSelector: {matchExpressions: [{key: a, operator: Exists}]}}, expect: allow}\n",
    ]
    for text in valid:
        parse_connectivity_tests(text, "spec.yaml")
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(text))]
        assert errors == [], text


@pytest.mark.parametrize(
    "case", [c for c in BAD if c[0] not in NOT_EXPRESSIBLE], ids=lambda c: c[0]
)
def test_what_the_reader_refuses_the_schema_refuses(validator, case):
    document = yaml.safe_load(HEADER + case[1])
    assert not validator.is_valid(document), case[0]


# --- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "  - {name: a, from: !!python/object/apply:os.system [true], to: shop/b, expect: deny}\n",
        "  - {name: a, from: shop/a, to: shop/b, port: 1180591620717411303424, expect: deny}\n",
        "  - &a [*a]\n",
    ],
    ids=["python tag", "port beyond 64 bits", "recursive alias"],
)
def test_hostile_yaml_is_one_input_error(body):
    """The spec is read with the project's safe, bounded loader: no tag executes anything,
    and nothing but an InputError comes out."""
    error = refusal(HEADER + body)
    assert "\n" not in str(error)


def test_a_billion_laughs_spec_is_refused_without_expanding():
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
        for i in range(1, 12)
    )
    with pytest.raises(InputError):
        parse_connectivity_tests(HEADER + ONE + laughs, "spec.yaml")
