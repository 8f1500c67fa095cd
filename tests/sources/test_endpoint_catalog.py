"""The endpoint catalog shipped as package data loads, and a broken catalog is refused with the
line and field of its first problem (unknown fields, unknown source ids, bad ports, features
outside the closed set, ...)."""

from __future__ import annotations

import textwrap

import pytest

from netfence.errors import InputError
from netfence.model.endpoints import (
    PLACEHOLDERS,
    Cloud,
    EntryDirection,
    Feature,
    GatewayRoute,
    Platform,
    Transport,
)
from netfence.sources.endpoint_catalog import load_catalog, parse_catalog

MINIMAL = """\
schema_version: 1
sources:
  - id: doc
    title: "A document"
    url: "https://example.org/doc"
    doc_date: "2026-01-02"
region_codes:
  - {region: eastus, code: eus, source: doc}
entries:
  - id: arc-k8s.public.one
    fqdn: "<region>.example.com"
    ports: [443]
    protocol: TCP
    purpose: "One endpoint"
    cloud: public
    platform: arc-k8s
    features: [core]
    required: true
    arc_gateway: direct
    source: doc
stale:
  - id: arc-k8s.public.stale.old
    fqdn: old.example.com
    purpose: "Gone"
    cloud: public
    platform: arc-k8s
    removed: "2025-02"
    source: doc
"""


def _broken(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


def _line(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def _refused(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_catalog(text, "catalog.yaml")
    return caught.value


# --- the shipped catalog ------------------------------------------------------------------


def test_shipped_catalog_loads_with_sources_and_dates():
    catalog = load_catalog()
    assert catalog.schema_version == 1
    assert {s.id for s in catalog.sources} >= {
        "arc-k8s-netreq",
        "arc-k8s-netreq-gov",
        "arc-k8s-netreq-china",
        "arc-k8s-gateway",
        "azure-local-eastus",
        "aks-arc-netreq",
    }
    assert catalog.source("arc-k8s-netreq").doc_date == "2026-06-11"
    assert catalog.source("azure-local-eastus").doc_date == "2025-11-27"
    assert len(catalog.entries) > 90


def test_shipped_catalog_ids_are_stable_platform_cloud_name():
    """Entry ids read ``<platform>.<cloud>.<name>`` and match the entry's own fields."""
    catalog = load_catalog()
    for entry in catalog.entries:
        platform, cloud, _name = entry.id.split(".", 2)
        assert (platform, cloud) == (entry.platform.value, entry.cloud.value), entry.id
    ids = [e.id for e in catalog.entries] + [s.id for s in catalog.stale]
    assert len(ids) == len(set(ids))


def test_every_cloud_has_core_entries_and_arm():
    """ARC-NET: each cloud tab names its own Azure Resource Manager host."""
    catalog = load_catalog()
    arm = {
        e.cloud: e.fqdn
        for e in catalog.entries
        if e.id.endswith(".management") and e.platform is Platform.ARC_K8S
    }
    assert arm == {
        Cloud.PUBLIC: "management.azure.com",
        Cloud.USGOV: "management.usgovcloudapi.net",
        Cloud.CHINA: "management.chinacloudapi.cn",
    }


def test_obo_is_the_only_arc_k8s_port_other_than_443():
    """Connectivity principles: port 443 for everything but the on-behalf-of service (8084)."""
    catalog = load_catalog()
    other = {
        e.fqdn: e.ports
        for e in catalog.entries
        if e.platform is Platform.ARC_K8S and e.ports != (443,)
    }
    assert other == {
        "<region>.obo.arc.azure.com": (8084,),
        "usgovvirginia.obo.arc.azure.us": (8084,),
        "<region>.obo.arc.azure.cn": (8084,),
    }


def test_time_sync_is_udp_123():
    """Azure Local list, Arc Resource Bridge rows: time.windows.com on UDP 123."""
    time = next(e for e in load_catalog().entries if e.fqdn == "time.windows.com")
    assert (time.protocol, time.ports) == (Transport.UDP, (123,))


def test_service_bus_entries_need_websockets():
    """Connectivity principles: *.servicebus.* needs WebSockets, in every cloud."""
    relays = [e for e in load_catalog().entries if e.fqdn and ".servicebus." in e.fqdn]
    assert {e.cloud for e in relays} == set(Cloud)
    assert all(e.websockets for e in relays)


def test_sovereign_clouds_have_no_routed_entries():
    """Arc gateway: public cloud only, so every Government and 21Vianet entry is direct."""
    for entry in load_catalog().entries:
        if entry.cloud is not Cloud.PUBLIC:
            assert entry.arc_gateway is GatewayRoute.DIRECT, entry.id


def test_service_tags_only_where_a_document_names_them():
    """Private link network configuration names the Entra ID, ARM and MCR tags (and
    AzureFrontDoor.FirstParty for MCR); other entries have none rather than a guess."""
    tagged = {e.id: e.service_tags for e in load_catalog().entries if e.service_tags}
    assert tagged["arc-k8s.public.management"] == ("AzureResourceManager",)
    assert tagged["arc-k8s.public.entra-login"] == ("AzureActiveDirectory",)
    assert tagged["arc-k8s.public.mcr"] == (
        "MicrosoftContainerRegistry",
        "AzureFrontDoor.FirstParty",
    )
    assert "arc-k8s.public.sts" not in tagged
    assert "arc-k8s.public.gateway" not in tagged
    tags = {t for ts in tagged.values() for t in ts}
    assert tags == {
        "AzureResourceManager",
        "AzureActiveDirectory",
        "MicrosoftContainerRegistry",
        "AzureFrontDoor.FirstParty",
    }


def test_in_site_entries_are_the_aks_arc_internal_ports():
    """AKS Arc network requirements: 22, 6443, 55000, 65000 and, with Arc gateway, 40343."""
    in_site = [e for e in load_catalog().entries if e.direction is EntryDirection.IN_SITE]
    assert sorted(p for e in in_site for p in e.ports) == [22, 6443, 40343, 55000, 65000]
    assert all(e.fqdn is None and e.from_ and e.to for e in in_site)
    gateway_port = next(e for e in in_site if e.ports == (40343,))
    assert gateway_port.features == (frozenset({Feature.ARC_GATEWAY}),)


def test_stale_entries_carry_their_removal_date():
    """History: k8connecthelm and k8sconnectcsp left the Arc-enabled Kubernetes list in Feb
    2025 (still on Azure Local's); pypi.org and others left the Azure Local list."""
    stale = {s.fqdn: s for s in load_catalog().stale}
    assert stale["k8connecthelm.azureedge.net"].removed == "2025-02"
    assert stale["k8connecthelm.azureedge.net"].still_listed_for == (Platform.AKS_ARC,)
    assert stale["k8sconnectcsp.azureedge.net"].removed == "2025-02"
    assert stale["pypi.org"].platform is Platform.AKS_ARC
    assert stale["pypi.org"].last_listed == "2024-09-04"
    assert set(stale) >= {
        "files.pythonhosted.org",
        "pythonhosted.org",
        "hybridaksstorage.z13.web.core.windows.net",
        "pipelineagent.azurecr.io",
        "*.dl.delivery.mp.microsoft.com",
    }


def test_placeholders_in_the_shipped_catalog_are_all_known():
    catalog = load_catalog()
    used = {p for e in catalog.entries if e.fqdn for p in PLACEHOLDERS if p in e.fqdn}
    assert used == set(PLACEHOLDERS)


# --- a broken catalog is refused, with its line -------------------------------------------


def test_minimal_catalog_loads():
    catalog = parse_catalog(MINIMAL, "catalog.yaml")
    assert [e.id for e in catalog.entries] == ["arc-k8s.public.one"]
    assert catalog.region_code("eastus") is not None
    assert catalog.stale[0].removed == "2025-02"


def test_unknown_field_is_refused_with_its_line():
    text = _broken(
        '    purpose: "One endpoint"\n', '    purpose: "One endpoint"\n    colour: blue\n'
    )
    error = _refused(text)
    assert error.field == "entries[0].colour"
    assert error.location is not None and error.location.line == _line(text, "colour")
    assert "unknown field" in str(error)


def test_unknown_top_level_field_is_refused():
    error = _refused(MINIMAL + "extras: {}\n")
    assert error.field == "extras"


def test_unknown_source_id_is_refused():
    text = _broken("    source: doc\nstale:", "    source: nowhere\nstale:")
    error = _refused(text)
    assert error.field == "entries[0].source"
    assert "unknown source id 'nowhere'" in str(error)
    assert error.location is not None and error.location.line == _line(text, "nowhere")


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ("[0]", "outside 1-65535"),
        ("[65536]", "outside 1-65535"),
        ('["443"]', "expected an integer"),
        ("[443, 443]", "listed twice"),
        ("[]", "at least one port"),
        ("443", "expected a list"),
    ],
)
def test_bad_ports_are_refused(ports, message):
    error = _refused(_broken("ports: [443]", f"ports: {ports}"))
    assert message in str(error)
    assert error.field.startswith("entries[0].ports")


def test_feature_outside_the_closed_set_is_refused():
    error = _refused(_broken("features: [core]", "features: [core, telepathy]"))
    assert "unknown value 'telepathy'" in str(error)
    assert "cluster-connect" in str(error)


def test_feature_combination_parts_are_checked():
    catalog = parse_catalog(
        _broken("features: [core]", "features: [cluster-connect+azure-rbac]"), "c.yaml"
    )
    assert catalog.entries[0].features == (
        frozenset({Feature.CLUSTER_CONNECT, Feature.AZURE_RBAC}),
    )
    error = _refused(_broken("features: [core]", "features: [cluster-connect+nope]"))
    assert "'nope'" in str(error)


def test_unknown_cloud_platform_and_route_are_refused():
    assert "'moon'" in str(
        _refused(_broken("cloud: public\n    platform", "cloud: moon\n    platform"))
    )
    assert "'eks'" in str(
        _refused(_broken("platform: arc-k8s\n    features", "platform: eks\n    features"))
    )
    assert "'maybe'" in str(_refused(_broken("arc_gateway: direct", "arc_gateway: maybe")))


def test_unknown_placeholder_is_refused():
    error = _refused(_broken('"<region>.example.com"', '"<tenant>.example.com"'))
    assert "unknown placeholder <tenant>" in str(error)


def test_malformed_fqdn_is_refused():
    error = _refused(_broken('"<region>.example.com"', '"bad..example.com"'))
    assert error.field == "entries[0].fqdn"


def test_duplicate_entry_id_is_refused_at_the_second():
    entry = MINIMAL[MINIMAL.index("  - id: arc-k8s.public.one") : MINIMAL.index("stale:")]
    text = MINIMAL.replace("stale:", entry + "stale:", 1)
    error = _refused(text)
    assert "duplicate entry id 'arc-k8s.public.one'" in str(error)
    assert error.location is not None and error.location.line > _line(text, "arc-k8s.public.one")


def test_conditional_entry_needs_its_scenario():
    error = _refused(_broken("required: true", "required: false"))
    assert error.field == "entries[0].required_when"


def test_service_tags_need_their_source():
    error = _refused(
        _broken(
            "    source: doc\nstale:", "    service_tags: [AzureCloud]\n    source: doc\nstale:"
        )
    )
    assert error.field == "entries[0].service_tags_source"


def test_in_site_entry_names_networks_not_an_fqdn():
    error = _refused(_broken('    fqdn: "<region>', '    direction: in-site\n    fqdn: "<region>'))
    assert "in-site" in str(error) and error.field == "entries[0].fqdn"
    text = _broken(
        '    fqdn: "<region>.example.com"\n',
        '    direction: in-site\n    from: "a network"\n    to: "another"\n',
    )
    entry = parse_catalog(text, "c.yaml").entries[0]
    assert (entry.direction, entry.fqdn, entry.from_) == (EntryDirection.IN_SITE, None, "a network")


def test_bad_dates_are_refused():
    assert "YYYY-MM-DD" in str(_refused(_broken('doc_date: "2026-01-02"', 'doc_date: "January"')))
    assert "YYYY-MM" in str(_refused(_broken('removed: "2025-02"', 'removed: "2025-13"')))


def test_other_schema_version_is_refused():
    error = _refused(_broken("schema_version: 1", "schema_version: 2"))
    assert "unsupported catalog version 2" in str(error)


def test_more_than_one_document_is_refused():
    assert "one YAML document" in str(_refused(MINIMAL + "---\n" + MINIMAL))


def test_error_names_the_file_and_line():
    text = textwrap.dedent(_broken("ports: [443]", "ports: [99999]"))
    error = _refused(text)
    assert str(error).startswith(f"catalog.yaml: document 1, line {_line(text, '99999')}")


def test_stale_list_is_optional():
    catalog = parse_catalog(MINIMAL[: MINIMAL.index("stale:")], "c.yaml")
    assert catalog.stale == ()


def test_a_stale_id_may_not_repeat_a_live_one():
    text = _broken("  - id: arc-k8s.public.stale.old", "  - id: arc-k8s.public.one")
    assert "duplicate entry id 'arc-k8s.public.one'" in str(_refused(text))


def test_duplicate_source_id_is_refused():
    source = MINIMAL[MINIMAL.index("  - id: doc") : MINIMAL.index("region_codes:")]
    text = MINIMAL.replace("region_codes:", source + "region_codes:", 1)
    assert "duplicate source id 'doc'" in str(_refused(text))
