"""JSON read as the API server's decoder reads it, though through the YAML reader (for lines)."""

from __future__ import annotations

import pytest

from netfence.sources.yamldocs import parse_documents


@pytest.mark.parametrize(
    ("escaped", "value"),
    [
        pytest.param(r"\ud83d\ude00", "\U0001f600", id="surrogate-pair"),
        pytest.param(r"\ud800", "\ufffd", id="lone-high-half"),
        pytest.param(r"a\udc00b", "a\ufffdb", id="lone-low-half"),
        pytest.param(r"\ud83d\u0041", "\ufffdA", id="high-half-then-no-low"),
        pytest.param(r"\\ud800", "\\ud800", id="escaped-backslash-is-no-escape"),
        pytest.param(r"\\\ud83d\ude00", "\\\U0001f600", id="backslash-then-pair"),
    ],
)
def test_json_surrogate_escapes(escaped, value):
    """RFC 8259 section 7 writes characters beyond U+FFFF as a surrogate pair of escapes; Go's
    decoder (encoding/json, as the API server) turns a lone half into U+FFFD. The YAML reader
    refuses surrogate escapes, so they are rewritten before reading, respecting backslashes
    that escape themselves."""
    (document,) = parse_documents('{"x": "' + escaped + '"}', "a.json")
    assert document.body["x"] == value
