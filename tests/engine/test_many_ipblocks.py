"""The benchmark's many-ipBlock case on a small scale: thousands of prefixes, exact answers.

The generator's ``--ip-prefixes`` rules put hundreds of public prefixes (both families, some
with ``except``) in each rule. The map must agree with the rule-by-rule explanation on
addresses inside prefixes, inside their excepts and between them, while the address atoms
stay few (one group of pieces per combination of rules, not two atoms per prefix).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import random
import sys
from pathlib import Path
from types import ModuleType

from netfence.analyses.connectivity_map import Granularity, connectivity_map
from netfence.engine.classes import build_classes
from netfence.engine.connectivity import compile_policies, compute_connectivity
from netfence.engine.explain import explain_flow
from netfence.policy.rules import LazyMasks
from netfence.sets import PortSet
from netfence.sources.manifests import load_cluster

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_cluster", ROOT / "benchmarks" / "generate_cluster.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_cluster", module)
    spec.loader.exec_module(module)
    return module


def _probes(policies: Path, rng: random.Random) -> list[str]:
    """Addresses in some prefixes, in some excepts, just past some prefixes, and elsewhere."""
    import yaml

    blocks = [
        peer["ipBlock"]
        for item in yaml.safe_load(policies.read_text())["items"]
        for direction in ("ingress", "egress")
        for rule in item["spec"].get(direction, [])
        for peer in rule.get("from", rule.get("to", []))
        if "ipBlock" in peer
    ]
    out = ["8.8.8.8", "1.1.1.1", "2600::1", "10.1.2.3"]
    for block in rng.sample(blocks, 30):
        net = ipaddress.ip_network(block["cidr"])
        out.append(str(net.network_address))
        if int(net.broadcast_address) < (1 << net.max_prefixlen) - 1:
            out.append(str(net.broadcast_address + 1))
        for carved in block.get("except", []):
            out.append(str(ipaddress.ip_network(carved)[1]))
    return list(dict.fromkeys(out))


def test_many_ipblocks_map_equals_explain(tmp_path):
    """Map and explanation agree on every probe; the atoms are few; no mask per ipBlock."""
    gen = _generator()
    gen.generate(40, 16, 3, tmp_path, ip_prefixes=1600)
    cluster = load_cluster([tmp_path])
    blocks = sum(
        1
        for p in cluster.policies
        for r in p.ingress + p.egress
        for q in r.peers or ()
        if q.ip_block
    )
    assert blocks >= 1600

    classes = build_classes(cluster)
    compiled = compile_policies(classes)
    assert len(classes.ip_atoms) < 100  # about one per rule combination, not 2 per prefix
    # No mask per ipBlock is made: a rule's blocks are one address set, per-peer masks lazy.
    assert all(isinstance(rule.peers, LazyMasks) or not rule.peers for rule in compiled.rules)
    matrix = compute_connectivity(classes, compiled)
    cmap = connectivity_map(cluster, Granularity.POD, None, matrix)

    external = {e.name for e in cmap.endpoints if e.kind == "IPRange"}
    spans: dict[str, list[tuple[int, int, int, PortSet]]] = {}
    into: dict[str, list[tuple[int, int, int, PortSet]]] = {}
    for conn in cmap.connections:
        for side, pods, others in ((spans, conn.src, conn.dst), (into, conn.dst, conn.src)):
            nets = [ipaddress.ip_network(n) for n in others if n in external]
            for pod in pods:
                if pod not in external:
                    side.setdefault(pod, []).extend(
                        (n.version, int(n.network_address), int(n.broadcast_address), conn.allowed)
                        for n in nets
                    )

    def lookup(table: dict[str, list[tuple[int, int, int, PortSet]]], pod: str, ip: str) -> PortSet:
        address = ipaddress.ip_address(ip)
        found = PortSet.none()
        for version, lo, hi, allowed in table.get(pod, []):
            if version == address.version and lo <= int(address) <= hi:
                found = found | allowed
        return found

    rng = random.Random(7)
    pod_ips = {ip for p in cluster.pods for ip in p.ips}
    probes = [a for a in _probes(tmp_path / "policies.yaml", rng) if a not in pod_ips]
    pods = rng.sample([p.key for p in cluster.pods], 6)
    for pod in pods:
        for address in probes:
            assert lookup(spans, pod, address) == explain_flow(cluster, pod, address).allowed, (
                pod,
                address,
            )
            assert lookup(into, pod, address) == explain_flow(cluster, address, pod).allowed, (
                address,
                pod,
            )
