"""``netfence endpoints``: the list for a cloud, region, features and platform in each format,
and bad options refused in one line with exit code 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from netfence.sources.endpoint_catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = "https://contoso1.gw.arc.azure.com"


def _one_error_line(result) -> str:
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("netfence: error: ")
    return result.err_lines[0]


def test_public_eastus_cluster_connect_and_rbac(cli):
    result = cli(
        "endpoints",
        "--cloud",
        "public",
        "--region",
        "eastus",
        "--features",
        "cluster-connect,azure-rbac",
    )
    assert result.code == 0 and result.err == ""
    assert re.search(r"management\.azure\.com +TCP 443 +core", result.out)
    assert "eastus.dp.kubernetesconfiguration.azure.com" in result.out
    assert re.search(
        r"eastus\.obo\.arc\.azure\.com +TCP 8084 +cluster-connect\+azure-rbac", result.out
    )
    assert "Carried by the Arc gateway" not in result.out


def test_gateway_marks_routed_entries_and_lists_its_url(cli):
    result = cli(
        "endpoints",
        "--region",
        "eastus",
        "--features",
        "cluster-connect",
        "--gateway",
        GATEWAY,
        "-o",
        "json",
    )
    assert result.code == 0
    document = json.loads(result.out)
    by_name = {e["fqdn"]: e for e in document["endpoints"]}
    assert by_name["contoso1.gw.arc.azure.com"]["needs_opening"]
    assert by_name["sts.windows.net"]["carried_by_gateway"]
    assert not by_name["management.azure.com"]["carried_by_gateway"]


def test_aks_arc_adds_azure_local_entries(cli):
    arc = cli("endpoints", "--region", "eastus", "-o", "csv")
    aks = cli("endpoints", "--region", "eastus", "--platform", "aks-arc", "-o", "csv")
    assert arc.code == aks.code == 0
    assert "hybridaks.azurecr.io" not in arc.out
    assert "hybridaks.azurecr.io" in aks.out
    assert "in-site,aks-arc.public.insite-apiserver" in aks.out


def test_show_stale_lists_dropped_names_with_dates(cli):
    result = cli("endpoints", "--region", "eastus", "--show-stale", "-o", "md")
    assert result.code == 0
    assert "| `k8connecthelm.azureedge.net` | 2025-02 |" in result.out
    assert "k8connecthelm" not in cli("endpoints", "--region", "eastus").out


def test_features_may_be_repeated_and_all_works(cli):
    repeated = cli(
        "endpoints",
        "--region",
        "eastus",
        "--features",
        "cluster-connect",
        "--features",
        "azure-rbac",
        "-o",
        "json",
    )
    combined = cli(
        "endpoints", "--region", "eastus", "--features", "cluster-connect,azure-rbac", "-o", "json"
    )
    assert repeated.out == combined.out
    everything = cli(
        "endpoints",
        "--region",
        "eastus",
        "--features",
        "all",
        "--key-vault",
        "kv-one",
        "-o",
        "json",
    )
    assert everything.code == 0
    assert "kv-one.vault.azure.net" in everything.out


def _names(out: str) -> set[str]:
    return {e["fqdn"] for e in json.loads(out)["endpoints"]}


def test_include_conditional(cli):
    without = cli("endpoints", "--region", "eastus", "--platform", "aks-arc", "-o", "json")
    with_them = cli(
        "endpoints",
        "--region",
        "eastus",
        "--platform",
        "aks-arc",
        "--include-conditional",
        "-o",
        "json",
    )
    assert _names(with_them.out) - _names(without.out) == {"raw.githubusercontent.com"}


def test_takes_color_as_every_command_does(cli):
    """--color auto|always|never is an option of every command; the list stays plain."""
    for choice in ("auto", "always", "never"):
        result = cli("endpoints", "--region", "eastus", "--color", choice)
        assert result.code == 0 and "\x1b[" not in result.out
    assert "invalid choice: 'red'" in _one_error_line(cli("endpoints", "--color", "red"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--features", "telepathy"], "unknown feature 'telepathy' (valid: all, core,"),
        (["--features", "arc-gateway"], "--gateway URL"),
        (
            ["--cloud", "usgov", "--region", "usgovvirginia", "--gateway", GATEWAY],
            "public cloud only",
        ),
        (["--cloud", "mars"], "argument --cloud: invalid choice"),
        ([], "needs the region: pass --region NAME"),
        (["--region", "westeurope"], "pass --region-code CODE"),
        (["--region", "eastus", "--gateway", "https://example.com"], "invalid Arc gateway URL"),
        (["--region", "eastus", "--features", "key-vault"], "--key-vault NAME"),
        (
            ["--cloud", "china", "--region", "chinanorth3", "--platform", "aks-arc"],
            "no aks-arc entries",
        ),
        (["--region", "east/us"], "invalid region"),
        (["--region", "eastus", "-o", "sarif"], "argument -o/--output: invalid choice"),
    ],
)
def test_bad_options_exit_2_with_one_line(cli, argv, message):
    line = _one_error_line(cli("endpoints", *argv))
    assert message in line


def test_hostile_region_is_one_line(cli):
    line = _one_error_line(cli("endpoints", "--region", "east\nus\x1b[31m"))
    assert "\x1b" not in line


def test_module_entry_point_runs_endpoints():
    """``python -m netfence endpoints`` reads the catalog from the package (package data)."""
    result = subprocess.run(
        [sys.executable, "-m", "netfence", "endpoints", "--region", "eastus", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["schema_version"] == "1"


def test_docs_name_every_source_with_its_date():
    """docs/endpoints.md lists each catalog source with the date of the version read."""
    docs = (ROOT / "docs" / "endpoints.md").read_text(encoding="utf-8")
    for source in load_catalog().sources:
        assert re.search(rf"`{re.escape(source.id)}`.*{source.doc_date}", docs), source.id


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--region", "eastus", "--key-vault", "kv one"], "not valid"),
        (["--region", "eastus", "--region-code", "e u s"], "invalid region code"),
        (["--region", "eastus", "--gateway", "x" * 100_000], "invalid Arc gateway URL"),
        (["--features", "a" * 100_000], "unknown feature"),
    ],
)
def test_hostile_values_are_one_short_line(cli, argv, message):
    line = _one_error_line(cli("endpoints", *argv))
    assert message in line and len(line) < 1200


def test_unlisted_features_are_said(cli):
    result = cli(
        "endpoints", "--cloud", "usgov", "--region", "usgovvirginia", "--features", "portal"
    )
    assert "No entry in the usgov lists for: portal" in result.out
