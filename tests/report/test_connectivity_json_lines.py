"""The connectivity JSON's endpoint lines are exactly what json.dumps writes for each."""

from __future__ import annotations

import json

from netfence.analyses.connectivity_map import (
    Connection,
    ConnectivityMap,
    Endpoint,
    Granularity,
)
from netfence.report.connectivity import render_json
from netfence.sets import PortSet


def test_endpoint_lines_match_json_dumps():
    """Names with quotes, backslashes, control and non-ASCII characters; a null namespace."""
    endpoints = (
        Endpoint('ns/we"ird\\name', "Deployment", "ns"),
        Endpoint("ns/caf\u00e9-\u2603\n\t", "Pod", "ns"),
        Endpoint("10.0.0.0/8", "IPRange", None),
    )
    cmap = ConnectivityMap(
        Granularity.WORKLOAD,
        endpoints,
        (Connection((endpoints[0].name,), (endpoints[1].name, endpoints[2].name), PortSet.all()),),
    )
    text = render_json(cmap)
    expected = [
        json.dumps(
            {"name": e.name, "kind": e.kind, "namespace": e.namespace}, separators=(", ", ": ")
        )
        for e in endpoints[:2]
    ]
    # An external range is written as its ipBlock-shaped term (schema version 2).
    expected.append(
        json.dumps(
            {
                "name": "10.0.0.0/8",
                "kind": "IPRange",
                "namespace": None,
                "cidr": "10.0.0.0/8",
                "except": [],
            },
            separators=(", ", ": "),
        )
    )
    lines = text.splitlines()
    start = lines.index(' "endpoints": [') + 1
    assert [line.strip().rstrip(",") for line in lines[start : start + 3]] == expected
    document = json.loads(text)
    assert document["endpoints"][1]["name"] == "ns/caf\u00e9-\u2603\n\t"
    assert document["endpoints"][2]["namespace"] is None
    assert document["connections"][0]["dst"] == ["ns/caf\u00e9-\u2603\n\t", "10.0.0.0/8"]


def test_fragments_of_one_connection_are_one_term():
    """docs/json-connectivity.md (version 2): the CIDRs a connection names on one side are
    written as the fewest ipBlock-shaped terms of their union, each an ``IPRange`` endpoint
    with ``cidr`` and ``except``."""
    fragments = ("0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4")
    endpoints = (
        Endpoint("ns/web", "Deployment", "ns"),
        *(Endpoint(f, "IPRange", None) for f in fragments),
    )
    cmap = ConnectivityMap(
        Granularity.WORKLOAD,
        endpoints,
        (Connection(("ns/web",), fragments, PortSet.of("TCP", 443)),),
    )
    document = json.loads(render_json(cmap))
    assert document["schema_version"] == "2"
    assert document["endpoints"][1:] == [
        {
            "name": "0.0.0.0/3 except 10.0.0.0/8",
            "kind": "IPRange",
            "namespace": None,
            "cidr": "0.0.0.0/3",
            "except": ["10.0.0.0/8"],
        }
    ]
    assert document["connections"][0]["dst"] == "0.0.0.0/3 except 10.0.0.0/8"
