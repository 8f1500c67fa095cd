"""Reading address plans (docs/address-plan.md): what a valid plan becomes, and one InputError
naming the file, line and field path for every bad field."""

from __future__ import annotations

from pathlib import Path

import pytest

from netfence.errors import InputError
from netfence.model.address_plan import (
    AKS_ARC_DEFAULT_POD_CIDR,
    AKS_ARC_SERVICE_CIDR,
    Platform,
    Snat,
)
from netfence.sources.address_plan import (
    address_plan_template,
    is_address_plan,
    parse_address_plan,
    read_address_plan,
)

FIXTURES = Path(__file__).parent / "address_plans"
HEADER = "format: netfence.address-plan\nversion: 1\nname: site\n"
"""Lines 1-3 of every plan below: the body starts at line 4."""
LNET = """\
logical_networks:
  - name: lnet
    prefix: 10.0.0.0/24
    gateway: 10.0.0.1
    dns_servers: [10.0.0.2]
    ip_pools:
      - {start: 10.0.0.10, end: 10.0.0.50}
"""
"""Lines 4-10: one lnet, for the clusters that follow it."""


def refusal(body: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_address_plan(HEADER + body, "plan.yaml")
    return caught.value


# --- valid plans ----------------------------------------------------------------------------


def test_worked_example_reads_every_element():
    plan = read_address_plan(str(FIXTURES / "worked-example.yaml"))
    assert plan.name == "worked-example" and plan.platform is Platform.AKS_ARC
    lnet = plan.logical_network("aks-lnet")
    assert lnet is not None and lnet.vlan == 100 and lnet.gateway == "172.16.0.1"
    assert [str(p) for p in lnet.ip_pools] == ["172.16.0.10-172.16.0.25"]
    assert [c.nodes for c in plan.clusters] == [8, 4]
    assert plan.clusters[1].load_balancer_pool == "apps"
    assert plan.management is not None and plan.management.infrastructure_block is not None
    assert plan.management.infrastructure_block.size == 6
    assert plan.clusters[0].origin is not None and plan.clusters[0].origin.line == 17


def test_aks_arc_defaults_pod_and_service_cidrs():
    """AKS-IP: pod CIDR 10.244.0.0/16 unless --pod-cidr sets another; the service CIDR is
    fixed at 10.96.0.0/12."""
    plan = read_address_plan(str(FIXTURES / "worked-example.yaml"))
    assert plan.clusters[0].pod_cidrs == (AKS_ARC_DEFAULT_POD_CIDR,)
    assert plan.clusters[0].service_cidrs == (AKS_ARC_SERVICE_CIDR,)
    assert plan.snat is Snat.NODE


def test_dual_stack_json_plan():
    plan = read_address_plan(str(FIXTURES / "dual-stack.json"))
    assert plan.platform is Platform.ARC_KUBERNETES and plan.snat is Snat.NONE
    assert plan.clusters[0].pod_cidrs == ("10.244.0.0/16", "fd00:244::/56")
    assert plan.proxy is not None and ".svc" in plan.proxy.no_proxy_names()
    assert plan.private_endpoint_subnets[0].cidrs == ("10.200.5.0/24",)


def test_networks_only_plan_reads():
    plan = read_address_plan(str(FIXTURES / "networks-only.yaml"))
    assert plan.clusters == () and plan.data_networks[0].name == "workloads"


def test_arc_kubernetes_leaves_overlay_ranges_unknown_when_not_given():
    body = "platform: arc-kubernetes\nclusters:\n  - {name: c, control_plane_nodes: 1, worker_nodes: 0}\n"
    plan = parse_address_plan(HEADER + body, "plan.yaml")
    assert plan.clusters[0].pod_cidrs == () and plan.clusters[0].logical_network is None


def test_addresses_are_kept_canonical():
    body = LNET.replace("10.0.0.2]", "'FD00:0:0::2']")
    plan = parse_address_plan(HEADER + body, "plan.yaml")
    assert plan.logical_networks[0].dns_servers == ("fd00::2",)


def test_load_balancer_cidr_reads_as_its_first_to_last_address():
    body = LNET + "load_balancer_pools:\n  - {name: lb, ranges: [10.0.0.192/30]}\n"
    pool = parse_address_plan(HEADER + body, "plan.yaml").load_balancer_pools[0]
    assert str(pool.ranges[0]) == "10.0.0.192-10.0.0.195" and pool.size == 4


@pytest.mark.parametrize("platform", list(Platform))
def test_templates_read(platform):
    plan = parse_address_plan(address_plan_template(platform), "template.yaml")
    assert plan.platform is platform and plan.clusters


def test_is_address_plan_recognises_the_format_field():
    assert is_address_plan({"format": "netfence.address-plan", "version": 1})
    assert not is_address_plan({"apiVersion": "v1", "kind": "Pod"})
    assert not is_address_plan(["format"])
    assert not is_address_plan(None)


# --- one error per bad field ----------------------------------------------------------------

CLUSTER = "clusters:\n  - name: c\n    logical_network: lnet\n    control_plane_nodes: 1\n"
"""Lines 11-14 after LNET: a cluster, whose next field is line 15."""

BAD = [
    # (case, body, line, field, message fragment)
    ("unknown top field", "clustres: []\n", 4, "clustres", "did you mean 'clusters'?"),
    (
        "unknown nested field",
        LNET + "    gatway: 10.0.0.1\n",
        11,
        "logical_networks[0].gatway",
        "did you mean 'gateway'?",
    ),
    (
        "wrong type: list expected",
        "logical_networks: lnet\n",
        4,
        "logical_networks",
        "expected a list",
    ),
    ("wrong type: mapping expected", "clusters: [c]\n", 4, "clusters[0]", "expected a mapping"),
    (
        "missing prefix",
        "logical_networks:\n  - name: lnet\n",
        5,
        "logical_networks[0].prefix",
        "required",
    ),
    ("missing worker_nodes", LNET + CLUSTER, 12, "clusters[0].worker_nodes", "required"),
    (
        "missing lnet on aks-arc",
        "clusters:\n  - {name: c, control_plane_nodes: 1, worker_nodes: 1}\n",
        5,
        "clusters[0].logical_network",
        "required on platform aks-arc",
    ),
    (
        "host bits set",
        LNET.replace("10.0.0.0/24", "10.0.0.7/24"),
        6,
        "logical_networks[0].prefix",
        "host bits set: the network is 10.0.0.0/24",
    ),
    (
        "zone index",
        LNET.replace("gateway: 10.0.0.1", "gateway: 'fe80::1%eth0'"),
        7,
        "logical_networks[0].gateway",
        "zone",
    ),
    (
        "v4-mapped",
        LNET.replace("gateway: 10.0.0.1", "gateway: '::ffff:10.0.0.1'"),
        7,
        "logical_networks[0].gateway",
        "write the IPv4 address 10.0.0.1",
    ),
    (
        "leading zeros",
        LNET.replace("gateway: 10.0.0.1", "gateway: 10.0.0.01"),
        7,
        "logical_networks[0].gateway",
        "invalid IP address",
    ),
    (
        "bad CIDR",
        LNET.replace("10.0.0.0/24", "10.0.0.0/33"),
        6,
        "logical_networks[0].prefix",
        "at most 32",
    ),
    (
        "pool start after end",
        LNET.replace("end: 10.0.0.50", "end: 10.0.0.5"),
        10,
        "logical_networks[0].ip_pools[0].end",
        "comes before start",
    ),
    (
        "pool families differ",
        LNET.replace("end: 10.0.0.50", "end: 'fd00::5'"),
        10,
        "logical_networks[0].ip_pools[0].end",
        "is IPv6 but start",
    ),
    ("vlan 0", LNET + "    vlan: 0\n", 11, "logical_networks[0].vlan", "outside 1-4094"),
    ("vlan 4095", LNET + "    vlan: 4095\n", 11, "logical_networks[0].vlan", "outside 1-4094"),
    (
        "negative count",
        LNET + CLUSTER + "    worker_nodes: -1\n",
        15,
        "clusters[0].worker_nodes",
        "at least 0",
    ),
    (
        "non-integer count",
        LNET + CLUSTER + "    worker_nodes: 2.5\n",
        15,
        "clusters[0].worker_nodes",
        "expected an integer",
    ),
    (
        "count as string",
        LNET + CLUSTER + "    worker_nodes: '2'\n",
        15,
        "clusters[0].worker_nodes",
        "write it bare",
    ),
    (
        "no control-plane node",
        LNET + CLUSTER.replace("nodes: 1", "nodes: 0") + "    worker_nodes: 1\n",
        14,
        "clusters[0].control_plane_nodes",
        "at least 1",
    ),
    (
        "bool as string",
        LNET + "    shared_with_arc_vms: 'true'\n",
        11,
        "logical_networks[0].shared_with_arc_vms",
        "without quotes",
    ),
    (
        "duplicate lnet name",
        LNET + "  - {name: lnet, prefix: 10.1.0.0/24}\n",
        11,
        "logical_networks[1].name",
        "duplicate name 'lnet' (also at line 5)",
    ),
    (
        "unknown lnet",
        LNET
        + CLUSTER.replace("logical_network: lnet", "logical_network: lnte")
        + "    worker_nodes: 1\n",
        13,
        "clusters[0].logical_network",
        "unknown lnet 'lnte'",
    ),
    (
        "unknown lb pool",
        LNET + CLUSTER + "    worker_nodes: 1\n    load_balancer_pool: lb\n",
        16,
        "clusters[0].load_balancer_pool",
        "unknown load-balancer pool 'lb'",
    ),
    (
        "lb pool on unknown lnet",
        "load_balancer_pools:\n  - name: lb\n    logical_network: x\n    ranges: [10.0.0.0/30]\n",
        6,
        "load_balancer_pools[0].logical_network",
        "unknown lnet",
    ),
    (
        "two pod CIDRs of one family",
        LNET + CLUSTER + "    worker_nodes: 1\n    pod_cidr: [10.244.0.0/16, 10.245.0.0/16]\n",
        16,
        "clusters[0].pod_cidr[1]",
        "one per family",
    ),
    (
        "two service CIDRs of one family",
        LNET + CLUSTER + "    worker_nodes: 1\n    service_cidr: ['fd00::/108', 'fd01::/108']\n",
        16,
        "clusters[0].service_cidr[1]",
        "one per family",
    ),
    ("unsupported platform", "platform: aks\n" + LNET, 4, "platform", "expected one of: aks-arc"),
    ("unsupported snat", "snat: masquerade\n" + LNET, 4, "snat", "expected one of: node, none"),
    (
        "empty lb ranges",
        "load_balancer_pools:\n  - {name: lb, ranges: []}\n",
        5,
        "load_balancer_pools[0].ranges",
        "at least one range",
    ),
    (
        "lb range of a number",
        "load_balancer_pools:\n  - name: lb\n    ranges: [7]\n",
        6,
        "load_balancer_pools[0].ranges[0]",
        "expected a CIDR or a mapping",
    ),
    (
        "empty cidrs",
        "data_networks:\n  - {name: d, cidrs: []}\n",
        5,
        "data_networks[0].cidrs",
        "at least one CIDR",
    ),
    ("management without cidrs", "management: {vlan: 10}\n", 4, "management.cidrs", "required"),
    (
        "bad proxy URL",
        "proxy:\n  http_proxy: proxy:3128\n" + LNET,
        5,
        "proxy.http_proxy",
        "expected an http:// or https:// URL",
    ),
    (
        "comma list in no_proxy",
        "proxy:\n  no_proxy: ['.svc,10.96.0.0/12']\n" + LNET,
        5,
        "proxy.no_proxy[0]",
        "one entry per list item",
    ),
    (
        "no_proxy CIDR with host bits",
        "proxy:\n  no_proxy: [10.96.0.1/12]\n" + LNET,
        5,
        "proxy.no_proxy[0]",
        "the network is 10.96.0.0/12",
    ),
    (
        "empty name",
        "logical_networks:\n  - {name: ' ', prefix: 10.0.0.0/24}\n",
        5,
        "logical_networks[0].name",
        "must not be empty",
    ),
    ("nothing to check", "data_networks: []\n", 1, "(document)", "no clusters and no networks"),
]


@pytest.mark.parametrize(
    ("body", "line", "field", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_every_bad_field_is_one_error_with_line_and_path(body, line, field, fragment):
    error = refusal(body)
    assert error.location is not None and error.location.file == "plan.yaml"
    assert (error.location.line, error.field) == (line, field), str(error)
    assert fragment in error.message, str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        ("", 1, "", "empty address plan"),
        ("# only a comment\n", 1, "", "empty address plan"),
        (HEADER + "---\n" + HEADER, 5, "", "expected one document, found 2"),
        ("format: other\nversion: 1\nname: x\n", 1, "format", "unsupported format 'other'"),
        ("version: 1\nname: x\n", 1, "format", "required"),
        (HEADER.replace("version: 1", "version: 2"), 2, "version", "unsupported plan version 2"),
        (HEADER.replace("version: 1", "version: '1'"), 2, "version", "expected an integer"),
        (HEADER.replace("name: site\n", ""), 1, "name", "required"),
        ("- format: netfence.address-plan\n", 1, "(document)", "expected a mapping"),
    ],
)
def test_whole_document_refusals(text, line, field, fragment):
    with pytest.raises(InputError) as caught:
        parse_address_plan(text, "plan.yaml")
    error = caught.value
    assert error.location is not None and error.location.line == line, str(error)
    assert error.field == field and fragment in error.message, str(error)


def test_read_names_the_file(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"format: netfence.address-plan\nname: \xff\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_address_plan(str(path))


def test_no_proxy_entries_keep_names_and_canonical_addresses():
    """ARC-NET --proxy-skip-range holds CIDRs, addresses and names; a name may carry a port."""
    body = "proxy:\n  no_proxy: [.svc, 'FD00::1', 10.96.0.0/12, registry.local:5000]\n" + LNET
    plan = parse_address_plan(HEADER + body, "plan.yaml")
    assert plan.proxy is not None
    assert plan.proxy.no_proxy == (".svc", "fd00::1", "10.96.0.0/12", "registry.local:5000")


def test_a_kubernetes_manifest_is_named_as_not_a_plan():
    """The format is checked before the fields: a manifest given as a plan says so."""
    with pytest.raises(InputError) as caught:
        parse_address_plan("apiVersion: v1\nkind: Pod\n", "pod.yaml")
    assert caught.value.field == "format" and "an address plan says format" in caught.value.message


def test_hostile_yaml_is_refused_as_input():
    """The plan is read with the safe, bounded loader: no tag executes anything."""
    with pytest.raises(InputError):
        parse_address_plan(HEADER + "name2: !!python/object/apply:os.system [true]\n", "p.yaml")
