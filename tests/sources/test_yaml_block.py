"""The plain block reader agrees with libyaml, value for value and line for line.

The fast reader (``sources/yaml_block.py``) takes the plain block subset of YAML 1.1 (YAML
1.1 spec, chapter 9 "Block Styles"; libyaml is the reference implementation) and gives up on
anything else; ``parse_documents(..., block_reader=False)`` reads the same text with libyaml
alone. Every test here compares the two: same documents, indexes, lines, values and types,
and the same refusals.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from netfence.errors import InputError
from netfence.sources import yaml_block
from netfence.sources.yamldocs import parse_documents
from netfence.sources.yamlnodes import LineDict, LineList


def _shape(value: Any) -> Any:
    """A value with its lines and exact types spelled out, for comparison."""
    if isinstance(value, LineDict):
        return ("map", value.line, [(k, value.key_lines[k], _shape(v)) for k, v in value.items()])
    if isinstance(value, LineList):
        return (
            "seq",
            value.line,
            [(n, _shape(v)) for n, v in zip(value.item_lines, value, strict=True)],
        )
    return (type(value).__name__, value)


def _read(text: str, block_reader: bool) -> Any:
    try:
        return [
            (d.index, d.line, _shape(d.body))
            for d in parse_documents(text, "f.yaml", block_reader=block_reader)
        ]
    except InputError as exc:
        where = exc.location
        return ("refused", (where.document, where.line) if where else None)


def _agree(text: str) -> None:
    assert _read(text, True) == _read(text, False), text


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web  # a comment after a value
  labels: {}
  annotations:
    note: 'it''s'
    quoted: "a \\"b\\" c\\n"
spec:
  containers:
  - name: web
    args:
    - a b
    - -1
    - 2024-01-01
    - yes
    - ~
    ports:
    -   containerPort: 80
        name: http
    - containerPort: 0x1F
  volumes: []
  hostNetwork:
status:
"""


KUBECTL_POD = """\
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2024-01-01T00:00:00Z"
  managedFields:
  - apiVersion: v1
    fieldsV1:
      f:metadata:
        f:labels:
          .: {}
          f:app: {}
      f:spec:
        f:containers:
          k:{"name":"web"}:
            f:ports:
              k:{"containerPort":80,"protocol":"TCP"}:
                .: {}
    manager: kubectl
  name: web
spec:
  containers:
  - image: nginx:1.25
    name: web
"""
"""The shape ``kubectl get -o yaml`` writes, managed fields and all."""


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(POD, id="a pod in the subset"),
        pytest.param(KUBECTL_POD, id="kubectl get -o yaml output"),
        pytest.param("# only a comment\n---\na: 1\n---\n", id="comments before the first marker"),
        pytest.param("a: 1\n---\nb: [1, 2]\n---\nc: x\n", id="a flow sequence read by libyaml"),
        pytest.param("---\n---\n", id="empty documents"),
        pytest.param("\n\n# x\n", id="nothing but comments"),
        pytest.param("a: 1\n...\n", id="document end marker"),
        pytest.param("%YAML 1.1\n---\na: 1\n", id="directive"),
        pytest.param("a: 1\n--- b: 2\n", id="content on the marker line"),
        pytest.param("a:\n  b: 1\n c: 2\n", id="dedent to no open level"),
        pytest.param("a: 1\na: 2\n", id="duplicate key"),
        pytest.param("a: b\n  c\n", id="multi-line plain scalar"),
        pytest.param("a: b\n  c: d\n", id="mapping under a scalar"),
        pytest.param("a: 1\n- b\n", id="sequence item in a mapping"),
        pytest.param("- a\n- b\n", id="a sequence document"),
        pytest.param("a: &x 1\nb: *x\n", id="anchor and alias"),
        pytest.param("a: !!str 1\n", id="tag"),
        pytest.param("a: |\n  text\n", id="block scalar"),
        pytest.param("<<: {a: 1}\nb: 2\n", id="merge key"),
        pytest.param("a:\tb\n", id="tab after the colon"),
        pytest.param("a: b\r\nc: d\r\n", id="CRLF line breaks"),
        pytest.param("a: 'b\n  c'\n", id="multi-line quoted scalar"),
        pytest.param("a: b #c\nd: e#f\n", id="comment or not"),
        pytest.param("a: b:c\nd:e: f\n", id="colons inside plain scalars"),
        pytest.param("a: b :\n", id="colon after a space"),
        pytest.param("1: a\ntrue: b\nnull: c\n1.5: d\n", id="keys that resolve"),
        pytest.param("a: 1:20\nb: 2024-02-30\n", id="kubectl typing: no base 60, dates as text"),
        pytest.param("a:\n- 1\n- 2\nb: 3\n", id="indentless sequence"),
        pytest.param("a:\n  - 1\n  - x: y\n    z: w\n  -  q\n", id="indented sequence of mappings"),
        pytest.param("a:\n\n  b: 1\n\n# c\n  d: 2\n", id="blank and comment lines inside"),
        pytest.param("a: 'x'y\n", id="text after a quoted scalar"),
        pytest.param('a: "\\u00e9"\n', id="unicode escape read by libyaml"),
        pytest.param("a: b\n---\n  c: d\n", id="indented root"),
        pytest.param("a: b   \nc:   \n", id="trailing spaces"),
        pytest.param("-a: b\n", id="key starting with a dash"),
        pytest.param("a: -\n", id="a lone dash value"),
        pytest.param("a: [\n---\nb: 1\n", id="flow collection cut by a marker"),
        pytest.param("a" * 1024 + ": 1\n", id="implicit key of 1024 characters"),
        pytest.param("a" * 1025 + ": 1\n", id="implicit key over 1024 characters"),
        pytest.param("x:\n- " + "b" * 1025 + ": 1\n", id="long key in a sequence item"),
    ],
)
def test_block_reader_agrees_with_libyaml_on_cases(text: str) -> None:
    """YAML 1.1 chapter 9 (block styles) as libyaml reads it: both readers give the same."""
    _agree(text)


@pytest.mark.parametrize("text", [POD, KUBECTL_POD])
def test_block_reader_takes_the_plain_subset_itself(text: str) -> None:
    """The fast path is taken where it should be: these pods are read without libyaml."""
    read = yaml_block.read_block(text.split("\n"), 1, lambda value: value, 200)
    assert read is not None
    body, line = read
    assert line == 1 and body is not None and body["kind"] == "Pod"


def test_safe_schema_has_no_resolver_for_every_first_character() -> None:
    """The shortcut for plain strings relies on PyYAML indexing its implicit resolvers by first
    character, with none that applies to any (the ``None`` key)."""
    assert None not in yaml.SafeLoader.yaml_implicit_resolvers


_KEYS = st.sampled_from(["a", "b", "name", "on", "1", "x:y", "k8s.io/app", "null", "-k"])
_SCALARS = st.sampled_from(
    [
        "1",
        "-1",
        "0x10",
        "1.5",
        ".inf",
        "yes",
        "No",
        "~",
        "null",
        "2024-01-01",
        "1:20",
        "text",
        "two words",
        "a#b",
        "a #b",
        "'q'",
        "'it''s'",
        '"d"',
        '"e\\"f"',
        "{}",
        "[]",
        "[1]",
        "&a x",
        "*a",
        "!!int 3",
        "|",
        "b: c",
        "b:c",
        "-",
        "- x",
        "@x",
        "%x",
        "",
    ]
)
_INDENTS = st.sampled_from(["", " ", "  ", "   ", "    ", "      "])
_LINES = st.one_of(
    st.builds(lambda i, k, v: f"{i}{k}: {v}".rstrip(), _INDENTS, _KEYS, _SCALARS),
    st.builds(lambda i, k: f"{i}{k}:", _INDENTS, _KEYS),
    st.builds(lambda i, v: f"{i}- {v}".rstrip(), _INDENTS, _SCALARS),
    st.builds(lambda i, k, v: f"{i}- {k}: {v}".rstrip(), _INDENTS, _KEYS, _SCALARS),
    st.sampled_from(["---", "", "# c", "...", "  text", "\tx: 1"]),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=14))
def test_block_reader_agrees_with_libyaml_on_generated_streams(lines: list[str]) -> None:
    """Random streams of subset and near-subset lines: values, lines and refusals agree."""
    _agree("\n".join(lines) + "\n")
