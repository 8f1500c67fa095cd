"""``netfence firewall check``: what firewall exports allow against what the cluster needs.

The layers are the exports given, in order: the path a flow from the cluster crosses (a node
NSG, then the perimeter firewall). What is required comes from the Azure Arc endpoint catalog
(the ``endpoints`` options) and, with ``--cluster``, from the egress the cluster's policies
allow; the cluster's addresses are its nodes' (SNAT) unless ``--source`` says otherwise.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from typing import Any

from netfence.analyses.audit import AuditReport
from netfence.analyses.firewall.catalog import CHECKS
from netfence.analyses.firewall.inputs import read_firewall_layers
from netfence.analyses.firewall.run import FirewallCheck, FirewallCheckOptions, run_firewall_check
from netfence.cli.endpoints import add_endpoint_options, endpoint_options
from netfence.cli.inputs import read_cluster
from netfence.cli.options import add_color_option, add_verbose_option, severity
from netfence.cli.terminal import Progress, color_wanted
from netfence.model.findings import Severity
from netfence.model.firewall import FirewallKind, FirewallLayer
from netfence.report.findings_json import render_json
from netfence.report.findings_markdown import render_markdown
from netfence.report.findings_text import render_text
from netfence.report.junit import render_junit
from netfence.report.sarif import render_sarif
from netfence.sets.ipranges import IPRangeSet

EXIT_FINDINGS = 1

FORMATS = {
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "md": render_markdown,
}


def cidr(text: str) -> IPRangeSet:
    """A CIDR or an address, as the command line gives it."""
    try:
        return IPRangeSet.from_cidr(ipaddress.ip_network(text, strict=False))
    except ValueError:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise argparse.ArgumentTypeError(
            f"expected a CIDR or an IP address, got {shown!r}"
        ) from None


def add_firewall_input_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """The options that read firewall exports and give their rules meaning."""
    parser.add_argument(
        "--firewall",
        action="extend",
        nargs="+",
        default=[],
        required=required,
        metavar="FILE",
        help="firewall exports, in the order a flow from the cluster crosses them (Azure"
        " Firewall policy, NSG, 'nft -j list ruleset', iptables-save)",
    )
    parser.add_argument(
        "--firewall-format",
        choices=[k.value for k in FirewallKind],
        help="the exports' language, when netfence should not recognize it",
    )
    parser.add_argument(
        "--service-tags",
        metavar="FILE",
        help="Azure's Service Tags JSON (the weekly download or 'az network list-service-tags')"
        " to expand service tags into addresses",
    )
    parser.add_argument(
        "--virtual-network",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="the address space NSG's VirtualNetwork tag stands for (repeatable)",
    )
    parser.add_argument(
        "--source",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="the addresses the cluster leaves with (default: its nodes' addresses, from the"
        " cluster's objects; repeatable)",
    )
    parser.add_argument(
        "--no-snat",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="destinations pods reach with their own addresses, without SNAT to the node"
        " (repeatable)",
    )


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
    add_firewall_input_options(check, required=True)
    check.add_argument(
        "--cluster",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="the cluster's manifests: node addresses and the egress its policies allow",
    )
    add_endpoint_options(check)
    check.add_argument("-o", "--output", choices=["text", *sorted(FORMATS)], default="text")
    check.add_argument(
        "--fail-on",
        type=severity,
        metavar="SEVERITY",
        help="exit 1 when a finding at or above this severity stands",
    )
    check.add_argument(
        "--severity", type=severity, metavar="SEVERITY", help="show findings at or above this"
    )
    check.add_argument("-q", "--quiet", action="store_true", help="text: the summary only")
    add_verbose_option(check)
    check.add_argument("--strict", action="store_true", help="refuse unknown manifest fields")
    add_color_option(check)


def read_layers(args: argparse.Namespace) -> list[FirewallLayer]:
    """The layers of every ``--firewall`` export, with the context the options give."""
    return read_firewall_layers(
        args.firewall,
        service_tags=args.service_tags,
        virtual_network=IPRangeSet.union_of(args.virtual_network) if args.virtual_network else None,
        kind=FirewallKind(args.firewall_format) if args.firewall_format else None,
    )


def check_options(args: argparse.Namespace) -> FirewallCheckOptions:
    """The check's options from the command line."""
    return FirewallCheckOptions(
        endpoints=endpoint_options(args),
        sources=IPRangeSet.union_of(args.source) if args.source else None,
        no_snat=IPRangeSet.union_of(args.no_snat) if args.no_snat else None,
    )


def run_firewall(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run a ``firewall`` subcommand."""
    layers = read_layers(args)
    cluster = None
    if args.cluster:
        cluster = read_cluster(
            args.cluster, strict=args.strict, verbose=args.verbose, progress=progress
        )
    if progress is not None:
        progress.stage("checking the firewall layers")
    result = run_firewall_check(layers, check_options(args), cluster)
    say_what_was_assumed(result, layers)
    report = AuditReport(result.findings, (), CHECKS, tuple(args.firewall))
    threshold = Severity(args.fail_on) if args.fail_on else None
    failed = report.fails(threshold)
    if args.severity:
        report = report.at_least(Severity(args.severity))
    if args.output == "text":
        output = render_text(report, color=color_wanted(args.color, sys.stdout), quiet=args.quiet)
    else:
        output = FORMATS[args.output](report)
    return output, EXIT_FINDINGS if failed else 0


def say_what_was_assumed(result: FirewallCheck, layers: Sequence[FirewallLayer]) -> None:
    """One line on stderr for each thing the check took from elsewhere than the options."""
    if result.region_from is not None:
        print(
            f"netfence: region {result.region} taken from {result.region_from} (--region to"
            " change it)",
            file=sys.stderr,
        )
    if result.sources is None:
        print(
            "netfence: the cluster's addresses are not known (no nodes in --cluster, no"
            " --source): every source counts as the cluster's",
            file=sys.stderr,
        )
