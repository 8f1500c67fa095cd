"""File names are the user's: whatever bytes they hold, every output stays valid and in shape.

Requirement: a file name holding a line break cannot forge a line of the text report (nor of
the Markdown table or the JUnit failure text), and a file name that is not UTF-8 (byte 0xff)
neither crashes a renderer nor makes the output invalid UTF-8: text formats show the byte as
``\\xff``, SARIF percent-encodes it in the URI (``%FF``), JSON and JUnit carry the ``\\xff``
escape as text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHOP_MANIFEST

SRC = Path(__file__).resolve().parents[2] / "src"
FORGED = "[CRITICAL] NF999 forged finding"
SCAN_FORMATS = ["text", "json", "sarif", "junit", "md"]


@pytest.fixture
def newline_named(tmp_path: Path) -> Path:
    directory = tmp_path / "in"
    directory.mkdir()
    (directory / f"evil\n{FORGED}\nx.yaml").write_text(SHOP_MANIFEST, encoding="utf-8")
    return directory


@pytest.fixture
def not_utf8_named(tmp_path: Path) -> Path:
    directory = tmp_path / "in"
    directory.mkdir()
    with open(os.path.join(os.fsencode(directory), b"bad\xffname.yaml"), "w") as out:
        out.write(SHOP_MANIFEST)
    return directory


@pytest.mark.parametrize("output", SCAN_FORMATS)
def test_a_line_break_in_a_file_name_forges_no_line(cli, newline_named, output):
    result = cli("scan", "-o", output, newline_named)
    assert result.code == 0, result.err
    assert not any(line.startswith(FORGED) for line in result.out.splitlines()), output
    if output == "json":
        files = {
            r["file"]
            for f in json.loads(result.out)["findings"]
            for r in (*f["resources"], *f["affected"])
        }
        assert any(FORGED in f for f in files if f)  # JSON carries the name exactly, escaped


@pytest.mark.parametrize("output", SCAN_FORMATS)
def test_a_file_name_that_is_not_utf8_keeps_the_output_valid(cli, not_utf8_named, output):
    result = cli("scan", "-o", output, not_utf8_named)
    assert result.code == 0, result.err
    result.out.encode("utf-8")  # no lone surrogate left: the output is valid UTF-8
    shown = "%FF" if output == "sarif" else "\\xff"
    assert f"bad{shown}name.yaml" in result.out.replace("\\\\", "\\"), output


def test_relative_sarif_uri_of_a_name_that_is_not_utf8(cli, not_utf8_named, monkeypatch):
    """A relative name is a URI relative to %SRCROOT%, its bytes percent-encoded."""
    monkeypatch.chdir(not_utf8_named)
    result = cli("scan", "-o", "sarif", ".")
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in json.loads(result.out)["runs"]
        for res in run["results"]
        for loc in (*res["locations"], *res.get("relatedLocations", []))
        if "physicalLocation" in loc
    }
    assert "bad%FFname.yaml" in uris


@pytest.mark.parametrize("output", SCAN_FORMATS)
def test_a_strict_utf8_stream_writes_every_format(not_utf8_named, output):
    """With a stream that refuses surrogates (PYTHONIOENCODING=utf-8), no format crashes."""
    done = subprocess.run(
        [sys.executable, "-m", "netfence", "scan", "-o", output, str(not_utf8_named)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    done.stdout.decode("utf-8")


def test_explain_text_escapes_the_file_name(cli, newline_named):
    result = cli("explain", "shop/frontend", "shop/backend", newline_named, "--port", "9090")
    assert result.code == 0, result.err
    assert not any(line.startswith(FORGED) for line in result.out.splitlines())


def test_a_baseline_reason_with_a_line_break_forges_no_line(cli, shop_cluster, tmp_path):
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(
        f'accept:\n  - check: NF002\n    resource: "*"\n    reason: "ok\\n{FORGED}"\n',
        encoding="utf-8",
    )
    result = cli("scan", "--baseline", baseline, shop_cluster)
    assert result.code == 0, result.err
    assert "accepted: ok\\n[CRITICAL]" in result.out
    assert not any(line.startswith(FORGED) for line in result.out.splitlines())
