"""Exit codes mean one thing each: 0 done, 1 findings at or above --fail-on, 2 a usage, input or
output error, 3 a bug in netfence; never a traceback."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from netfence.cli import main as cli_main


def test_an_internal_error_is_one_line_and_exit_3(monkeypatch, capsys, tmp_path):
    """An unexpected exception is a bug: one line asking for a report, exit 3 (never 1, which
    a CI gate would read as findings), no traceback and no partial output."""

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_main, "_run", broken)
    code = cli_main.main(["connectivity", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("netfence: internal error: RuntimeError: boom")
    assert "report" in err and "Traceback" not in err


def test_interrupt_exits_130(monkeypatch, capsys, tmp_path):
    """Ctrl-C ends with the shell's code for SIGINT and one line."""

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "_run", interrupted)
    assert cli_main.main(["connectivity", str(tmp_path)]) == 130
    assert capsys.readouterr().err == "netfence: interrupted\n"


@pytest.mark.parametrize(
    ("port", "fragment"),
    [
        pytest.param("²/TCP", "declares no TCP port named '²'", id="superscript-digit"),
        pytest.param("٨٠/TCP", "declares no TCP port named '٨٠'", id="arabic-indic-digits"),
        pytest.param("9" * 5000 + "/TCP", "is outside 1-65535", id="5000-digit-number"),
        pytest.param("80/ſctp", "unknown protocol", id="non-ascii-protocol"),
        pytest.param("0/TCP", "port 0 is outside 1-65535", id="zero"),
    ],
)
def test_explain_port_takes_ascii_numbers_only(cli, shop_cluster, port, fragment):
    """``--port`` numbers are ASCII digits 1-65535 (a Unicode digit is no port number and is
    read as a port name); a huge number is refused without being converted."""
    result = cli("explain", "shop/frontend", "shop/backend", shop_cluster, "--port", port)
    assert result.code == 2
    assert result.err.count("\n") == 1 and fragment in result.err, result.err


def test_an_error_naming_a_file_with_a_line_break_stays_one_line(cli, tmp_path):
    """A file name is the user's, and may hold a line break: the error escapes it, so that the
    message stays one line and cannot forge another."""
    bad = tmp_path / "evil\nnetfence: error: forged.yaml"
    bad.write_text("kind: [\n", encoding="utf-8")
    result = cli("connectivity", bad)
    assert result.code == 2
    assert len(result.err_lines) == 1, result.err
    assert "evil\\nnetfence: error: forged.yaml" in result.err


def test_a_warning_naming_a_file_with_a_line_break_stays_one_line(cli, tmp_path):
    """Warnings too: one line each, whatever the file name holds."""
    (tmp_path / "skip\r\nme.json").write_text('{"report": 1}', encoding="utf-8")
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    result = cli("connectivity", tmp_path)
    assert result.code == 0
    assert len(result.err_lines) == 1 and "skip\\r\\nme.json" in result.err, result.err


def test_an_internal_error_message_stays_one_line(monkeypatch, capsys, tmp_path):
    def broken(args):
        raise RuntimeError("two\nlines")

    monkeypatch.setattr(cli_main, "_run", broken)
    assert cli_main.main(["connectivity", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "two\\nlines" in err


SRC = Path(__file__).resolve().parents[2] / "src"


def test_a_full_disk_is_an_output_error_of_one_line(shop_cluster):
    """Output that cannot be written (a full disk) is exit 2 and one line, never a traceback
    and never exit 1."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "netfence", "connectivity", str(shop_cluster)],
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(SRC)},
            timeout=60,
            check=False,
        )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.count("\n") == 1 and "cannot write the output" in err


def test_a_reader_that_goes_away_ends_the_run_quietly(shop_cluster):
    """``netfence ... | true``: the reader is gone before the output is written. That is no
    error and no traceback: the run ends with SIGPIPE's 141 and nothing on standard error."""
    command = (
        f"{shlex.quote(sys.executable)} -m netfence scan -o json {shlex.quote(str(shop_cluster))}"
    )
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{command} | true"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=60,
        check=False,
    )
    assert done.stderr == b""
    assert done.returncode == 141
