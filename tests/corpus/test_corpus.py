"""Every corpus case gives its expected outcome: exit code and the one error line, or acceptance.

Requirement (README "Exit codes"): a refused input is exit 2 with exactly one line on standard
error, ``netfence: error: FILE: document N, line L: FIELD: message`` (or the option's name),
and nothing on standard output; an accepted input is exit 0 with no error line, and gives the
warnings the case names. Cases and expectations are in ``tests/corpus/cases.py``.

The cases at the end were parity gaps of the shared YAML loader, now closed: each pins the
API server's answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netfence.sources.manifests import load_cluster_from_text
from tests.corpus.cases import CASES, Case, policy
from tests.corpus.runner import case_argv, prepare, run


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_outcome(case: Case, tmp_path, monkeypatch, capsys):
    setup = prepare(case, tmp_path, monkeypatch)
    result = run(case_argv(case, setup), capsys, case.timeout)
    assert result.code == case.exit, (result.code, result.err[:500])
    errors = [line for line in result.err_lines if line.startswith("netfence: error: ")]
    if case.error is None:
        assert errors == [], result.err[:500]
        assert result.out.endswith("\n")
    else:
        assert result.out == "", "partial output on an error"
        assert len(result.err_lines) == 1, result.err[:2000]
        assert len(errors) == 1 and case.error in errors[0], errors
    if case.warning is not None:
        assert any(case.warning in line for line in result.err_lines), result.err[:500]
    if case.no_line_starts_with is not None:
        assert not any(
            line.startswith(case.no_line_starts_with) for line in result.out.splitlines()
        )


def test_a_fifo_in_a_directory_cannot_hang_a_real_run(tmp_path):
    """The FIFO case again in a process of its own, under a hard timeout."""
    top = tmp_path / "manifests"
    top.mkdir()
    (top / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    os.mkfifo(top / "pipe.yaml")
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-m", "netfence", "connectivity", str(top)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(src)},
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"pipe.yaml: not a regular file; skipped" in done.stderr


def test_base_60_port_is_refused_as_the_api_server_does():
    """kubectl's reader (go-yaml v2) has no base-60 numbers: ``port: 1:20`` is the string
    "1:20", which the API server refuses as a port name (IANA_SVC_NAME), never port 80."""
    from netfence.errors import InputError

    with pytest.raises(InputError):
        load_cluster_from_text(policy("  ingress:\n    - ports:\n        - port: 1:20\n"), "p.yaml")


def test_lone_surrogate_escape_in_json_is_accepted():
    """The API server's JSON decoder (Go) reads a lone surrogate escape as U+FFFD and accepts
    the object; netfence does too."""
    text = (
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a",'
        ' "annotations": {"x": "\\ud800"}}}'
    )
    assert "a" in load_cluster_from_text(text, "a.json").namespaces
