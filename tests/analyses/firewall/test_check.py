"""``check_firewalls``: each NF1xx check on a small layer, and every findings renderer on
its findings."""

from __future__ import annotations

import datetime
import json
from dataclasses import replace

from netfence.analyses.audit.report import AuditReport
from netfence.analyses.firewall.catalog import CHECKS
from netfence.analyses.firewall.check import check_firewalls
from netfence.model.findings import Finding, Severity
from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    LayerNote,
    LayerSettings,
    RequiredFlow,
    RuleStage,
)
from netfence.model.origin import ExportOrigin
from netfence.policy.firewall_registry import read_firewall_text
from netfence.report.findings_json import render_json
from netfence.report.findings_markdown import render_markdown
from netfence.report.findings_text import render_text
from netfence.report.junit import render_junit
from netfence.report.sarif import render_sarif
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet
from tests.engine.firewall_builders import (
    ALLOW,
    DENY,
    IN,
    OUT,
    addresses,
    layer,
    required,
    rule,
    tcp,
)

CLUSTER = addresses("10.1.0.0/24")
ARC = [
    required(names=["management.azure.com"], reason="Azure Resource Manager", entry_id="arm"),
    required(names=["mcr.microsoft.com"], reason="images", entry_id="mcr"),
]


def _check(layers, flows=ARC, **options):
    options.setdefault("cluster_sources", CLUSTER)
    return check_firewalls(layers, flows, **options)


def _ids(findings: list[Finding]) -> list[str]:
    return sorted(f.check.check_id for f in findings)


def _of(findings, check_id):
    return [f for f in findings if f.check.check_id == check_id]


def _arc_rule(**extra):
    return rule(
        ALLOW,
        sources=CLUSTER,
        names=["management.azure.com", "mcr.microsoft.com"],
        services=tcp(443),
        **extra,
    )


def test_exact_allow_list_has_no_findings():
    """Consistency: a layer allowing exactly the required flows has nothing to report."""
    assert _check([layer(_arc_rule())]) == []


def test_shortfall_names_the_rule_or_default_that_blocks():
    """NF101 shortfall (missing = required - permitted): a blocked required flow is HIGH and
    names the layer, the blocking rule or the default, and the required entry."""
    fw = layer(
        rule(DENY, names=["mcr.microsoft.com"]),
        rule(ALLOW, sources=CLUSTER, names=["management.azure.com"], services=tcp(443)),
    )
    found = _of(_check([fw]), "NF101")
    assert len(found) == 1
    blocked = found[0]
    assert blocked.effective_severity is Severity.HIGH
    assert blocked.evidence["rules"] == ["fw: rules[0]"]
    assert blocked.evidence["entry_id"] == "mcr"
    assert blocked.evidence["blocked"]["names"] == ["mcr.microsoft.com"]
    assert blocked.resources[0].kind == "AzureFirewallRule"
    assert blocked.resources[0].origin == ExportOrigin("fw.json", "$.rules[0]")
    by_default = _of(_check([layer()]), "NF101")
    assert {f.evidence["rules"][0] for f in by_default} == {"default"}
    assert by_default[0].resources[0].kind == "AzureFirewallPolicy"


def test_shortfall_on_a_path_names_each_blocking_layer():
    """Layers and paths: a flow passes when every layer allows it; the NSG that blocks is
    named even when the firewall allows."""
    nsg = layer(rule(DENY, to=addresses("*")), name="nsg", kind=FirewallKind.NSG)
    fw = layer(_arc_rule())
    found = _of(_check([nsg, fw]), "NF101")
    assert {f.evidence["layer"] for f in found} == {"nsg"}
    assert found[0].resources[0].kind == "NSGRule"


def test_surplus_lists_excess_names_ranges_and_ports():
    """NF102 surplus (excess = permitted - required), within the cluster's sources: the
    excess names, address terms and ports, per rule; the guidance is only the destinations
    strictly required."""
    fw = layer(
        rule(
            ALLOW,
            sources=CLUSTER,
            names=["*.azure.com", "mcr.microsoft.com"],
            services=tcp(443, 80),
        ),
        rule(ALLOW, sources=CLUSTER, to=addresses("20.0.0.0/24", "20.0.1.0/24"), services=tcp(22)),
        rule(ALLOW, sources=addresses("192.168.0.0/16"), to=addresses("*")),
    )
    found = _of(_check([fw]), "NF102")
    assert [f.evidence["rule"] for f in found] == ["fw: rules[0]", "fw: rules[1]"]
    names = found[0].evidence["excess"]
    assert names["names"] == ["*.azure.com", "mcr.microsoft.com"]
    assert names["ports"] == "TCP 80,443"
    ranges = found[1].evidence["excess"]
    assert ranges["addresses"] == ["20.0.0.0/23"]
    assert ranges["ports"] == "TCP 22"
    assert all(f.effective_severity is Severity.MEDIUM for f in found)


def test_surplus_of_a_wildcard_beyond_the_required_name():
    """NF102: a wildcard allowed where one name under it is required is excess (the other
    names under it), the required name itself is not."""
    fw = layer(
        rule(ALLOW, sources=CLUSTER, names=["*.azure.com", "mcr.microsoft.com"], services=tcp(443))
    )
    found = _of(_check([fw]), "NF102")
    assert found[0].evidence["excess"]["names"] == ["*.azure.com"]
    assert found[0].evidence["excess"]["ports"] == "TCP 443"


def test_internet_wide_rule_is_high():
    """NF103 any-to-any and internet-wide: an allow to every address, every name, or on
    every protocol and port."""
    fw = layer(_arc_rule(), rule(ALLOW, sources=CLUSTER, to=addresses("*")))
    found = _of(_check([fw]), "NF103")
    assert len(found) == 1
    assert found[0].evidence["breadth"] == ["every address", "every protocol and port"]
    assert found[0].effective_severity is Severity.HIGH


def test_inbound_opening_to_the_cluster():
    """NF104 inbound openings: Arc agents need none; from every address it is HIGH, from
    some sources MEDIUM; a rule to other hosts is not about the cluster."""
    fw = layer(
        _arc_rule(),
        rule(ALLOW, direction=IN, to=addresses("10.1.0.0/16"), services=tcp(22)),
        rule(ALLOW, direction=IN, sources=addresses("192.0.2.0/24"), to=CLUSTER, services=tcp(443)),
        rule(ALLOW, direction=IN, to=addresses("10.9.0.0/24"), services=tcp(80)),
    )
    found = _of(_check([fw]), "NF104")
    assert [f.effective_severity for f in found] == [Severity.HIGH, Severity.MEDIUM]
    assert found[0].evidence["reaches"]["addresses"] == ["10.1.0.0/24"]


def test_shadowed_and_redundant_rules():
    """NF105 shadowed (line reachability, with the covering rules and whether their action
    differs) and NF106 redundant (removing it changes no verdict), both LOW."""
    fw = layer(
        _arc_rule(),
        rule(DENY, sources=CLUSTER, names=["mcr.microsoft.com"], services=tcp(443)),
        rule(ALLOW, sources=CLUSTER, to=addresses("20.0.0.0/24"), services=tcp(22)),
        rule(ALLOW, sources=CLUSTER, to=addresses("20.0.0.0/16"), services=tcp(22)),
    )
    found = _check([fw])
    shadowed = _of(found, "NF105")
    assert [f.evidence["rule"] for f in shadowed] == ["fw: rules[1]"]
    assert shadowed[0].evidence["different_action"] == ["fw: rules[0]"]
    redundant = _of(found, "NF106")
    assert [f.evidence["rule"] for f in redundant] == ["fw: rules[2]"]
    assert {f.effective_severity for f in shadowed + redundant} == {Severity.LOW}


def test_fqdn_in_network_rule_needs_dns_proxy():
    """NF107 Azure Firewall: FQDNs in network rules need the DNS proxy."""
    network = _arc_rule(stage=RuleStage.NETWORK)
    off = layer(network, settings=LayerSettings(dns_proxy=False))
    assert _ids(_check([off])) == ["NF107"]
    on = layer(network, settings=LayerSettings(dns_proxy=True))
    assert _check([on]) == []
    application = layer(_arc_rule(stage=RuleStage.APPLICATION))
    assert _check([application]) == []


def test_tls_inspection_of_the_gateway_url():
    """NF108: a rule inspecting TLS to the Arc gateway's host is HIGH."""
    gateway = "contoso.gw.arc.azure.com"
    flows = [*ARC, required(names=[gateway], reason="gateway")]
    fw = layer(
        rule(
            ALLOW,
            sources=CLUSTER,
            names=["*.gw.arc.azure.com"],
            services=tcp(443),
            inspects_tls=True,
        ),
        _arc_rule(),
    )
    found = _check([fw], flows, gateway_in_use=True, gateway_url=f"https://{gateway}")
    tls = _of(found, "NF108")
    assert len(tls) == 1 and tls[0].evidence["gateway"] == gateway


def test_stale_endpoint_still_allowed():
    """NF109: a name of a superseded endpoint list still allowed, unless still required."""
    fw = layer(
        _arc_rule(),
        rule(ALLOW, sources=CLUSTER, names=["old.his.arc.azure.com"], services=tcp(443)),
    )
    stale = [("old.his.arc.azure.com", datetime.date(2025, 1, 1), "arc-endpoints v1")]
    found = _of(_check([fw], stale=stale), "NF109")
    assert len(found) == 1
    assert found[0].evidence["rules"] == ["fw: rules[1]"]
    assert found[0].evidence["removed"] == "2025-01-01"
    assert _of(_check([layer(_arc_rule())], stale=stale), "NF109") == []


def test_routed_entries_open_directly_with_gateway_in_use():
    """NF110: with Arc gateway in use, an entry the gateway carries is no longer required
    directly; allowing it directly is MEDIUM, blocking it is no shortfall."""
    flows = [ARC[0], required(names=["mcr.microsoft.com"], reason="images", routed=True)]
    fw = layer(_arc_rule())
    found = _check([fw], flows, gateway_in_use=True)
    assert _ids(found) == ["NF110"]
    assert found[0].evidence["rules"] == ["fw: rules[0]"]
    assert _of(_check([fw], flows, gateway_in_use=False), "NF110") == []
    closed = layer(rule(ALLOW, sources=CLUSTER, names=["management.azure.com"], services=tcp(443)))
    assert _check([closed], flows, gateway_in_use=True) == []


def test_cannot_decide_says_what_would_settle_it():
    """NF111 cannot decide: a name against an address deny needs a resolver; an unexpanded
    service tag needs --service-tags; a layer note is reported as is."""
    fw = layer(
        rule(DENY, to=addresses("20.0.0.0/8"), services=tcp(443)),
        _arc_rule(),
    )
    found = _of(_check([fw]), "NF111")
    flow_findings = [f for f in found if f.evidence.get("flow")]
    # Flows left undecided by the same rules are one finding, naming each flow.
    assert {f.evidence["flow"] for f in flow_findings} == {"arm, mcr"}
    assert all(f.effective_severity is Severity.MEDIUM for f in flow_findings)
    assert "--resolver" in flow_findings[0].evidence["settle"]
    tagged = layer(
        rule(DENY, sources=CLUSTER, tags=("AzureCloud",), services=tcp(443)), _arc_rule()
    )
    found = _of(_check([tagged]), "NF111")
    assert found and all("--service-tags" in f.evidence["settle"] for f in found)
    noted = layer(_arc_rule())
    noted = replace(
        noted, notes=(LayerNote("ipGroups not resolved", ExportOrigin("fw.json", "$.x")),)
    )
    notes = _of(_check([noted]), "NF111")
    assert [f.effective_severity for f in notes] == [Severity.INFO]
    assert notes[0].resources[0].origin == ExportOrigin("fw.json", "$.x")


class Resolver:
    def addresses(self, name: str) -> IPRangeSet | None:
        return {"management.azure.com": addresses("30.0.0.1/32")}.get(name)


def test_resolver_settles_a_name_against_addresses():
    """Name vs address with a resolver: a name resolved outside the deny is decided."""
    fw = layer(rule(DENY, to=addresses("20.0.0.0/8"), services=tcp(443)), _arc_rule())
    flows = [ARC[0]]
    found = _check([fw], flows, resolver=Resolver())
    assert [f for f in found if f.evidence.get("flow")] == []


def test_every_renderer_takes_firewall_findings():
    """Findings model: text, JSON, SARIF, JUnit and Markdown render the firewall findings
    unchanged, with the rule's export origin."""
    fw = layer(
        rule(DENY, names=["mcr.microsoft.com"]),
        rule(ALLOW, sources=CLUSTER, to=addresses("*")),
    )
    flow = required(names=["dl.k8s.io"], reason="binaries")
    tagged = replace(flow, destinations=replace(flow.destinations, tags=("AzureFrontDoor",)))
    findings = _check([fw], [*ARC, tagged])
    assert {"NF101", "NF103", "NF111"} <= set(_ids(findings))
    assert any(not f.resources for f in findings)  # the cluster-wide one has no resource
    report = AuditReport(tuple(findings), (), CHECKS, ("fw.json",))
    text = render_text(report)
    assert "NF101" in text and "fw.json" in text
    document = json.loads(render_json(report))
    assert {f["check_id"] if "check_id" in f else f["id"] for f in document["findings"]} >= {
        "NF101"
    }
    sarif = json.loads(render_sarif(report))
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"NF101", "NF103"}
    assert any(
        loc["physicalLocation"]["artifactLocation"]["uri"] == "fw.json"
        for r in results
        for loc in r["locations"]
        if "physicalLocation" in loc
    )
    assert "NF101" in render_junit(report)
    assert "NF101" in render_markdown(report)


def test_required_flow_with_unexpanded_tags_is_reported_not_checked():
    """NF111: a required flow naming an unexpanded service tag is not checked for that part,
    and says --service-tags would settle it."""
    flow = required(names=["mcr.microsoft.com"], reason="images")
    tagged = replace(flow, destinations=replace(flow.destinations, tags=("AzureFrontDoor",)))
    found = _of(_check([layer(_arc_rule())], [ARC[0], tagged]), "NF111")
    assert [f.evidence["settle"] for f in found] == ["--service-tags"]
    assert found[0].effective_severity is Severity.INFO


def test_a_tag_documented_to_cover_the_required_name_allows_it():
    """Service tags and names: an NSG rule on the tag the catalog documents for a required
    name allows that flow, with no service-tags file and no resolver."""
    flow = RequiredFlow(
        OUT,
        Destinations(names=DomainPatternSet(["mcr.microsoft.com"])),
        tcp(443),
        reason="images",
        service_tags=("MicrosoftContainerRegistry",),
    )
    nsg = layer(
        rule(ALLOW, sources=CLUSTER, tags=("MicrosoftContainerRegistry",), services=tcp(443)),
        name="nsg",
        kind=FirewallKind.NSG,
    )
    found = _check([nsg], [flow])
    assert [f for f in found if f.evidence.get("flow") == "images"] == []
    assert _of(found, "NF101") == []


def test_a_layer_that_sees_pod_addresses_is_checked_from_the_pods():
    """Layers and paths (SNAT to the node address): a node firewall sees the pods' own
    addresses, the perimeter firewall the nodes'; each is checked from what it sees."""
    pods = addresses("10.244.0.0/16")
    node = replace(
        layer(
            rule(
                ALLOW,
                sources=pods,
                names=["management.azure.com", "mcr.microsoft.com"],
                services=tcp(443),
            ),
            name="node",
            kind=FirewallKind.NFTABLES,
        ),
        sees_pod_addresses=True,
    )
    perimeter = layer(_arc_rule(), name="perimeter")
    assert _check([node, perimeter], pod_sources=pods) == []
    without = _of(_check([node, perimeter]), "NF101")
    assert {f.evidence["layer"] for f in without} == {"node"}


class _Answers:
    """A fixed resolver: names to addresses (an empty set: resolves to nothing)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = {name: IPRangeSet.from_addresses(a) for name, a in table.items()}

    def addresses(self, name: str) -> IPRangeSet | None:
        return self.table.get(name)


DUAL = _Answers({"management.azure.com": ["20.37.158.1", "2603:1030:b00::1"]})
ARM_ONLY = [required(names=["management.azure.com"], reason="ARM", entry_id="arm")]


def test_a_name_is_reached_at_the_addresses_of_the_sources_family():
    """Names meeting addresses, per family (docs/firewall.md "What a rule matches"): an IPv4
    cluster reaches management.azure.com at its A record only, so a rule allowing that
    address allows the name, AAAA record or not: no shortfall, nothing undecided."""
    fw = layer(rule(ALLOW, sources=CLUSTER, to=addresses("20.37.158.1/32"), services=tcp(443)))
    findings = _check([fw], ARM_ONLY, resolver=DUAL)
    assert not _of(findings, "NF101") and not _of(_flow_findings(findings), "NF111")


def test_a_rule_from_ipv4_sources_decides_a_dual_stack_name_by_its_a_records():
    """The rule's own sources say its packets' family: with a dual-stack cluster, a pair of
    rules (IPv4 sources to the A record, IPv6 sources to the AAAA record) allows the name
    surely, where one rule from any source to the A record alone may or may not."""
    dual_cluster = addresses("10.1.0.0/24", "fd00:1::/64")
    pair = layer(
        rule(ALLOW, sources=addresses("10.1.0.0/24"), to=addresses("20.37.158.1/32")),
        rule(ALLOW, sources=addresses("fd00:1::/64"), to=addresses("2603:1030:b00::1/128")),
    )
    findings = _check([pair], ARM_ONLY, resolver=DUAL, cluster_sources=dual_cluster)
    assert not _of(findings, "NF101") and not _of(_flow_findings(findings), "NF111")
    one = layer(rule(ALLOW, to=addresses("20.37.158.1/32")))
    findings = _check([one], ARM_ONLY, resolver=DUAL, cluster_sources=dual_cluster)
    assert _of(_flow_findings(findings), "NF111")


def test_allowing_a_required_names_addresses_is_no_surplus():
    """NF102 surplus: a layer that matches addresses only allows a required name at the
    addresses it resolves to; allowing those is what is required, one more address is not."""
    exact = layer(rule(ALLOW, sources=CLUSTER, to=addresses("20.37.158.1/32"), services=tcp(443)))
    assert not _of(_check([exact], ARM_ONLY, resolver=DUAL), "NF102")
    wider = layer(rule(ALLOW, sources=CLUSTER, to=addresses("20.37.158.0/31"), services=tcp(443)))
    (excess,) = _of(_check([wider], ARM_ONLY, resolver=DUAL), "NF102")
    assert "20.37.158.0" in excess.message


def test_flows_across_families_are_neither_required_nor_surplus():
    """A packet has one family: an IPv6 source never reaches an IPv4 range, nor a name with
    no AAAA record. A rule from any source to an IPv4 range is no surplus for its IPv6
    sources, and a required IPv4 range is not blocked for the cluster's IPv6 nodes."""
    dual_cluster = addresses("10.1.0.0/24", "fd00:1::/64")
    flows = [required(to=addresses("203.0.113.0/24"), reason="payments")]
    fw = layer(
        rule(ALLOW, to=addresses("203.0.113.0/24"), services=tcp(443)),
        rule(ALLOW, names=["time.windows.com"], services=PortSet.of("UDP", 123)),
    )
    ntp = required(names=["time.windows.com"], services=PortSet.of("UDP", 123), reason="ntp")
    v4_only = _Answers({"time.windows.com": ["51.145.123.29"]})
    findings = _check([fw], [*flows, ntp], cluster_sources=dual_cluster, resolver=v4_only)
    assert not _of(findings, "NF101") and not _of(findings, "NF102")


def test_a_name_that_resolves_to_nothing_meets_no_address_rule():
    """A resolver's empty answer: the name resolves to nothing, so no address rule reaches
    it (the rule neither matches nor may match it), where an unknown name is undecided."""
    fw = layer(rule(ALLOW, sources=CLUSTER, to=addresses("20.37.158.1/32")))
    nothing = _Answers({"management.azure.com": []})
    findings = _check([fw], ARM_ONLY, resolver=nothing)
    assert not _of(_flow_findings(findings), "NF111")
    assert _of(_flow_findings(_check([fw], ARM_ONLY)), "NF111")


def _flow_findings(findings: list[Finding]) -> list[Finding]:
    """The findings about required flows (not a rule's own undecided cells)."""
    return [f for f in findings if f.detail_key.startswith("flow ") or f.check.check_id != "NF111"]


def _rule_undecided(findings: list[Finding]) -> list[Finding]:
    """The rule-level NF111 findings (not a required flow's, nor a layer note's)."""
    return [
        f
        for f in _of(findings, "NF111")
        if not f.detail_key.startswith(("flow ", "note ", "tags "))
    ]


def test_names_nobody_lists_are_not_undecided_on_an_address_rule():
    """NF111 (rule): names no rule and no required flow lists (the class ``*``) meet an
    address-only layer through their addresses alone, which its cells decide: an address
    rule is not "undecided" for them. Where a rule names ``*``, an address deny before it
    may or may not match those names, and that is still said."""
    fw = layer(rule(ALLOW, sources=CLUSTER, to=addresses("20.37.158.1/32"), services=tcp(443)))
    assert _rule_undecided(_check([fw], ARM_ONLY, resolver=DUAL)) == []
    mixed = layer(
        rule(DENY, to=addresses("20.0.0.0/8")),
        rule(ALLOW, sources=CLUSTER, names=["*"], services=tcp(443)),
    )
    (found,) = _rule_undecided(_check([mixed], ARM_ONLY, resolver=DUAL))
    assert found.resources[0].name == "rules[0]"
    assert "names * are never resolved" in found.message


IPTABLES_BOTH_FAMILIES = """\
# Generated by iptables-save v1.8.9 (nf_tables)
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -s 10.1.0.0/24 -d 20.37.158.1/32 -p tcp -m tcp --dport 443 -j ACCEPT
COMMIT
# Generated by ip6tables-save v1.8.9 (nf_tables)
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -s fd00:1::/64 -d 2603:1030:b00::1/128 -p tcp -m tcp --dport 443 -j ACCEPT
COMMIT
"""


def test_the_other_family_passing_a_one_family_table_is_no_allowance_of_it():
    """iptables and ip6tables tables judge one IP version each; the other passes untouched,
    for the other table to judge (the reader's first rule of each layer). That passage is no
    surplus (NF102), no broad rule (NF103), no inbound opening (NF104) and no redundant
    rule (NF106): exact rules for a dual-stack name in the two tables check clean."""
    forward = [
        found
        for found in read_firewall_text(IPTABLES_BOTH_FAMILIES, "fw.rules")
        if found.settings.extra["hook"] == "forward"
    ]
    assert [found.name for found in forward] == [
        "iptables filter FORWARD",
        "ip6tables filter FORWARD",
    ]
    dual_cluster = addresses("10.1.0.0/24", "fd00:1::/64")
    arm = [required(names=["management.azure.com"], services=tcp(443), entry_id="arm")]
    findings = _check(forward, arm, resolver=DUAL, cluster_sources=dual_cluster)
    assert findings == [], [f.message for f in findings]
    wider = IPTABLES_BOTH_FAMILIES.replace("--dport 443", "--dport 443:444", 1)
    forward = [
        f for f in read_firewall_text(wider, "fw.rules") if f.settings.extra["hook"] == "forward"
    ]
    findings = _check(forward, arm, resolver=DUAL, cluster_sources=dual_cluster)
    assert [(f.check.check_id, f.resources[0].name) for f in findings] == [
        ("NF102", "-A FORWARD rule 1")
    ]


def test_a_required_names_addresses_are_no_surplus_behind_an_undecidable_rule():
    """NF102 surplus with a resolver: the addresses a required name resolves to are required,
    whatever may match before the rule allowing them. An earlier allow with an undecidable
    source port and an unexpanded tag decides no cell, so the later rule to a.x's addresses
    on TCP 443 decides them; tags on either rule change nothing for addresses inside it.
    Without the resolver the same rule allows addresses nothing requires."""
    fw = layer(
        rule(ALLOW, tags=("Tag",), source_tags=("SourceTag",), undecidable=("source port",)),
        rule(
            ALLOW,
            to=addresses("10.0.0.16/28"),
            services=tcp(443),
            tags=("Tag",),
            source_tags=("SourceTag",),
        ),
        default=ALLOW,
    )
    flows = [required(names=["a.x", "*.b.x"]), required(to=addresses("10.0.0.0/28"))]
    answers = _Answers({"a.x": ["10.0.0.16/28"]})
    cluster = addresses("10.1.0.0/27")
    assert not _of(_check([fw], flows, cluster_sources=cluster, resolver=answers), "NF102")
    (excess,) = _of(_check([fw], flows, cluster_sources=cluster), "NF102")
    assert excess.evidence["rule"] == "fw: rules[1]"
    assert "10.0.0.16/28" in excess.message
