"""``firewall check`` scales with the rules' sizes: a thousand rules over thousands of
service-tag prefixes take seconds (benchmarks/firewall_bench.py measures the issue's
5,000 rules and 50,000 prefixes)."""

from __future__ import annotations

import random
import time

from netfence.analyses.firewall.check import check_firewalls
from netfence.sets.ipranges import IPRangeSet
from tests.engine.firewall_builders import ALLOW, DENY, layer, required, rule, tcp

CLUSTER = IPRangeSet.from_cidr("10.0.0.0/16")


def _groups(rng: random.Random) -> list[IPRangeSet]:
    return [
        IPRangeSet.from_cidrs(
            f"{20 + g}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/{rng.choice([24, 26, 28])}"
            for _ in range(500)
        )
        for g in range(10)
    ]


def test_a_thousand_rules_on_thousands_of_prefixes_are_checked_in_seconds():
    rng = random.Random(7)
    groups = _groups(rng)
    names = [f"h{i}.svc{i % 20}.example.com" for i in range(200)] + ["*.svc3.example.com"]
    rules = []
    for i in range(1000):
        action = DENY if i % 10 == 0 else ALLOW
        ports = tcp(*rng.sample([22, 80, 443, 8080, 8443], 2))
        if i % 3 == 0:
            rules.append(rule(action, sources=CLUSTER, names=rng.sample(names, 2), services=ports))
        else:
            rules.append(rule(action, sources=CLUSTER, to=rng.choice(groups), services=ports))
    fw = layer(*rules)
    flows = [required(names=[n]) for n in names[:20]]
    flows += [required(to=rng.choice(groups), services=tcp(443)) for _ in range(20)]
    started = time.monotonic()
    findings = check_firewalls([fw], flows, cluster_sources=CLUSTER)
    assert time.monotonic() - started < 60  # about 0.5 s
    assert "NF102" in {f.check.check_id for f in findings}
