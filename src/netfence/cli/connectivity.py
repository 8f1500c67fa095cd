"""``netfence connectivity``: the connectivity map, and with ``--firewall`` its external
connections cut by the firewall layers on their path.

``-o json`` writes the grouped form of the contract (docs/json-connectivity.md), and with
``--flat`` the pairs form, produced and written a block at a time.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from netfence.analyses.connectivity_groups import compute, connectivity_groups, iter_pairs
from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.cli.firewall_options import read_layers
from netfence.cli.inputs import cluster_from_args
from netfence.cli.terminal import Progress
from netfence.errors import QueryError
from netfence.report.connectivity import RENDERERS
from netfence.report.connectivity_groups import render_groups_json, render_pairs_json

FIREWALL_FORMATS = ("text", "json")
"""The formats that show the map through the firewall layers (their modules are imported
only with ``--firewall``: a plain map does not pay for them at start-up)."""


def run_connectivity(args: argparse.Namespace, progress: Progress) -> str | Iterator[str]:
    """The map in the format asked; with ``--firewall``, cut by the layers. The pairs form
    comes as chunks to write as they are made."""
    if args.firewall and args.output not in FIREWALL_FORMATS:
        raise QueryError(
            f"--firewall shows the map through the layers in -o text or json, not {args.output}"
        )
    if args.flat and (args.output != "json" or args.firewall):
        raise QueryError("--flat is a form of -o json, without --firewall")
    layers = read_layers(args) if args.firewall else None
    cluster = cluster_from_args(args, progress=progress, live_namespaces=args.namespace or ())
    progress.stage("computing the connectivity map")
    granularity = Granularity(args.granularity)
    if args.output == "json":
        computed = compute(cluster)
        if args.flat:
            runs = iter_pairs(cluster, granularity, args.namespace, computed=computed)
            return render_pairs_json(granularity, runs)
        groups = connectivity_groups(cluster, granularity, args.namespace, computed=computed)
        grouped = "".join(render_groups_json(groups))
        if layers is None:
            return grouped
        from netfence.analyses.firewall.external_map import cut_external
        from netfence.cli.explain import path_options
        from netfence.report.connectivity_firewall import render_firewall_json

        cmap = connectivity_map(cluster, granularity, args.namespace, matrix=computed[0])
        return render_firewall_json(
            grouped, cut_external(cmap, cluster, layers, path_options(args)), layers
        )
    cmap = connectivity_map(cluster, granularity, args.namespace)
    progress.stage("rendering")
    if layers is None:
        return RENDERERS[args.output](cmap)
    from netfence.analyses.firewall.external_map import cut_external
    from netfence.cli.explain import path_options
    from netfence.report.connectivity_firewall import render_firewall_text

    cuts = cut_external(cmap, cluster, layers, path_options(args))
    return render_firewall_text(cmap, cuts, layers)
