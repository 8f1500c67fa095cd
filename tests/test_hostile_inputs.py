"""Guard: every hostile input of the corpus, through every command and output format.

Requirement (README "Exit codes"): whatever the input, a run ends within its time limit with
exit 0 (complete output), 1 (only with ``--fail-on`` and findings in the output) or 2 (no
output, one ``netfence: error:`` line on standard error, after any warnings); never a
traceback, never exit 3, and every line on standard error is netfence's own. A case's own
options go with its own command (a baseline with ``scan``, ``-n`` with ``connectivity``);
the other commands read the same input plainly. The one large input (5 MB) runs once, as
``scan -o json``, to keep the suite fast.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import CliResult
from tests.corpus.cases import CASES, Case
from tests.corpus.runner import options, prepare, run

CONNECTIVITY_FORMATS = ["text", "json", "csv", "md", "dot"]
SCAN_FORMATS = ["text", "json", "sarif", "junit", "md"]
EXPLAIN = ("shop/web", "203.0.113.7", "--port", "80")
"""A flow most cases' clusters hold (and an error of one line for those that do not)."""


def runs(case: Case, setup) -> list[list[str]]:
    """Every command line the guard gives the case."""
    inputs = setup.inputs
    own = options(case, setup, keep_output=False)
    if case.heavy:  # one run, the one that does the most (the corpus test runs connectivity)
        return [["scan", "-o", "json", *own, *inputs]]
    argvs: list[list[str]] = []
    conn = own if case.command == "connectivity" else []
    scan = own if case.command == "scan" else []
    for output in CONNECTIVITY_FORMATS:
        argvs.append(["connectivity", "-o", output, *conn, *inputs])
    if case.command == "explain":
        src, dst, *rest = own
        explain = [src, dst, *rest]
    else:
        explain = list(EXPLAIN)
    for output in ["text", "json"]:
        argvs.append(["explain", explain[0], explain[1], *inputs, *explain[2:], "-o", output])
    for output in SCAN_FORMATS:
        argvs.append(["scan", "-o", output, *scan, *inputs])
    argvs.append(["scan", "-o", "json", "--fail-on", "info", *scan, *inputs])
    return argvs


def check(argv: list[str], result: CliResult, case: Case) -> None:
    where = f"{case.name}: netfence {' '.join(a[:40] for a in argv[:6])}"
    assert "Traceback" not in result.err, f"{where}: traceback\n{result.err[:3000]}"
    assert result.code in (0, 1, 2), f"{where}: exit {result.code}: {result.err[:500]}"
    assert all(line.startswith("netfence: ") for line in result.err_lines), (
        f"{where}: a stray line on stderr: {result.err[:1000]}"
    )
    errors = [line for line in result.err_lines if line.startswith("netfence: error: ")]
    if result.code == 2:
        assert result.out == "", f"{where}: partial output with exit 2"
        assert len(errors) == 1 and result.err_lines[-1] == errors[0], (
            f"{where}: an error must be one line, the last: {result.err[:1000]}"
        )
        assert all(
            line.startswith(("netfence: warning: ", "netfence: skipped"))
            for line in result.err_lines[:-1]
        ), f"{where}: {result.err[:1000]}"
        return
    assert errors == [], f"{where}: an error line with exit {result.code}"
    assert result.out.endswith("\n"), f"{where}: output incomplete"
    if result.code == 1:
        assert "--fail-on" in argv, f"{where}: exit 1 without --fail-on"
        assert json.loads(result.out)["findings"], f"{where}: exit 1 without findings"
    elif "--fail-on" in argv:
        assert not json.loads(result.out)["findings"], f"{where}: findings but exit 0"
    if case.no_line_starts_with is not None:
        assert not any(
            line.startswith(case.no_line_starts_with) for line in result.out.splitlines()
        ), f"{where}: a forged line in the output"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_command_survives_every_hostile_input(case, tmp_path, monkeypatch, capsys):
    setup = prepare(case, tmp_path, monkeypatch)
    for argv in runs(case, setup):
        check(argv, run(argv, capsys, case.timeout), case)
