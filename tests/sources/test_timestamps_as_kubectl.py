"""Unquoted dates read as kubectl reads them: strings.

Requirement: kubectl decodes YAML with go-yaml v2 (through sigs.k8s.io/yaml), which keeps an
unquoted timestamp-like value a string when it decodes into an untyped value, so that
``release: 2024-02-10`` is the label value ``"2024-02-10"`` and the API server accepts it.
netfence reads it the same way, wherever a string is expected.
"""

from __future__ import annotations

import pytest

from netfence.errors import InputError
from netfence.sources.manifests import load_cluster_from_text

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    release: {value}\n"


def test_an_unquoted_date_label_value_is_its_text():
    cluster = load_cluster_from_text(POD.format(value="2024-02-10"), "in.yaml")
    assert cluster.pods[0].labels == {"release": "2024-02-10"}


def test_an_unquoted_date_in_a_selector_matches_the_same_label():
    text = POD.format(value="2024-02-10") + (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\n"
        "spec:\n  podSelector:\n    matchLabels: {release: 2024-02-10}\n"
        "  ingress: []\n"
    )
    cluster = load_cluster_from_text(text, "in.yaml")
    assert cluster.policies[0].pod_selector.matches({"release": "2024-02-10"})


def test_a_date_as_a_name_is_a_valid_name():
    cluster = load_cluster_from_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: 2024-02-10\n", "in.yaml"
    )
    assert "2024-02-10" in cluster.namespaces


def test_a_date_and_time_is_no_label_value():
    """An unquoted date and time stays its text, as kubectl reads it; with a space and colons
    it is no valid label value (apimachinery IsValidLabelValue), so it is refused."""
    with pytest.raises(InputError) as caught:
        load_cluster_from_text(POD.format(value="2024-02-10 10:00:00"), "in.yaml")
    assert "invalid label value '2024-02-10 10:00:00'" in caught.value.message


def test_an_impossible_unquoted_date_is_a_string_as_kubectl_reads_it():
    """kubectl's reader keeps an unquoted date as its text (go-yaml v2 into JSON), so
    ``release: 2024-02-30`` is the label value '2024-02-30', which the API server accepts."""
    cluster = load_cluster_from_text(POD.format(value="2024-02-30"), "in.yaml")
    assert cluster.pods[0].labels == {"release": "2024-02-30"}
