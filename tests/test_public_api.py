"""The public API: ``import netfence`` gives load -> analyze -> render, and nothing by accident
(the names are pinned so that the API grows only on purpose)."""

from __future__ import annotations

import json

import pytest

import netfence

PINNED = [
    "APIObjectOrigin",
    "Acceptance",
    "Action",
    "AuditReport",
    "CheckInfo",
    "Cluster",
    "Connection",
    "ConnectivityMap",
    "DirectionVerdict",
    "ExplainStep",
    "ExportOrigin",
    "FileOrigin",
    "Finding",
    "FlowEndpoint",
    "FlowExplanation",
    "Format",
    "Granularity",
    "IPRangeSet",
    "InputError",
    "NetfenceError",
    "Origin",
    "PortSet",
    "QueryError",
    "ResourceRef",
    "RuleOrigin",
    "Severity",
    "__version__",
    "connectivity",
    "explain",
    "load",
    "load_live",
    "loads",
    "render",
    "scan",
]

MANIFESTS = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: http}]}]
"""


def test_all_is_pinned_and_sorted():
    """``__all__`` is exactly the pinned list, sorted, and every name in it exists."""
    assert netfence.__all__ == PINNED
    assert sorted(netfence.__all__) == netfence.__all__
    for name in netfence.__all__:
        assert getattr(netfence, name) is not None


def test_no_public_name_outside_all():
    """Every public attribute of the package is in ``__all__`` (submodules aside)."""
    import types

    public = {
        name
        for name, value in vars(netfence).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - {"annotations"} <= set(netfence.__all__)


def test_load_analyze_render_round_trip():
    """The NetworkPolicy API reference's basic case through the library: client may reach
    web on its named port, nothing else reaches web."""
    cluster = netfence.loads(MANIFESTS)
    cmap = netfence.connectivity(cluster, netfence.Granularity.POD)
    assert cmap.pairs()[("shop/client", "shop/web")] == netfence.PortSet.of("TCP", 8080)
    explanation = netfence.explain(cluster, "shop/client", "shop/web", "http/TCP")
    assert explanation.verdict is True
    (step,) = explanation.ingress.steps
    assert step.origin == netfence.RuleOrigin(
        "NetworkPolicy",
        "shop",
        "web",
        step.origin.direction,
        0,
        peer_index=0,
        port_index=0,
        location=step.origin.location,
    )
    assert json.loads(netfence.render(explanation, "json"))["schema_version"] == "2"
    report = netfence.scan(cluster)
    sarif = json.loads(netfence.render(report, netfence.Format.SARIF))
    assert sarif["version"] == "2.1.0"
    assert netfence.render(cmap, "csv").startswith("src")


@pytest.mark.parametrize(("kind", "fmt"), [("map", "sarif"), ("explain", "csv"), ("report", "dot")])
def test_render_refuses_a_format_the_result_has_not(kind, fmt):
    """A format that does not fit the result is a ValueError, not a silently wrong document."""
    cluster = netfence.loads(MANIFESTS)
    result = {
        "map": lambda: netfence.connectivity(cluster),
        "explain": lambda: netfence.explain(cluster, "shop/client", "shop/web"),
        "report": lambda: netfence.scan(cluster),
    }[kind]()
    with pytest.raises(ValueError, match=fmt):
        netfence.render(result, fmt)


def test_input_errors_are_the_public_exception():
    """Bad input raises netfence.InputError (a NetfenceError), naming where it is."""
    with pytest.raises(netfence.InputError) as caught:
        netfence.loads("apiVersion: v1\nkind: Pod\nmetadata: {name: 5}\n", "bad.yaml")
    assert isinstance(caught.value, netfence.NetfenceError)
    assert "bad.yaml" in str(caught.value)
