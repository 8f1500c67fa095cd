"""The Private Link zone catalog shipped as package data loads with the zones and limits of
the Private Link documents, and a broken catalog is refused with one error naming the line
and field of its first problem."""

from __future__ import annotations

import pytest

from netfence.errors import InputError
from netfence.model.endpoints import Cloud
from netfence.model.private_link import ClusterFeature, PrivateLinkPlatform, ServiceKind
from netfence.sources.private_link_catalog import (
    load_private_link_catalog,
    parse_private_link_catalog,
)

MINIMAL = """\
schema_version: 1
sources:
  - id: doc
    title: "A document"
    url: "https://example.org/doc"
    doc_date: "2026-01-02"
limits:
  status: preview
  unsupported_regions: [southeastasia]
  unsupported_features: [cluster-connect]
  end_to_end_extensions: [flux]
  unsupported_platforms: [aks-arc]
  same_subscription_during_preview: true
  source: doc
  platform_source: doc
must_stay_public:
  - id: arm
    purpose: "ARM"
    names: [management.azure.com]
    service_tag: AzureResourceManager
    ports: [443]
    source: doc
clouds:
  - cloud: public
    arc_zones:
      - zone: privatelink.his.arc.azure.com
        forwarders: [his.arc.azure.com]
        names: [gbl.his.arc.azure.com]
        source: doc
    services:
      - kind: key-vault
        zones: [privatelink.vaultcore.azure.net]
        forwarders: [vault.azure.net]
        names: ["{name}.vault.azure.net"]
        source: doc
"""


def test_shipped_catalog_loads_with_the_documented_arc_zones() -> None:
    """ARC-PL / PE-DNS: the three Arc zones and the names nslookup checks in them."""
    catalog = load_private_link_catalog()
    public = catalog.cloud(Cloud.PUBLIC)
    assert public is not None
    zones = {z.zone: z.names for z in public.arc_zones}
    assert zones["privatelink.his.arc.azure.com"] == (
        "gbl.his.arc.azure.com",
        "{region-code}.his.arc.azure.com",
    )
    assert zones["privatelink.guestconfiguration.azure.com"] == (
        "agentserviceapi.guestconfiguration.azure.com",
    )
    assert zones["privatelink.dp.kubernetesconfiguration.azure.com"] == (
        "{region}.dp.kubernetesconfiguration.azure.com",
    )


def test_shipped_catalog_service_zones_and_public_names() -> None:
    """PE-DNS: Key Vault's zone is privatelink.vaultcore.azure.net for {name}.vault.azure.net;
    a registry has a login server and a regional data endpoint in privatelink.azurecr.io."""
    public = load_private_link_catalog().cloud(Cloud.PUBLIC)
    assert public is not None
    vault = public.service(ServiceKind.KEY_VAULT)
    registry = public.service(ServiceKind.CONTAINER_REGISTRY)
    assert vault is not None and registry is not None
    assert vault.zones == ("privatelink.vaultcore.azure.net",)
    assert vault.names == ("{name}.vault.azure.net",)
    assert registry.names == ("{name}.azurecr.io", "{name}.{region}.data.azurecr.io")
    assert {s.kind for s in public.services} == set(ServiceKind)


def test_shipped_catalog_limits_and_must_stay_public() -> None:
    """ARC-PL current limitations; AL-FW: not on AKS Arc; NSG rules 150-153."""
    catalog = load_private_link_catalog()
    assert catalog.limits.status == "preview"
    assert catalog.limits.unsupported_regions == ("southeastasia",)
    assert ClusterFeature.CLUSTER_CONNECT in catalog.limits.unsupported_features
    assert ClusterFeature.CUSTOM_LOCATIONS in catalog.limits.unsupported_features
    assert catalog.limits.unsupported_platforms == (PrivateLinkPlatform.AKS_ARC,)
    tags = {p.service_tag for p in catalog.must_stay_public}
    assert tags == {
        "AzureActiveDirectory",
        "AzureResourceManager",
        "MicrosoftContainerRegistry",
        "AzureFrontDoor.FirstParty",
    }
    assert all(p.ports == (443,) for p in catalog.must_stay_public)


def test_gov_and_china_say_arc_zones_are_not_documented() -> None:
    """PE-DNS gives no Arc zones for Government or China: the catalog says so, not silence."""
    catalog = load_private_link_catalog()
    for cloud in (Cloud.USGOV, Cloud.CHINA):
        zones = catalog.cloud(cloud)
        assert zones is not None
        assert zones.arc_zones == ()
        assert zones.arc_zones_note
    gov = catalog.cloud(Cloud.USGOV)
    assert gov is not None
    vault = gov.service(ServiceKind.KEY_VAULT)
    assert vault is not None and vault.zones == ("privatelink.vaultcore.usgovcloudapi.net",)


def test_minimal_catalog_parses() -> None:
    catalog = parse_private_link_catalog(MINIMAL, "pl.yaml")
    assert catalog.clouds[0].services[0].kind is ServiceKind.KEY_VAULT


@pytest.mark.parametrize(
    ("old", "new", "marker", "field", "message"),
    [
        (
            "    source: doc\n    services:",
            "    source: doc\n    color: red\n    services:",
            "color: red",
            "clouds[0].color",
            "unknown field",
        ),
        (
            "        source: doc\n",
            "        source: nodoc\n",
            "nodoc",
            "clouds[0].arc_zones[0].source",
            "unknown source id 'nodoc'",
        ),
        (
            "kind: key-vault",
            "kind: vault",
            "kind: vault",
            "clouds[0].services[0].kind",
            "unknown value 'vault'",
        ),
        (
            "[privatelink.vaultcore.azure.net]",
            "[vaultcore.azure.net]",
            "[vaultcore",
            "clouds[0].services[0].zones[0]",
            "starts with 'privatelink.'",
        ),
        (
            '"{name}.vault.azure.net"',
            '"{vault}.vault.azure.net"',
            "{vault}",
            "clouds[0].services[0].names[0]",
            "unknown placeholder {vault}",
        ),
        (
            "unsupported_features: [cluster-connect]",
            "unsupported_features: [teleport]",
            "teleport",
            "limits.unsupported_features[0]",
            "unknown value 'teleport'",
        ),
        (
            "    ports: [443]",
            "    ports: [0]",
            "ports: [0]",
            "must_stay_public[0].ports[0]",
            "outside 1-65535",
        ),
        (
            "schema_version: 1",
            "schema_version: 2",
            "schema_version",
            "schema_version",
            "unsupported catalog version",
        ),
    ],
)
def test_bad_entry_gives_one_located_error(
    old: str, new: str, marker: str, field: str, message: str
) -> None:
    text = MINIMAL.replace(old, new, 1)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if marker in row)
    assert text != MINIMAL
    with pytest.raises(InputError) as caught:
        parse_private_link_catalog(text, "pl.yaml")
    error = caught.value
    assert error.field == field
    assert message in error.message
    assert error.location is not None
    assert getattr(error.location, "line", None) == line
    assert str(error).startswith("pl.yaml: document 1, line")
