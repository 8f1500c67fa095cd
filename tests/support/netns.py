"""Real network namespaces for tests that load rulesets into a kernel and send packets.

``Topology`` builds, under names no other run shares, a *cluster* namespace (10.91.0.2/24,
fd00:91::2/64), a *firewall* namespace routing between it and two *outside* namespaces
(198.51.100.0/24 and 2001:db8:100::/64; 203.0.113.0/24 and 2001:db8:113::/64) with IPv4 and
IPv6 forwarding on, and veth pairs between them. Servers in the outside
namespaces listen on the TCP and UDP ports a test asks for (on every address it gives them);
``probe`` tries many flows at once from the cluster namespace (or, for flows coming in, from
an outside one to servers in the cluster namespace), with short timeouts, and says which got
through: a TCP connection accepted, or a UDP request answered.

Everything is torn down on exit (servers stopped, namespaces deleted), failure or not. It needs
root and iproute2; ``require_root_tools`` skips without them, except under CI where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

CLUSTER_ADDRESS = "10.91.0.2"
"""The cluster namespace's address (its pods and nodes, as the firewall sees them)."""
CLUSTER_GATEWAY = "10.91.0.1"
"""The firewall's address on the cluster side."""
OUTSIDE_NETWORKS = ("198.51.100", "203.0.113")
"""The /24s of the two outside namespaces (the firewall is .1 on each)."""
CLUSTER_ADDRESS6 = "fd00:91::2"
"""The cluster namespace's IPv6 address."""
CLUSTER_GATEWAY6 = "fd00:91::1"
"""The firewall's IPv6 address on the cluster side."""
OUTSIDE_NETWORKS6 = ("2001:db8:100", "2001:db8:113")
"""The /64s of the two outside namespaces (the firewall is ::1 on each); host N of an outside
namespace is ``NETWORK::N`` as well as ``NETWORK.N``."""

_SERVER = r"""
import socket, sys, threading
tcp, udp = [int(p) for p in sys.argv[1].split(",") if p], [int(p) for p in sys.argv[2].split(",") if p]
addresses = sys.argv[3].split(",")
def serve_tcp(s):
    while True:
        c, _ = s.accept(); c.close()
def serve_udp(s):
    while True:
        data, peer = s.recvfrom(2048); s.sendto(data, peer)
# One socket per address, so that a UDP answer leaves from the address the request went to
# (from the primary address, conntrack would take it for a new flow).
for address in addresses:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for port in tcp:
        s = socket.socket(family); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port)); s.listen(128)
        threading.Thread(target=serve_tcp, args=(s,), daemon=True).start()
    for port in udp:
        s = socket.socket(family, socket.SOCK_DGRAM); s.bind((address, port))
        threading.Thread(target=serve_udp, args=(s,), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"""

_PROBE = r"""
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
flows, timeout = json.loads(sys.argv[1]), float(sys.argv[2])
def attempt(flow):
    protocol, address, port = flow
    kind = socket.SOCK_STREAM if protocol == "TCP" else socket.SOCK_DGRAM
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, kind) as s:
        s.settimeout(timeout)
        try:
            if protocol == "TCP":
                s.connect((address, port)); return True
            s.sendto(b"probe", (address, port)); return s.recvfrom(64)[0] == b"probe"
        except OSError:
            return False
with ThreadPoolExecutor(max_workers=64) as pool:
    print(json.dumps(list(pool.map(attempt, flows))))
"""


@dataclass(frozen=True, order=True)
class Flow:
    """A connection attempt from the cluster namespace: protocol, destination, port."""

    protocol: str
    """``TCP`` or ``UDP``."""
    address: str
    """The destination address (in one of the outside namespaces)."""
    port: int
    """The destination port."""

    def __str__(self) -> str:
        return f"{self.protocol} {self.address}:{self.port}"


def require_root_tools(*tools: str) -> None:
    """Skip the test unless it runs as root with ``ip`` and ``tools``; fail instead under CI."""
    missing = [tool for tool in ("ip", *tools) if shutil.which(tool) is None]
    problem = None
    if os.geteuid() != 0:
        problem = "needs root (network namespaces)"
    elif missing:
        problem = f"required tools not installed: {', '.join(missing)}"
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem}; CI is set, so this is a failure, not a skip")
    pytest.skip(problem)


def run(*command: str, stdin: str | None = None) -> str:
    """Run a command, returning its output; an assertion error with its stderr if it fails."""
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"{' '.join(command)} failed: {done.stderr.strip()}"
    return done.stdout


@dataclass
class Topology:
    """cluster <-> firewall <-> outside, outside2: namespaces, links, routes, servers."""

    token: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    """What makes this run's names unique."""
    servers: list[subprocess.Popen[str]] = field(default_factory=list)
    """The server processes started (stopped on teardown)."""
    created: list[str] = field(default_factory=list)
    """The namespaces created so far (deleted on teardown)."""
    hosts: dict[int, list[str]] = field(default_factory=dict)
    """The addresses of each outside namespace."""

    @property
    def cluster(self) -> str:
        """The cluster namespace's name."""
        return f"nf{self.token}-cluster"

    @property
    def firewall(self) -> str:
        """The firewall namespace's name."""
        return f"nf{self.token}-fw"

    def outside(self, index: int) -> str:
        """The name of outside namespace ``index`` (0 or 1)."""
        return f"nf{self.token}-out{index}"

    def exec(self, namespace: str, *command: str, stdin: str | None = None) -> str:
        """Run a command inside a namespace."""
        return run("ip", "netns", "exec", namespace, *command, stdin=stdin)

    def build(self, outside_hosts: Sequence[Iterable[int]]) -> None:
        """Create the namespaces and links; outside ``i`` gets the host numbers given."""
        for namespace in (self.cluster, self.firewall, self.outside(0), self.outside(1)):
            run("ip", "netns", "add", namespace)
            self.created.append(namespace)
            self.exec(namespace, "ip", "link", "set", "lo", "up")
            # No duplicate detection on the links to come, so that IPv6 (link-local
            # addresses included, which neighbour discovery uses) works at once.
            for scope in ("all", "default"):
                self.exec(namespace, "sysctl", "-q", "-w", f"net.ipv6.conf.{scope}.accept_dad=0")
        self._link(
            self.cluster,
            f"v{self.token}c",
            [f"{CLUSTER_ADDRESS}/24", f"{CLUSTER_ADDRESS6}/64"],
            [f"{CLUSTER_GATEWAY}/24", f"{CLUSTER_GATEWAY6}/64"],
        )
        for index, (network, network6) in enumerate(
            zip(OUTSIDE_NETWORKS, OUTSIDE_NETWORKS6, strict=False)
        ):
            numbers = list(outside_hosts[index])
            self.hosts[index] = [f"{network}.{n}" for n in numbers]
            self.hosts[index] += [f"{network6}::{n}" for n in numbers]
            hosts = [f"{a}/{64 if ':' in a else 24}" for a in self.hosts[index]]
            gateway = [f"{network}.1/24", f"{network6}::1/64"]
            self._link(self.outside(index), f"v{self.token}{index}", hosts, gateway)
        self.exec(self.cluster, "ip", "route", "add", "default", "via", CLUSTER_GATEWAY)
        self.exec(self.cluster, "ip", "-6", "route", "add", "default", "via", CLUSTER_GATEWAY6)
        for index, (network, network6) in enumerate(
            zip(OUTSIDE_NETWORKS, OUTSIDE_NETWORKS6, strict=False)
        ):
            outside = self.outside(index)
            self.exec(outside, "ip", "route", "add", "default", "via", f"{network}.1")
            self.exec(outside, "ip", "-6", "route", "add", "default", "via", f"{network6}::1")
        self.exec(self.firewall, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        self.exec(self.firewall, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1")
        self._warm_up()

    def _warm_up(self) -> None:
        """Resolve every neighbour on the way out before any ruleset is loaded: IPv6
        neighbour discovery can outlast a probe's short timeout the first time."""
        closed = [Flow("TCP", address, 9) for hosts in self.hosts.values() for address in hosts]
        self.probe(closed, timeout=2.0)

    def _link(
        self, namespace: str, name: str, addresses: list[str], firewall_side: list[str]
    ) -> None:
        """A veth pair from ``namespace`` to the firewall, with addresses on both ends."""
        peer = f"{name}f"
        run(
            "ip",
            "link",
            "add",
            name,
            "netns",
            namespace,
            "type",
            "veth",
            "peer",
            "name",
            peer,
            "netns",
            self.firewall,
        )
        # nodad: an IPv6 address is usable at once, not after duplicate detection.
        for address in addresses:
            self.exec(namespace, "ip", "addr", "add", address, "dev", name, "nodad")
        for address in firewall_side:
            self.exec(self.firewall, "ip", "addr", "add", address, "dev", peer, "nodad")
        self.exec(namespace, "ip", "link", "set", name, "up")
        self.exec(self.firewall, "ip", "link", "set", peer, "up")

    def serve(self, index: int, tcp_ports: Iterable[int], udp_ports: Iterable[int]) -> None:
        """Start servers in outside namespace ``index`` on every one of its addresses."""
        self.serve_in(self.outside(index), self.hosts[index], tcp_ports, udp_ports)

    def serve_cluster(self, tcp_ports: Iterable[int], udp_ports: Iterable[int]) -> None:
        """Start servers in the cluster namespace, for flows coming in from outside."""
        self.serve_in(self.cluster, [CLUSTER_ADDRESS, CLUSTER_ADDRESS6], tcp_ports, udp_ports)

    def serve_in(
        self,
        namespace: str,
        addresses: Sequence[str],
        tcp_ports: Iterable[int],
        udp_ports: Iterable[int],
    ) -> None:
        """Start a server in ``namespace`` on each of ``addresses`` and ports."""
        command = [
            "ip",
            "netns",
            "exec",
            namespace,
            sys.executable,
            "-c",
            _SERVER,
            ",".join(map(str, tcp_ports)),
            ",".join(map(str, udp_ports)),
            ",".join(addresses),
        ]
        server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.servers.append(server)
        assert server.stdout is not None
        ready = server.stdout.readline().strip()
        assert ready == "ready", f"server in {namespace} did not start"

    def probe(
        self, flows: Sequence[Flow], timeout: float = 0.8, namespace: str | None = None
    ) -> set[Flow]:
        """The flows, tried all at once from ``namespace`` (the cluster's by default), that
        got through."""
        payload = json.dumps([[f.protocol, f.address, f.port] for f in flows])
        source = namespace if namespace is not None else self.cluster
        output = self.exec(source, sys.executable, "-c", _PROBE, payload, str(timeout))
        return {flow for flow, ok in zip(flows, json.loads(output), strict=True) if ok}

    def teardown(self) -> None:
        """Stop the servers this topology started and delete its namespaces."""
        for server in self.servers:
            server.kill()
            server.communicate(timeout=10)
        for namespace in reversed(self.created):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)


@contextmanager
def topology(outside_hosts: Sequence[Iterable[int]] = ((10,), (10,))) -> Iterator[Topology]:
    """A built topology, torn down however the block ends."""
    built = Topology()
    try:
        built.build(outside_hosts)
        yield built
    finally:
        built.teardown()
