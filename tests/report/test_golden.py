"""Golden files: every findings renderer's output on the fixture reports, byte for byte.

To accept a deliberate change of output, rewrite the golden files and review their diff:

    NETFENCE_UPDATE_GOLDEN=1 python -m pytest tests/report/test_golden.py

With ``NETFENCE_UPDATE_GOLDEN=1`` the tests write ``golden/<report>.<ext>`` instead of comparing
(and still pass); without it they compare and fail on any difference.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from netfence.analyses.audit.report import AuditReport
from netfence.report.findings_json import render_json
from netfence.report.findings_markdown import render_markdown
from netfence.report.findings_text import render_text
from netfence.report.junit import render_junit
from netfence.report.sarif import render_sarif

GOLDEN = Path(__file__).parent / "golden"

RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "txt": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "xml": render_junit,
    "md": render_markdown,
}


def _updating() -> bool:
    return os.environ.get("NETFENCE_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("ext", sorted(RENDERERS))
@pytest.mark.parametrize("name", ["audit_report", "clean_report"])
def test_output_matches_golden_file(name, ext, request):
    report = request.getfixturevalue(name)
    output = RENDERERS[ext](report).encode("utf-8")
    path = GOLDEN / f"{name.removesuffix('_report')}.{ext}"
    if _updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(output)
        return
    assert path.exists(), f"{path.name} is missing; run with NETFENCE_UPDATE_GOLDEN=1 to write it"
    expected = path.read_bytes()
    assert output == expected, (
        f"output differs from {path.name}; if the change is intended, run with "
        "NETFENCE_UPDATE_GOLDEN=1 and review the diff"
    )


def test_output_does_not_depend_on_input_order(audit_report):
    shuffled = AuditReport(
        findings=tuple(sorted(audit_report.findings, key=lambda f: f.message)),
        accepted=audit_report.accepted,
        checks=tuple(reversed(audit_report.checks)),
        inputs=audit_report.inputs,
    )
    for render in RENDERERS.values():
        assert render(shuffled) == render(audit_report)
