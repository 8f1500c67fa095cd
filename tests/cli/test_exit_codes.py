"""Exit codes mean one thing each: 0 done, 1 findings at or above --fail-on, 2 a usage, input or
output error, 3 a bug in netfence; never a traceback."""

from __future__ import annotations

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
