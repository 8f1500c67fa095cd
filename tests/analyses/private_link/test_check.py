"""``check_private_link`` against a real DNS server (dnsmasq on loopback): each needed name
classed as private in the subnets, private outside them, public, not resolving or resolver
failed, with the CNAME chain kept; a closed port fails within the timeout; the limits and
the firewall checks on small designs."""

from __future__ import annotations

import time

import pytest

from netfence.analyses.private_link.check import check_private_link
from netfence.analyses.private_link.names import NameClass
from netfence.model.endpoints import Cloud
from netfence.model.findings import Finding, Severity
from netfence.model.private_link import (
    ClusterFeature,
    LinkedCluster,
    PrivateEndpoint,
    PrivateLinkPlatform,
    PrivateLinkScope,
    PrivateLinkSettings,
    PublicCluster,
    ServiceKind,
    WorkloadService,
)
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.private_link_catalog import load_private_link_catalog
from netfence.sources.resolver import DNSResolver
from tests.engine.firewall_builders import ALLOW, DENY, addresses, layer, rule, tcp
from tests.support.dns import Zone, dns_zone_server, free_port

__all__ = ["dns_zone_server"]

CATALOG = load_private_link_catalog()
SUBNETS = IPRangeSet.from_cidrs(["10.20.0.0/24"])
CODES = {"eastus": "eus"}

ZONE = Zone(
    records={
        "myvault.privatelink.vaultcore.azure.net": ["10.20.0.5"],
        "gbl.privatelink.his.arc.azure.com": ["10.20.0.4"],
        "eus.privatelink.his.arc.azure.com": ["10.20.0.4"],
        "agentserviceapi.guestconfiguration.azure.com": ["10.99.0.7"],
        "myacr.azurecr.io": ["20.50.1.2"],
    },
    cnames={
        "myvault.vault.azure.net": "myvault.privatelink.vaultcore.azure.net",
        "gbl.his.arc.azure.com": "gbl.privatelink.his.arc.azure.com",
        "eus.his.arc.azure.com": "eus.privatelink.his.arc.azure.com",
    },
    local_domains=[
        "vaultcore.azure.net",
        "vault.azure.net",
        "his.arc.azure.com",
        "guestconfiguration.azure.com",
        "kubernetesconfiguration.azure.com",
        "azurecr.io",
    ],
    servfail_domains=["blob.core.windows.net"],
)

SCOPE = PrivateLinkScope(
    "pls-east",
    "eastus",
    private_endpoint=PrivateEndpoint("pe-arc", "hub", "eastus"),
    clusters=(LinkedCluster("edge-1", features=(ClusterFeature.FLUX,)),),
)
SETTINGS = PrivateLinkSettings(
    Cloud.PUBLIC,
    PrivateLinkPlatform.ARC_KUBERNETES,
    scopes=(SCOPE,),
    services=(
        WorkloadService(ServiceKind.KEY_VAULT, "myvault"),
        WorkloadService(ServiceKind.CONTAINER_REGISTRY, "myacr", "eastus"),
        WorkloadService(ServiceKind.STORAGE_BLOB, "mydata"),
    ),
)


def _ids(findings: tuple[Finding, ...]) -> list[str]:
    return sorted(f.check.check_id for f in findings)


def _of(findings: tuple[Finding, ...], check_id: str) -> list[Finding]:
    return [f for f in findings if f.check.check_id == check_id]


@pytest.fixture
def server(dns_zone_server):  # type: ignore[no-untyped-def]
    return dns_zone_server(ZONE)


def test_each_name_is_classed_from_the_real_answer(server) -> None:  # type: ignore[no-untyped-def]
    """ARC-PL troubleshooting: gbl.his.arc.azure.com must return a private IP; the
    classes private / private outside / public / not resolving / resolver failed."""
    resolver = DNSResolver(server.address, timeout=2)
    result = check_private_link(SETTINGS, CATALOG, resolver, SUBNETS, region_codes=CODES)
    rows = {r.needed.name: r for r in result.names}
    assert rows["gbl.his.arc.azure.com"].verdict is NameClass.PRIVATE_IN_SUBNETS
    assert rows["eus.his.arc.azure.com"].verdict is NameClass.PRIVATE_IN_SUBNETS
    assert rows["agentserviceapi.guestconfiguration.azure.com"].verdict is (
        NameClass.PRIVATE_OUTSIDE
    )
    assert rows["eastus.dp.kubernetesconfiguration.azure.com"].verdict is NameClass.NOT_RESOLVING
    assert rows["myacr.azurecr.io"].verdict is NameClass.PUBLIC
    assert rows["myacr.eastus.data.azurecr.io"].verdict is NameClass.NOT_RESOLVING
    failed = rows["mydata.blob.core.windows.net"]
    assert failed.verdict is NameClass.RESOLVER_FAILED
    assert "SERVFAIL" in failed.message


def test_cname_chain_through_the_privatelink_zone_is_kept(server) -> None:  # type: ignore[no-untyped-def]
    """PE-DNS: myvault.vault.azure.net -> myvault.privatelink.vaultcore.azure.net -> 10.x."""
    result = check_private_link(SETTINGS, CATALOG, DNSResolver(server.address), SUBNETS)
    vault = next(r for r in result.names if r.needed.name == "myvault.vault.azure.net")
    assert vault.chain == ("myvault.privatelink.vaultcore.azure.net",)
    assert vault.addresses == IPRangeSet.from_addresses(["10.20.0.5"])
    assert vault.verdict is NameClass.PRIVATE_IN_SUBNETS
    assert vault.via_zone is True


def test_findings_per_class(server) -> None:  # type: ignore[no-untyped-def]
    """Public answer is HIGH; outside the subnets, NXDOMAIN and SERVFAIL are findings; a
    private answer not through the privatelink zone is said (low)."""
    result = check_private_link(
        SETTINGS, CATALOG, DNSResolver(server.address), SUBNETS, region_codes=CODES
    )
    public = _of(result.findings, "NF301")
    assert [f.evidence["name"] for f in public] == ["myacr.azurecr.io"]
    assert public[0].effective_severity is Severity.HIGH
    outside = _of(result.findings, "NF302")
    assert [f.evidence["name"] for f in outside] == ["agentserviceapi.guestconfiguration.azure.com"]
    assert "10.99.0.7" in outside[0].message
    assert {f.evidence["name"] for f in _of(result.findings, "NF303")} == {
        "eastus.dp.kubernetesconfiguration.azure.com",
        "myacr.eastus.data.azurecr.io",
    }
    assert [f.evidence["name"] for f in _of(result.findings, "NF304")] == [
        "mydata.blob.core.windows.net"
    ]
    # The guest configuration record is an A record on the public name: no privatelink hop.
    assert [f.evidence["name"] for f in _of(result.findings, "NF305")] == [
        "agentserviceapi.guestconfiguration.azure.com"
    ]


def test_private_answer_without_subnets_says_so(server) -> None:  # type: ignore[no-untyped-def]
    result = check_private_link(SETTINGS, CATALOG, DNSResolver(server.address), None)
    vault = next(r for r in result.names if r.needed.name == "myvault.vault.azure.net")
    assert vault.verdict is NameClass.PRIVATE_UNCOMPARED
    assert vault.verdict.value == "private (no private-endpoint subnets given to compare)"
    assert not _of(result.findings, "NF302")


def test_settings_subnets_are_used_when_no_plan_is_given(server) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    settings = replace(SETTINGS, private_endpoint_subnets=IPRangeSet.from_cidrs(["10.99.0.0/24"]))
    result = check_private_link(settings, CATALOG, DNSResolver(server.address), None)
    rows = {r.needed.name: r.verdict for r in result.names}
    assert rows["agentserviceapi.guestconfiguration.azure.com"] is NameClass.PRIVATE_IN_SUBNETS
    assert rows["myvault.vault.azure.net"] is NameClass.PRIVATE_OUTSIDE


def test_closed_port_fails_every_name_within_the_timeout() -> None:
    """A resolver that does not answer: "resolver failed" per name, a clear message, no hang."""
    resolver = DNSResolver(f"127.0.0.1:{free_port()}", timeout=0.5)
    started = time.monotonic()
    result = check_private_link(SETTINGS, CATALOG, resolver, SUBNETS, region_codes=CODES)
    elapsed = time.monotonic() - started
    assert all(r.verdict is NameClass.RESOLVER_FAILED for r in result.names)
    assert elapsed < 0.5 * len(result.names) + 2
    message = result.names[0].message
    assert "127.0.0.1" in message
    assert "within 0.5 s" in message or "cannot ask" in message
    assert len(_of(result.findings, "NF304")) == len(result.names)


def test_no_resolver_is_said_once() -> None:
    result = check_private_link(SETTINGS, CATALOG, None, SUBNETS, region_codes=CODES)
    assert all(r.verdict is NameClass.NOT_CHECKED for r in result.names)
    assert len(_of(result.findings, "NF306")) == 1


def test_unknown_region_code_cannot_check_the_regional_his_name() -> None:
    """The HIS regional name needs the region's short code; without it: "cannot check"."""
    result = check_private_link(SETTINGS, CATALOG, None, SUBNETS, region_codes={})
    templates = [f.evidence.get("template") for f in _of(result.findings, "NF306")]
    assert "{region-code}.his.arc.azure.com" in templates


def test_gov_cloud_arc_zones_cannot_be_checked() -> None:
    """PE-DNS lists no Arc zones for Azure Government: a finding, not silence."""
    from dataclasses import replace

    result = check_private_link(replace(SETTINGS, cloud=Cloud.USGOV), CATALOG, None, None)
    messages = [f.message for f in _of(result.findings, "NF306")]
    assert any("Cannot check Arc's private DNS zones in the usgov cloud" in m for m in messages)
    assert "myvault.vault.usgovcloudapi.net" in {r.needed.name for r in result.names}


# Limits ----------------------------------------------------------------------------------


def _limits(settings: PrivateLinkSettings) -> list[str]:
    return _ids(check_private_link(settings, CATALOG, None, None).findings)


def test_preview_is_info() -> None:
    """ARC-PL: the feature is a preview."""
    found = _of(check_private_link(SETTINGS, CATALOG, None, None).findings, "NF307")
    assert found and found[0].effective_severity is Severity.INFO


def test_southeast_asia_is_unsupported() -> None:
    """ARC-PL: preview in every region except Southeast Asia."""
    scope = PrivateLinkScope("pls", "southeastasia", clusters=(LinkedCluster("c"),))
    assert "NF308" in _limits(PrivateLinkSettings(Cloud.PUBLIC, SETTINGS.platform, (scope,)))


def test_cluster_connect_and_custom_locations_are_unsupported() -> None:
    """ARC-PL: cluster connect, and so custom locations, are not supported."""
    cluster = LinkedCluster(
        "c", features=(ClusterFeature.CLUSTER_CONNECT, ClusterFeature.CUSTOM_LOCATIONS)
    )
    scope = PrivateLinkScope("pls", "eastus", clusters=(cluster,))
    found = _limits(PrivateLinkSettings(Cloud.PUBLIC, SETTINGS.platform, (scope,)))
    assert found.count("NF309") == 2


def test_one_scope_per_vnet_and_one_scope_per_cluster() -> None:
    """ARC-PL: one scope per VNet; a cluster connects to one scope only."""
    a = PrivateLinkScope(
        "a",
        "eastus",
        private_endpoint=PrivateEndpoint("pe-a", "hub"),
        clusters=(LinkedCluster("c"),),
    )
    b = PrivateLinkScope(
        "b",
        "eastus",
        private_endpoint=PrivateEndpoint("pe-b", "hub"),
        clusters=(LinkedCluster("c"),),
    )
    found = _limits(PrivateLinkSettings(Cloud.PUBLIC, SETTINGS.platform, (a, b)))
    assert found.count("NF310") == 1
    assert found.count("NF311") == 1


def test_region_and_subscription_mismatches() -> None:
    """ARC-PL: cluster, scope and VNet in one region; private endpoint in its VNet's region;
    one subscription during the preview."""
    scope = PrivateLinkScope(
        "pls",
        "eastus",
        subscription="sub-a",
        private_endpoint=PrivateEndpoint("pe", "hub", "westus", "sub-a", vnet_region="eastus2"),
        clusters=(LinkedCluster("c", region="westeurope", subscription="sub-b"),),
    )
    found = _limits(PrivateLinkSettings(Cloud.PUBLIC, SETTINGS.platform, (scope,)))
    assert found.count("NF312") == 3  # VNet vs scope, endpoint vs VNet, cluster vs scope
    assert found.count("NF313") == 1


def test_public_clusters_sharing_vnet_or_dns_zone() -> None:
    """ARC-PL: resources with and without Private Link cannot share a VNet or DNS zone."""
    settings = PrivateLinkSettings(
        Cloud.PUBLIC,
        SETTINGS.platform,
        (SCOPE,),
        public_clusters=(
            PublicCluster("old", vnet="hub"),
            PublicCluster("dns", dns_zone_shared=True),
        ),
    )
    assert _limits(settings).count("NF314") == 2


def test_aks_arc_is_not_applicable() -> None:
    """Firewall requirements for Azure Local (AL-FW): Private Link is not supported for Azure Local or its components."""
    settings = PrivateLinkSettings(Cloud.PUBLIC, PrivateLinkPlatform.AKS_ARC, (SCOPE,))
    found = _of(check_private_link(settings, CATALOG, None, None).findings, "NF315")
    assert found and found[0].effective_severity is Severity.HIGH


def test_public_network_access_on_and_extensions() -> None:
    """ARC-PL: the scope's public network access setting; only Flux and Azure Monitor are
    supported end to end."""
    scope = PrivateLinkScope(
        "pls",
        "eastus",
        public_network_access=True,
        clusters=(LinkedCluster("c", features=(ClusterFeature.EXTENSIONS,)),),
    )
    found = _limits(PrivateLinkSettings(Cloud.PUBLIC, SETTINGS.platform, (scope,)))
    assert "NF316" in found and "NF319" in found


def test_a_clean_design_meets_no_limit() -> None:
    found = _limits(PrivateLinkSettings(Cloud.PUBLIC, SETTINGS.platform, (SCOPE,)))
    assert [i for i in found if i != "NF306"] == ["NF307"]


# Firewall --------------------------------------------------------------------------------

CLUSTER = addresses("10.1.0.0/24")
STAY_PUBLIC = rule(
    ALLOW,
    sources=CLUSTER,
    names=[
        "login.microsoftonline.com",
        "login.windows.net",
        "management.azure.com",
        "mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
    ],
    services=tcp(443),
)
FRONT_DOOR = rule(ALLOW, sources=CLUSTER, tags=("AzureFrontDoor.FirstParty",), services=tcp(443))


def _firewall(*rules, **options):  # type: ignore[no-untyped-def]
    return check_private_link(
        SETTINGS, CATALOG, None, SUBNETS, [layer(*rules)], CLUSTER, region_codes=CODES
    ).findings


def test_must_stay_public_endpoints_allowed_give_no_finding() -> None:
    """ARC-PL network configuration: Entra ID, ARM, MCR and AzureFrontDoor.FirstParty on
    TCP 443 through the firewall."""
    assert not _of(_firewall(STAY_PUBLIC, FRONT_DOOR), "NF317")


def test_blocked_must_stay_public_names_the_blocking_rule() -> None:
    """NSG table: the allows must beat any Internet deny (priorities 150-153)."""
    deny_arm = rule(DENY, names=["management.azure.com"], path="deny-arm")
    findings = _firewall(deny_arm, STAY_PUBLIC, FRONT_DOOR)
    blocked = _of(findings, "NF317")
    assert len(blocked) == 1
    assert "AzureResourceManager" in blocked[0].message
    assert "fw: deny-arm" in blocked[0].message
    assert blocked[0].resources[0].name == "deny-arm"


def test_front_door_tag_without_a_rule_is_blocked_by_the_default() -> None:
    """AzureFrontDoor.FirstParty has no names: only a rule on the tag (or on everything)
    lets it through; the layer's default deny otherwise."""
    blocked = _of(_firewall(STAY_PUBLIC), "NF317")
    assert len(blocked) == 1
    assert "AzureFrontDoor.FirstParty" in blocked[0].message
    assert "fw: default" in blocked[0].message


def test_rule_allowing_a_privately_reached_service_publicly_is_named() -> None:
    """A rule covering *.vault.azure.net, or the AzureKeyVault tag, still opens the public
    endpoint of a vault the design reaches privately."""
    by_name = rule(
        ALLOW, sources=CLUSTER, names=["*.vault.azure.net"], services=tcp(443), path="kv"
    )
    by_tag = rule(ALLOW, sources=CLUSTER, tags=("Storage.EastUS",), services=tcp(443), path="st")
    found = _of(_firewall(STAY_PUBLIC, FRONT_DOOR, by_name, by_tag), "NF318")
    assert [f.resources[0].name for f in found] == ["kv", "st"]
    assert "key-vault myvault (its name myvault.vault.azure.net)" in found[0].message
    assert "storage-blob mydata (its service tag Storage)" in found[1].message


def test_rule_allowing_every_address_covers_every_service() -> None:
    anywhere = rule(ALLOW, sources=CLUSTER, to=addresses("*"), services=tcp(443), path="any")
    found = _of(_firewall(anywhere), "NF318")
    assert len(found) == 1
    assert "every public address" in found[0].message


def test_resolver_failures_do_not_stop_the_firewall_check() -> None:
    """A resolver on a closed port: names are "resolver failed", the firewall still judged."""
    resolver = DNSResolver(f"127.0.0.1:{free_port()}", timeout=0.3)
    findings = check_private_link(
        SETTINGS, CATALOG, resolver, SUBNETS, [layer(STAY_PUBLIC)], CLUSTER, region_codes=CODES
    ).findings
    assert _of(findings, "NF304")
    assert [f.evidence["endpoint"] for f in _of(findings, "NF317")] == ["front-door-first-party"]


def test_a_deny_before_the_allow_closes_the_public_endpoint() -> None:
    """First match decides: a deny of Internet before an allow-all leaves nothing allowed."""
    deny = rule(DENY, sources=CLUSTER, tags=("Internet",), path="deny-internet")
    anywhere = rule(ALLOW, sources=CLUSTER, to=addresses("*"), services=tcp(443), path="any")
    assert not _of(_firewall(deny, anywhere), "NF318")


def test_answer_file_answers_raise_no_chain_finding() -> None:
    """An answer file lists addresses, not chains: NF305 cannot be judged from it."""
    from netfence.sources.resolver import AnswerFileResolver

    answers = AnswerFileResolver(
        {"myvault.vault.azure.net": IPRangeSet.from_addresses(["10.20.0.5"])}, "answers.yaml"
    )
    result = check_private_link(SETTINGS, CATALOG, answers, SUBNETS, region_codes=CODES)
    vault = next(r for r in result.names if r.needed.name == "myvault.vault.azure.net")
    assert vault.verdict is NameClass.PRIVATE_IN_SUBNETS and vault.via_zone is None
    assert not _of(result.findings, "NF305")
