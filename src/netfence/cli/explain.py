"""``netfence explain``: why one flow is allowed or denied.

The verdict is the flow's, not one direction's: a flow is ALLOWED only when egress from the
source and ingress to the destination both allow it (with ``--port``, that port; without,
at least one port), as a packet must leave one pod and enter the other. ``--expect`` turns
the verdict into the exit code: 0 when it is the one expected, 1 when it is not.
"""

from __future__ import annotations

import argparse
import difflib
import ipaddress
import sys
from typing import Final

from netfence.analyses.firewall.path import FirewallPath, PathOptions, trace_flow
from netfence.cli.firewall_options import add_firewall_input_options, read_layers
from netfence.cli.inputs import cluster_from_args
from netfence.cli.options import namespace_name
from netfence.cli.terminal import Progress, color_wanted
from netfence.engine.explain import FlowExplanation, explain_flow, resolve_endpoint
from netfence.engine.firewall import Verdict
from netfence.errors import QueryError
from netfence.model.cluster import Cluster
from netfence.report.explain import overall_verdict, render_explain_json, render_explain_text
from netfence.sets.ipranges import IPRangeSet

EXIT_UNEXPECTED: Final = 1
"""``--expect`` was given and the verdict is the other one."""
SUGGESTIONS: Final = 3
"""Close matches offered for an unknown endpoint."""


def add_explain_arguments(explain: argparse.ArgumentParser) -> None:
    """The options of ``explain`` beside the inputs."""
    explain.add_argument("--port", help="PORT[/PROTOCOL], e.g. 80/TCP, 53/UDP or http/TCP")
    explain.add_argument("-o", "--output", choices=["text", "json"], default="text")
    explain.add_argument(
        "--expect",
        choices=["allow", "deny"],
        help="exit 1 unless the verdict is this (allowed: egress and ingress both allow it)",
    )
    explain.add_argument(
        "-n",
        "--namespace",
        metavar="NS",
        type=namespace_name,
        help="the namespace of SRC and DST when they are given without one",
    )
    add_firewall_input_options(explain, required=False)


def run_explain(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Explain the flow; returns the rendered explanation and the exit code."""
    layers = read_layers(args) if args.firewall else None
    # -n only names the endpoints' namespace: a flow's verdict depends on the policies of
    # both ends' namespaces (and the cluster-scoped ones), so --live reads them all.
    cluster = cluster_from_args(args, progress=progress)
    src, dst = (qualified(name, args.namespace) for name in (args.src, args.dst))
    for endpoint in (src, dst):
        _refuse_zone(endpoint)
        _known(cluster, endpoint)
    if progress is not None:
        progress.stage("explaining the flow")
    explanation = explain_flow(cluster, src, dst, args.port)
    path = None
    if layers is not None:
        path = trace_flow(explanation, cluster, layers, path_options(args))
        if path is None:
            print(
                "netfence: both ends are in the cluster: the firewall layers are not on the"
                " flow's path",
                file=sys.stderr,
            )
    if args.output == "json":
        output = render_explain_json(explanation, path)
    else:
        color = color_wanted(args.color, sys.stdout)
        output = render_explain_text(explanation, color=color, path=path)
    return output, exit_code(explanation, args.expect, path)


def path_options(args: argparse.Namespace) -> PathOptions:
    """What ``--no-snat`` and ``--source`` say about the addresses on the path."""
    return PathOptions(
        no_snat=IPRangeSet.union_of(args.no_snat) if args.no_snat else None,
        sources=IPRangeSet.union_of(args.source) if args.source else None,
    )


def exit_code(
    explanation: FlowExplanation, expect: str | None, path: FirewallPath | None = None
) -> int:
    """0, or 1 when ``expect`` (``allow`` or ``deny``) is not the flow's verdict (a flow
    whose firewall path cannot be decided is neither)."""
    if expect is None:
        return 0
    wanted = Verdict.ALLOW if expect == "allow" else Verdict.DENY
    return 0 if overall_verdict(explanation, path) is wanted else EXIT_UNEXPECTED


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def qualified(name: str, namespace: str | None) -> str:
    """``name`` in ``namespace`` when it names no namespace itself (and is no address)."""
    if namespace is None or "/" in name or _is_address(name):
        return name
    return f"{namespace}/{name}"


def _refuse_zone(endpoint: str) -> None:
    """An IPv6 address with a zone (``fe80::1%eth0``) names a link of this host, never an
    address a pod or a policy of the cluster can hold (the API server refuses zones)."""
    try:
        address = ipaddress.ip_address(endpoint)
    except ValueError:
        return
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise QueryError(
            f"{endpoint!r}: an IPv6 zone (%{address.scope_id}) is no cluster address; give the"
            " address without it"
        )


def _known(cluster: Cluster, name: str) -> None:
    """QueryError, with the closest known names, when ``name`` is no endpoint of the cluster."""
    try:
        resolve_endpoint(cluster, name)
    except QueryError as exc:
        close = suggestions(cluster, name)
        if close:
            shown = " or ".join(repr(c) for c in close)
            raise QueryError(f"{exc}; did you mean {shown}?") from None
        namespace = name.rpartition("/")[0]
        if namespace and namespace not in cluster.namespaces:
            spaces = difflib.get_close_matches(namespace, list(cluster.namespaces), n=SUGGESTIONS)
            if spaces:
                shown = " or ".join(repr(s) for s in spaces)
                raise QueryError(
                    f"{exc}; no namespace {namespace!r}: did you mean namespace {shown}?"
                ) from None
        raise


def endpoint_names(cluster: Cluster) -> list[str]:
    """Every name ``explain`` takes for an in-cluster endpoint, in input order."""
    names: dict[str, None] = {}
    for pod in cluster.pods:
        if pod.workload is not None:
            names[pod.workload.key] = None
        names[pod.key] = None
    return list(names)


def suggestions(cluster: Cluster, name: str) -> list[str]:
    """Known endpoints close to ``name`` (difflib's ratio): the same name in another
    namespace, the name in the closest namespace, then names spelled alike."""
    names = endpoint_names(cluster)
    found: dict[str, None] = {}
    namespace, slash, rest = name.rpartition("/")
    for known in names:  # the right name in another (or no) namespace
        if known.rsplit("/", 1)[-1] == rest and known != name:
            found[known] = None
    if slash and namespace not in cluster.namespaces:
        for close_ns in difflib.get_close_matches(namespace, list(cluster.namespaces), n=1):
            for known in difflib.get_close_matches(f"{close_ns}/{rest}", names, n=1):
                found[known] = None
    for known in difflib.get_close_matches(name, names, n=SUGGESTIONS):
        found[known] = None
    return list(found)[:SUGGESTIONS]
