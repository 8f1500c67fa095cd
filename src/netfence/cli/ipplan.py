"""``netfence ipplan check``, ``init`` and ``schema``: an address plan against the AKS Arc
planning rules, a commented starting plan, and the plan format's JSON Schema."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from netfence.analyses.address_plan import CHECKS, check_address_plan
from netfence.analyses.audit import AuditReport
from netfence.analyses.separation import CHECKS as SEPARATION_CHECKS
from netfence.analyses.separation import check_separation
from netfence.cli.firewall_options import add_export_options, read_layers
from netfence.cli.inputs import optional_cluster_from_args
from netfence.cli.live_options import add_live_options
from netfence.cli.options import add_verbose_option
from netfence.cli.report_options import add_report_options, render_report
from netfence.cli.terminal import Progress
from netfence.errors import OutputError, QueryError
from netfence.model.address_plan import Platform
from netfence.model.findings import CheckInfo
from netfence.report.fix_files import write_files
from netfence.sources.address_plan import (
    address_plan_schema,
    address_plan_template,
    read_address_plan,
)


def add_ipplan_parser(commands: Any) -> None:
    """Register ``ipplan`` and its subcommands."""
    ipplan = commands.add_parser(
        "ipplan", help="address plans against the AKS Arc planning rules (check, init, schema)"
    )
    sub = ipplan.add_subparsers(dest="ipplan_command", required=True)
    check = sub.add_parser(
        "check",
        help="an address plan against the AKS Arc rules, and a cluster's objects against it",
        description="Overlaps, pools and gateways outside their prefix, control-plane IP"
        " conflicts, pool sizing, the infrastructure block, the fixed service CIDR, the proxy"
        " skip range (docs/address-plan.md); with --cluster, the objects outside the plan.",
    )
    check.add_argument(
        "plan", metavar="PLAN", help="the address plan (YAML or JSON; '-' for stdin)"
    )
    check.add_argument(
        "--cluster",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="the cluster's manifests: node, pod, Service and LoadBalancer addresses; and"
        " the management/data separation checks over its policies",
    )
    add_live_options(check)
    layers = check.add_argument_group(
        "firewall layers",
        "with --cluster: the layers on the path of the separation checks, in the order a flow"
        " from the cluster crosses them",
    )
    add_export_options(layers, required=False)
    add_report_options(check)
    add_verbose_option(check)
    check.add_argument("--strict", action="store_true", help="refuse unknown manifest fields")
    init = sub.add_parser(
        "init",
        help="write a commented starting plan",
        description="A plan with every field and a comment on the rule behind it; it checks"
        " clean. Written to standard output unless --output names a file.",
    )
    init.add_argument(
        "--platform", choices=[p.value for p in Platform], default=Platform.AKS_ARC.value
    )
    init.add_argument("--output", metavar="FILE", help="write the plan to FILE")
    init.add_argument("--force", action="store_true", help="replace FILE if it exists")
    sub.add_parser("schema", help="print the plan format's JSON Schema (draft 2020-12)")


def run_ipplan(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run an ``ipplan`` subcommand."""
    if args.ipplan_command == "schema":
        return address_plan_schema(), 0
    if args.ipplan_command == "init":
        return run_init(args)
    return run_check(args, progress)


def run_check(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run ``ipplan check``."""
    plan = read_address_plan(args.plan)
    cluster = optional_cluster_from_args(args, progress=progress)
    if progress is not None:
        progress.stage("checking the address plan")
    findings = check_address_plan(plan, cluster)
    checks: tuple[CheckInfo, ...] = CHECKS
    if cluster is not None:
        findings.extend(check_separation(plan, cluster, read_layers(args) if args.firewall else ()))
        checks = (*CHECKS, *SEPARATION_CHECKS)
    elif args.firewall:
        raise QueryError("--firewall: the separation checks need the cluster (--cluster PATH)")
    report = AuditReport(tuple(findings), (), checks, (args.plan, *args.cluster, *args.firewall))
    return render_report(report, args)


def run_init(args: argparse.Namespace) -> tuple[str, int]:
    """Run ``ipplan init``: the template on standard output, or written to ``--output``
    (never through a symbolic link, never over a file without ``--force``)."""
    text = address_plan_template(Platform(args.platform))
    if args.output is None:
        return text, 0
    path = Path(args.output)
    if not path.name:
        raise OutputError(f"--output {args.output}: names a directory, not a file")
    if os.path.lexists(path) and not args.force:
        raise OutputError(f"--output {path}: exists; use --force to replace it")
    write_files({path.name: text}, path.parent, "--output")
    print(f"netfence: wrote {path}", file=sys.stderr)
    return "", 0
