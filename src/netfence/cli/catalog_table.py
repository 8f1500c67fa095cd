"""``netfence checks`` on a terminal: the catalog as a table (the plain text form stays the
one for pipes and files, whose lines scripts may read)."""

from __future__ import annotations

from typing import Final

from rich.table import Table
from rich.text import Text

from netfence.analyses.audit import every_check
from netfence.cli.terminal import render_to_text
from netfence.model.findings import Severity

SEVERITY_STYLES: Final = {
    Severity.CRITICAL: "bold magenta",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_checks_table(color: bool, width: int) -> str:
    """The check catalog as a table ``width`` columns wide, severities colored when ``color``."""
    table = Table(show_lines=False, expand=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Title")
    table.add_column("Controls")
    for info in every_check():
        table.add_row(
            Text(info.check_id),
            Text(info.severity.value, style=SEVERITY_STYLES[info.severity]),
            Text(info.title),
            Text("; ".join(info.controls)),
        )
    return render_to_text(table, color, width)
