"""Measure the firewall engine (and ``check_firewalls``) at the issue's scale target.

The generated layer has ``--rules`` rules (5,000) over ``--groups`` service-tag-like prefix
groups of ``--prefixes`` prefixes each (50 x 1,000 = 50,000 prefixes), mixed with explicit
prefixes, names and wildcards, and ports; about one rule in ten denies. The required flows
are what a cluster of ``--pods`` pods needs: the Arc-like names, and the external egress its
policies allow (one address flow per hundred pods). Every run is seeded, so figures compare.

Usage::

    PYTHONPATH=src python benchmarks/firewall_bench.py [--rules 5000] [--groups 50] \
        [--prefixes 1000] [--pods 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from netfence.engine.firewall import FirewallSpace
from netfence.model.firewall import (
    Destinations,
    FirewallKind,
    FirewallLayer,
    FirewallMatch,
    FirewallRule,
    FirewallRuleOrigin,
    RequiredFlow,
    RuleStage,
    TrafficDirection,
)
from netfence.model.layers import Action
from netfence.sets.ipranges import IPRangeSet
from netfence.sets.names import DomainPatternSet
from netfence.sets.ports import PortSet

T = TypeVar("T")

CLUSTER = IPRangeSet.from_cidr("10.0.0.0/16")
PORTS = [443, 80, 8080, 8443, 53, 22, 3389, 5671, 5672, 9093, 1433, 5432]
ARC_NAMES = [
    "management.azure.com",
    "login.microsoftonline.com",
    "login.windows.net",
    "mcr.microsoft.com",
    "*.data.mcr.microsoft.com",
    "gbl.his.arc.azure.com",
    "*.his.arc.azure.com",
    "k8connecthelm.azureedge.net",
    "guestnotificationservice.azure.com",
    "*.guestnotificationservice.azure.com",
    "sts.windows.net",
    "k8sconnectcsp.azureedge.net",
    "*.servicebus.windows.net",
    "dl.k8s.io",
    "eastus.dp.kubernetesconfiguration.azure.com",
]


def groups(rng: random.Random, count: int, size: int) -> list[IPRangeSet]:
    """Service-tag-like groups: ``size`` /24../28 prefixes each, in public space."""
    out = []
    for g in range(count):
        cidrs = []
        for _ in range(size):
            first = rng.choice([20, 40, 52, 104, 13, 23, 51, 137, 168, 191]) + (g % 3)
            plen = rng.choice([24, 25, 26, 27, 28])
            host = rng.getrandbits(24) >> (plen - 8) << (plen - 8)
            cidrs.append(f"{first}.{host >> 16 & 255}.{host >> 8 & 255}.{host & 255}/{plen}")
        out.append(IPRangeSet.from_cidrs(cidrs))
    return out


def names(rng: random.Random, count: int) -> list[str]:
    """Names and wildcards under a few dozen domains."""
    domains = [f"svc{i}.example{i % 7}.com" for i in range(40)]
    out = []
    for i in range(count):
        domain = rng.choice(domains)
        out.append(f"*.{domain}" if i % 5 == 0 else f"h{i}.{domain}")
    return out


def pick(rng: random.Random, items: list[T], low: int, high: int) -> list[T]:
    """Between ``low`` and ``high`` distinct items."""
    return rng.sample(items, rng.randint(low, high))


def ports(rng: random.Random) -> PortSet:
    """One to three TCP ports, sometimes a range or UDP."""
    out = PortSet.none()
    for port in pick(rng, PORTS, 1, 3):
        out |= PortSet.of("UDP" if port == 53 else "TCP", port)
    if rng.random() < 0.05:
        out |= PortSet.of("TCP", 30000, 32767)
    return out


def layer(rng: random.Random, rules: int, tags: list[IPRangeSet]) -> FirewallLayer:
    """One Azure-Firewall-like layer: network rules on tag groups and prefixes, application
    rules on names, a tenth of them denies."""
    pool = names(rng, 600) + ARC_NAMES
    built = []
    subnets = [IPRangeSet.from_cidr(f"10.0.{i * 16}.0/20") for i in range(16)]
    for i in range(rules):
        kind = rng.random()
        sources = CLUSTER if rng.random() < 0.6 else rng.choice(subnets)
        if kind < 0.5:
            to = IPRangeSet.union_of(pick(rng, tags, 1, 2))
            destinations = Destinations(to)
            stage = RuleStage.NETWORK
        elif kind < 0.75:
            to = IPRangeSet.from_cidrs(
                f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24"
                for _ in range(rng.randint(1, 5))
            )
            destinations = Destinations(to)
            stage = RuleStage.NETWORK
        else:
            destinations = Destinations(names=DomainPatternSet(pick(rng, pool, 1, 4)))
            stage = RuleStage.APPLICATION
        built.append(
            FirewallRule(
                direction=TrafficDirection.OUTBOUND,
                action=Action.DENY if rng.random() < 0.1 else Action.ALLOW,
                match=FirewallMatch(sources, destinations, ports(rng)),
                origin=FirewallRuleOrigin("bench", FirewallKind.AZURE_FIREWALL, f"rules[{i}]"),
                stage=stage,
            )
        )
    # Network rules before application rules, as Azure Firewall processes them.
    built.sort(key=lambda r: r.stage is RuleStage.APPLICATION)
    return FirewallLayer("bench", FirewallKind.AZURE_FIREWALL, tuple(built))


def required(rng: random.Random, pods: int, tags: list[IPRangeSet]) -> list[RequiredFlow]:
    """The Arc names on TCP 443, and one egress flow per hundred pods to an address set."""
    out = [
        RequiredFlow(
            TrafficDirection.OUTBOUND,
            Destinations(names=DomainPatternSet([n])),
            PortSet.of("TCP", 443),
            reason=f"arc {n}",
            entry_id=n,
        )
        for n in ARC_NAMES
    ]
    for i in range(pods // 100):
        if rng.random() < 0.3:
            to = rng.choice(tags)
        else:
            to = IPRangeSet.from_cidr(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{i % 256}.0/24")
        out.append(
            RequiredFlow(
                TrafficDirection.OUTBOUND,
                Destinations(to),
                PortSet.of("TCP", rng.choice(PORTS)),
                reason=f"policy egress {i}",
            )
        )
    return out


def timed(label: str, work: Callable[[], T]) -> T:
    """Run ``work``, printing its wall time."""
    start = time.perf_counter()
    result = work()
    print(f"{label:<28} {time.perf_counter() - start:8.2f} s", file=sys.stderr)
    return result


def engine(fw: FirewallLayer, flows: list[RequiredFlow]) -> None:
    """Time the engine's parts one by one."""
    space = timed("build space", lambda: FirewallSpace.build([fw], flows, sources=[CLUSTER]))
    print(f"classes (src, dst, svc)      {space.shape}", file=sys.stderr)
    timed("walk", lambda: space.evaluation(0, TrafficDirection.OUTBOUND))
    timed("standings", lambda: space.standings(0))
    timed("required flows", lambda: [space.check_flow(f, 0, CLUSTER) for f in flows])


def main() -> None:
    """Generate, build, evaluate and check; print times and the peak resident size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--prefixes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--check-only", action="store_true", help="time check_firewalls alone (as the CLI runs)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    start = time.perf_counter()
    tags = timed("generate tag groups", lambda: groups(rng, args.groups, args.prefixes))
    fw = timed("generate layer", lambda: layer(rng, args.rules, tags))
    flows = timed("generate required flows", lambda: required(rng, args.pods, tags))
    begin = time.perf_counter()
    if not args.check_only:
        engine(fw, flows)
    try:
        from netfence.analyses.firewall.check import check_firewalls
    except ImportError:
        check_firewalls = None
    if check_firewalls is not None:
        findings = timed(
            "check_firewalls",
            lambda: check_firewalls(
                [fw], flows, cluster_sources=CLUSTER, gateway_in_use=False, gateway_url=None
            ),
        )
        print(f"findings                     {len(findings)}", file=sys.stderr)
    print(f"engine total                 {time.perf_counter() - begin:8.2f} s", file=sys.stderr)
    print(f"total                        {time.perf_counter() - start:8.2f} s", file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                     {peak:8.0f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
