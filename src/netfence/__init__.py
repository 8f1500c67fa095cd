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

import importlib
import typing

from netfence._version import __version__

if typing.TYPE_CHECKING:
    from netfence._api import Format, connectivity, explain, load, load_live, loads, render, scan
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

# Each public name is imported from its module only when first used: ``netfence --help`` and
# a plain ``import netfence`` then stay free of the engine, the analyses and the renderers,
# whose import costs more than a small cluster's whole analysis.
_HOMES: typing.Final[dict[str, str]] = {
    "APIObjectOrigin": "netfence.model.origin",
    "Acceptance": "netfence.analyses.audit.report",
    "Action": "netfence.model.layers",
    "AuditReport": "netfence.analyses.audit.report",
    "CheckInfo": "netfence.model.findings",
    "Cluster": "netfence.model.cluster",
    "Connection": "netfence.analyses.connectivity_map",
    "ConnectivityMap": "netfence.analyses.connectivity_map",
    "DirectionVerdict": "netfence.engine.explain",
    "ExplainStep": "netfence.engine.explain",
    "ExportOrigin": "netfence.model.origin",
    "FileOrigin": "netfence.model.origin",
    "Finding": "netfence.model.findings",
    "FlowEndpoint": "netfence.engine.explain",
    "FlowExplanation": "netfence.engine.explain",
    "Format": "netfence._api",
    "Granularity": "netfence.analyses.connectivity_map",
    "IPRangeSet": "netfence.sets.ipranges",
    "InputError": "netfence.errors",
    "NetfenceError": "netfence.errors",
    "Origin": "netfence.model.origin",
    "PortSet": "netfence.sets.ports",
    "QueryError": "netfence.errors",
    "ResourceRef": "netfence.model.findings",
    "RuleOrigin": "netfence.model.layers",
    "Severity": "netfence.model.findings",
    "connectivity": "netfence._api",
    "explain": "netfence._api",
    "load": "netfence._api",
    "load_live": "netfence._api",
    "loads": "netfence._api",
    "render": "netfence._api",
    "scan": "netfence._api",
}
"""The module that defines each lazily resolved public name."""


def __getattr__(name: str) -> object:
    """Resolve a public name on first use (PEP 562) and keep it, so it is looked up once."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, resolved or not, beside the module's own attributes."""
    return sorted(set(globals()) | set(__all__))
