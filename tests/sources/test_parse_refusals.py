"""Input the YAML loader cannot turn into values is refused with one located InputError.

Requirement: a character YAML does not allow (a control character; a lone surrogate from a
library caller), an integer of more than 4,300 digits and a timestamp-like plain scalar that
is no date (``2024-02-30``, ``2027-13-45``) each give an InputError naming the file, document
and line, in manifests and in a baseline file alike, never a ValueError (exit 3).
"""

from __future__ import annotations

import pytest

from netfence.errors import InputError, Location
from netfence.sources.baseline import load_baseline
from netfence.sources.manifests import load_cluster_from_text

POD = (
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
)


def refusal(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        load_cluster_from_text(text, "in.yaml")
    return caught.value


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ("  labels: {a: \x00}\n", "U+0000 is a control character"),
        ("  labels: {a: b\x1b}\n", "U+001B is a control character"),
        ("  labels: {a: b\x7f}\n", "U+007F is a control character"),
        ("  labels: {a: \ud800}\n", "U+D800 is a lone surrogate"),
        ("  uid: " + "7" * 4301 + "\n", "an integer of 4301 digits is out of range"),
    ],
    ids=["nul", "escape", "del", "surrogate", "4301-digits"],
)
def test_refused_with_document_and_line(extra, fragment):
    text = POD + extra
    error = refusal(text)
    assert fragment in error.message, error.message
    assert error.location == Location("in.yaml", 2, text.count("\n"))  # the last line


@pytest.mark.parametrize(
    "extra",
    ["  labels:\n    release: 2024-02-30\n", "  labels: {release: 2027-13-45}\n"],
    ids=["feb-30", "month-13"],
)
def test_an_unquoted_impossible_date_is_its_text(extra):
    """kubectl's reader (go-yaml v2, then JSON) keeps unquoted dates as text, valid or not:
    both are valid label values, so the API server accepts them."""
    cluster = load_cluster_from_text(POD + extra, "in.yaml")
    assert list(cluster.namespaces) and "release" in next(iter(cluster.pods)).labels


@pytest.mark.parametrize(
    ("expires", "fragment"),
    [
        ("2027-13-45", "expected a date YYYY-MM-DD, got '2027-13-45'"),
        ("2027-02-30", "expected a date YYYY-MM-DD, got '2027-02-30'"),
        ("9" * 5000, "an integer of 5000 digits is out of range"),
        ('"2027-13-45"', "accept[0].expires: expected a date YYYY-MM-DD"),
    ],
    ids=["month-13", "feb-30", "5000-digits", "quoted"],
)
def test_a_baseline_expiry_that_is_no_date(tmp_path, expires, fragment):
    path = tmp_path / "baseline.yaml"
    path.write_text(
        f"accept:\n  - check: NF002\n    resource: '*'\n    reason: r\n    expires: {expires}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_baseline(str(path))
    assert fragment in str(caught.value)
    assert f"{path}: document 1, line 5" in str(caught.value)
