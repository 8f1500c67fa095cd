"""``netfence firewall generate``: rules for the catalog and the policies' egress, proven
before printed; exit codes; options refused on one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from netfence.analyses.firewall.generate.azure_sdk import sdk_problems

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "arc-cluster"
ARC = ("--region", "eastus", "--features", "cluster-connect")
ANSWERS = """schema_version: 1
answers:
  management.azure.com: ['20.37.158.1', '2603:1030:b00::1']
  eastus.dp.kubernetesconfiguration.azure.com: ['40.71.10.216']
"""


def test_azure_firewall_rules_for_the_catalog_are_exact_and_proven(cli):
    """Deliverable 6: an Azure Firewall rule collection group (application rules by FQDN)
    allows every catalog entry for the features given: exit 0, and the proof is said."""
    result = cli("firewall", "generate", "--format", "azure-firewall", *ARC)
    assert result.code == 0, result.err
    group = json.loads(result.out)
    names = {
        fqdn
        for collection in group["properties"]["ruleCollections"]
        for rule in collection["rules"]
        for fqdn in rule.get("targetFqdns", []) + rule.get("destinationFqdns", [])
    }
    assert {"management.azure.com", "*.servicebus.windows.net"} <= names
    assert "proven: read back rule-collection-group.json" in result.err
    for collection in group["properties"]["ruleCollections"]:
        for rule in collection["rules"]:
            assert rule["description"].startswith("netfence: ")  # names the catalog entry


def test_the_cluster_gives_sources_and_policy_egress(cli):
    """With --cluster, the rules' sources are the nodes' addresses, and the external egress
    the cluster's policies allow is allowed too, by rules named after it."""
    result = cli("firewall", "generate", "--format", "nsg", *ARC, "--cluster", EXAMPLE)
    rules = json.loads(result.out)["securityRules"]
    egress = [r for r in rules if "policy-egress" in r["name"]]
    assert egress, [r["name"] for r in rules]
    for rule in egress:
        assert "*" not in rule["properties"].get("sourceAddressPrefixes", ["*"])


def test_names_without_a_resolver_are_not_expressible_exit_1(cli):
    """An address-only language without a resolver cannot allow names: the rule set is
    printed with what it lacks, said on stderr, and the exit code is 1."""
    result = cli("firewall", "generate", "--format", "iptables", *ARC)
    assert result.code == 1
    assert "not expressible: arc-k8s.public.management: management.azure.com" in result.err
    assert result.out.startswith("# netfence firewall generate --format iptables")


def test_answers_resolve_names_for_address_only_languages(cli, tmp_path):
    """--dns-answers: names become their addresses, per family (--ip-family 6 prints the
    ip6tables input)."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    base = ("firewall", "generate", "--format", "iptables", "--dns-answers", answers)
    v4 = cli(*base, "--source", "10.240.0.0/24", "--source", "fd00:240::/64", *ARC)
    assert "-d 20.37.158.1/32" in v4.out and "proven:" in v4.err
    v6 = cli(
        *base, "--source", "10.240.0.0/24", "--source", "fd00:240::/64", *ARC, "--ip-family", "6"
    )
    assert "-d 2603:1030:b00::1/128" in v6.out


def test_catalog_service_tags_for_nsg(cli):
    """--catalog-service-tags: NSG rules allow the tags the catalog documents for an entry
    (AzureResourceManager for management.azure.com), valid for the SDK's model."""
    result = cli("firewall", "generate", "--format", "nsg", "--catalog-service-tags", *ARC)
    rules = json.loads(result.out)["securityRules"]
    tags = {r["properties"].get("destinationAddressPrefix") for r in rules}
    assert {"AzureResourceManager", "MicrosoftContainerRegistry"} <= tags
    for rule in rules:
        problems = sdk_problems(rule, "SecurityRule")
        assert problems in (None, []), problems


def test_output_dir_writes_every_file_and_refuses_a_link(cli, tmp_path):
    """--output-dir writes each output (rules.v4 and rules.v6), never through a link."""
    out = tmp_path / "rules"
    result = cli("firewall", "generate", "--format", "iptables", *ARC, "--output-dir", out)
    assert result.code in (0, 1) and (out / "rules.v4").is_file()
    link = tmp_path / "link"
    os.symlink(tmp_path / "elsewhere", link)
    refused = cli("firewall", "generate", "--format", "iptables", *ARC, "--output-dir", link)
    assert refused.code == 2 and "symbolic link" in refused.err
    assert not Path(tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("--source", "10.0.0.300/8"), "expected a CIDR or an IP address"),
        (("--service-tag", "arc-his"), "expected ENTRY=TAG[,TAG]"),
        (("--dns-answers", "missing.yaml"), "missing.yaml"),
        (("--resolver", "not an address"), "--resolver: bad DNS server 'not an address'"),
    ],
)
def test_bad_options_are_one_line_exit_2(cli, argv, said):
    """Bad input: one line naming the option, exit code 2, nothing printed."""
    result = cli("firewall", "generate", "--format", "nsg", *ARC, *argv)
    assert result.code == 2 and result.out == ""
    assert said in result.err and len(result.err_lines) <= 2, result.err
