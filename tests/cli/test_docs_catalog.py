"""docs/checks.md carries the check catalog exactly as ``netfence checks -o md`` prints it."""

from __future__ import annotations

from pathlib import Path

CATALOG = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_docs_catalog_matches_the_command(cli):
    """The published catalog is the live one: every check, title, severity and mapping."""
    printed = cli("checks", "-o", "md").out
    assert printed in CATALOG.read_text(encoding="utf-8")
