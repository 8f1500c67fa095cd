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
        for e in endpoints
    ]
    lines = text.splitlines()
    start = lines.index(' "endpoints": [') + 1
    assert [line.strip().rstrip(",") for line in lines[start : start + 3]] == expected
    document = json.loads(text)
    assert document["endpoints"][1]["name"] == "ns/caf\u00e9-\u2603\n\t"
    assert document["endpoints"][2]["namespace"] is None
    assert document["connections"][0]["dst"] == ["ns/caf\u00e9-\u2603\n\t", "10.0.0.0/8"]
