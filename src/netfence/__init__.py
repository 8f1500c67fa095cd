"""netfence: exact reachability, audit and hardening for Kubernetes network policies.

Load, analyze, render::

    import netfence

    cluster = netfence.load("examples/arc-cluster")
    for conn in netfence.connectivity(cluster).connections:
        print(conn.src, conn.dst, conn.allowed.describe())
    print(netfence.render(netfence.explain(cluster, "shop/frontend", "shop/backend"), "text"))
    print(netfence.render(netfence.scan(cluster), "sarif"))

The names below are the public API, pinned by a test; every module of the package is an
implementation detail.
"""

from __future__ import annotations

from netfence._api import Format, connectivity, explain, load, load_live, loads, render, scan
from netfence._version import __version__
from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.analyses.connectivity_map import Connection, ConnectivityMap, Granularity
from netfence.engine.explain import DirectionVerdict, ExplainStep, FlowEndpoint, FlowExplanation
from netfence.errors import InputError, NetfenceError, QueryError
from netfence.model.cluster import Cluster
from netfence.model.findings import CheckInfo, Finding, ResourceRef, Severity
from netfence.model.layers import Action, RuleOrigin
from netfence.model.origin import APIObjectOrigin, ExportOrigin, FileOrigin, Origin
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.ports import PortSet

__all__ = [
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
