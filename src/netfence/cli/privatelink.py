"""``netfence privatelink check``: a Private Link design's names against a real resolver.

The design comes from a settings file (``format: netfence.private-link``) or from options
(``--region --scope --cluster --features --service``). Names resolve with ``--resolver``
(a DNS server) or ``--dns-answers`` (a file), else with the answer file the settings name;
a settings file alone never makes netfence ask a server. With ``--firewall``, the endpoints
that must stay public are judged through the exports, and rules still allowing the public
endpoints of services reached privately are named.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Final

from netfence.analyses.audit import AuditReport
from netfence.analyses.private_link.catalog import CHECKS
from netfence.analyses.private_link.check import PrivateLinkResult, check_private_link
from netfence.analyses.private_link.names import NameRow
from netfence.cli.firewall_options import (
    add_export_options,
    add_resolver_options,
    cidr,
    read_layers,
    resolver_from,
)
from netfence.cli.report_options import add_report_options, render_report
from netfence.cli.terminal import Progress
from netfence.errors import InputError
from netfence.model.private_link import PrivateLinkSettings
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.address_plan import read_address_plan
from netfence.sources.endpoint_catalog import load_catalog
from netfence.sources.private_link_catalog import load_private_link_catalog
from netfence.sources.private_link_settings import read_private_link_settings, settings_from_options
from netfence.sources.resolver import AnswerFileResolver, Resolver

_DESIGN_OPTIONS: Final = ("cloud", "platform", "region", "scope", "cluster", "features", "service")


def add_privatelink_parser(commands: Any) -> None:
    """Register ``privatelink`` and its ``check`` subcommand."""
    privatelink = commands.add_parser(
        "privatelink", help="Private Link zones and names against a real resolver (check)"
    )
    sub = privatelink.add_subparsers(dest="privatelink_command", required=True)
    check = sub.add_parser(
        "check",
        help="the private DNS names a design needs, resolved, and its documented limits",
        description="Each name the design needs is resolved (CNAME chains followed) and"
        " reported as private (inside the private-endpoint subnets), private outside them,"
        " public, not resolving, or resolver failed; the documented limits the design meets;"
        " the endpoints that must stay public through the firewall exports.",
    )
    check.add_argument("settings", nargs="?", metavar="SETTINGS", help="a settings file")
    _add_design_options(check)
    add_resolver_options(check)
    check.add_argument(
        "--private-endpoint-subnet",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="a subnet private endpoints take addresses from (repeatable; replaces the"
        " settings' own)",
    )
    check.add_argument(
        "--plan",
        metavar="FILE",
        help="the address plan whose private-endpoint subnets answers are compared with"
        " (docs/address-plan.md)",
    )
    add_export_options(check, required=False)
    check.add_argument(
        "--source",
        type=cidr,
        action="append",
        default=[],
        metavar="CIDR",
        help="the addresses the cluster leaves with, as the firewalls see them (repeatable)",
    )
    add_report_options(check)


def _add_design_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cloud", choices=["public", "usgov", "china"], help="default: public")
    parser.add_argument(
        "--platform", choices=["arc-kubernetes", "aks-arc"], help="default: arc-kubernetes"
    )
    parser.add_argument("--region", help="the scope's and its clusters' Azure region")
    parser.add_argument("--scope", metavar="NAME", help="the Arc Private Link Scope's name")
    parser.add_argument(
        "--cluster", action="append", default=[], metavar="NAME", help="a cluster in the scope"
    )
    parser.add_argument(
        "--features",
        action="append",
        default=[],
        metavar="LIST",
        help="what the clusters use, comma-separated (cluster-connect, custom-locations,"
        " azure-rbac, extensions, flux, azure-monitor, ...)",
    )
    parser.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="KIND:NAME[:REGION]",
        help="a service the workloads reach privately (key-vault:myvault, repeatable)",
    )


def run_privatelink(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run ``privatelink check``."""
    settings = _settings(args)
    resolver = _resolver(args, settings)
    layers = read_layers(args) if args.firewall else []
    if progress is not None:
        progress.stage("resolving the Private Link names")
    subnets = (
        IPRangeSet.union_of(args.private_endpoint_subnet) if args.private_endpoint_subnet else None
    )
    if subnets is None and args.plan:
        subnets = read_address_plan(args.plan).private_endpoint_addresses() or None
    result = check_private_link(
        settings,
        load_private_link_catalog(),
        resolver,
        subnets,
        layers,
        IPRangeSet.union_of(args.source) if args.source else None,
        {code.region: code.code for code in load_catalog().region_codes},
    )
    for note in result.notes:
        print(f"netfence: {note}", file=sys.stderr)
    inputs = tuple(p for p in (settings.file, *args.firewall) if p)
    report = AuditReport(result.findings, (), CHECKS, inputs)
    return render_report(report, args, render_name_table(result))


def _settings(args: argparse.Namespace) -> PrivateLinkSettings:
    given = [f"--{o}" for o in _DESIGN_OPTIONS if getattr(args, o)]
    if args.settings:
        if given:
            raise InputError(
                f"the settings file describes the design: {', '.join(given)} cannot be given"
                " with it"
            )
        return read_private_link_settings(args.settings)
    return settings_from_options(
        cloud=args.cloud or "public",
        platform=args.platform or "arc-kubernetes",
        region=args.region,
        scope=args.scope,
        clusters=args.cluster,
        features=args.features,
        services=args.service,
    )


def _resolver(args: argparse.Namespace, settings: PrivateLinkSettings) -> Resolver | None:
    chosen = resolver_from(args)
    if chosen is None and settings.dns_answers is not None:
        return AnswerFileResolver.read(settings.dns_answers)
    return chosen


_HEADERS: Final = ("NAME", "ZONE", "CHAIN", "ADDRESSES", "CLASS")


def render_name_table(result: PrivateLinkResult) -> str:
    """The needed names, one per line: name, zone, CNAME chain, addresses, class."""
    if not result.names:
        return "No Private Link names needed (no scope, no service).\n"
    rows = [_HEADERS, *(_cells(row) for row in result.names)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADERS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    compared = (
        f"private-endpoint subnets: {result.subnets.compact()}"
        if result.subnets is not None
        else "no private-endpoint subnets given to compare"
    )
    return "\n".join(["Private Link names", *lines, f"({compared})", ""])


def _cells(row: NameRow) -> tuple[str, str, str, str, str]:
    addresses = "-" if not row.addresses else row.addresses.compact()
    chain = " -> ".join(row.chain) or "-"
    return (row.needed.name, ", ".join(row.needed.zones), chain, addresses, row.verdict.value)
