"""The findings JSON contract (docs/json-findings.md): keys, values and order."""

from __future__ import annotations

import dataclasses
import json
import random

from netfence.report.findings_json import render_json
from tests.report.conftest import CROWD

FINDING_KEYS = {
    "check_id",
    "title",
    "severity",
    "message",
    "resources",
    "affected_count",
    "affected_sample",
    "controls",
    "peers",
    "evidence",
    "remediation",
    "fix",
    "fingerprint",
    "cause",
    "affected",
}


def test_top_level(audit_report):
    document = json.loads(render_json(audit_report))
    assert list(document) == ["schema_version", "tool", "summary", "findings", "accepted"]
    assert document["schema_version"] == "2"
    assert document["tool"] == {"name": "netfence", "version": "9.9.9"}
    assert document["summary"] == {
        "critical": 1,
        "high": 1,
        "medium": 1,
        "low": 1,
        "info": 1,
        "total": 5,
        "accepted": 1,
        "checks": 5,
    }


def test_every_finding_has_the_contract_keys(audit_report):
    document = json.loads(render_json(audit_report))
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
        for resource in finding["resources"]:
            assert set(resource) == {"kind", "namespace", "name", "file", "line"}
    for entry in document["accepted"]:
        assert set(entry) == FINDING_KEYS | {"acceptance"}
        assert set(entry["acceptance"]) == {"reason", "expires", "file", "line"}


def test_values(audit_report):
    document = json.loads(render_json(audit_report))
    high = document["findings"][1]
    assert high["check_id"] == "NF-NP-001"
    assert high["severity"] == "high"
    assert high["resources"] == [
        {
            "kind": "Namespace",
            "namespace": None,
            "name": "shop",
            "file": "manifests/shop.yaml",
            "line": 1,
        }
    ]
    assert high["controls"] == [
        "CIS 5.3.2",
        "NSA-CISA Kubernetes Hardening Guidance: network separation",
    ]
    assert high["peers"] == {"checkov": ["CKV2_K8S_6"], "kubescape": ["C-0260"]}
    assert high["fix"].startswith("apiVersion: networking.k8s.io/v1\n")
    assert high["evidence"]["selected"] == 0
    assert len(high["fingerprint"]) == 32
    medium = document["findings"][2]
    assert (medium["check_id"], medium["severity"]) == ("NF-NP-001", "medium")  # the override
    assert medium["resources"][0]["file"] is None and medium["fix"] is None
    (accepted,) = document["accepted"]
    assert accepted["acceptance"] == {
        "reason": "Kept for the ops migration <ticket OPS-12> & rollback",
        "expires": "2026-06-30",
        "file": ".netfence-baseline.yaml",
        "line": 4,
    }


def test_order_is_deterministic(audit_report):
    expected = render_json(audit_report)
    document = json.loads(expected)
    keys = [
        (f["severity"], f["check_id"], f["resources"][0] if f["resources"] else None)
        for f in document["findings"]
    ]
    assert [k[0] for k in keys] == ["critical", "high", "medium", "low", "info"]
    rng = random.Random(7)
    for _ in range(5):
        findings = list(audit_report.findings)
        rng.shuffle(findings)
        shuffled = dataclasses.replace(audit_report, findings=tuple(findings))
        assert render_json(shuffled) == expected


def test_ties_break_on_resource_then_fingerprint(audit_report):
    grouped = audit_report.findings[-1]  # NF-NP-010 on shop/allow-all, affecting two workloads
    frontend, policy = grouped.affected[1], grouped.resources[0]
    base = dataclasses.replace(grouped, resources=(frontend, policy), cause=None, affected=())
    same_check = [
        dataclasses.replace(base, detail_key="b"),
        dataclasses.replace(base, resources=base.resources[1:]),  # NetworkPolicy/... sorts after
        dataclasses.replace(base, detail_key="a"),
    ]
    report = dataclasses.replace(audit_report, findings=tuple(same_check), accepted=())
    document = json.loads(render_json(report))
    firsts = [f["resources"][0]["kind"] for f in document["findings"]]
    assert firsts == ["Deployment", "Deployment", "NetworkPolicy"]
    fingerprints = [f["fingerprint"] for f in document["findings"][:2]]
    assert fingerprints == sorted(fingerprints)


def test_clean_report(clean_report):
    document = json.loads(render_json(clean_report))
    assert document["findings"] == [] and document["accepted"] == []
    assert document["summary"]["total"] == 0 and document["summary"]["checks"] == 3


def test_grouped_finding_keeps_every_workload_with_its_count_and_sample(crowded_report):
    """json-findings.md `affected`, `affected_count`, `affected_sample`: the JSON lists all
    twelve workloads, their count and the five the other reports show."""
    (finding,) = json.loads(render_json(crowded_report))["findings"]
    assert [r["name"] for r in finding["affected"]] == list(CROWD)
    assert finding["affected_count"] == 12
    assert finding["affected_sample"] == [f"Deployment/shop/{n}" for n in CROWD[:5]]
