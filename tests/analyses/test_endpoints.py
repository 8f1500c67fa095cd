"""Which endpoints a cluster needs: the rules of the Arc network requirements per cloud,
feature and platform, the Arc gateway, placeholders, and the flows a firewall must judge."""

from __future__ import annotations

import pytest

from netfence.analyses.endpoints import (
    EndpointOptions,
    ResolvedEndpoint,
    conditional_endpoints,
    endpoint_report,
    gateway_prefix,
    normalize_region,
    parse_features,
    required_endpoints,
    required_flows,
    stale_entries,
)
from netfence.errors import QueryError
from netfence.model.endpoints import Cloud, EntryDirection, Feature, Platform
from netfence.model.firewall import TrafficDirection
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet
from netfence.sources.endpoint_catalog import load_catalog

CATALOG = load_catalog()
GATEWAY = "https://contoso1.gw.arc.azure.com"


def _resolve(**options) -> list[ResolvedEndpoint]:
    return required_endpoints(CATALOG, EndpointOptions(**options))


def _by_name(resolved: list[ResolvedEndpoint]) -> dict[str, ResolvedEndpoint]:
    return {r.fqdn: r for r in resolved if r.fqdn is not None}


def _features(text: str) -> frozenset[Feature]:
    return parse_features(text)


# --- public cloud (network requirements, Azure public cloud tab) --------------------------


def test_public_eastus_core_has_arm_and_the_regional_config_data_plane():
    """Public cloud, required rows 1-2: management.azure.com:443 and
    <region>.dp.kubernetesconfiguration.azure.com, with the region filled in."""
    names = _by_name(_resolve(region="eastus"))
    assert names["management.azure.com"].entry.ports == (443,)
    assert "eastus.dp.kubernetesconfiguration.azure.com" in names
    assert "eastus.login.microsoft.com" in names
    assert all(r.needed_for == frozenset({Feature.CORE}) for r in names.values())


def test_core_alone_leaves_out_feature_endpoints():
    """Conditional rows (cluster connect, Azure RBAC, portal, extensions) need their feature."""
    names = _by_name(_resolve(region="eastus"))
    for name in ("guestnotificationservice.azure.com", "graph.microsoft.com", "*.arc.azure.net"):
        assert name not in names
    assert "dl.k8s.io" not in names  # onboarding is its own feature


def test_short_region_code_fills_the_regional_identity_service():
    """Connectivity principles: *.his.arc.azure.com entries use short codes (eus for eastus)."""
    names = _by_name(_resolve(region="eastus"))
    his = names["eus.his.arc.azure.com"]
    assert his.entry.listed_as == "*.his.arc.azure.com"


def test_unknown_region_code_is_refused_with_how_to_pass_it():
    with pytest.raises(QueryError, match=r"--region-code CODE.*\*\.his\.arc\.azure\.com"):
        _resolve(region="westeurope")
    names = _by_name(_resolve(region="westeurope", region_code="weu"))
    assert "weu.his.arc.azure.com" in names
    assert "westeurope.dp.kubernetesconfiguration.azure.com" in names


def test_missing_region_is_refused_naming_the_entry():
    with pytest.raises(QueryError, match=r"config-data-plane.*--region NAME"):
        _resolve()


def test_region_names_are_written_without_spaces_in_lower_case():
    assert normalize_region("East US 2") == "eastus2"
    assert "eastus2.dp.kubernetesconfiguration.azure.com" in _by_name(
        _resolve(region="East US 2", region_code="eus2")
    )
    with pytest.raises(QueryError, match="invalid region"):
        normalize_region("east-us/../")


def test_cluster_connect_brings_notification_sts_and_relay_with_websockets():
    """Public cloud rows 11-14: conditional on cluster connect or custom locations."""
    for feature in ("cluster-connect", "custom-locations"):
        names = _by_name(_resolve(region="eastus", features=_features(feature)))
        assert {
            "guestnotificationservice.azure.com",
            "*.guestnotificationservice.azure.com",
            "sts.windows.net",
            "*.servicebus.windows.net",
        } <= set(names)
        assert names["*.servicebus.windows.net"].entry.websockets


def test_obo_on_8084_needs_cluster_connect_and_azure_rbac_together():
    """Public cloud row 17 (2025-10 wording): <region>.obo.arc.azure.com:8084 for cluster
    connect together with Azure RBAC."""
    alone = _by_name(_resolve(region="eastus", features=_features("cluster-connect")))
    assert "eastus.obo.arc.azure.com" not in alone
    both = _by_name(_resolve(region="eastus", features=_features("cluster-connect,azure-rbac")))
    obo = both["eastus.obo.arc.azure.com"]
    assert obo.entry.ports == (8084,)
    assert obo.needed_for == frozenset({Feature.CLUSTER_CONNECT, Feature.AZURE_RBAC})
    assert "graph.microsoft.com" in both


def test_named_extensions_bring_the_extension_registry():
    """Row 18: linuxgeneva-microsoft.azurecr.io for any cluster extension (Flux is one)."""
    names = _by_name(_resolve(region="eastus", features=_features("flux")))
    assert "linuxgeneva-microsoft.azurecr.io" in names


def test_container_insights_and_defender_endpoints():
    """Arc gateway article: Log Analytics, custom metrics and Defender back end stay direct."""
    names = _by_name(_resolve(region="eastus", features=_features("container-insights,defender")))
    assert {"*.ods.opinsights.azure.com", "*.oms.opinsights.azure.com"} <= set(names)
    assert {"*.monitoring.azure.com", "*.cloud.defender.microsoft.com"} <= set(names)


def test_key_vault_gives_one_endpoint_per_vault_name():
    resolved = _resolve(
        region="eastus", features=_features("key-vault"), key_vaults=("kv-one", "kv-two")
    )
    names = _by_name(resolved)
    assert {"kv-one.vault.azure.net", "kv-two.vault.azure.net"} <= set(names)


def test_key_vault_without_names_is_refused():
    """The Secret Store extension reads Key Vault, so it needs the vault names too."""
    with pytest.raises(QueryError, match="--key-vault NAME"):
        _resolve(region="eastus", features=_features("secret-store"))


def test_all_features_and_unknown_features():
    everything = _features("all")
    assert Feature.AZURE_POLICY in everything and Feature.ARC_GATEWAY not in everything
    with pytest.raises(QueryError, match=r"unknown feature 'telepathy' \(valid: all, core"):
        _features("cluster-connect,telepathy")
    with pytest.raises(QueryError, match="--gateway URL"):
        _features("arc-gateway")
    assert _features(" Cluster-Connect , ,azure-rbac") == {
        Feature.CLUSTER_CONNECT,
        Feature.AZURE_RBAC,
    }


# --- Azure Government and 21Vianet (network requirements, Government and 21Vianet tabs) ----


def test_government_differs_as_its_tab_says():
    """Government and 21Vianet differences: Gov ARM and Entra hosts, a fixed HIS regional
    name (usgv) and a fixed OBO host (usgovvirginia, cluster connect alone); the public
    Graph and STS names; no portal entry."""
    resolved = _resolve(
        cloud=Cloud.USGOV,
        region="usgovvirginia",
        features=_features("cluster-connect,azure-rbac,portal"),
    )
    names = _by_name(resolved)
    assert {"management.usgovcloudapi.net", "login.microsoftonline.us"} <= set(names)
    assert "usgovvirginia.dp.kubernetesconfiguration.azure.us" in names
    assert "usgv.his.arc.azure.us" in names
    assert "usgovvirginia.obo.arc.azure.us" in names
    assert {"graph.microsoft.com", "sts.windows.net", "*.servicebus.usgovcloudapi.net"} <= set(
        names
    )
    assert "management.azure.com" not in names
    assert not any(Feature.PORTAL in r.needed_for for r in resolved)
    obo = _by_name(
        _resolve(cloud=Cloud.USGOV, region="usgovvirginia", features=_features("cluster-connect"))
    )
    assert "usgovvirginia.obo.arc.azure.us" in obo


def test_government_identity_service_needs_no_region_code():
    """The Gov list fixes usgv.his.arc.azure.us: no short code is asked for."""
    names = _by_name(_resolve(cloud=Cloud.USGOV, region="usgovarizona"))
    assert "usgv.his.arc.azure.us" in names


def test_china_differs_as_its_tab_says():
    """21Vianet: its own ARM, Entra (three hosts), MCR mirror and HIS wildcard; registry
    proxies only when pulling through them."""
    names = _by_name(_resolve(cloud=Cloud.CHINA, region="chinanorth3"))
    assert {
        "management.chinacloudapi.cn",
        "login.chinacloudapi.cn",
        "chinanorth3.login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "mcr.azk8s.cn",
        "*.his.arc.azure.cn",
    } <= set(names)
    assert "mcr.microsoft.com" not in names
    assert "quay.azk8s.cn" not in names
    proxies = _by_name(
        _resolve(cloud=Cloud.CHINA, region="chinanorth3", features=_features("registry-proxies"))
    )
    assert {"quay.azk8s.cn", "dockerhub.azk8s.cn"} <= set(proxies)


@pytest.mark.parametrize("cloud", [Cloud.USGOV, Cloud.CHINA])
def test_gateway_is_refused_outside_the_public_cloud(cloud):
    """Differences table: Arc gateway is not available in Government or 21Vianet."""
    with pytest.raises(QueryError, match="public cloud only"):
        _resolve(cloud=cloud, region="x", gateway_url=GATEWAY)


# --- Arc gateway --------------------------------------------------------------------------


def test_with_gateway_routed_entries_are_carried_not_dropped():
    """Arc gateway: routed entries are carried by the gateway (no opening needed) but stay
    in the result; the reduced allow-list stays direct."""
    features = _features("cluster-connect,azure-rbac")
    without = _resolve(region="eastus", features=features)
    with_gateway = _resolve(region="eastus", features=features, gateway_url=GATEWAY)
    assert {r.entry.id for r in without} <= {r.entry.id for r in with_gateway}
    names = _by_name(with_gateway)
    for carried in (
        "eastus.dp.kubernetesconfiguration.azure.com",
        "login.windows.net",
        "*.servicebus.windows.net",
        "graph.microsoft.com",
    ):
        assert names[carried].carried_by_gateway and not names[carried].needs_opening
    for direct in (
        "management.azure.com",
        "login.microsoftonline.com",
        "eastus.login.microsoft.com",
        "mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
        "gbl.his.arc.azure.com",
        "eus.his.arc.azure.com",
        "eastus.obo.arc.azure.com",
    ):
        assert names[direct].needs_opening, direct
    assert not any(r.carried_by_gateway for r in without)


def test_gateway_url_becomes_a_required_direct_entry_without_tls_inspection():
    """Arc gateway: <prefix>.gw.arc.azure.com itself stays direct, exempt from inspection."""
    names = _by_name(_resolve(region="eastus", gateway_url=GATEWAY))
    gateway = names["contoso1.gw.arc.azure.com"]
    assert gateway.needs_opening and gateway.entry.no_tls_inspection
    assert gateway.entry.required
    assert "contoso1.gw.arc.azure.com" not in _by_name(_resolve(region="eastus"))


def test_reduced_allow_list_is_the_documented_nine_names():
    """Arc gateway's reduced allow-list: gateway, ARM, OBO (8084), two Entra names, two HIS
    names, two MCR names."""
    features = _features("cluster-connect,azure-rbac")
    opened = {
        r.fqdn
        for r in _resolve(region="eastus", features=features, gateway_url=GATEWAY)
        if r.needs_opening
    }
    assert opened == {
        "contoso1.gw.arc.azure.com",
        "management.azure.com",
        "eastus.obo.arc.azure.com",
        "login.microsoftonline.com",
        "eastus.login.microsoft.com",
        "gbl.his.arc.azure.com",
        "eus.his.arc.azure.com",
        "mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
    }


@pytest.mark.parametrize(
    ("url", "prefix"),
    [
        ("https://contoso1.gw.arc.azure.com", "contoso1"),
        ("contoso1.gw.arc.azure.com", "contoso1"),
        ("https://Contoso1.GW.arc.azure.com/", "contoso1"),
        ("https://contoso1.gw.arc.azure.com:443", "contoso1"),
    ],
)
def test_gateway_url_forms(url, prefix):
    assert gateway_prefix(url) == prefix


@pytest.mark.parametrize(
    "url",
    [
        "http://contoso1.gw.arc.azure.com",
        "https://contoso1.example.com",
        "https://a.b.gw.arc.azure.com",
        "https://contoso1.gw.arc.azure.com:8443",
        "https://contoso1.gw.arc.azure.com:port",
        "https://.gw.arc.azure.com",
        "https://[::1",
    ],
)
def test_bad_gateway_urls_are_refused(url):
    with pytest.raises(QueryError, match="invalid Arc gateway URL"):
        gateway_prefix(url)


# --- AKS enabled by Azure Arc on Azure Local ----------------------------------------------


def test_aks_arc_adds_the_azure_local_entries_and_in_site_ports():
    """AKS Arc: the Azure Local AKS infra rows and the in-site ports come on top of the
    Arc-enabled Kubernetes entries."""
    arc = _resolve(region="eastus")
    aks = _resolve(region="eastus", platform=Platform.AKS_ARC)
    assert {r.entry.id for r in arc} < {r.entry.id for r in aks}
    names = _by_name(aks)
    assert {
        "hybridaks.azurecr.io",
        "*.do.dsp.mp.microsoft.com",
        "eastus.dp.prod.appliances.azure.com",
    } <= set(names)
    assert names["www.msftconnecttest.com"].entry.ports == (80,)
    in_site = sorted(
        p for r in aks if r.entry.direction is EntryDirection.IN_SITE for p in r.entry.ports
    )
    assert in_site == [22, 6443, 55000, 65000]


def test_aks_arc_gateway_port_40343_only_with_a_gateway():
    """AKS Arc network requirements: TCP 40343 to the Azure Local cluster address only when
    the instance uses Arc gateway."""
    aks = _resolve(region="eastus", platform=Platform.AKS_ARC, gateway_url=GATEWAY)
    assert 40343 in {
        p for r in aks if r.entry.direction is EntryDirection.IN_SITE for p in r.entry.ports
    }


def test_aks_arc_conditional_entry_is_left_out_and_named():
    """Azure Local list: raw.githubusercontent.com is not needed by 2504+ new deployments."""
    options = EndpointOptions(region="eastus", platform=Platform.AKS_ARC)
    assert "raw.githubusercontent.com" not in _by_name(required_endpoints(CATALOG, options))
    left_out = conditional_endpoints(CATALOG, options)
    assert [r.fqdn for r in left_out] == ["raw.githubusercontent.com"]
    included = EndpointOptions(region="eastus", platform=Platform.AKS_ARC, include_conditional=True)
    assert "raw.githubusercontent.com" in _by_name(required_endpoints(CATALOG, included))
    assert conditional_endpoints(CATALOG, included) == []


def test_aks_arc_outside_the_public_cloud_is_refused():
    with pytest.raises(QueryError, match="no aks-arc entries for cloud usgov"):
        _resolve(cloud=Cloud.USGOV, region="usgovvirginia", platform=Platform.AKS_ARC)


# --- stale entries ------------------------------------------------------------------------


def test_stale_entries_for_arc_k8s_name_their_removal():
    """History: the Helm and cluster-connect CDN names left the list in 2025-02."""
    stale = {s.fqdn: s.removed for s in stale_entries(CATALOG, EndpointOptions())}
    assert stale == {
        "k8connecthelm.azureedge.net": "2025-02",
        "k8sconnectcsp.azureedge.net": "2025-02",
    }


def test_names_azure_local_still_lists_are_not_stale_for_aks_arc():
    """Rows removed since the 2024 list are stale for AKS Arc; the CDN names Arc-enabled
    Kubernetes dropped are still on Azure Local's list, so not stale there."""
    stale = {s.fqdn for s in stale_entries(CATALOG, EndpointOptions(platform=Platform.AKS_ARC))}
    assert "pypi.org" in stale and "*.dl.delivery.mp.microsoft.com" in stale
    assert "k8connecthelm.azureedge.net" not in stale
    assert stale_entries(CATALOG, EndpointOptions(cloud=Cloud.CHINA)) == []


# --- required flows -----------------------------------------------------------------------


def test_required_flows_name_the_resolved_pattern_and_ports():
    resolved = _resolve(
        region="eastus", features=_features("cluster-connect,azure-rbac"), gateway_url=GATEWAY
    )
    flows = {f.entry_id: f for f in required_flows(resolved)}
    arm = flows["arc-k8s.public.management"]
    assert arm.direction is TrafficDirection.OUTBOUND
    assert arm.destinations.names == DomainPatternSet(["management.azure.com"])
    assert arm.services == PortSet.of("TCP", 443)
    assert arm.reason.startswith("arc-k8s.public.management: ")
    assert not arm.routed_by_gateway
    assert arm.service_tags == ("AzureResourceManager",)
    assert flows["arc-k8s.public.obo"].services == PortSet.of("TCP", 8084)
    assert flows["arc-k8s.public.obo"].service_tags == ()
    assert flows["arc-k8s.public.relay"].routed_by_gateway
    assert flows["arc-k8s.public.relay"].destinations.names == DomainPatternSet(
        ["*.servicebus.windows.net"]
    )


def test_required_flows_cover_outbound_entries_only():
    """In-site entries name networks by role: they have no flow until an address plan."""
    resolved = _resolve(region="eastus", platform=Platform.AKS_ARC)
    flows = required_flows(resolved)
    outbound = [r for r in resolved if r.entry.direction is EntryDirection.OUTBOUND]
    assert len(flows) == len(outbound) < len(resolved)
    time = next(f for f in flows if f.entry_id == "aks-arc.public.arb-time")
    assert time.services == PortSet.of("UDP", 123)


def test_report_lists_only_the_sources_it_uses():
    report = endpoint_report(CATALOG, EndpointOptions(cloud=Cloud.CHINA, region="chinanorth3"))
    assert [s.id for s in report.sources] == ["arc-k8s-netreq-china"]
    report = endpoint_report(
        CATALOG, EndpointOptions(platform=Platform.AKS_ARC, region="eastus"), show_stale=True
    )
    assert {"azure-local-eastus", "aks-arc-netreq", "arc-k8s-private-link"} <= {
        s.id for s in report.sources
    }


def test_vault_names_bring_the_key_vault_feature():
    names = _by_name(_resolve(region="eastus", key_vaults=("kv-one",)))
    assert "kv-one.vault.azure.net" in names


def test_bad_vault_name_is_refused():
    with pytest.raises(QueryError, match="not valid"):
        _resolve(region="eastus", key_vaults=("kv one",))


def test_features_without_entries_in_the_cloud_are_named():
    """Government tab: no portal entry is listed; the report says so rather than nothing."""
    options = EndpointOptions(
        cloud=Cloud.USGOV, region="usgovvirginia", features=_features("portal,cluster-connect")
    )
    report = endpoint_report(CATALOG, options)
    assert report.unlisted_features == (Feature.PORTAL,)
    assert endpoint_report(CATALOG, EndpointOptions(region="eastus")).unlisted_features == ()
