"""docs/checks.md carries the check catalog exactly as ``netfence checks -o md`` prints it."""

from __future__ import annotations

from pathlib import Path

CATALOG = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_docs_catalog_matches_the_command(cli):
    """The published catalog is the live one: every check, title, severity and mapping."""
    printed = cli("checks", "-o", "md").out
    assert printed in CATALOG.read_text(encoding="utf-8")


def test_docs_list_every_evidence_key():
    """docs/json-findings.md's "Evidence by check" names every key of every check's evidence
    record (analyses/audit/evidence.py), in that check's row."""
    import dataclasses
    import re

    from netfence.analyses.audit import evidence

    text = (CATALOG.parent / "json-findings.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        found = re.match(r"\| (NF\d{3}(?:, NF\d{3})*) \| (.*) \|$", line)
        if found:
            for check_id in found.group(1).split(", "):
                rows[check_id] = found.group(2)
    records = [
        c
        for c in vars(evidence).values()
        if isinstance(c, type) and issubclass(c, evidence.Evidence) and c is not evidence.Evidence
    ]
    assert records
    for record in records:
        # The docstring opens with the checks the record is the evidence of.
        leading = re.match(r"(?:(?:One address of )?NF\d{3}(?:, )?)+", record.__doc__ or "")
        assert leading, f"{record.__name__} names no check at the start of its docstring"
        checks = re.findall(r"NF\d{3}", leading.group(0))
        for field in dataclasses.fields(record):
            key = field.metadata.get("key", field.name)
            for check_id in checks:
                assert f"`{key}`" in rows.get(check_id, ""), f"{check_id} {key} undocumented"


def test_every_check_has_the_section_sarif_points_at():
    """SARIF rules refer to ``docs/checks.md#nf008``: each check has a ``### NF008`` heading
    (GitHub's anchor for it is ``nf008``) naming its title."""
    from netfence.analyses.audit import check_catalog

    text = CATALOG.read_text(encoding="utf-8")
    for check in check_catalog():
        heading = f"\n### {check.check_id}\n\n**{check.title}** ({check.severity.value})."
        assert heading in text, check.check_id
