"""``netfence endpoints``: the outbound endpoints an Arc-enabled cluster needs, from the catalog."""

from __future__ import annotations

import argparse
from typing import Any

from netfence.analyses.endpoints import (
    ALL_FEATURES,
    SELECTABLE_FEATURES,
    EndpointOptions,
    endpoint_report,
    parse_features,
)
from netfence.cli.options import add_color_option
from netfence.errors import QueryError
from netfence.model.endpoints import Cloud, Feature, Platform
from netfence.report.endpoints import RENDERERS
from netfence.sources.endpoint_catalog import load_catalog

EXIT_OK = 0


def _features(text: str) -> frozenset[Feature]:
    """``--features``: a comma list, refused with the valid names when one is unknown."""
    try:
        return parse_features(text)
    except QueryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_endpoints_parser(commands: Any) -> None:
    """Register ``endpoints``."""
    parser = commands.add_parser(
        "endpoints",
        help="the outbound endpoints an Azure Arc-enabled cluster needs (from the catalog)",
    )
    add_endpoint_options(parser)
    parser.add_argument(
        "--show-stale",
        action="store_true",
        help="list the names the documents dropped, to remove from allow-lists",
    )
    parser.add_argument("-o", "--output", choices=list(RENDERERS), default="text")
    # Taken as by every command; the text list has nothing to color.
    add_color_option(parser)


def add_endpoint_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose the catalog's entries (cloud, region, features, gateway,
    platform), shared by ``endpoints``, ``firewall`` and ``scan``."""
    parser.add_argument(
        "--cloud",
        choices=[c.value for c in Cloud],
        default=Cloud.PUBLIC.value,
        help="the Azure cloud (default: public)",
    )
    parser.add_argument(
        "--region",
        metavar="NAME",
        help="the Azure region of the connected cluster (eastus2); needed by regional names",
    )
    parser.add_argument(
        "--region-code",
        metavar="CODE",
        help="the region's short code (eus), for a region the catalog has no code for",
    )
    parser.add_argument(
        "--features",
        type=_features,
        action="append",
        default=[],
        metavar="LIST",
        help="features in use, comma-separated, repeatable (core is always included; 'all' for"
        " every one):"
        f" {', '.join([ALL_FEATURES, *(f.value for f in SELECTABLE_FEATURES)])}",
    )
    parser.add_argument(
        "--gateway",
        metavar="URL",
        help="the Azure Arc gateway's URL (https://<prefix>.gw.arc.azure.com) when one is in use",
    )
    parser.add_argument(
        "--platform",
        choices=[p.value for p in Platform],
        default=Platform.ARC_K8S.value,
        help="arc-k8s (any Arc-enabled cluster, the default) or aks-arc (AKS on Azure Local)",
    )
    parser.add_argument(
        "--key-vault",
        action="append",
        default=[],
        metavar="NAME",
        help="a Key Vault that extensions or workloads read (repeatable; feature key-vault)",
    )
    parser.add_argument(
        "--include-conditional",
        action="store_true",
        help="list the entries needed only in a further scenario too (an older deployment)",
    )


def endpoint_options(args: argparse.Namespace) -> EndpointOptions:
    """The catalog options the command line gives."""
    return EndpointOptions(
        cloud=Cloud(args.cloud),
        region=args.region,
        features=frozenset().union(*args.features),
        gateway_url=args.gateway,
        platform=Platform(args.platform),
        key_vaults=tuple(args.key_vault),
        region_code=args.region_code,
        include_conditional=args.include_conditional,
    )


def run_endpoints(args: argparse.Namespace) -> tuple[str, int]:
    """The endpoint list for the options given, rendered; QueryError for options the
    catalog cannot answer (the CLI prints it on one line, exit code 2)."""
    options = endpoint_options(args)
    report = endpoint_report(load_catalog(), options, show_stale=args.show_stale)
    return RENDERERS[args.output](report), EXIT_OK
