"""Address plans for the checks' tests, built as data and read through the real reader."""

from __future__ import annotations

import copy
import json
from typing import Any

from netfence.analyses.address_plan import check_address_plan
from netfence.model.address_plan import AddressPlan
from netfence.model.findings import Finding
from netfence.sources.address_plan import parse_address_plan


def worked_example() -> dict[str, Any]:
    """AKS-IP's worked example: 2 clusters (3 + 5 and 1 + 3 nodes), auto control-plane IPs,
    3 LoadBalancer Services: 16 pool addresses and 3 load-balancer addresses, exactly."""
    return {
        "format": "netfence.address-plan",
        "version": 1,
        "name": "site",
        "logical_networks": [
            {
                "name": "aks",
                "prefix": "172.16.0.0/24",
                "gateway": "172.16.0.1",
                "dns_servers": ["172.16.10.10"],
                "ip_pools": [{"start": "172.16.0.10", "end": "172.16.0.25"}],
            }
        ],
        "clusters": [
            {"name": "big", "logical_network": "aks", "control_plane_nodes": 3, "worker_nodes": 5},
            {
                "name": "small",
                "logical_network": "aks",
                "control_plane_nodes": 1,
                "worker_nodes": 3,
                "load_balancer_services": 3,
                "load_balancer_pool": "apps",
            },
        ],
        "load_balancer_pools": [
            {
                "name": "apps",
                "logical_network": "aks",
                "ranges": [{"start": "172.16.0.200", "end": "172.16.0.202"}],
            }
        ],
        "management": {
            "cidrs": ["172.16.10.0/24"],
            "infrastructure_block": {"start": "172.16.10.100", "end": "172.16.10.105"},
            "cluster_ip": "172.16.10.20",
        },
    }


def read(data: dict[str, Any]) -> AddressPlan:
    return parse_address_plan(json.dumps(data, indent=1), "plan.json")


def findings(data: dict[str, Any], check_id: str | None = None, cluster=None) -> list[Finding]:
    found = check_address_plan(read(data), cluster)
    return [f for f in found if check_id is None or f.check.check_id == check_id]


def edited(**changes: Any) -> dict[str, Any]:
    """The worked example with top-level fields replaced (None removes one)."""
    data = copy.deepcopy(worked_example())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data
