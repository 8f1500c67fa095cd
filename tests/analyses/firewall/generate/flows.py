"""Required flows the generator tests share: realistic Azure Arc catalog entries."""

from __future__ import annotations

from netfence.model.firewall import Destinations, RequiredFlow, TrafficDirection
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet

OUT = TrafficDirection.OUTBOUND
HTTPS = PortSet.of("TCP", 443)


def to_names(*names: str) -> Destinations:
    return Destinations(names=DomainPatternSet(names))


def to_addresses(*cidrs: str) -> Destinations:
    return Destinations(addresses=IPRangeSet.from_cidrs(cidrs))


def flow(entry, destinations, services=HTTPS, sources=None, direction=OUT):
    return RequiredFlow(direction, destinations, services, f"{entry} purpose", entry, sources)


MANAGEMENT = flow("arc-management", to_names("management.azure.com"))
HIS = flow("arc-his", to_names("*.his.arc.azure.com"))
CONFIG = flow("arc-config-dp", to_names("eastus.dp.kubernetesconfiguration.azure.com"))
NTP = flow("ntp", to_names("time.windows.com"), PortSet.of("UDP", 123))
RANGE = flow("policy-egress", to_addresses("203.0.113.0/24"), PortSet.of("TCP", 8084))

CATALOG = [MANAGEMENT, HIS, CONFIG, NTP, RANGE]
"""Names on HTTPS (one a wildcard), a name on UDP 123, and an address range on TCP 8084."""

ANSWERS = {
    "management.azure.com": ["20.37.158.1", "2603:1030:b00::1"],
    "eastus.dp.kubernetesconfiguration.azure.com": ["40.71.10.216"],
    "time.windows.com": ["51.145.123.29"],
}
"""What the catalog's exact names resolve to in these tests."""
