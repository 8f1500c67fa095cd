"""The endpoint list renderers: the JSON contract validates against its shipped schema, and
every format keeps what to open, what the gateway carries, in-site ports, what was left out
and the dated sources apart."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

from netfence.analyses.endpoints import EndpointOptions, endpoint_report, parse_features
from netfence.model.endpoints import Cloud, Platform
from netfence.report.endpoints import (
    CSV_COLUMNS,
    SCHEMA_VERSION,
    render_csv,
    render_json,
    render_markdown,
    render_text,
)
from netfence.sources.endpoint_catalog import load_catalog

CATALOG = load_catalog()
GATEWAY = "https://contoso1.gw.arc.azure.com"

OPTION_SETS = {
    "public-core": EndpointOptions(region="eastus"),
    "public-gateway": EndpointOptions(
        region="eastus",
        features=parse_features("cluster-connect,azure-rbac"),
        gateway_url=GATEWAY,
    ),
    "public-everything": EndpointOptions(
        region="eastus",
        features=parse_features("all"),
        key_vaults=("kv-one",),
        gateway_url=GATEWAY,
        platform=Platform.AKS_ARC,
        include_conditional=True,
    ),
    "aks-arc": EndpointOptions(region="eastus", platform=Platform.AKS_ARC),
    "usgov": EndpointOptions(
        cloud=Cloud.USGOV,
        region="usgovvirginia",
        features=parse_features("cluster-connect,custom-locations,azure-rbac,portal"),
    ),
    "china": EndpointOptions(
        cloud=Cloud.CHINA, region="chinanorth3", features=parse_features("registry-proxies")
    ),
}


def _report(name: str, show_stale: bool = True):
    return endpoint_report(CATALOG, OPTION_SETS[name], show_stale=show_stale)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    text = (resources.files("netfence.report") / "schemas" / "endpoints-1.json").read_text()
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize("name", sorted(OPTION_SETS))
def test_json_validates_against_the_shipped_schema(name, validator):
    document = json.loads(render_json(_report(name)))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    assert document["schema_version"] == SCHEMA_VERSION == "1"


def test_schema_refuses_a_wrong_shape(validator):
    document = json.loads(render_json(_report("public-core")))
    document["endpoints"][0]["ports"] = [0]
    assert not validator.is_valid(document)
    document = json.loads(render_json(_report("public-core")))
    del document["endpoints"][0]["carried_by_gateway"]
    assert not validator.is_valid(document)


def test_json_marks_what_the_gateway_carries():
    """With a gateway, routed entries stay listed with carried_by_gateway, and the gateway
    itself is a direct entry that needs an opening."""
    document = json.loads(render_json(_report("public-gateway")))
    by_name = {e["fqdn"]: e for e in document["endpoints"]}
    relay = by_name["*.servicebus.windows.net"]
    assert relay["carried_by_gateway"] and not relay["needs_opening"] and relay["websockets"]
    gateway = by_name["contoso1.gw.arc.azure.com"]
    assert gateway["needs_opening"] and gateway["no_tls_inspection"]
    assert gateway["catalog_fqdn"] == "<gateway-prefix>.gw.arc.azure.com"
    assert document["options"]["gateway"] == "contoso1.gw.arc.azure.com"
    assert "arc-gateway" in document["options"]["enabled_features"]
    assert by_name["eastus.obo.arc.azure.com"]["needed_for"] == "cluster-connect+azure-rbac"


def test_json_sources_carry_their_dates():
    document = json.loads(render_json(_report("aks-arc")))
    dates = {s["id"]: s["doc_date"] for s in document["sources"]}
    assert dates["arc-k8s-netreq"] == "2026-06-11"
    assert dates["azure-local-eastus"] == "2025-11-27"
    used = {e["source"] for e in document["endpoints"]} | {s["source"] for s in document["stale"]}
    assert used <= set(dates)


def test_text_groups_and_sources():
    text = render_text(_report("public-gateway"))
    open_part, _, rest = text.partition("Carried by the Arc gateway")
    assert "management.azure.com" in open_part and "TCP 443" in open_part
    assert "contoso1.gw.arc.azure.com" in open_part and "no TLS inspection" in open_part
    assert "eastus.obo.arc.azure.com" in open_part and "TCP 8084" in open_part
    carried, _, _ = rest.partition("Stale")
    assert "*.servicebus.windows.net" in carried and "WebSockets" in carried
    assert "management.azure.com" not in carried
    assert "arc-k8s-netreq  2026-06-11" in text
    assert text.rstrip().splitlines()[-1].startswith("16 endpoints: 9 to open, 7 carried")


def test_text_lists_stale_entries_with_dates():
    text = render_text(_report("aks-arc"))
    stale = text.partition("Stale")[2]
    assert "pypi.org  removed 2025-11-27, last listed 2024-09-04" in stale
    assert "k8connecthelm" not in stale  # still on the Azure Local list


def test_text_names_what_it_left_out():
    text = render_text(_report("aks-arc"))
    assert "Left out: 1 conditional entry (--include-conditional lists them):" in text
    assert "raw.githubusercontent.com" in text.partition("Left out")[2]
    in_site = text.partition("In-site")[2].partition("Left out")[0]
    assert "TCP 55000" in in_site and "->" in in_site


def test_text_without_stale_shows_none():
    assert "Stale" not in render_text(_report("aks-arc", show_stale=False))


def test_csv_rows_have_a_status_and_the_header():
    rows = list(csv.DictReader(io.StringIO(render_csv(_report("public-everything")))))
    assert tuple(rows[0]) == CSV_COLUMNS
    statuses = {r["status"] for r in rows}
    assert statuses == {"open", "gateway", "in-site", "stale"}
    vault = next(r for r in rows if r["fqdn"] == "kv-one.vault.azure.net")
    assert (vault["status"], vault["ports"], vault["arc_gateway"]) == ("open", "443", "direct")
    stale = next(r for r in rows if r["fqdn"] == "pypi.org")
    assert stale["required_when"] == "removed 2025-11-27"


def test_csv_conditional_rows_when_left_out():
    rows = list(csv.DictReader(io.StringIO(render_csv(_report("aks-arc")))))
    conditional = [r for r in rows if r["status"] == "conditional"]
    assert [r["fqdn"] for r in conditional] == ["raw.githubusercontent.com"]


def test_markdown_has_a_table_per_group_and_linked_sources():
    md = render_markdown(_report("public-gateway"))
    assert md.startswith("# Azure Arc endpoints: cloud public, region eastus, platform arc-k8s")
    assert "## Open on the firewall (outbound)" in md
    assert "## Carried by the Arc gateway" in md
    assert "| `management.azure.com` | TCP 443 | core |" in md
    assert "](https://learn.microsoft.com/azure/azure-arc/kubernetes/network-requirements) |" in md


def test_china_report_names_only_its_own_tab():
    text = render_text(_report("china"))
    assert "mcr.azk8s.cn" in text and "quay.azk8s.cn" in text
    assert "mcr.microsoft.com" not in text
    assert "arc-k8s-netreq-china" in text.partition("Sources:")[2]
