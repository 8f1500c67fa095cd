"""The plan's networks (NF224, NF225): data networks reaching the management network through
the firewall layers, and management and data sharing a VLAN or prefix (issue 11, part 2)."""

from __future__ import annotations

from collections.abc import Sequence

from netfence.analyses.separation import check_separation
from netfence.model.address_plan import AddressPlan
from netfence.model.findings import Finding, Severity
from netfence.model.firewall import FirewallLayer
from tests.analyses.builders import cluster, namespace
from tests.analyses.separation.plans import DMZ, LNET, MANAGEMENT, data, lnet, management, plan
from tests.engine.firewall_builders import ALLOW, DENY, addresses, layer, rule, tcp


def run(
    the_plan: AddressPlan, check_id: str, layers: Sequence[FirewallLayer] = ()
) -> list[Finding]:
    """The findings of one check over a cluster with no workloads."""
    found = check_separation(the_plan, cluster(namespace("web")), layers)
    return [f for f in found if f.check.check_id == check_id]


def test_nf224_without_layers_one_finding_says_nothing_read_separates_them():
    """NIST SP 800-190 4.3.3 (networks split by sensitivity): with no firewall layer, nothing
    netfence read separates the data networks from the management network; one finding says
    so and how to give the layers."""
    (found,) = run(plan(), "NF224")
    assert "Nothing netfence read separates" in found.message
    assert "--firewall" in found.message
    assert found.evidence["data_networks"] == [f"dmz ({DMZ})"]
    assert [r.kind for r in found.resources] == ["ManagementNetwork", "DataNetwork"]
    assert found.resources[1].line == 40


def test_nf224_a_layer_rule_that_lets_a_data_network_through_is_named():
    """AKS-NET internal ports: the data network traced as the source end; the layer rule
    letting it reach the management network is named (and is the cause), and the Azure Local
    internal ports among the ports are pointed out."""
    fw = layer(
        rule(DENY, sources=addresses(DMZ), to=addresses(MANAGEMENT), services=tcp(443)),
        rule(ALLOW, sources=addresses("10.0.0.0/8"), to=addresses(MANAGEMENT)),
        name="core",
    )
    (found,) = run(plan(), "NF224", [fw])
    assert found.effective_severity is Severity.HIGH
    assert "core (core: rules[1])" in found.message
    assert "including the Azure Local internal ports" in found.message
    assert found.cause is not None and found.cause.resource.key == "AzureFirewallRule/rules[1]"
    assert not found.evidence["path"]["layers"][0]["allowed"].startswith("All")
    assert "TCP 443" in found.evidence["path"]["layers"][0]["blocked"]


def test_nf224_a_layer_that_denies_separates_them():
    """Firewall default deny: no rule admits the data network, so no finding."""
    fw = layer(rule(ALLOW, sources=addresses(LNET), to=addresses(MANAGEMENT)), name="core")
    assert run(plan(), "NF224", [fw]) == []


def test_nf224_undecided_is_medium_and_says_cannot_decide():
    """Paths: a rule matching on what the model cannot express leaves the flow "cannot
    decide": medium, never a silent allow or deny."""
    fw = layer(
        rule(DENY, to=addresses("*"), undecidable=("interface eth1",)),
        rule(ALLOW, to=addresses("*")),
        name="core",
    )
    (found,) = run(plan(), "NF224", [fw])
    assert found.effective_severity is Severity.MEDIUM
    assert "cannot decide" in found.message


def test_nf225_data_network_on_the_management_vlan_is_high():
    """AKS-NET / C.5: keep management and workload lnets and VLANs apart; a data network on
    the management VLAN mixes data and management traffic."""
    (found,) = run(plan(data_networks=(data(vlan=10),)), "NF225")
    assert found.effective_severity is Severity.HIGH
    assert "management VLAN 10" in found.message
    assert found.evidence["same_vlan"] is True


def test_nf225_aks_lnet_overlapping_the_management_prefix_is_medium():
    """AKS-NET: the internal-ports table applies when management and the AKS lnet are on
    different VLANs (one segment is supported, weaker isolation): an lnet inside the
    management prefix is medium, with the shared addresses."""
    shared = plan(
        logical_networks=(lnet(prefix="192.168.10.0/25", pool=("192.168.10.60", "192.168.10.90")),)
    )
    (found,) = run(shared, "NF225")
    assert found.effective_severity is Severity.MEDIUM
    assert "192.168.10.0/25" in found.message
    assert found.evidence["overlap"] == "192.168.10.0/25"


def test_nf225_separate_vlans_and_prefixes_pass_and_untagged_ones_are_info():
    """AKS-NET: separate VLANs and prefixes are what is asked (no finding); two untagged
    networks that do not overlap may share a segment, which the plan does not say (info)."""
    assert run(plan(), "NF225") == []
    untagged = plan(
        management=management(vlan=None), logical_networks=(lnet(vlan=None),), data_networks=()
    )
    (found,) = run(untagged, "NF225")
    assert found.effective_severity is Severity.INFO
    assert "both untagged" in found.message


def test_nf225_ssh_from_a_data_network_to_the_aks_lnet_is_beyond_aks_net():
    """AKS-NET internal ports: 22 and 6443 are opened from the management IPs to the AKS VM
    lnet only; a layer opening them from a data network is named."""
    fw = layer(
        rule(ALLOW, sources=addresses(DMZ), to=addresses(LNET), services=tcp(22)), name="core"
    )
    (found,) = run(plan(), "NF225", [fw])
    assert "AKS lnet aks" in found.message and "TCP 22" in found.message
    assert "core (core: rules[0])" in found.message
    assert found.evidence["destination"] == "lnet aks"


def test_nf224_only_internal_ports_are_said_to_be_all_of_them():
    """AKS-NET internal ports: a layer opening the MOC cloud agent port 55000 to a data
    network opens nothing but an internal port, and the message says so."""
    fw = layer(
        rule(ALLOW, sources=addresses(DMZ), to=addresses(MANAGEMENT), services=tcp(55000)),
        name="core",
    )
    (found,) = run(plan(), "NF224", [fw])
    assert "all of them Azure Local internal ports TCP 55000" in found.message
    assert found.evidence["ports"] == "TCP 55000"
