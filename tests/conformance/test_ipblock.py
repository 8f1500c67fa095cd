"""ipBlock peers and external (address range) endpoints."""

from __future__ import annotations

import ipaddress

from .helpers import (
    ALL,
    address_spans,
    connectivity,
    docs,
    external_containing,
    external_names,
    from_ip,
    labels,
    ns,
    pod,
    policy,
    tcp,
    to_ip,
)

CLIENT = labels(role="client")
SERVER = labels(app="server")


def _egress_to(*peers: dict[str, object], ports: list[dict[str, object]] | None = None) -> str:
    rule: dict[str, object] = {"to": list(peers)}
    if ports is not None:
        rule["ports"] = ports
    return policy("client-egress", "a", CLIENT, egress=[rule], types=["Egress"])


def test_ipblock_except_ipv4_egress() -> None:
    """IPBlock (API reference): cidr admits its addresses except those in the except list."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}),
            _egress_to(
                {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                ports=[{"port": 443}],
            ),
        )
    )
    assert to_ip(conn, "a/client", "10.2.3.4") == tcp(443)
    assert to_ip(conn, "a/client", "10.0.0.0") == tcp(443)
    assert to_ip(conn, "a/client", "10.255.255.255") == tcp(443)
    assert to_ip(conn, "a/client", "10.1.2.3") == {}
    assert to_ip(conn, "a/client", "10.1.255.255") == {}
    assert to_ip(conn, "a/client", "11.0.0.1") == {}
    assert to_ip(conn, "a/client", "8.8.8.8") == {}


def test_ipblock_except_ipv4_ingress() -> None:
    """IPBlock (API reference) as an ingress source: the except ranges are excluded."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}),
            policy(
                "server-ingress",
                "a",
                SERVER,
                ingress=[
                    {
                        "from": [
                            {"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.5.0/24"]}}
                        ]
                    }
                ],
            ),
        )
    )
    assert from_ip(conn, "192.168.4.1", "a/server") == ALL
    assert from_ip(conn, "192.168.5.1", "a/server") == {}
    assert from_ip(conn, "172.16.0.1", "a/server") == {}


def test_ipblock_except_ipv6() -> None:
    """IPBlock (API reference): cidr and except take IPv6 CIDRs too."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}),
            _egress_to(
                {"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}},
                ports=[{"port": 443}],
            ),
        )
    )
    assert to_ip(conn, "a/client", "2001:db8:2::1") == tcp(443)
    assert to_ip(conn, "a/client", "2001:db8:ffff::1") == tcp(443)
    assert to_ip(conn, "a/client", "2001:db8:1::1") == {}
    assert to_ip(conn, "a/client", "2001:db9::1") == {}
    assert to_ip(conn, "a/client", "10.0.0.1") == {}


def test_ipblock_matches_destination_pod_ip() -> None:
    """IPBlock (API reference) against pods: an address block also covers pods whose
    status.podIP lies in it; pods outside it or without a known IP are not matched."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}, ip="10.244.1.10"),
            pod("in", "a", {"app": "in"}, ip="10.244.2.20"),
            pod("out", "a", {"app": "out"}, ip="10.245.0.5"),
            pod("noip", "a", {"app": "noip"}),
            _egress_to({"ipBlock": {"cidr": "10.244.0.0/16"}}, ports=[{"port": 8080}]),
        )
    )
    assert conn[("a/client", "a/in")] == tcp(8080)
    assert ("a/client", "a/out") not in conn
    assert ("a/client", "a/noip") not in conn


def test_ipblock_matches_source_pod_ip() -> None:
    """IPBlock (API reference) as an ingress source: a pod whose status.podIP lies in the block
    is admitted; pods outside it (or in an except range) are not."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}, ip="10.244.9.9"),
            pod("c-in", "a", {"role": "client"}, ip="10.244.1.10"),
            pod("c-except", "a", {"role": "client"}, ip="10.244.1.200"),
            pod("c-out", "a", {"role": "client"}, ip="10.244.3.10"),
            pod("c-noip", "a", {"role": "client"}),
            policy(
                "server-ingress",
                "a",
                SERVER,
                ingress=[
                    {
                        "from": [
                            {"ipBlock": {"cidr": "10.244.1.0/24", "except": ["10.244.1.128/25"]}}
                        ]
                    }
                ],
            ),
        )
    )
    assert conn[("a/c-in", "a/server")] == ALL
    assert ("a/c-except", "a/server") not in conn
    assert ("a/c-out", "a/server") not in conn
    assert ("a/c-noip", "a/server") not in conn


def test_ipblock_matches_any_of_status_pod_ips() -> None:
    """IPBlock against dual-stack pods (Pod status.podIPs, API reference): a pod is matched when
    any of its addresses lies in the block, IPv6 included."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}),
            pod("dual", "a", {"app": "dual"}, ip=["10.244.2.20", "fd00:10:244:2::20"]),
            pod("v4only", "a", {"app": "v4only"}, ip="10.244.2.21"),
            _egress_to({"ipBlock": {"cidr": "fd00:10:244::/48"}}, ports=[{"port": 8080}]),
        )
    )
    assert conn[("a/client", "a/dual")] == tcp(8080)
    assert ("a/client", "a/v4only") not in conn


def test_ipblock_unnormalized_cidr_is_its_network() -> None:
    """IPBlock.cidr (API reference; legacy parsing of non-canonical CIDRs): a value with host
    bits set, such as 10.244.1.7/16, stands for its whole network 10.244.0.0/16."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}),
            pod("far", "a", {"app": "far"}, ip="10.244.200.3"),
            pod("outside", "a", {"app": "outside"}, ip="10.245.0.1"),
            _egress_to({"ipBlock": {"cidr": "10.244.1.7/16"}}, ports=[{"port": 443}]),
        )
    )
    assert conn[("a/client", "a/far")] == tcp(443)
    assert ("a/client", "a/outside") not in conn
    assert to_ip(conn, "a/client", "10.244.99.1") == tcp(443)
    assert to_ip(conn, "a/client", "10.245.0.9") == {}


def test_external_endpoint_is_whole_address_space_without_ipblocks() -> None:
    """NetworkPolicySpec (API reference): pods with no policy are open to the outside world;
    with no ipBlock anywhere the outside is one endpoint per family, 0.0.0.0/0 and ::/0."""
    conn = connectivity(docs(ns("a"), pod("open", "a", {"app": "open"})))
    assert conn[("a/open", "0.0.0.0/0")] == ALL
    assert conn[("0.0.0.0/0", "a/open")] == ALL
    assert conn[("a/open", "::/0")] == ALL
    assert conn[("::/0", "a/open")] == ALL


def _split_fixture() -> str:
    return docs(
        ns("a"),
        pod("open", "a", {"app": "open"}),
        pod("client", "a", {"role": "client"}),
        policy(
            "client-egress",
            "a",
            CLIENT,
            egress=[
                {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]},
                {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]},
            ],
            types=["Egress"],
        ),
    )


def test_external_ranges_are_cidrs_split_at_ipblock_edges() -> None:
    """IPBlock (API reference): the outside world is told apart only at the edges of ipBlock
    cidr/except ranges; external endpoints are named by canonical ipBlock-shaped terms
    (``CIDR`` or ``CIDR except A, B``, docs/json-connectivity.md version 2) and each address
    gets exactly what the policies allow it."""
    conn = connectivity(_split_fixture())
    names = external_names(conn)
    assert names
    for name in names:
        cidr, _, excepts = name.partition(" except ")
        net = ipaddress.ip_network(cidr, strict=True)
        assert str(net) == cidr, name
        for carved in excepts.split(", ") if excepts else []:
            assert str(ipaddress.ip_network(carved, strict=True)) == carved, name
            assert ipaddress.ip_network(carved).subnet_of(net), name
    assert conn[("a/client", "203.0.113.0/24")] == tcp(443)
    assert to_ip(conn, "a/client", "10.2.0.1") == ALL
    assert to_ip(conn, "a/client", "10.0.0.1") == ALL
    assert to_ip(conn, "a/client", "10.1.0.1") == {}
    assert to_ip(conn, "a/client", "203.0.113.77") == tcp(443)
    assert to_ip(conn, "a/client", "203.0.114.1") == {}
    assert to_ip(conn, "a/client", "8.8.8.8") == {}
    for ip in ("10.2.0.1", "10.1.0.1", "8.8.8.8", "203.0.113.77", "169.254.169.254", "2001::1"):
        assert to_ip(conn, "a/open", ip) == ALL, ip
        assert from_ip(conn, ip, "a/open") == ALL, ip
        assert from_ip(conn, ip, "a/client") == ALL, ip


def test_external_endpoints_are_the_ipblocks_as_written() -> None:
    """IPBlock (API reference): a cidr less its excepts is one external endpoint, written as
    the policy writes it (docs/json-connectivity.md, version 2: one term, not the CIDRs that
    make it up); the names one pod reaches are disjoint, and the unisolated pod reaches the
    whole of 0.0.0.0/0 as one endpoint."""
    conn = connectivity(_split_fixture())
    reached = sorted(d for s, d in conn if s == "a/client")
    assert reached == ["10.0.0.0/8 except 10.1.0.0/16", "203.0.113.0/24"]
    spans = sorted(span for name in reached for span in address_spans(name) or [])
    for (_, _, hi1), (_, lo2, _) in zip(spans, spans[1:], strict=False):
        assert hi1 < lo2, f"external endpoints overlap: {reached}"
    assert conn[("a/client", "10.0.0.0/8 except 10.1.0.0/16")] == ALL
    assert conn[("a/open", "0.0.0.0/0")] == ALL
    for ip in ("10.2.0.1", "10.1.0.1", "8.8.8.8", "203.0.113.77", "169.254.169.254"):
        assert "0.0.0.0/0" in external_containing(conn, ip), ip
