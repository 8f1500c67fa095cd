"""``netfence explain SRC DST PATH... --firewall FILE...``: the whole path of a flow between
a pod and an external address, and the layer that decided (issue 10, deliverable 4 "Paths").

The fixture (tests/cli/data/firewall_path): node-1 has InternalIP 10.224.0.4; shop/payments
(10.244.1.5) may send to 203.0.113.0/24 and 198.51.100.0/24 on TCP 443 and receive from
198.51.100.0/24 on TCP 8080. The node NSG (node-nsg.json) allows 203.0.113.0/24:443 from
anywhere, 198.51.100.0/24:443 from pod addresses only, denies other egress, and lets
198.51.100.0/24 in on 8080. The perimeter ruleset (perimeter.nft, exported by a real nft as
perimeter.json) accepts 203.0.113.10:443, pod addresses to 198.51.100.0/24:443 and
198.51.100.7 in on 8080, and drops the rest.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data" / "firewall_path"
CLUSTER = DATA / "cluster.yaml"
NSG = DATA / "node-nsg.json"
PERIMETER = DATA / "perimeter.json"
NFT_LAYER = "nftables inet perimeter forward (forward hook)"


def explain(cli, src: str, dst: str, *args: str):
    return cli("explain", src, dst, CLUSTER, "--firewall", NSG, PERIMETER, *args)


def path_section(out: str) -> list[str]:
    lines = out.splitlines()
    return lines[lines.index(next(line for line in lines if line.startswith("Path ("))) :]


def without_nodes(text: str) -> str:
    """The fixture without its Node objects."""
    return "---".join(d for d in text.split("---") if "kind: Node" not in d)


def without_host_ip(text: str) -> str:
    """The fixture without the pod's status.hostIP."""
    return text.replace("  hostIP: 10.224.0.4\n", "")


def test_paths_allowed_by_the_policy_and_every_layer(cli):
    """Paths: pod egress policy, then the node and perimeter layers given, then the
    destination; each layer names its deciding rule with file and line."""
    result = explain(cli, "shop/payments", "203.0.113.10", "--port", "443")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].endswith(": ALLOWED")
    section = path_section(result.out)
    assert section[0] == "Path (Outbound):"
    assert section[1] == "  1. egress policy of shop/payments: Allow (TCP 443)"
    assert section[2].startswith("  2. the cluster's end: SNAT to node 10.224.0.4")
    assert section[3] == (
        f"  3. nsg aks-nodes-nsg: Allow (TCP 443) by securityRules[allow-partners-https]"
        f" ({NSG}: document 1, line 5)"
    )
    assert section[4].startswith(f"  4. {NFT_LAYER}: Allow (TCP 443) by table inet perimeter")
    assert "'partner-api'" in section[4] and f"({PERIMETER}: document 1, line 30)" in section[4]
    assert section[5] == "  5. 203.0.113.10/32 (external)"
    assert section[6] == "Verdict: ALLOWED: every layer lets TCP 443 through."


def test_paths_blocked_by_the_second_layer_names_it(cli):
    """Paths: the overall verdict is the first layer that denies; here the perimeter's
    default (policy drop), after the NSG allowed it."""
    result = explain(cli, "shop/payments", "203.0.113.20", "--port", "443", "--expect", "deny")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].endswith(": DENIED")
    section = path_section(result.out)
    assert "3. nsg aks-nodes-nsg: Allow (TCP 443)" in section[3]
    assert section[4] == f"  4. {NFT_LAYER}: Deny (TCP 443) by the default (Deny)"
    assert section[-1] == (f"Verdict: DENIED by {NFT_LAYER}, the first layer that blocks TCP 443.")
    assert (
        explain(cli, "shop/payments", "203.0.113.20", "--port", "443", "--expect", "allow").code
        == 1
    )


def test_paths_perimeter_rules_are_matched_against_the_nodes_address(cli):
    """Paths: pods leave with their node's address, so the NSG rule for pod addresses
    (allow-direct-peering, 10.244.0.0/16) does not match and deny-other-egress decides."""
    result = explain(cli, "shop/payments", "198.51.100.9", "--port", "443")
    section = path_section(result.out)
    assert "SNAT to node 10.224.0.4" in section[2]
    assert "Deny (TCP 443) by securityRules[deny-other-egress]" in section[3]
    assert (
        section[-1] == "Verdict: DENIED by nsg aks-nodes-nsg, the first layer that blocks TCP 443."
    )


def test_paths_no_snat_ranges_keep_the_pods_own_address(cli):
    """Paths: ``--no-snat CIDR`` for ranges reached without SNAT: the layers see the pod's
    own address, and the rules for pod addresses decide."""
    result = explain(
        cli, "shop/payments", "198.51.100.9", "--port", "443", "--no-snat", "198.51.100.0/24"
    )
    assert result.code == 0, result.err
    section = path_section(result.out)
    assert section[2] == (
        "  2. the cluster's end: no SNAT to 198.51.100.9 (--no-snat): the pod's own address"
        " 10.244.1.5"
    )
    assert "by securityRules[allow-direct-peering]" in section[3]
    assert "'direct-peering'" in section[4]
    assert section[-1] == "Verdict: ALLOWED: every layer lets TCP 443 through."


def test_paths_inbound_crosses_the_layers_in_reverse_then_the_ingress_policy(cli):
    """Paths: inbound flows the reverse: the external source, the perimeter, the node NSG,
    then the pod's ingress policy."""
    result = explain(cli, "198.51.100.7", "shop/payments", "--port", "8080")
    assert result.code == 0, result.err
    section = path_section(result.out)
    assert section[0] == "Path (Inbound):"
    assert section[1] == "  1. 198.51.100.7/32 (external)"
    assert "reaches the pod through node 10.224.0.4" in section[2]
    assert section[3].startswith(f"  3. {NFT_LAYER}: Allow (TCP 8080)")
    assert "'partner-callback'" in section[3]
    assert section[4].startswith(
        "  4. nsg aks-nodes-nsg: Allow (TCP 8080) by securityRules[allow-partner-callback]"
    )
    assert section[5] == "  5. ingress policy of shop/payments: Allow (TCP 8080)"
    other = path_section(explain(cli, "198.51.100.8", "shop/payments", "--port", "8080").out)
    assert other[-1] == f"Verdict: DENIED by {NFT_LAYER}, the first layer that blocks TCP 8080."


def test_paths_when_the_policy_denies_the_layers_are_shown_and_the_policy_decided(cli):
    """Paths: when the pod policy already denies, the layers are still shown, and the
    verdict says the policy decided."""
    result = explain(cli, "shop/payments", "192.0.2.1", "--port", "443")
    assert result.out.splitlines()[0].endswith(": DENIED")
    section = path_section(result.out)
    assert section[1].startswith("  1. egress policy of shop/payments: Deny (TCP 443")
    assert "deny-other-egress" in section[3]
    assert section[-1] == (
        "Verdict: DENIED by the egress policy of shop/payments (the policy decided); on the"
        " layers, TCP 443 blocked by nsg aks-nodes-nsg."
    )


def test_paths_without_a_node_address_any_source_is_assumed(cli, write):
    """Paths: with no Node (nor hostIP) in the input, the cluster's end is unknown; the
    path says any source is assumed, and a layer that tells sources apart cannot decide."""
    cluster = write(without_host_ip(without_nodes(CLUSTER.read_text())), "cluster.yaml")
    result = cli(
        "explain",
        "shop/payments",
        "198.51.100.9",
        cluster,
        "--port",
        "443",
        "--firewall",
        NSG,
        PERIMETER,
        "--no-snat",
        "203.0.113.0/24",
    )
    section = path_section(result.out)
    assert "no IPv4 node address is known" in section[2] and "any address is assumed" in section[2]
    assert "no one rule decides" in section[3]
    assert section[-1].startswith("Verdict: CANNOT DECIDE: nsg aks-nodes-nsg may or may not")
    assert result.out.splitlines()[0].endswith(": CANNOT DECIDE")
    assert (
        cli(
            "explain",
            "shop/payments",
            "198.51.100.9",
            cluster,
            "--port",
            "443",
            "--firewall",
            NSG,
            "--expect",
            "allow",
        ).code
        == 1
    )


def test_paths_snat_to_the_pods_own_node_from_its_host_ip(cli):
    """Paths: the node address the flow leaves with is the pod's node's (status.hostIP),
    not every node's."""
    section = path_section(explain(cli, "shop/payments", "203.0.113.10", "--port", "443").out)
    assert section[2].startswith(
        "  2. the cluster's end: SNAT to node 10.224.0.4 (the pod's status.hostIP;"
    )
    assert "10.224.0.5" not in section[2]


def test_paths_without_the_pods_node_it_leaves_with_any_nodes_address(cli, write):
    """Paths: when the input does not say which node the pod runs on, it leaves with one of
    the nodes' addresses, and the path says which ones and why."""
    cluster = write(without_host_ip(CLUSTER.read_text()), "cluster.yaml")
    result = cli(
        "explain",
        "shop/payments",
        "203.0.113.10",
        cluster,
        "--port",
        "443",
        "--firewall",
        NSG,
        PERIMETER,
    )
    section = path_section(result.out)
    assert section[2].startswith(
        "  2. the cluster's end: SNAT to node one of 10.224.0.4, 10.224.0.5 (the input does"
        " not say which node the pod runs on)"
    )
    assert section[-1] == "Verdict: ALLOWED: every layer lets TCP 443 through."


def test_paths_json_lists_the_path_in_order_with_the_deciding_layer(cli):
    """Paths: JSON output gains the same path as a list (policy, address, layers,
    external), the verdict over it and the layer that decided."""
    result = explain(cli, "shop/payments", "203.0.113.20", "--port", "443", "-o", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    path = doc["path"]
    assert [s["step"] for s in path["steps"]] == ["policy", "address", "layer", "layer", "external"]
    address = path["steps"][1]
    assert address["translation"] == "snat" and address["addresses"] == ["10.224.0.4/32"]
    nsg = path["steps"][2]
    assert nsg["name"] == "aks-nodes-nsg" and nsg["verdicts"] == ["Allow"]
    assert nsg["parts"][0]["rule"] == {
        "path": "securityRules[allow-partners-https]",
        "name": "allow-partners-https",
        "file": str(NSG),
        "line": 5,
    }
    nft = path["steps"][3]
    assert nft["parts"][0]["default"] is True and nft["parts"][0]["verdict"] == "Deny"
    assert path["verdict"] == "Deny"
    assert path["decided_by"] == {"step": "layer", "name": "inet perimeter forward (forward hook)"}
    assert path["blocked"] == [
        {"layer": "inet perimeter forward (forward hook)", "ports": {"TCP": [[443, 443]]}}
    ]
    assert doc["allowed"] is True  # the policies' own verdict keeps its meaning


def test_paths_json_inbound_order(cli):
    """Paths: inbound, the JSON steps are the external end, the address, the layers in
    reverse, then the ingress policy."""
    doc = json.loads(
        explain(cli, "198.51.100.7", "shop/payments", "--port", "8080", "-o", "json").out
    )
    steps = doc["path"]["steps"]
    assert [s["step"] for s in steps] == ["external", "address", "layer", "layer", "policy"]
    assert [s["name"] for s in steps if s["step"] == "layer"] == [
        "inet perimeter forward (forward hook)",
        "aks-nodes-nsg",
    ]
    assert doc["path"]["verdict"] == "Allow" and doc["path"]["decided_by"] is None


def test_paths_without_port_judges_the_ports_the_policies_allow(cli):
    """Paths: without --port, the layers judge what the policies allow."""
    result = explain(cli, "shop/payments", "203.0.113.10")
    assert path_section(result.out)[-1] == "Verdict: ALLOWED: every layer lets TCP 443 through."


def test_paths_in_cluster_flows_have_no_firewall_path(cli):
    """Paths: a flow between two ends in the cluster does not cross the layers: said on
    stderr, and the explanation is as without --firewall."""
    result = explain(cli, "shop/payments", "10.244.1.5", "--port", "443")
    assert result.code == 0
    assert "Path (" not in result.out
    assert "firewall layers are not on the flow's path" in result.err


def test_paths_bad_firewall_file_is_one_line_and_exit_2(cli, write):
    """Input errors: a --firewall file that is no firewall export is one line on stderr
    naming the file, exit 2, no traceback."""
    bad = write('{"nftables": [{"rule": {"family": "inet"}}', "broken.json")
    result = cli("explain", "shop/payments", "203.0.113.10", CLUSTER, "--firewall", bad)
    assert result.code == 2 and result.out == ""
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("netfence: error: ") and "broken.json" in result.err
    assert "Traceback" not in result.err
    missing = cli(
        "explain", "shop/payments", "203.0.113.10", CLUSTER, "--firewall", DATA / "nope.json"
    )
    assert missing.code == 2 and len(missing.err_lines) == 1


def test_paths_without_firewall_the_output_is_unchanged(cli):
    """Without --firewall, explain prints no path and its JSON has no ``path`` key."""
    result = cli("explain", "shop/payments", "203.0.113.20", CLUSTER, "--port", "443")
    assert "Path (" not in result.out and result.out.splitlines()[0].endswith(": ALLOWED")
    doc = json.loads(cli("explain", "shop/payments", "203.0.113.20", CLUSTER, "-o", "json").out)
    assert "path" not in doc
