"""``netfence ipplan check|init|schema``: exit codes, one-line errors, the renderers, the
template written safely and checking clean."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

from netfence.analyses.address_plan import CHECKS
from tests.analyses.address_plan.plans import worked_example

FIXTURES = Path(__file__).resolve().parents[1] / "sources" / "address_plans"


def one_error_line(result) -> str:
    assert result.code == 2, (result.code, result.err)
    assert result.out == "" and "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("netfence: error: ")
    return result.err_lines[0]


@pytest.fixture
def bad_plan(tmp_path) -> Path:
    """AKS-IP worked example with a 15-address pool (NF205, high) and an lnet shared with
    Arc VMs (NF211, low)."""
    data = worked_example()
    data["logical_networks"][0]["ip_pools"] = [{"start": "172.16.0.10", "end": "172.16.0.24"}]
    data["logical_networks"][0]["shared_with_arc_vms"] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def test_clean_plan_exits_0(cli):
    result = cli("ipplan", "check", FIXTURES / "worked-example.yaml", "--fail-on", "low")
    assert result.code == 0 and "No findings" in result.out


def test_findings_and_fail_on(cli, bad_plan):
    result = cli("ipplan", "check", bad_plan)
    assert result.code == 0 and "NF205" in result.out and "NF211" in result.out
    assert cli("ipplan", "check", bad_plan, "--fail-on", "high").code == 1
    assert cli("ipplan", "check", bad_plan, "--fail-on", "critical").code == 0


def test_severity_filters_what_is_shown(cli, bad_plan):
    result = cli("ipplan", "check", bad_plan, "--severity", "high", "-o", "json")
    ids = {f["check_id"] for f in json.loads(result.out)["findings"]}
    assert ids == {"NF205"}


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "md"])
def test_every_renderer(cli, bad_plan, fmt):
    result = cli("ipplan", "check", bad_plan, "-o", fmt)
    assert result.code == 0 and "NF205" in result.out


def test_quiet_prints_the_summary(cli, bad_plan):
    result = cli("ipplan", "check", bad_plan, "-q")
    assert "2 findings" in result.out and "Remediation" not in result.out


def test_bad_plan_field_is_one_error_line(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "format: netfence.address-plan\nversion: 1\nname: s\nlogical_networks:\n"
        "  - {name: a, prefix: 10.0.0.0/24, vlan: 5000}\n",
        encoding="utf-8",
    )
    line = one_error_line(cli("ipplan", "check", path))
    assert f"{path}: document 1, line 5: logical_networks[0].vlan: VLAN 5000" in line


def test_missing_plan_file_is_one_error_line(cli, tmp_path):
    one_error_line(cli("ipplan", "check", tmp_path / "absent.yaml"))


def test_cluster_objects_outside_the_plan(cli, tmp_path):
    """NF212 through the command: a Node address outside every lnet pool."""
    manifests = tmp_path / "cluster.yaml"
    manifests.write_text(
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
        "status: {addresses: [{type: InternalIP, address: 172.16.0.99}]}\n",
        encoding="utf-8",
    )
    result = cli(
        "ipplan", "check", FIXTURES / "worked-example.yaml", "--cluster", manifests, "-o", "json"
    )
    assert result.code == 0, result.err
    assert "NF212" in result.out and "172.16.0.99" in result.out


def test_schema_prints_the_shipped_schema(cli):
    result = cli("ipplan", "schema")
    schema = json.loads(result.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert result.code == 0 and schema["$id"] == "urn:netfence:schema:address-plan:1"


@pytest.mark.parametrize("platform", ["aks-arc", "arc-kubernetes"])
def test_init_template_checks_with_nothing_above_low(cli, tmp_path, platform):
    """The starting plan loads, validates against the schema and checks clean."""
    path = tmp_path / "plan.yaml"
    result = cli("ipplan", "init", "--platform", platform, "--output", path)
    assert result.code == 0 and result.out == "" and str(path) in result.err
    text = path.read_text(encoding="utf-8")
    assert "#" in text
    schema = json.loads(cli("ipplan", "schema").out)
    jsonschema.validate(yaml.safe_load(text), schema)
    assert cli("ipplan", "check", path, "--fail-on", "medium").code == 0


def test_init_prints_to_stdout_without_output(cli):
    result = cli("ipplan", "init")
    assert result.code == 0 and result.out.startswith("# A netfence address plan")


def test_init_refuses_to_overwrite_without_force(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("mine\n", encoding="utf-8")
    line = one_error_line(cli("ipplan", "init", "--output", path))
    assert "exists; use --force" in line and path.read_text(encoding="utf-8") == "mine\n"
    assert cli("ipplan", "init", "--output", path, "--force").code == 0
    assert path.read_text(encoding="utf-8").startswith("# A netfence address plan")


def test_init_never_writes_through_a_link(cli, tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "plan.yaml"
    os.symlink(target, link)
    one_error_line(cli("ipplan", "init", "--output", link))
    line = one_error_line(cli("ipplan", "init", "--output", link, "--force"))
    assert "symbolic link" in line and target.read_text(encoding="utf-8") == "keep\n"


def test_the_catalog_has_every_check():
    assert len(CHECKS) == 12
