"""``netfence connectivity PATH... --firewall FILE...``: connections to and from external
ranges cut by the layers on their path (issue 10, deliverable 4 "Paths"), on the fixture of
tests/cli/test_explain_firewall.py."""

from __future__ import annotations

import json

from tests.cli.test_explain_firewall import CLUSTER, NSG, PERIMETER

NFT = "inet perimeter forward (forward hook)"


def section(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Through the firewall"))
    return lines[start:]


def test_paths_connectivity_marks_what_each_layer_blocks_of_what_policies_allow(cli):
    """Paths: of what the policies allow to an external range, the map shows what the
    firewall path lets through and marks what a layer blocks, naming the first that does
    (the node's address is matched: the NSG blocks 198.51.100.0/24, the perimeter all of
    203.0.113.0/24 but its one partner host)."""
    result = cli("connectivity", CLUSTER, "--firewall", NSG, PERIMETER)
    assert result.code == 0, result.err
    lines = section(result.out)
    assert lines[0] == (
        "Through the firewall layers (nsg aks-nodes-nsg, nftables inet perimeter forward"
        " (forward hook); inbound flows cross them in reverse):"
    )
    assert "shop/payments => 198.51.100.0/24 : TCP 443 BLOCKED by nsg aks-nodes-nsg" in lines
    assert (
        f"shop/payments => 203.0.113.0/24 except 203.0.113.10/32 : TCP 443 BLOCKED by nftables {NFT}"
        in lines
    )
    assert "shop/payments => 203.0.113.10/32 : TCP 443 allowed by every layer" in lines
    assert "198.51.100.7/32 => shop/payments : TCP 8080 allowed by every layer" in lines
    assert lines[-1] == "2 external connection groups; 2 partly or wholly blocked by a layer"


def test_paths_connectivity_no_snat_ranges_are_judged_on_pod_addresses(cli):
    """Paths: with --no-snat, the layers judge the pods' own addresses for those ranges:
    the NSG's rule for pod addresses lets 198.51.100.0/24 through."""
    result = cli(
        "connectivity", CLUSTER, "--firewall", NSG, PERIMETER, "--no-snat", "198.51.100.0/24"
    )
    assert "shop/payments => 198.51.100.0/24 : TCP 443 allowed by every layer" in section(
        result.out
    )


def test_paths_connectivity_json_gains_a_firewall_key(cli):
    """Paths: the JSON map keeps its keys and gains ``firewall``: the layers in path order
    and each external connection's parts, with the blocking layer named."""
    plain = json.loads(cli("connectivity", CLUSTER, "-o", "json").out)
    result = cli("connectivity", CLUSTER, "--firewall", NSG, PERIMETER, "-o", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert {k: v for k, v in doc.items() if k != "firewall"} == plain
    firewall = doc["firewall"]
    assert [layer["name"] for layer in firewall["layers"]] == ["aks-nodes-nsg", NFT]
    outbound = next(c for c in firewall["connections"] if c["direction"] == "Outbound")
    assert outbound["cluster"] == ["shop/payments"] and outbound["blocked"] is True
    by_addresses = {tuple(p["addresses"]): p for p in outbound["parts"]}
    assert by_addresses[("198.51.100.0/24",)]["blocked"] == [
        {"layer": "aks-nodes-nsg", "kind": "nsg", "ports": {"TCP": [[443, 443]]}}
    ]
    assert by_addresses[("203.0.113.10/32",)]["allowed"] == {"TCP": [[443, 443]]}
    assert by_addresses[("203.0.113.10/32",)]["cluster_end"] == "snat"


def test_paths_connectivity_without_firewall_is_unchanged(cli):
    """Without --firewall, the map's text has no firewall section."""
    result = cli("connectivity", CLUSTER)
    assert "Through the firewall" not in result.out
    assert result.out.splitlines()[-1].startswith("2 connection groups")


def test_paths_connectivity_refuses_formats_without_the_path(cli):
    """--firewall with -o csv (md, dot) is a usage error of one line, exit 2."""
    result = cli("connectivity", CLUSTER, "--firewall", NSG, "-o", "csv")
    assert result.code == 2 and result.out == ""
    assert len(result.err_lines) == 1 and "-o text or json" in result.err


def test_paths_connectivity_bad_firewall_file_is_one_line_and_exit_2(cli, write):
    """Input errors: a --firewall file that is no export is one line naming it, exit 2."""
    bad = write("not a firewall\n", "rules.txt")
    result = cli("connectivity", CLUSTER, "--firewall", bad)
    assert result.code == 2 and len(result.err_lines) == 1, result.err
    assert "rules.txt" in result.err and "Traceback" not in result.err
