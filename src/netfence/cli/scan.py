"""``netfence scan`` and ``netfence checks``: argument wiring for the audit."""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from netfence.analyses.address_plan import CHECKS as ADDRESS_PLAN_CHECKS
from netfence.analyses.address_plan import check_address_plan
from netfence.analyses.audit import (
    AuditReport,
    chosen_checks,
    every_check,
    run_audit,
    with_findings,
)
from netfence.analyses.audit.context import AuditContext
from netfence.analyses.firewall.catalog import CHECKS as FIREWALL_CHECKS
from netfence.analyses.firewall.path import all_node_addresses
from netfence.analyses.firewall.run import run_firewall_check
from netfence.analyses.private_link.catalog import CHECKS as PRIVATE_LINK_CHECKS
from netfence.analyses.private_link.check import check_private_link
from netfence.analyses.remediation import plan_fixes
from netfence.analyses.separation import CHECKS as SEPARATION_CHECKS
from netfence.analyses.separation import check_separation
from netfence.cli.catalog_table import render_checks_table
from netfence.cli.endpoints import add_endpoint_options
from netfence.cli.firewall import say_what_was_assumed
from netfence.cli.firewall_options import (
    add_export_options,
    add_path_options,
    add_resolver_options,
    check_options,
    read_layers,
    resolver_from,
)
from netfence.cli.inputs import FoundInputs, cluster_from_args
from netfence.cli.live_options import add_live_options
from netfence.cli.options import (
    STRICT_HELP,
    add_color_option,
    add_verbose_option,
    check_ids,
    flat_ids,
    namespace_name,
    severity,
)
from netfence.cli.terminal import Progress, color_wanted, is_terminal, terminal_width
from netfence.errors import OutputError, QueryError
from netfence.model.address_plan import AddressPlan
from netfence.model.cluster import Cluster
from netfence.model.findings import Acceptance, CheckInfo, Finding, Severity
from netfence.model.firewall import FirewallLayer
from netfence.report.findings_json import render_json
from netfence.report.findings_markdown import render_markdown
from netfence.report.findings_text import render_text
from netfence.report.fix_files import describe_plan, write_fixes
from netfence.report.junit import render_junit
from netfence.report.printable import printable
from netfence.report.sarif import checked_docs_url, render_sarif
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.address_plan import read_address_plan
from netfence.sources.baseline import DEFAULT_BASELINE, load_baseline, unused_entries
from netfence.sources.endpoint_catalog import load_catalog
from netfence.sources.manifests import iter_input_files
from netfence.sources.private_link_catalog import load_private_link_catalog
from netfence.sources.private_link_settings import read_private_link_settings
from netfence.sources.resolver import AnswerFileResolver

EXIT_FINDINGS = 1

FORMATS: dict[str, Callable[[AuditReport], str]] = {
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "md": render_markdown,
}


def parse_api_server(text: str) -> tuple[str, int]:
    """``IP`` or ``IP:PORT`` (``[v6]:PORT`` for IPv6); the port defaults to 6443."""
    host, port = text, "6443"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or port
    elif text.count(":") == 1:
        host, port = text.split(":")
    shown = text if len(text) <= 60 else text[:57] + "..."
    if not port.isascii() or not port.isdigit() or len(port) > 5:
        raise argparse.ArgumentTypeError(f"expected IP[:PORT] with PORT 1-65535, got {shown!r}")
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected IP[:PORT], got {shown!r}") from None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.scope_id is not None:
        raise argparse.ArgumentTypeError(
            f"{shown!r}: an IPv6 zone (%{parsed.scope_id}) is no cluster address"
        )
    address, number = str(parsed), int(port)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port {number} is outside 1-65535")
    return address, number


def add_scan_parser(commands: Any) -> None:
    """Register ``scan`` and ``checks``."""
    scan = commands.add_parser(
        "scan", help="audit network hardening (CIS 5.3, NSA/CISA, OWASP, NIST SP 800-190)"
    )
    scan.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="manifest files or directories; '-' for stdin; none with --live",
    )
    add_live_options(scan)
    add_verbose_option(scan)
    scan.add_argument("--strict", action="store_true", help=STRICT_HELP)
    scan.add_argument("-o", "--output", choices=["text", *sorted(FORMATS)], default="text")
    scan.add_argument(
        "--fail-on",
        type=severity,
        metavar="SEVERITY",
        help="exit 1 when a finding at or above this severity stands"
        f" ({', '.join(s.value for s in Severity)}; any case)",
    )
    scan.add_argument(
        "--select",
        action="append",
        type=check_ids,
        metavar="IDS",
        help="run only these checks (comma-separated, any case)",
    )
    scan.add_argument(
        "--ignore",
        action="append",
        type=check_ids,
        metavar="IDS",
        help="skip these checks (comma-separated, any case)",
    )
    scan.add_argument(
        "-n",
        "--namespace",
        action="append",
        type=namespace_name,
        metavar="NS",
        help="keep findings that concern namespace NS (repeatable); with --live, read only"
        " NS's pods and policies too",
    )
    scan.add_argument(
        "--severity",
        type=severity,
        metavar="SEVERITY",
        help="show only findings at or above this severity (any case)",
    )
    scan.add_argument(
        "-q", "--quiet", action="store_true", help="text output: the summary table only"
    )
    scan.add_argument(
        "--show-fixes",
        action="store_true",
        help="plan and prove the fixes without writing them; text output prints each (YAML)",
    )
    scan.add_argument(
        "--docs-url",
        type=docs_url,
        metavar="URL",
        help="where docs/checks.md is published: SARIF rules then link their section (helpUri)",
    )
    scan.add_argument(
        "--baseline",
        metavar="FILE",
        help=f"accepted findings (default: {DEFAULT_BASELINE} in the working directory, if any)",
    )
    scan.add_argument("--fix", metavar="DIR", help="write generated fixes (YAML) into DIR")
    scan.add_argument(
        "--api-server",
        action="append",
        type=parse_api_server,
        default=[],
        metavar="IP[:PORT]",
        help="the API server's address, when the input has no default/kubernetes endpoints",
    )
    add_color_option(scan)
    plan = scan.add_argument_group(
        "address plan",
        "the plan checked against the AKS Arc rules and the cluster's objects, and the"
        " management/data separation over the policies and firewall layers, as 'ipplan check'"
        " does",
    )
    plan.add_argument(
        "--plan",
        metavar="FILE",
        help="the address plan (docs/address-plan.md); default: the one found among the PATHs",
    )
    plan.add_argument(
        "--private-link",
        metavar="FILE",
        help="Private Link settings (docs/private-link.md); default: those found among the"
        " PATHs. Names resolve through --resolver or --dns-answers, else the settings' answer"
        " file",
    )
    firewall = scan.add_argument_group(
        "firewall layers",
        "firewall exports (also those found among the PATHs) checked against what the cluster"
        " needs, as 'firewall check' does",
    )
    add_export_options(firewall, required=False)
    add_path_options(firewall)
    add_resolver_options(firewall)
    add_endpoint_options(firewall)

    checks = commands.add_parser("checks", help="list the audit checks and their mappings")
    checks.add_argument("-o", "--output", choices=["text", "json", "md"], default="text")
    add_color_option(checks)


def run_scan(args: argparse.Namespace, progress: Progress | None = None) -> tuple[str, int]:
    """Run the audit; returns the rendered report and the exit code."""
    found = FoundInputs()
    cluster = cluster_from_args(
        args, progress=progress, found=found, live_namespaces=args.namespace or ()
    )
    baseline_path = args.baseline
    if baseline_path is None and os.path.isfile(DEFAULT_BASELINE):
        baseline_path = DEFAULT_BASELINE
    baseline = load_baseline(baseline_path) if baseline_path else []
    known = {c.check_id for c in every_check()}
    for entry in baseline:
        if entry.check_id not in known:
            raise QueryError(
                f"{entry.file}: line {entry.line}: unknown check ID {entry.check_id!r}"
            )
    plan_file = _one_found("--plan", args.plan, found.address_plans, "address plans")
    plan = read_address_plan(plan_file) if plan_file is not None else None
    firewalls = [*args.firewall, *(f for f in found.firewalls if f not in args.firewall)]
    layers = read_layers(_with_firewalls(args, firewalls)) if firewalls else []
    inputs = tuple(f for f in iter_input_files(args.paths or ()) if f != "-")
    if progress is not None:
        progress.stage("running the checks")
    today = datetime.date.today()
    on_check = None
    if progress is not None and progress.enabled:
        shown = progress

        def on_check(info: CheckInfo, number: int, total: int) -> None:
            shown.stage(f"running the checks: {number}/{total} {info.check_id} {info.title}")

    context = AuditContext(cluster, tuple(args.api_server))
    report = run_audit(
        cluster,
        select=flat_ids(args.select),
        ignore=_audit_ignored(args, plan),
        baseline=baseline,
        api_servers=tuple(args.api_server),
        today=today,
        inputs=inputs,
        on_check=on_check,
        context=context,
    )
    if firewalls:
        if progress is not None:
            progress.stage("checking the firewall layers")
        report = _with_firewall_findings(report, cluster, layers, firewalls, args, baseline, today)
    if plan is not None and plan_file is not None:
        if progress is not None:
            progress.stage("checking the address plan and the management/data separation")
        findings = check_address_plan(plan, cluster)
        findings.extend(check_separation(plan, cluster, layers, context=context))
        report = _with_more_findings(
            report, (*ADDRESS_PLAN_CHECKS, *SEPARATION_CHECKS), findings, args, baseline, today
        )
        report = replace(report, inputs=(*report.inputs, *_named([plan_file], report.inputs)))
    link_file = _one_found(
        "--private-link", args.private_link, found.private_link, "Private Link settings files"
    )
    if link_file is not None:
        if progress is not None:
            progress.stage("resolving the Private Link names")
        report = _with_private_link(report, cluster, link_file, plan, layers, args, baseline, today)
    _warn_about_baseline(report, baseline, today)
    if args.fix is not None:
        report = _write_fixes(cluster, report, args)
    elif args.show_fixes:  # planned and proven as for --fix, but nothing is written
        report = plan_fixes(cluster, report, api_servers=tuple(args.api_server)).report
    if args.namespace:
        report = report.in_namespaces(args.namespace)
    threshold = Severity(args.fail_on) if args.fail_on else None
    failed = report.fails(threshold)  # decided on every finding in scope, shown or not
    if args.severity:
        report = report.at_least(Severity(args.severity))
    if args.output == "text":
        output = render_text(
            report,
            color=color_wanted(args.color, sys.stdout),
            show_fixes=args.show_fixes,
            quiet=args.quiet,
        )
    elif args.output == "sarif":
        output = render_sarif(report, docs_url=args.docs_url)
    else:
        output = FORMATS[args.output](report)
    return output, EXIT_FINDINGS if failed else 0


def _one_found(option: str, given: str | None, found: list[str], what: str) -> str | None:
    """The file an option names, else the one found among the inputs; QueryError when
    several are found and none is named (netfence does not pick one for the user)."""
    if given is not None:
        return given
    if len(found) > 1:
        shown = ", ".join(printable(f) for f in found)
        raise QueryError(
            f"{len(found)} {what} found among the inputs ({shown}): name one with {option}"
        )
    return found[0] if found else None


def _named(files: Sequence[str], already: Sequence[str]) -> list[str]:
    return [f for f in files if f != "-" and f not in already]


def _audit_ignored(args: argparse.Namespace, plan: AddressPlan | None) -> list[str] | None:
    """``--ignore``, and NF011 with a plan unless selected: the separation check NF221 then
    answers the same question, with the plan's control-plane IPs and the rules that permit."""
    ignored = flat_ids(args.ignore)
    if plan is None or "NF011" in (flat_ids(args.select) or ()):
        return ignored
    return [*(ignored or ()), "NF011"]


def _with_private_link(
    report: AuditReport,
    cluster: Cluster,
    link_file: str,
    plan: AddressPlan | None,
    layers: Sequence[FirewallLayer],
    args: argparse.Namespace,
    baseline: list[Acceptance],
    today: datetime.date,
) -> AuditReport:
    """The report with the Private Link findings: names resolved (the options' resolver,
    else the settings' answer file), compared with the plan's private-endpoint subnets, and
    the endpoints that stay public judged through the layers from the nodes' addresses."""
    settings = read_private_link_settings(link_file)
    given = resolver_from(args)
    resolver = given
    if resolver is None and settings.dns_answers is not None:
        resolver = AnswerFileResolver.read(settings.dns_answers)
    nodes = all_node_addresses(cluster)
    subnets = plan.private_endpoint_addresses() if plan is not None else None
    result = check_private_link(
        settings,
        load_private_link_catalog(),
        resolver,
        subnets if subnets else None,
        layers,
        IPRangeSet.from_addresses(nodes) if nodes else None,
        {code.region: code.code for code in load_catalog().region_codes},
    )
    report = _with_more_findings(
        report, PRIVATE_LINK_CHECKS, result.findings, args, baseline, today
    )
    answers = [settings.dns_answers] if settings.dns_answers and given is None else []
    return replace(report, inputs=(*report.inputs, *_named([link_file, *answers], report.inputs)))


def _with_firewalls(args: argparse.Namespace, firewalls: list[str]) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "firewall": firewalls})


def _with_more_findings(
    report: AuditReport,
    checks: Sequence[CheckInfo],
    findings: Iterable[Finding],
    args: argparse.Namespace,
    baseline: list[Acceptance],
    today: datetime.date,
) -> AuditReport:
    """The report with the findings of further checks that ``--select``/``--ignore`` keep."""
    chosen = set(chosen_checks(checks, flat_ids(args.select), flat_ids(args.ignore)))
    kept = [f for f in findings if f.check.check_id in chosen]
    ran = [c for c in checks if c.check_id in chosen]
    return with_findings(report, ran, kept, baseline=baseline, today=today)


def _with_firewall_findings(
    report: AuditReport,
    cluster: Cluster,
    layers: Sequence[FirewallLayer],
    firewalls: list[str],
    args: argparse.Namespace,
    baseline: list[Acceptance],
    today: datetime.date,
) -> AuditReport:
    """The report with the findings of the firewall layers on the cluster's path (in the
    order given, then those found among the inputs, in file order)."""
    result = run_firewall_check(layers, check_options(args), cluster)
    if args.verbose:  # scan's stderr stays quiet; firewall check always says these
        say_what_was_assumed(result, layers)
    report = _with_more_findings(report, FIREWALL_CHECKS, result.findings, args, baseline, today)
    return replace(report, inputs=(*report.inputs, *_named(firewalls, report.inputs)))


def docs_url(text: str) -> str:
    """``--docs-url``: an absolute http(s) URL without a fragment (argparse refuses the rest,
    exit 2, naming the argument)."""
    try:
        return checked_docs_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _warn_about_baseline(
    report: AuditReport, baseline: list[Acceptance], today: datetime.date
) -> None:
    """Name, on stderr, each baseline entry that expired and each that accepted nothing: an
    entry left behind would silently accept a finding that comes back."""
    used = (entry for _, entry in report.accepted)
    checked = (info.check_id for info in report.checks)
    expired, unused = unused_entries(baseline, used, checked, today)
    for entry in expired:
        assert entry.expires is not None
        print(
            f"netfence: warning: {_entry_place(entry)}: baseline entry {entry.check_id}"
            f" {printable(entry.resource)} expired on {entry.expires.isoformat()}; its findings"
            " stand again",
            file=sys.stderr,
        )
    for entry in unused:
        print(
            f"netfence: warning: {_entry_place(entry)}: baseline entry {entry.check_id}"
            f" {printable(entry.resource)} matched no finding; remove it",
            file=sys.stderr,
        )


def _entry_place(entry: Acceptance) -> str:
    return f"{printable(entry.file or '<baseline>')}:{entry.line}"


def render_checks_for(args: argparse.Namespace) -> str:
    """``netfence checks``: a table on a terminal with ``-o text``, else the stable forms."""
    if args.output == "text" and is_terminal(sys.stdout):
        return render_checks_table(color_wanted(args.color, sys.stdout), terminal_width())
    return render_checks(args.output)


def _write_fixes(cluster: Cluster, report: AuditReport, args: argparse.Namespace) -> AuditReport:
    """Plan and prove the fixes, write those proven, and say on stderr what each changes
    (stderr in every output format, so that stdout stays the report)."""
    if not args.fix:  # Path("") is the working directory: never write there unasked
        raise OutputError("--fix: the directory name is empty")
    plan = plan_fixes(cluster, report, api_servers=tuple(args.api_server))
    written = write_fixes(plan.report, Path(args.fix))
    sys.stderr.write(describe_plan(plan, written))
    if plan.outcomes and not plan.proven:
        raise OutputError(f"--fix {args.fix}: no fix set passed its proof (reasons above)")
    return plan.report


def render_checks(output: str) -> str:
    """The check catalog as text, JSON or Markdown."""
    import json

    infos = every_check()
    if output == "json":
        return (
            json.dumps(
                {
                    "schema_version": "1",
                    "checks": [
                        {
                            "check_id": c.check_id,
                            "title": c.title,
                            "severity": c.severity.value,
                            "description": c.description,
                            "remediation": c.remediation,
                            "controls": list(c.controls),
                            "peers": {k: list(v) for k, v in c.peers.items()},
                        }
                        for c in infos
                    ],
                },
                indent=2,
            )
            + "\n"
        )
    if output == "md":
        lines = [
            "| ID | Severity | Title | Controls | Equivalent checks |",
            "|---|---|---|---|---|",
        ]
        for c in infos:
            peers = "; ".join(f"{k}: {', '.join(v)}" for k, v in c.peers.items())
            lines.append(
                f"| {c.check_id} | {c.severity.value} | {c.title} | "
                f"{'; '.join(c.controls)} | {peers} |"
            )
        return "\n".join(lines) + "\n"
    lines = []
    for c in infos:
        lines.append(f"{c.check_id}  {c.severity.value:<8}  {c.title}")
        if c.controls:
            lines.append(f"    controls: {'; '.join(c.controls)}")
        if c.peers:
            lines.append(
                "    equivalent: " + "; ".join(f"{k} {', '.join(v)}" for k, v in c.peers.items())
            )
    return "\n".join(lines) + "\n"
