"""The output options the finding commands share (``firewall check``, ``ipplan check``,
``privatelink check``): format, exit threshold, severity filter, quiet, colour; and the one
way their reports are rendered and their exit code decided."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Final

from netfence.analyses.audit import AuditReport
from netfence.cli.options import add_color_option, severity
from netfence.cli.terminal import color_wanted
from netfence.model.findings import Severity
from netfence.report.findings_json import render_json
from netfence.report.findings_markdown import render_markdown
from netfence.report.findings_text import render_text
from netfence.report.junit import render_junit
from netfence.report.sarif import render_sarif

EXIT_FINDINGS: Final = 1
"""A finding at or above ``--fail-on`` stands."""
FORMATS: Final[dict[str, Callable[[AuditReport], str]]] = {
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "md": render_markdown,
}
"""The renderers of ``-o`` besides text."""


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """``-o``, ``--fail-on``, ``--severity``, ``-q`` and ``--color``."""
    parser.add_argument("-o", "--output", choices=["text", *sorted(FORMATS)], default="text")
    parser.add_argument(
        "--fail-on",
        type=severity,
        metavar="SEVERITY",
        help="exit 1 when a finding at or above this severity stands",
    )
    parser.add_argument(
        "--severity", type=severity, metavar="SEVERITY", help="show findings at or above this"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="text: the summary only")
    add_color_option(parser)


def render_report(
    report: AuditReport, args: argparse.Namespace, text_before: str = ""
) -> tuple[str, int]:
    """The report as the options ask, and the exit code: ``--fail-on`` is decided on every
    finding, before ``--severity`` hides some. ``text_before`` opens the text output (a
    table of what was checked) unless ``-q``."""
    threshold = Severity(args.fail_on) if args.fail_on else None
    code = EXIT_FINDINGS if report.fails(threshold) else 0
    if args.severity:
        report = report.at_least(Severity(args.severity))
    if args.output != "text":
        return FORMATS[args.output](report), code
    text = render_text(report, color=color_wanted(args.color, sys.stdout), quiet=args.quiet)
    return (text if args.quiet or not text_before else f"{text_before}\n{text}"), code
