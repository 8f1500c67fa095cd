"""The endpoint catalog's model: feature alternatives and combinations, as the catalog reads
them (``cluster-connect`` or ``custom-locations``; ``cluster-connect+azure-rbac``)."""

from __future__ import annotations

from netfence.model.endpoints import (
    FEATURE_IMPLIES,
    CatalogEntry,
    Cloud,
    EntryDirection,
    Feature,
    GatewayRoute,
    Platform,
    Transport,
    combination_text,
)


def _entry(*alternatives: frozenset[Feature]) -> CatalogEntry:
    return CatalogEntry(
        id="arc-k8s.public.test",
        direction=EntryDirection.OUTBOUND,
        fqdn="example.com",
        ports=(443,),
        protocol=Transport.TCP,
        purpose="test",
        cloud=Cloud.PUBLIC,
        platform=Platform.ARC_K8S,
        features=alternatives,
        required=True,
        arc_gateway=GatewayRoute.DIRECT,
        source="doc",
    )


def test_any_alternative_makes_an_entry_needed():
    entry = _entry(frozenset({Feature.CLUSTER_CONNECT}), frozenset({Feature.CUSTOM_LOCATIONS}))
    assert entry.needed_for(frozenset({Feature.CUSTOM_LOCATIONS})) == {Feature.CUSTOM_LOCATIONS}
    assert entry.needed_for(frozenset({Feature.CORE})) is None


def test_a_combination_needs_all_its_features():
    """OBO on 8084: cluster connect together with Azure RBAC."""
    both = frozenset({Feature.CLUSTER_CONNECT, Feature.AZURE_RBAC})
    entry = _entry(both)
    assert entry.needed_for(frozenset({Feature.CLUSTER_CONNECT})) is None
    assert entry.needed_for(both | {Feature.CORE}) == both


def test_combination_text_follows_declaration_order():
    assert combination_text(frozenset({Feature.AZURE_RBAC, Feature.CLUSTER_CONNECT})) == (
        "cluster-connect+azure-rbac"
    )


def test_every_named_extension_implies_extensions():
    for feature, implied in FEATURE_IMPLIES.items():
        assert Feature.EXTENSIONS in implied, feature
    assert Feature.KEY_VAULT in FEATURE_IMPLIES[Feature.SECRET_STORE]
