"""``netfence privatelink check`` end to end against dnsmasq on loopback: the name table, the
findings in every format, exit codes, answer files, a closed port, and input errors as one
line with exit code 2."""

from __future__ import annotations

import json
import pathlib
import time

import pytest

from netfence.cli import main as cli_main
from tests.support.dns import Zone, dns_zone_server, free_port

__all__ = ["dns_zone_server"]

SETTINGS = """\
format: netfence.private-link
version: 1
cloud: public
platform: arc-kubernetes
scopes:
  - name: pls-east
    region: eastus
    private_endpoint: {name: pe-arc, vnet: hub, region: eastus}
    clusters:
      - {name: edge-1, features: [flux]}
services:
  - {kind: key-vault, name: myvault}
  - {kind: container-registry, name: myacr, region: eastus}
private_endpoint_subnets: [10.20.0.0/24]
"""

ZONE = Zone(
    records={
        "myvault.privatelink.vaultcore.azure.net": ["10.20.0.5"],
        "gbl.privatelink.his.arc.azure.com": ["10.20.0.4"],
        "eus.privatelink.his.arc.azure.com": ["10.20.0.4"],
        "agentserviceapi.privatelink.guestconfiguration.azure.com": ["10.20.0.6"],
        "eastus.privatelink.dp.kubernetesconfiguration.azure.com": ["10.20.0.7"],
        "myacr.azurecr.io": ["20.50.1.2"],
    },
    cnames={
        "myvault.vault.azure.net": "myvault.privatelink.vaultcore.azure.net",
        "gbl.his.arc.azure.com": "gbl.privatelink.his.arc.azure.com",
        "eus.his.arc.azure.com": "eus.privatelink.his.arc.azure.com",
        "agentserviceapi.guestconfiguration.azure.com": (
            "agentserviceapi.privatelink.guestconfiguration.azure.com"
        ),
        "eastus.dp.kubernetesconfiguration.azure.com": (
            "eastus.privatelink.dp.kubernetesconfiguration.azure.com"
        ),
    },
    local_domains=["azure.net", "azure.com", "azurecr.io"],
)


@pytest.fixture
def settings_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "pl.yaml"
    path.write_text(SETTINGS)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(["privatelink", "check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_shows_the_name_table_then_the_findings(
    dns_zone_server, settings_file, capsys
) -> None:  # type: ignore[no-untyped-def]
    server = dns_zone_server(ZONE)
    code, out, _ = _run(
        capsys, str(settings_file), "--resolver", server.address, "--color", "never"
    )
    assert code == 0
    table = out.split("\n\n")[0]
    assert table.splitlines()[1].split() == ["NAME", "ZONE", "CHAIN", "ADDRESSES", "CLASS"]
    vault = next(line for line in table.splitlines() if line.startswith("myvault.vault"))
    assert "myvault.privatelink.vaultcore.azure.net" in vault
    assert "10.20.0.5" in vault and vault.rstrip().endswith("private")
    acr = next(line for line in table.splitlines() if line.startswith("myacr.azurecr.io"))
    assert acr.rstrip().endswith("public")
    assert "NF301" in out and "myacr.azurecr.io" in out


def test_fail_on_high_exits_1_for_a_public_answer(dns_zone_server, settings_file, capsys) -> None:  # type: ignore[no-untyped-def]
    server = dns_zone_server(ZONE)
    code, _, _ = _run(capsys, str(settings_file), "--resolver", server.address, "--fail-on", "high")
    assert code == 1


def test_json_output_carries_the_findings(dns_zone_server, settings_file, capsys) -> None:  # type: ignore[no-untyped-def]
    server = dns_zone_server(ZONE)
    code, out, _ = _run(capsys, str(settings_file), "--resolver", server.address, "-o", "json")
    assert code == 0
    document = json.loads(out)
    ids = {f["check_id"] for f in document["findings"]}
    assert {"NF301", "NF303", "NF307"} <= ids  # the registry's data endpoint is NXDOMAIN


@pytest.mark.parametrize("fmt", ["sarif", "junit", "md"])
def test_other_formats_render(settings_file, capsys, fmt: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(capsys, str(settings_file), "-o", fmt)
    assert code == 0 and "NF307" in out


def test_closed_port_reports_resolver_failed_within_the_timeout(settings_file, capsys) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    code, out, _ = _run(
        capsys,
        str(settings_file),
        "--resolver",
        f"127.0.0.1:{free_port()}",
        "--dns-timeout",
        "0.5",
        "--color",
        "never",
    )
    assert time.monotonic() - started < 10
    assert code == 0
    assert out.count("resolver failed") >= 6
    assert "NF304" in out and "127.0.0.1" in out


def test_answer_file_named_by_the_settings_is_relative_to_them(
    tmp_path: pathlib.Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "answers.yaml").write_text(
        "schema_version: 1\nanswers:\n  myvault.vault.azure.net: [20.1.2.3]\n"
    )
    path = tmp_path / "pl.yaml"
    path.write_text(SETTINGS + "dns_answers: answers.yaml\n")
    code, out, _ = _run(capsys, str(path), "-o", "json", "--fail-on", "high")
    assert code == 1
    public = [f for f in json.loads(out)["findings"] if f["check_id"] == "NF301"]
    assert [f["evidence"]["name"] for f in public] == ["myvault.vault.azure.net"]


def test_options_build_the_design_without_a_file(dns_zone_server, capsys) -> None:  # type: ignore[no-untyped-def]
    server = dns_zone_server(ZONE)
    code, out, _ = _run(
        capsys,
        "--region",
        "eastus",
        "--scope",
        "pls",
        "--cluster",
        "edge-1",
        "--features",
        "cluster-connect",
        "--service",
        "key-vault:myvault",
        "--private-endpoint-subnet",
        "10.20.0.0/24",
        "--resolver",
        server.address,
        "--color",
        "never",
    )
    assert code == 0
    assert "NF309" in out
    assert "myvault.vault.azure.net" in out


def test_firewall_export_judges_what_must_stay_public(
    settings_file, tmp_path: pathlib.Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """ARC-PL network configuration: an NSG denying everything blocks the four endpoints
    that must stay public, each named with the blocking rule."""
    found = _with_nsg(
        capsys, settings_file, tmp_path, [_nsg_rule("DenyAll", 4000, "Deny", "*", "*")]
    )
    blocked = [f for f in found if f["check_id"] == "NF317"]
    assert len(blocked) == 4
    assert all(f["severity"] == "high" and "DenyAll" in f["message"] for f in blocked)


def test_unexpanded_tag_rule_leaves_the_verdict_open_and_keeps_the_vault_public(
    settings_file, tmp_path: pathlib.Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """Without the service tags file, an allow on AzureKeyVault may hold any address: the
    stay-public flows are "cannot decide" (low), and the vault's public endpoint is open."""
    rules = [
        _nsg_rule("AllowKeyVault", 160, "Allow", "AzureKeyVault", "443"),
        _nsg_rule("DenyAll", 4000, "Deny", "*", "*"),
    ]
    found = _with_nsg(capsys, settings_file, tmp_path, rules)
    undecided = [f for f in found if f["check_id"] == "NF317"]
    assert len(undecided) == 4
    assert all(f["severity"] == "low" and "AllowKeyVault" in f["message"] for f in undecided)
    allowed = [f for f in found if f["check_id"] == "NF318"]
    assert len(allowed) == 1 and "AllowKeyVault" in allowed[0]["message"]


def _with_nsg(capsys, settings_file, tmp_path, rules):  # type: ignore[no-untyped-def]
    export = tmp_path / "nsg.json"
    export.write_text(json.dumps({"name": "edge-nsg", "properties": {"securityRules": rules}}))
    code, out, _ = _run(capsys, str(settings_file), "--firewall", str(export), "-o", "json")
    assert code == 0
    return json.loads(out)["findings"]


def _nsg_rule(name: str, priority: int, access: str, to: str, port: str) -> dict[str, object]:
    return {
        "name": name,
        "properties": {
            "priority": priority,
            "direction": "Outbound",
            "access": access,
            "protocol": "*" if port == "*" else "Tcp",
            "sourceAddressPrefix": "*",
            "sourcePortRange": "*",
            "destinationAddressPrefix": to,
            "destinationPortRange": port,
        },
    }


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--service", "vault"], "--service"),
        (["--cluster", "c1"], "--region"),
        (["--resolver", "dns.example"], "--resolver"),
    ],
)
def test_input_errors_are_one_line_exit_2(capsys, argv: list[str], expected: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err


def test_bad_settings_field_is_one_line_exit_2(tmp_path: pathlib.Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pl.yaml"
    path.write_text(SETTINGS.replace("kind: key-vault", "kind: vault"))
    code, _, err = _run(capsys, str(path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "line 12" in err and "services[0].kind" in err


def test_settings_file_and_design_options_are_refused_together(settings_file, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = _run(capsys, str(settings_file), "--region", "eastus")
    assert code == 2 and "--region" in err


EXAMPLE_SETTINGS = str(
    pathlib.Path(__file__).resolve().parents[2]
    / "examples"
    / "arc-cluster"
    / "plan"
    / "private-link.yaml"
)
EXAMPLE_PLAN = str(pathlib.Path(EXAMPLE_SETTINGS).with_name("address-plan.yaml"))


def test_quiet_and_severity_as_the_other_finding_commands(capsys) -> None:  # type: ignore[no-untyped-def]
    """The finding commands share their output options: -q prints the summary alone (no
    name table), --severity hides findings below it while --fail-on still sees them all."""
    code, out, _ = _run(capsys, EXAMPLE_SETTINGS, "-q")
    assert (
        code == 0
        and "Private Link names" not in out
        and out.splitlines()[0].endswith("(0 accepted by baseline)")
    )
    code, out, _ = _run(
        capsys,
        EXAMPLE_SETTINGS,
        "-o",
        "json",
        "--severity",
        "critical",
        "--fail-on",
        "high",
    )
    assert code == 1 and json.loads(out)["findings"] == []


def test_plan_gives_the_private_endpoint_subnets(capsys) -> None:  # type: ignore[no-untyped-def]
    """--plan: answers are compared with the plan's private-endpoint subnets (ARC-PL: the
    private endpoint's addresses), so a private answer is classed inside them."""
    _, out, _ = _run(capsys, EXAMPLE_SETTINGS, "--plan", EXAMPLE_PLAN)
    assert "(private-endpoint subnets: 10.50.1.0/24)" in out
    row = next(line for line in out.splitlines() if line.startswith("shop-secrets.vault"))
    assert row.rstrip().endswith("private")
