"""``netfence firewall check`` and ``generate``: firewall exports against what the cluster needs.

The layers are the exports given, in order: the path a flow from the cluster crosses (a node
NSG, then the perimeter firewall). What is required comes from the Azure Arc endpoint catalog
(the ``endpoints`` options) and, with ``--cluster``, from the egress the cluster's policies
allow; the cluster's addresses are its nodes' (SNAT) unless ``--source`` says otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from netfence.analyses.audit import AuditReport
from netfence.analyses.firewall.catalog import CHECKS
from netfence.analyses.firewall.run import FirewallCheck, run_firewall_check
from netfence.cli.endpoints import add_endpoint_options
from netfence.cli.firewall_generate import add_generate_arguments, run_generate
from netfence.cli.firewall_options import (
    add_export_options,
    add_path_options,
    add_resolver_options,
    check_options,
    read_layers,
)
from netfence.cli.inputs import optional_cluster_from_args
from netfence.cli.live_options import add_live_options
from netfence.cli.options import add_verbose_option
from netfence.cli.report_options import add_report_options, render_report
from netfence.cli.terminal import Progress
from netfence.model.firewall import FirewallLayer


def add_firewall_parser(commands: Any) -> None:
    """Register ``firewall`` and its subcommands."""
    firewall = commands.add_parser(
        "firewall", help="firewall layers against what the cluster needs (check, generate)"
    )
    sub = firewall.add_subparsers(dest="firewall_command", required=True)
    check = sub.add_parser(
        "check",
        help="what the firewalls block that is required, and allow beyond it",
        description="Shortfall (required but blocked), surplus (allowed but not required),"
        " broad and inbound rules, shadowed and redundant rules, and what cannot be decided.",
    )
    add_export_options(check, required=True)
    add_path_options(check)
    add_resolver_options(check)
    check.add_argument(
        "--cluster",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="the cluster's manifests: node addresses and the egress its policies allow",
    )
    add_live_options(check)
    add_endpoint_options(check)
    add_report_options(check)
    add_verbose_option(check)
    check.add_argument("--strict", action="store_true", help="refuse unknown manifest fields")
    generate = sub.add_parser(
        "generate",
        help="the minimal rules that allow exactly what the cluster requires",
        description="Rules for the catalog's endpoints (for the options given) and the"
        " external egress the cluster's policies allow, with comments naming the entry behind"
        " each rule; read back and checked before they are printed.",
    )
    add_generate_arguments(generate)


def run_firewall(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run a ``firewall`` subcommand."""
    if args.firewall_command == "generate":
        return run_generate(args, progress)
    return run_check(args, progress)


def run_check(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run ``firewall check``."""
    layers = read_layers(args)
    cluster = optional_cluster_from_args(args, progress=progress)
    if progress is not None:
        progress.stage("checking the firewall layers")
    result = run_firewall_check(layers, check_options(args), cluster)
    say_what_was_assumed(result, layers)
    report = AuditReport(result.findings, (), CHECKS, tuple(args.firewall))
    return render_report(report, args)


def say_what_was_assumed(result: FirewallCheck, layers: Sequence[FirewallLayer]) -> None:
    """One line on stderr for each thing the check took from elsewhere than the options."""
    if result.region_from is not None:
        print(
            f"netfence: region {result.region} taken from {result.region_from} (--region to"
            " change it)",
            file=sys.stderr,
        )
    if result.features_from:
        shown = ", ".join(f"{f.value} ({where})" for f, where in result.features_from.items())
        print(
            f"netfence: features taken from the Arc agents the cluster runs: {shown}"
            " (--features to set them)",
            file=sys.stderr,
        )
    if result.sources is None:
        print(
            "netfence: the cluster's addresses are not known (no nodes in --cluster, no"
            " --source): every source counts as the cluster's",
            file=sys.stderr,
        )
