"""Property: what NF021/NF022 call redundant can be removed without changing any verdict.

NetworkPolicy API reference, "NetworkPolicySpec": a pod's allowed traffic in a direction is the
union of the rules of every policy selecting it for that direction, and a pod is isolated in a
direction as long as one policy of that type selects it. So a rule (NF021) is removable when
other rules already allow all it allows, and a policy (NF022) when in addition other policies
keep isolating its pods. This test checks that promise literally: it deletes the item from the
manifests (as a user would) and compares each direction's verdict, computed rule by rule by
``explain_flow``, for every pair of pods and every probe address, before and after.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netfence.analyses.audit import run_audit
from netfence.engine.explain import explain_flow
from netfence.model.cluster import Cluster
from netfence.sets import PortSet
from netfence.sources.manifests import load_cluster_from_text
from tests.engine.random_clusters import PROBE_ADDRESSES, clusters

Verdicts = dict[tuple[str, str], tuple[PortSet, PortSet]]


@st.composite
def overlapping_clusters(draw: st.DrawFn) -> str:
    """A random cluster, often with a copy of one of its policies or rules added.

    Independent random policies rarely select the same pods or cover one another; moving
    policies to namespaces that hold pods, an empty podSelector on some, a renamed copy of a
    policy (keeping a random subset of its rules) and a repeated rule make redundancy, and
    near misses of it, common.
    """
    docs = list(yaml.safe_load_all(draw(clusters())))
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    pod_namespaces = sorted({d["metadata"]["namespace"] for d in docs if d["kind"] == "Pod"})
    for policy in policies:
        if draw(st.booleans()):
            policy["metadata"]["namespace"] = draw(st.sampled_from(pod_namespaces))
        if draw(st.integers(0, 2)) == 0:
            policy["spec"]["podSelector"] = {}  # selects every pod of its namespace
    if policies and draw(st.booleans()):
        copied = copy.deepcopy(draw(st.sampled_from(policies)))
        copied["metadata"]["name"] = "copy"
        for field in ("ingress", "egress"):
            rules = copied["spec"].get(field)
            if rules:
                keep = draw(st.lists(st.sampled_from(range(len(rules))), unique=True))
                copied["spec"][field] = [rules[i] for i in sorted(keep)]
        docs.append(copied)
    if policies and draw(st.booleans()):
        spec = draw(st.sampled_from(policies))["spec"]
        field = draw(st.sampled_from(["ingress", "egress"]))
        if spec.get(field):
            spec[field].append(copy.deepcopy(draw(st.sampled_from(spec[field]))))
    return yaml.safe_dump_all(docs, sort_keys=False)


def _verdicts(cluster: Cluster) -> Verdicts:
    """(egress allowed, ingress allowed) for every ordered pod pair and pod/probe pair."""
    pods = [p.key for p in cluster.pods]
    pod_ips = {ip for p in cluster.pods for ip in p.ips}
    probes = [a for a in PROBE_ADDRESSES if a not in pod_ips]
    out: Verdicts = {}
    for src in pods:
        for dst in [*pods, *probes]:
            flow = explain_flow(cluster, src, dst)
            out[(src, dst)] = (flow.egress.allowed, flow.ingress.allowed)
        for address in probes:
            flow = explain_flow(cluster, address, src)
            out[(address, src)] = (flow.egress.allowed, flow.ingress.allowed)
    return out


def _is_policy(doc: dict[str, Any], key: str) -> bool:
    meta = doc.get("metadata", {})
    kind = doc.get("kind")
    return kind == "NetworkPolicy" and f"{kind}/{meta['namespace']}/{meta['name']}" == key


def _without_rule(docs: list[dict[str, Any]], key: str, rule: str) -> str:
    """The manifests with ``spec.<direction>[i]`` of policy ``key`` deleted (nothing else)."""
    field, _, index = rule.removeprefix("spec.").rstrip("]").partition("[")
    edited = copy.deepcopy(docs)
    target = next(d for d in edited if _is_policy(d, key))
    del target["spec"][field][int(index)]
    return yaml.safe_dump_all(edited, sort_keys=False)


def _without_policy(docs: list[dict[str, Any]], key: str) -> str:
    """The manifests with policy ``key`` deleted."""
    return yaml.safe_dump_all([d for d in docs if not _is_policy(d, key)], sort_keys=False)


def _differences(before: Verdicts, after: Verdicts) -> list[str]:
    return [
        f"{flow}: egress {b[0].describe()} -> {after[flow][0].describe()}, "
        f"ingress {b[1].describe()} -> {after[flow][1].describe()}"
        for flow, b in before.items()
        if after[flow] != b
    ]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overlapping_clusters())
def test_removing_a_redundant_rule_or_policy_changes_no_verdict(manifests: str) -> None:
    """NF021 and NF022 soundness (API reference, NetworkPolicySpec: union of rules, isolation).

    Each item is removed alone: two rules that only cover each other are both reported, and
    either may go, but not both (see the NF021 duplicate-rule test).
    """
    cluster = load_cluster_from_text(manifests)
    docs = list(yaml.safe_load_all(manifests))
    report = run_audit(cluster, select=["NF021", "NF022"])
    if not report.findings:
        return
    before = _verdicts(cluster)
    for finding in report.findings:
        key = finding.evidence["policy"]
        if finding.check.check_id == "NF021":
            edited = _without_rule(docs, key, finding.evidence["rule"])
            what = f"NF021 {key} {finding.evidence['rule']}"
        else:
            edited = _without_policy(docs, key)
            what = f"NF022 {key}"
        changed = _differences(before, _verdicts(load_cluster_from_text(edited)))
        assert not changed, f"removing {what} changed:\n" + "\n".join(changed[:10])
