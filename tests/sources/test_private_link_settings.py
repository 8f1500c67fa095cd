"""Private Link settings (``format: netfence.private-link``, version 1) are read with every
field typed, and every bad field is one InputError naming the file, line and field."""

from __future__ import annotations

import pathlib

import pytest

from netfence.errors import InputError
from netfence.model.endpoints import Cloud
from netfence.model.private_link import ClusterFeature, PrivateLinkPlatform, ServiceKind
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.private_link_settings import (
    is_private_link_settings,
    parse_private_link_settings,
    read_private_link_settings,
    settings_from_options,
)

SETTINGS = """\
format: netfence.private-link
version: 1
cloud: public
platform: arc-kubernetes
scopes:
  - name: pls-east
    region: eastus
    subscription: sub-a
    public_network_access: false
    private_endpoint: {name: pe-arc, vnet: hub, region: eastus, subscription: sub-a}
    clusters:
      - name: edge-1
        region: eastus
        subscription: sub-a
        features: [flux, azure-monitor]
public_clusters:
  - {name: legacy, vnet: hub, dns_zone_shared: true}
services:
  - {kind: key-vault, name: MyVault}
  - {kind: container-registry, name: myacr, region: eastus}
private_endpoint_subnets: [10.20.0.0/24]
dns_answers: answers.yaml
"""


def test_settings_read_every_field() -> None:
    settings = parse_private_link_settings(SETTINGS, "design/pl.yaml")
    assert settings.cloud is Cloud.PUBLIC
    assert settings.platform is PrivateLinkPlatform.ARC_KUBERNETES
    scope = settings.scopes[0]
    assert (scope.name, scope.region, scope.subscription) == ("pls-east", "eastus", "sub-a")
    assert scope.public_network_access is False
    assert scope.private_endpoint is not None and scope.private_endpoint.vnet == "hub"
    assert scope.clusters[0].features == (ClusterFeature.FLUX, ClusterFeature.AZURE_MONITOR)
    assert getattr(scope.clusters[0].origin, "line", None) == 12
    assert settings.public_clusters[0].dns_zone_shared is True
    assert settings.services[0].kind is ServiceKind.KEY_VAULT
    assert settings.services[0].name == "myvault"  # DNS names are case-insensitive
    assert settings.private_endpoint_subnets == IPRangeSet.from_cidrs(["10.20.0.0/24"])
    # Relative to the settings file, not to the working directory.
    assert settings.dns_answers == "design/answers.yaml"


def test_is_private_link_settings_recognises_the_format_only() -> None:
    assert is_private_link_settings({"format": "netfence.private-link", "version": 1})
    assert not is_private_link_settings({"kind": "NetworkPolicy"})
    assert not is_private_link_settings(["format"])


def test_read_from_a_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "pl.yaml"
    path.write_text(SETTINGS)
    assert read_private_link_settings(str(path)).scopes[0].name == "pls-east"


@pytest.mark.parametrize(
    ("old", "new", "marker", "field", "message"),
    [
        ("format: netfence.private-link", "format: other", "format", "format", "expected format"),
        ("version: 1", "version: 2", "version", "version", "unsupported version"),
        ("cloud: public", "cloud: moon", "cloud", "cloud", "unknown value 'moon'"),
        (
            "features: [flux,",
            "features: [teleport,",
            "teleport",
            "scopes[0].clusters[0].features[0]",
            "unknown value 'teleport'",
        ),
        (
            "features: [flux, azure-monitor]",
            "features: [flux, flux]",
            "features",
            "scopes[0].clusters[0].features[1]",
            "listed twice",
        ),
        (
            "kind: key-vault",
            "kind: vault",
            "kind: vault",
            "services[0].kind",
            "unknown value 'vault'",
        ),
        (
            "[10.20.0.0/24]",
            "[10.20.0.1/24]",
            "private_endpoint_subnets",
            "private_endpoint_subnets[0]",
            "not a CIDR",
        ),
        (
            "public_network_access: false",
            "public_network_access: nope",
            "public_network",
            "scopes[0].public_network_access",
            "expected true or false",
        ),
        (
            "    region: eastus\n    subscription",
            "    region: East US 2!\n    subscription",
            "East US",
            "scopes[0].region",
            "expected an Azure region name",
        ),
        (
            "  - {name: legacy,",
            "  - {name: legacy, colour: red,",
            "colour",
            "public_clusters[0].colour",
            "unknown field",
        ),
        (
            "    private_endpoint: {name: pe-arc, vnet: hub,",
            "    private_endpoint: {name: pe-arc,",
            "private_endpoint",
            "scopes[0].private_endpoint.vnet",
            "required",
        ),
    ],
)
def test_bad_field_is_one_located_error(
    old: str, new: str, marker: str, field: str, message: str
) -> None:
    text = SETTINGS.replace(old, new, 1)
    assert text != SETTINGS
    line = next(i for i, row in enumerate(text.splitlines(), 1) if marker in row)
    with pytest.raises(InputError) as caught:
        parse_private_link_settings(text, "pl.yaml")
    assert caught.value.field == field
    assert message in caught.value.message
    assert getattr(caught.value.location, "line", None) == line


def test_options_build_the_same_settings() -> None:
    """--cloud --region --scope --cluster --features --service: one scope in the region."""
    settings = settings_from_options(
        region="East US",
        scope="pls",
        clusters=["edge-1", "edge-2"],
        features=["flux,cluster-connect"],
        services=["key-vault:kv1", "container-registry:acr1:westeurope"],
    )
    scope = settings.scopes[0]
    assert scope.region == "eastus"
    assert [c.name for c in scope.clusters] == ["edge-1", "edge-2"]
    assert scope.clusters[0].features == (ClusterFeature.FLUX, ClusterFeature.CLUSTER_CONNECT)
    assert settings.services[0].region == "eastus"
    assert settings.services[1].region == "westeurope"


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"services": ["vault-only"]}, "--service"),
        ({"services": ["nosuch:kv"]}, "--service"),
        ({"cloud": "moon"}, "--cloud"),
        ({"clusters": ["c1"]}, "--region"),
        ({"region": "eastus", "scope": "s", "features": ["teleport"]}, "--features"),
    ],
)
def test_bad_option_names_the_option(options: dict[str, object], option: str) -> None:
    with pytest.raises(InputError) as caught:
        settings_from_options(**options)  # type: ignore[arg-type]
    assert caught.value.field == option
