"""The connectivity JSON's pairs form (version 3) written from a map: each pair a line, exactly
what json.dumps writes for it, and external ends as ipBlock-shaped terms."""

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


def test_pair_lines_match_json_dumps():
    """Names with quotes, backslashes, control and non-ASCII characters are escaped as
    json.dumps escapes them, one pair a line."""
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
    allowed = PortSet.all().as_ranges()
    expected = [
        json.dumps(
            {"src": endpoints[0].name, "dst": d, "allowed": allowed}, separators=(", ", ": ")
        )
        for d in (endpoints[1].name, "10.0.0.0/8")
    ]
    lines = text.splitlines()
    assert lines[0].startswith('{"schema_version": "3", "form": "pairs"')
    assert lines[1] == ' "pairs": ['
    assert lines[-1] == " ]}"
    assert [line.strip().rstrip(",") for line in lines[2:-1]] == expected
    document = json.loads(text)
    assert document["pairs"][0]["dst"] == "ns/caf\u00e9-\u2603\n\t"


def test_fragments_of_one_connection_are_one_term():
    """docs/json-connectivity.md, pairs form: the external addresses an endpoint reaches on
    the same ports are one set, written as the fewest ipBlock-shaped terms of their union, one
    pair a term."""
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
    assert document["schema_version"] == "3"
    assert document["pairs"] == [
        {"src": "ns/web", "dst": "0.0.0.0/3 except 10.0.0.0/8", "allowed": {"TCP": [[443, 443]]}}
    ]
