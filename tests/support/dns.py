"""A real DNS server for tests: dnsmasq on loopback, answering only what a test tells it.

``start_dnsmasq(zone)`` runs ``dnsmasq --no-daemon`` on 127.0.0.1 at a free port with no
upstream, no hosts file and no configuration file, serving the zone's records:

- ``records``: exact names and their addresses (A for IPv4, AAAA for IPv6), as
  ``--host-record``; a name with only IPv4 addresses answers AAAA with no records (NODATA);
- ``txt_names``: names with only a TXT record, which exist but have no addresses (NODATA);
- ``cnames``: alias -> target, as ``--cname`` (the target must be one of ``records`` or
  another alias), so chains of any length can be served;
- ``local_domains``: domains dnsmasq answers for from its records alone, as ``--local``:
  an unknown name inside one gets NXDOMAIN (outside them, dnsmasq answers REFUSED);
- ``forwards``: domains asked of another server (``--server``), so that a CNAME can point
  at a name this server does not answer for itself (it then answers the CNAME alone);
- ``servfail_domains``: domains whose every name gets SERVFAIL. dnsmasq answers SERVFAIL when
  it cannot validate an answer, so these are forwarded, with DNSSEC validation on, to a second
  dnsmasq that serves them unsigned.

The ``dns_zone_server`` fixture factory starts one per call and stops them all at the end of
the test; ``require_dnsmasq()`` skips the test when dnsmasq is missing, but fails it when the
``CI`` environment variable is set (CI installs dnsmasq-base).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.query
import pytest

# A trust anchor for the root zone (the 2017 KSK's DS record, as published by IANA): any
# answer the unsigned local server gives then fails validation, which is what makes SERVFAIL.
ROOT_TRUST_ANCHOR = ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"


@dataclass(frozen=True)
class Zone:
    """What a test's DNS server answers."""

    records: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Exact names and their IPv4 and IPv6 addresses."""
    cnames: Mapping[str, str] = field(default_factory=dict)
    """Alias -> target."""
    txt_names: Sequence[str] = ()
    """Names with a TXT record only: they exist, with no addresses (NODATA for A and AAAA)."""
    local_domains: Sequence[str] = ()
    """Domains whose unknown names are NXDOMAIN."""
    servfail_domains: Sequence[str] = ()
    """Domains whose names are SERVFAIL."""
    forwards: Mapping[str, str] = field(default_factory=dict)
    """Domain -> ``HOST:PORT`` of another server that answers for it (``--server``)."""


@dataclass
class DnsServer:
    """A running dnsmasq."""

    host: str
    """The address it listens on."""
    port: int
    """The port it listens on (UDP and TCP)."""
    processes: list[subprocess.Popen[bytes]]
    """dnsmasq processes behind it (two when SERVFAIL domains need a validating front)."""

    @property
    def address(self) -> str:
        """``HOST:PORT``, as ``DNSResolver`` takes it."""
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop every dnsmasq process of this server and wait for it."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def require_dnsmasq() -> str:
    """The path of dnsmasq; skip when it is missing, unless CI is set, when fail."""
    found = shutil.which("dnsmasq")
    if found is not None:
        return found
    message = "dnsmasq is not installed (Debian package dnsmasq-base)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 at the time of asking."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port on 127.0.0.1")


def _base_arguments(dnsmasq: str, port: int) -> list[str]:
    return [
        dnsmasq,
        "--no-daemon",
        "--conf-file=/dev/null",
        f"--port={port}",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--pid-file=",
        "--log-facility=-",
    ]


def _zone_arguments(zone: Zone) -> list[str]:
    out = []
    # One --host-record per address: one record holds at most one IPv4 and one IPv6 address.
    for name, addresses in zone.records.items():
        out.extend(f"--host-record={name},{address}" for address in addresses)
    out.extend(f"--txt-record={name},netfence-test" for name in zone.txt_names)
    out.extend(f"--cname={alias},{target}" for alias, target in zone.cnames.items())
    out.extend(f"--local=/{domain}/" for domain in zone.local_domains)
    out.extend(
        f"--server=/{domain}/{server.replace(':', '#')}" for domain, server in zone.forwards.items()
    )
    return out


def _launch(arguments: list[str], port: int) -> subprocess.Popen[bytes]:
    """Start dnsmasq and wait until it answers on ``port``; an error with its output if not."""
    # Its log goes to a file, not a pipe: a pipe nobody reads would stall it once full.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT)
        if _answers(process, port):
            return process
        log.seek(0)
        output = log.read().decode(errors="replace")
    process.kill()
    process.wait()
    raise RuntimeError(f"dnsmasq did not start ({' '.join(arguments)}): {output}")


def _answers(process: subprocess.Popen[bytes], port: int) -> bool:
    """Whether dnsmasq answers on ``port`` within 10 s (False as soon as it exits)."""
    deadline = time.monotonic() + 10
    probe = dns.message.make_query("ready.invalid", "A")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            dns.query.udp(probe, "127.0.0.1", port=port, timeout=0.2)
        except dns.exception.Timeout:
            continue
        except OSError:
            time.sleep(0.05)
            continue
        return True
    return False


def start_dnsmasq(zone: Zone) -> DnsServer:
    """Start dnsmasq serving ``zone`` (two of them for SERVFAIL domains, see the module)."""
    dnsmasq = require_dnsmasq()
    processes: list[subprocess.Popen[bytes]] = []
    front = free_port()
    arguments = [*_base_arguments(dnsmasq, front), *_zone_arguments(zone)]
    try:
        if zone.servfail_domains:
            back = free_port()
            unsigned = Zone(
                records={f"www.{domain}": ["192.0.2.1"] for domain in zone.servfail_domains},
                local_domains=zone.servfail_domains,
            )
            processes.append(
                _launch([*_base_arguments(dnsmasq, back), *_zone_arguments(unsigned)], back)
            )
            arguments += [
                f"--server=127.0.0.1#{back}",
                "--dnssec",
                f"--trust-anchor={ROOT_TRUST_ANCHOR}",
                "--dnssec-check-unsigned",
            ]
        processes.append(_launch(arguments, front))
    except BaseException:
        DnsServer("127.0.0.1", front, processes).stop()
        raise
    return DnsServer("127.0.0.1", front, processes)


@contextlib.contextmanager
def running_dnsmasq(zone: Zone) -> Iterator[DnsServer]:
    """``start_dnsmasq(zone)`` for the duration of a ``with`` block."""
    server = start_dnsmasq(zone)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dns_zone_server() -> Iterator[Callable[[Zone], DnsServer]]:
    """``dns_zone_server(zone) -> DnsServer``: a dnsmasq per call, all stopped after the test."""
    started: list[DnsServer] = []

    def start(zone: Zone) -> DnsServer:
        server = start_dnsmasq(zone)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
