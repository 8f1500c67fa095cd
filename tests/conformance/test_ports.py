"""NetworkPolicyPort: numbers, names, ranges and protocols."""

from __future__ import annotations

from .helpers import FULL, connectivity, docs, labels, ns, pod, policy, tcp, to_ip, udp

CLIENT = labels(role="client")


def _server_policy(ports: list[dict[str, object]], select: str = "server") -> str:
    return policy(
        f"{select}-ingress",
        "a",
        labels(app=select),
        ingress=[{"from": [{"podSelector": CLIENT}], "ports": ports}],
    )


def test_port_by_number() -> None:
    """NetworkPolicyPort.port (API reference): a number admits exactly that port, TCP by
    default."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}),
            pod("client", "a", {"role": "client"}),
            _server_policy([{"port": 80}]),
        )
    )
    assert conn[("a/client", "a/server")] == {"TCP": [(80, 80)]}


def test_several_port_entries_are_ored() -> None:
    """NetworkPolicyIngressRule.ports (API reference): the entries are combined with OR."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}),
            pod("client", "a", {"role": "client"}),
            _server_policy([{"port": 80}, {"port": 443}, {"port": 53, "protocol": "UDP"}]),
        )
    )
    assert conn[("a/client", "a/server")] == {"TCP": [(80, 80), (443, 443)], "UDP": [(53, 53)]}


def test_named_port_ingress_resolves_per_destination_pod() -> None:
    """NetworkPolicyPort.port (API reference): a named port is looked up among the container
    ports of each selected (destination) pod, so the same name can mean different numbers."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("s1", "a", {"app": "server"}, ports=[("http", 8080, "TCP")]),
            pod(
                "s2", "a", {"app": "server"}, ports=[("http", 9090, "TCP"), ("admin", 9091, "TCP")]
            ),
            pod("s3", "a", {"app": "server"}, ports=[("web", 8080, "TCP")]),
            pod("client", "a", {"role": "client"}),
            _server_policy([{"port": "http"}]),
        )
    )
    assert conn[("a/client", "a/s1")] == tcp(8080)
    assert conn[("a/client", "a/s2")] == tcp(9090)
    assert ("a/client", "a/s3") not in conn


def test_named_port_egress_resolves_on_destination_peer() -> None:
    """NetworkPolicyEgressRule.ports (API reference): for egress the named port is resolved on
    the destination pod (the peer), not on the pod the policy selects."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}, ports=[("http", 1111, "TCP")]),
            pod("d1", "a", {"app": "d1"}, ports=[("http", 8080, "TCP")]),
            pod("d2", "a", {"app": "d2"}, ports=[("http", 9090, "TCP")]),
            pod("d3", "a", {"app": "d3"}, ports=[("metrics", 9100, "TCP")]),
            policy(
                "client-egress",
                "a",
                CLIENT,
                egress=[{"to": [{"podSelector": {}}], "ports": [{"port": "http"}]}],
                types=["Egress"],
            ),
        )
    )
    assert conn[("a/client", "a/d1")] == tcp(8080)
    assert conn[("a/client", "a/d2")] == tcp(9090)
    assert ("a/client", "a/d3") not in conn


def test_named_port_allows_nothing_to_external_addresses() -> None:
    """NetworkPolicyPort.port (API reference): a named port is a port on a pod; an address
    outside the cluster declares no ports, so a named-port egress rule admits nothing there."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}),
            policy(
                "client-egress",
                "a",
                CLIENT,
                egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "https"}]}],
                types=["Egress"],
            ),
        )
    )
    assert to_ip(conn, "a/client", "203.0.113.5") == {}


def test_named_port_ingress_matches_name_and_protocol() -> None:
    """NetworkPolicyPort (API reference): traffic must match the protocol AND the port; a named
    port resolves only to a container port with that name and that protocol (TCP default)."""
    dns_ports = [("dns", 5353, "UDP"), ("dns-tcp", 5353, "TCP")]
    conn = connectivity(
        docs(
            ns("a"),
            pod("tcp-default", "a", {"app": "tcp-default"}, ports=dns_ports),
            pod("udp", "a", {"app": "udp"}, ports=dns_ports),
            pod("metrics", "a", {"app": "metrics"}, ports=[("metrics", 9100, "TCP")]),
            pod("client", "a", {"role": "client"}),
            _server_policy([{"port": "dns"}], select="tcp-default"),
            _server_policy([{"port": "dns", "protocol": "UDP"}], select="udp"),
            _server_policy([{"port": "metrics", "protocol": "UDP"}], select="metrics"),
        )
    )
    assert ("a/client", "a/tcp-default") not in conn
    assert conn[("a/client", "a/udp")] == udp(5353)
    assert ("a/client", "a/metrics") not in conn


def test_named_port_egress_matches_name_and_protocol() -> None:
    """NetworkPolicyPort (API reference) in an egress rule: the destination's container port
    must carry the name with the rule's protocol."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("client", "a", {"role": "client"}),
            pod("dns-udp", "a", {"app": "dns-udp"}, ports=[("dns", 53, "UDP")]),
            pod("dns-tcp", "a", {"app": "dns-tcp"}, ports=[("dns", 53, "TCP")]),
            policy(
                "client-egress",
                "a",
                CLIENT,
                egress=[
                    {"to": [{"podSelector": {}}], "ports": [{"port": "dns", "protocol": "UDP"}]}
                ],
                types=["Egress"],
            ),
        )
    )
    assert conn[("a/client", "a/dns-udp")] == udp(53)
    assert ("a/client", "a/dns-tcp") not in conn


def test_undeclared_named_port_allows_nothing() -> None:
    """NetworkPolicyPort.port (API reference): a name no container of the destination declares
    resolves to no port; the rule admits nothing, while the pod stays isolated."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}, ports=[("web", 80, "TCP")]),
            pod("client", "a", {"role": "client"}),
            _server_policy([{"port": "http"}]),
        )
    )
    assert ("a/client", "a/server") not in conn


def test_end_port_range_is_inclusive() -> None:
    """NetworkPolicyPort.endPort (API reference): port..endPort inclusive, for the entry's
    protocol; endPort equal to port is the single port."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("server", "a", {"app": "server"}),
            pod("client", "a", {"role": "client"}),
            _server_policy(
                [
                    {"port": 32000, "endPort": 32768},
                    {"port": 80, "endPort": 80},
                    {"port": 5000, "endPort": 5010, "protocol": "UDP"},
                ]
            ),
        )
    )
    assert conn[("a/client", "a/server")] == {
        "TCP": [(80, 80), (32000, 32768)],
        "UDP": [(5000, 5010)],
    }


def test_protocol_defaults_to_tcp_and_accepts_udp_and_sctp() -> None:
    """NetworkPolicyPort.protocol (API reference): TCP, UDP or SCTP; TCP when omitted."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("s-default", "a", {"app": "s-default"}),
            pod("s-tcp", "a", {"app": "s-tcp"}),
            pod("s-udp", "a", {"app": "s-udp"}),
            pod("s-sctp", "a", {"app": "s-sctp"}),
            pod("client", "a", {"role": "client"}),
            _server_policy([{"port": 7000}], select="s-default"),
            _server_policy([{"port": 7000, "protocol": "TCP"}], select="s-tcp"),
            _server_policy([{"port": 7000, "protocol": "UDP"}], select="s-udp"),
            _server_policy([{"port": 7000, "protocol": "SCTP"}], select="s-sctp"),
        )
    )
    assert conn[("a/client", "a/s-default")] == {"TCP": [(7000, 7000)]}
    assert conn[("a/client", "a/s-tcp")] == {"TCP": [(7000, 7000)]}
    assert conn[("a/client", "a/s-udp")] == {"UDP": [(7000, 7000)]}
    assert conn[("a/client", "a/s-sctp")] == {"SCTP": [(7000, 7000)]}


def test_protocol_only_entry_means_all_ports_of_that_protocol() -> None:
    """NetworkPolicyPort.port (API reference): when port is absent the entry matches every port
    of its protocol; an entry with neither field is all TCP ports."""
    conn = connectivity(
        docs(
            ns("a"),
            pod("s-udp", "a", {"app": "s-udp"}),
            pod("s-sctp", "a", {"app": "s-sctp"}),
            pod("s-empty", "a", {"app": "s-empty"}),
            pod("client", "a", {"role": "client"}),
            _server_policy([{"protocol": "UDP"}], select="s-udp"),
            _server_policy([{"protocol": "SCTP"}], select="s-sctp"),
            _server_policy([{}], select="s-empty"),
        )
    )
    assert conn[("a/client", "a/s-udp")] == {"UDP": FULL}
    assert conn[("a/client", "a/s-sctp")] == {"SCTP": FULL}
    assert conn[("a/client", "a/s-empty")] == {"TCP": FULL}
