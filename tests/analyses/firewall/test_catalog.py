"""The firewall check catalog: NF1xx IDs, and docs/firewall.md listing each check with its
severity and every key of its evidence."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from netfence.analyses.firewall import evidence
from netfence.analyses.firewall.catalog import CHECKS

DOC = Path(__file__).resolve().parents[3] / "docs" / "firewall.md"


def _rows() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        found = re.match(r"\| (NF1\d\d) \| (.*) \|$", line)
        if found:
            rows[found.group(1)] = found.group(2)
    return rows


def test_firewall_checks_are_a_family_of_their_own():
    """Check IDs NF001..NF030 belong to the audit: firewall checks are NF1xx, each once."""
    ids = [c.check_id for c in CHECKS]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"NF1\d\d", i) for i in ids)


def test_docs_list_every_check_with_its_severity_and_evidence_keys():
    """docs/firewall.md has a row per check, starting with its default severity, naming
    every evidence key of the check's record."""
    rows = _rows()
    assert set(rows) == {c.check_id for c in CHECKS}
    for check in CHECKS:
        assert rows[check.check_id].startswith(check.severity.value), check.check_id
    records = [
        c
        for c in vars(evidence).values()
        if isinstance(c, type) and issubclass(c, evidence.Evidence) and c.__doc__
    ]
    named = [r for r in records if re.match(r"NF1\d\d\.", r.__doc__ or "")]
    assert len(named) == len(CHECKS)
    for record in named:
        row = rows[(record.__doc__ or "")[:5]]
        for field in dataclasses.fields(record):
            assert f"`{field.name}`" in row, (record.__name__, field.name)
