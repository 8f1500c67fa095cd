"""``netfence connectivity``: the connectivity map, and with ``--firewall`` its external
connections cut by the firewall layers on their path."""

from __future__ import annotations

import argparse

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.analyses.firewall.external_map import cut_external
from netfence.cli.explain import path_options
from netfence.cli.firewall_options import read_layers
from netfence.cli.inputs import cluster_from_args
from netfence.cli.terminal import Progress
from netfence.errors import QueryError
from netfence.report.connectivity import RENDERERS
from netfence.report.connectivity_firewall import render_firewall_json, render_firewall_text

FIREWALL_RENDERERS = {"text": render_firewall_text, "json": render_firewall_json}
"""The formats that show the map through the firewall layers."""


def run_connectivity(args: argparse.Namespace, progress: Progress) -> str:
    """The map in the format asked; with ``--firewall``, cut by the layers."""
    if args.firewall and args.output not in FIREWALL_RENDERERS:
        raise QueryError(
            f"--firewall shows the map through the layers in -o text or json, not {args.output}"
        )
    layers = read_layers(args) if args.firewall else None
    cluster = cluster_from_args(args, progress=progress, live_namespaces=args.namespace or ())
    progress.stage("computing the connectivity map")
    cmap = connectivity_map(cluster, Granularity(args.granularity), args.namespace)
    progress.stage("rendering")
    if layers is None:
        return RENDERERS[args.output](cmap)
    cuts = cut_external(cmap, cluster, layers, path_options(args))
    return FIREWALL_RENDERERS[args.output](cmap, cuts, layers)
