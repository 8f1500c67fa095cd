"""Fixtures of the findings renderer tests: hand-built audit reports and a fixed version.

``audit_report`` has every shape a renderer must handle: severities from critical to info, a
finding one rule causes on two workloads (with a cause and affected workloads), a
per-finding severity override, checks with and without controls and peers, resources read from a
file and line, and only referenced (no file), a finding with no resource, nested and
long evidence, a generated fix, a message full of characters that need escaping, a file name with
a blank, a clean check, and one finding accepted by a baseline. ``clean_report`` has checks but
no findings.
"""

from __future__ import annotations

import datetime
from typing import Final

import pytest

import netfence
from netfence.analyses.audit import run_audit
from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.model.findings import (
    Cause,
    CheckId,
    CheckInfo,
    Finding,
    ResourceRef,
    Severity,
)
from netfence.model.origin import FileOrigin
from tests.analyses.builders import cluster, deployment, policy

TEST_VERSION = "9.9.9"
"""The version every golden file names, whatever the package's real version."""


@pytest.fixture(autouse=True)
def fixed_version(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pin ``netfence.__version__`` so that golden files do not change with releases."""
    monkeypatch.setattr(netfence._version, "__version__", TEST_VERSION)
    return TEST_VERSION


DEFAULT_DENY = CheckInfo(
    check_id=CheckId("NF-NP-001"),
    title="Namespace has no default-deny ingress policy",
    severity=Severity.HIGH,
    description="Every pod of the namespace accepts ingress from anywhere until a policy selects it.",
    remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress] to the namespace.",
    controls=("CIS 5.3.2", "NSA-CISA Kubernetes Hardening Guidance: network separation"),
    peers={"kubescape": ("C-0260",), "checkov": ("CKV2_K8S_6",)},
)
INTERNET_INGRESS = CheckInfo(
    check_id=CheckId("NF-NP-010"),
    title="Workload reachable from the internet",
    severity=Severity.CRITICAL,
    description="An ingress rule admits 0.0.0.0/0 (or ::/0) to the workload's pods.",
    remediation="Narrow the ipBlock to the addresses that need access, or route through an ingress controller.",
    controls=("NIST SP 800-190 4.4.2",),
)
EMPTY_SELECTION = CheckInfo(
    check_id=CheckId("NF-NP-020"),
    title="Policy selects no pods",
    severity=Severity.LOW,
    description="The policy's podSelector matches no pod of the input, so it has no effect.",
    remediation="Fix the selector's labels, or delete the policy.",
)
SHADOWED_RULE = CheckInfo(
    check_id=CheckId("NF-NP-030"),
    title="Rule shadowed by another rule",
    severity=Severity.INFO,
    description="Every connection the rule allows is already allowed by another rule.",
    remediation="Remove the shadowed rule.",
    peers={"nca": ("redundancy",)},
)
METADATA_EGRESS = CheckInfo(
    check_id=CheckId("NF-NP-040"),
    title="Egress to the cloud metadata address allowed",
    severity=Severity.MEDIUM,
    description="Pods may reach 169.254.169.254, where cloud credentials are served.",
    remediation="Add an except entry for 169.254.169.254/32 to the egress ipBlock.",
    controls=("CIS 5.3.2",),
)

FIX_YAML = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


def _audit_report() -> AuditReport:
    shop_yaml = "manifests/shop.yaml"
    frontend = ResourceRef("Deployment", "shop", "frontend", FileOrigin(shop_yaml, 2, 12))
    backend = ResourceRef("Deployment", "shop", "backend", FileOrigin(shop_yaml, 3, 30))
    allow_all_rule = ResourceRef("NetworkPolicy", "shop", "allow-all", FileOrigin(shop_yaml, 4, 47))
    shop = ResourceRef("Namespace", None, "shop", FileOrigin(shop_yaml, 1, 1))
    ops = ResourceRef("Namespace", None, "ops")  # only referenced, read from no file
    legacy = ResourceRef("NetworkPolicy", "ops", "legacy", FileOrigin("manifests/ops.yaml", 1, 3))
    lab_yaml = FileOrigin("manifests/legacy policies/lab.yaml", 1, 1)
    odd = ResourceRef("NetworkPolicy", "lab", "a|b", lab_yaml)
    findings = (
        Finding(
            check=INTERNET_INGRESS,
            message=(
                "NetworkPolicy/shop/allow-all spec.ingress[0] exposes 2 workloads in shop to "
                "0.0.0.0/0 on TCP 443 and 8080: backend, frontend."
            ),
            resources=(allow_all_rule,),
            evidence={
                "sources": ["0.0.0.0/0"],
                "ports": ["TCP 443", "TCP 8080"],
                "rule": {"policy": "shop/allow-all", "path": "spec.ingress[0]"},
            },
            cause=Cause(allow_all_rule, "spec.ingress[0]"),
            affected=(backend, frontend),
        ),
        Finding(
            check=DEFAULT_DENY,
            message="Namespace shop has 12 pods and no policy denies their ingress by default.",
            resources=(shop,),
            evidence={
                "pods": [f"shop/web-{i}" for i in range(12)],
                "selected": 0,
                "dry_run": False,
            },
            fix=FIX_YAML,
        ),
        Finding(
            check=DEFAULT_DENY,
            message="Namespace ops has no pods yet and no default-deny ingress policy.",
            resources=(ops,),
            evidence={"pods": []},
            severity=Severity.MEDIUM,
        ),
        Finding(
            check=EMPTY_SELECTION,
            message='Policy lab/a|b selects <no pods> & "nothing" matches app=x|y.',
            resources=(odd,),
            evidence={"selector": {"matchLabels": {"app": "x|y"}}},
        ),
        Finding(
            check=SHADOWED_RULE,
            message="A rule repeats another.\nSecond line of the message.",
            resources=(),
            evidence={
                "note": "a long explanation " * 10,
                "ranges": {f"10.{i}.0.0/16": i for i in range(13)},
            },
            detail_key="spec.ingress[1]",
        ),
    )
    accepted = (
        (
            Finding(
                check=EMPTY_SELECTION,
                message="Policy ops/legacy selects no pods.",
                resources=(legacy,),
                evidence={"selector": {"matchLabels": {"app": "gone"}}},
            ),
            Acceptance(
                check_id="NF-NP-020",
                resource="NetworkPolicy/ops/legacy",
                reason="Kept for the ops migration <ticket OPS-12> & rollback",
                expires=datetime.date(2026, 6, 30),
                file=".netfence-baseline.yaml",
                line=4,
            ),
        ),
    )
    checks = (DEFAULT_DENY, INTERNET_INGRESS, EMPTY_SELECTION, SHADOWED_RULE, METADATA_EGRESS)
    # Standing findings in an order other than the renderers', to show that they sort.
    return AuditReport(
        findings=tuple(reversed(findings)),
        accepted=accepted,
        checks=checks,
        inputs=("manifests/legacy policies/lab.yaml", "manifests/ops.yaml", "manifests/shop.yaml"),
    )


@pytest.fixture
def audit_report() -> AuditReport:
    """A report with findings of every severity, an override, and one accepted finding."""
    return _audit_report()


@pytest.fixture
def clean_report() -> AuditReport:
    """A report whose checks found nothing."""
    return AuditReport(
        findings=(),
        accepted=(),
        checks=(DEFAULT_DENY, INTERNET_INGRESS, METADATA_EGRESS),
        inputs=("manifests/shop.yaml",),
    )


CROWD: Final = tuple(f"web-{i:02d}" for i in range(12))
"""Twelve workloads of shop that one `ingress: [{}]` exposes to the Internet."""


@pytest.fixture
def crowded_report() -> AuditReport:
    """A real audit (NF008) in which one rule affects twelve workloads: one grouped finding."""
    objects = [*(deployment("shop", n) for n in CROWD), policy("shop", "open", ingress=[{}])]
    return run_audit(cluster(*objects), select=["NF008"])
