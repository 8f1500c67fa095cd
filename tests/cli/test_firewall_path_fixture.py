"""The nftables fixture of the path tests is what a real nft exports: perimeter.nft, loaded
into a network namespace this test creates, listed with ``nft -j list ruleset``, reads as the
same layers as the committed perimeter.json."""

from __future__ import annotations

import uuid

from netfence.policy.firewall_registry import read_firewall
from tests.cli.test_explain_firewall import DATA, PERIMETER
from tests.support.netns import require_root_tools, run


def _semantics(path: str) -> list[tuple[object, ...]]:
    layers = read_firewall(path)
    return [
        (layer.name.split(" (")[0], layer.default_outbound, layer.default_inbound)
        + tuple((r.direction, r.action, r.match, r.description) for r in layer.rules)
        for layer in layers
    ]


def test_paths_fixture_ruleset_is_what_nft_exports(tmp_path):
    """Fixture: the committed export matches a fresh ``nft -j list ruleset`` of its source."""
    require_root_tools("nft")
    namespace = f"nfpath-{uuid.uuid4().hex[:8]}"
    run("ip", "netns", "add", namespace)
    try:
        run("ip", "netns", "exec", namespace, "nft", "-f", str(DATA / "perimeter.nft"))
        exported = run("ip", "netns", "exec", namespace, "nft", "-j", "list", "ruleset")
    finally:
        run("ip", "netns", "del", namespace)
    fresh = tmp_path / "perimeter.json"
    fresh.write_text(exported)
    assert _semantics(str(fresh)) == _semantics(str(PERIMETER))
