"""Findings whose resources were read from a cluster's API or an export, in every format.

No source yields such origins yet, so the findings are built by hand: an API object with and
without a resourceVersion, an export rule, and a finding mixing them with a file origin.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from netfence.analyses.audit.report import AuditReport
from netfence.model.findings import Finding, ResourceRef
from netfence.model.origin import APIObjectOrigin, ExportOrigin, FileOrigin
from netfence.report.findings_json import render_json
from netfence.report.findings_markdown import render_markdown
from netfence.report.findings_text import format_origin, format_resource, render_text
from netfence.report.junit import render_junit
from netfence.report.sarif import render_sarif

from .conftest import DEFAULT_DENY, EMPTY_SELECTION, INTERNET_INGRESS
from .test_json import FINDING_KEYS
from .test_sarif import _multitool_problems, _require_multitool, _validate

API = APIObjectOrigin("NetworkPolicy", "prod", "allow-web", "123")
NAMESPACE = APIObjectOrigin("Namespace", None, "prod")
EXPORT = ExportOrigin("exports/nsg.json", "$.securityRules[3]")
FILE = FileOrigin("manifests/prod.yaml", 2, 7)

POLICY = ResourceRef("NetworkPolicy", "prod", "allow-web", API)
PROD = ResourceRef("Namespace", None, "prod", NAMESPACE)
RULE = ResourceRef("SecurityRule", None, "allow-web-443", EXPORT)
WEB = ResourceRef("Deployment", "prod", "web", FILE)

POLICY_TEXT = "NetworkPolicy prod/allow-web (API server, resourceVersion 123)"
PROD_TEXT = "Namespace prod (API server)"
RULE_TEXT = "SecurityRule allow-web-443 (exports/nsg.json: $.securityRules[3])"
WEB_TEXT = "Deployment prod/web (manifests/prod.yaml:7)"


@pytest.fixture
def origin_report() -> AuditReport:
    findings = (
        Finding(check=EMPTY_SELECTION, message="Policy selects no pods.", resources=(POLICY,)),
        Finding(check=DEFAULT_DENY, message="No default deny.", resources=(PROD,)),
        Finding(check=INTERNET_INGRESS, message="Open to the internet.", resources=(RULE,)),
        Finding(
            check=INTERNET_INGRESS,
            message="Open through a policy and a rule.",
            resources=(WEB, POLICY, RULE),
        ),
    )
    return AuditReport(
        findings=findings,
        accepted=(),
        checks=(DEFAULT_DENY, INTERNET_INGRESS, EMPTY_SELECTION),
        inputs=("manifests/prod.yaml", "exports/nsg.json"),
    )


def test_text_names_each_origin():
    assert format_resource(POLICY) == POLICY_TEXT
    assert format_resource(PROD) == PROD_TEXT
    assert format_resource(RULE) == RULE_TEXT
    assert format_resource(WEB) == WEB_TEXT


def test_text_names_an_api_object_other_than_the_resource():
    assert format_origin(API, "Deployment/prod/web") == (
        "API server: NetworkPolicy prod/allow-web, resourceVersion 123"
    )
    assert format_origin(NAMESPACE) == "API server: Namespace prod"


def test_text_report(origin_report):
    text = render_text(origin_report)
    lines = [line.strip() for line in text.splitlines()]
    for line in (POLICY_TEXT, PROD_TEXT, RULE_TEXT, WEB_TEXT):
        assert line in lines


def test_markdown_report(origin_report):
    markdown = render_markdown(origin_report)
    rows = [row for row in markdown.splitlines() if row.startswith("| ") and "NF-" in row]
    assert len(rows) == 4
    assert f"| {WEB_TEXT}<br>{POLICY_TEXT}<br>{RULE_TEXT} |" in markdown
    assert all(row.count(" | ") == 3 for row in rows)  # four cells: nothing broke the table


def test_junit_report(origin_report):
    suite = ET.fromstring(render_junit(origin_report)).find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    api = cases["NF-NP-020 NetworkPolicy/prod/allow-web"]
    assert api.get("file") is None and api.get("line") is None  # no file to point at
    export = cases["NF-NP-010 SecurityRule/allow-web-443"]
    assert export.get("file") == "exports/nsg.json" and export.get("line") is None
    failure = export.find("failure")
    assert failure is not None and RULE_TEXT in (failure.text or "")


def _check_resource(resource: dict) -> None:
    """One resource as docs/json-findings.md describes it."""
    assert set(resource) - {"origin"} == {"kind", "namespace", "name", "file", "line"}
    assert isinstance(resource["kind"], str) and isinstance(resource["name"], str)
    assert resource["namespace"] is None or isinstance(resource["namespace"], str)
    assert resource["file"] is None or isinstance(resource["file"], str)
    assert resource["line"] is None or (isinstance(resource["line"], int) and resource["line"] >= 1)
    if "origin" not in resource:
        return
    origin = resource["origin"]
    if origin["type"] == "api":
        assert set(origin) == {"type", "kind", "namespace", "name", "resource_version"}
        assert resource["file"] is None and resource["line"] is None
        assert origin["resource_version"] is None or isinstance(origin["resource_version"], str)
    else:
        assert origin["type"] == "export"
        assert set(origin) == {"type", "file", "path"}
        assert resource["file"] == origin["file"] and resource["line"] is None
        assert origin["path"].startswith("$")


def test_json_report_follows_the_contract(origin_report):
    document = json.loads(render_json(origin_report))
    assert document["schema_version"] == "2"
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
        for resource in finding["resources"]:
            _check_resource(resource)
    mixed = next(f for f in document["findings"] if f["message"].startswith("Open through"))
    assert mixed["resources"] == [
        {"kind": "Deployment", "namespace": "prod", "name": "web",
         "file": "manifests/prod.yaml", "line": 7},
        {"kind": "NetworkPolicy", "namespace": "prod", "name": "allow-web",
         "file": None, "line": None,
         "origin": {"type": "api", "kind": "NetworkPolicy", "namespace": "prod",
                    "name": "allow-web", "resource_version": "123"}},
        {"kind": "SecurityRule", "namespace": None, "name": "allow-web-443",
         "file": "exports/nsg.json", "line": None,
         "origin": {"type": "export", "file": "exports/nsg.json",
                    "path": "$.securityRules[3]"}},
    ]  # fmt: skip


def test_json_fingerprint_ignores_the_origin():
    moved = ResourceRef("NetworkPolicy", "prod", "allow-web", FileOrigin("a.yaml", 1, 3))
    first = Finding(check=EMPTY_SELECTION, message="m", resources=(POLICY,))
    second = Finding(check=EMPTY_SELECTION, message="m", resources=(moved,))
    assert first.fingerprint == second.fingerprint


def _locations(origin_report, message: str) -> list[dict]:
    document = json.loads(render_sarif(origin_report))
    _validate(document)
    (result,) = (
        r for r in document["runs"][0]["results"] if r["message"]["text"].startswith(message)
    )
    return result["locations"]


def test_sarif_validates_against_the_official_schema(origin_report):
    _validate(json.loads(render_sarif(origin_report)))


def test_sarif_api_object_is_a_logical_location_alone(origin_report):
    assert _locations(origin_report, "Policy selects") == [
        {
            "logicalLocations": [
                {
                    "name": "allow-web",
                    "fullyQualifiedName": "NetworkPolicy/prod/allow-web",
                    "kind": "resource",
                    "properties": {"resourceVersion": "123"},
                }
            ]
        }
    ]
    assert _locations(origin_report, "No default deny") == [
        {"logicalLocations": [{"name": "prod", "fullyQualifiedName": "Namespace/prod", "kind": "resource"}]}
    ]  # fmt: skip


def test_sarif_export_points_at_its_file_and_json_path(origin_report):
    assert _locations(origin_report, "Open to the internet") == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "exports/nsg.json", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 1},
            },
            "logicalLocations": [
                {
                    "name": "allow-web-443",
                    "fullyQualifiedName": "SecurityRule/allow-web-443",
                    "kind": "resource",
                },
                {"fullyQualifiedName": "$.securityRules[3]", "kind": "object"},
            ],
        }
    ]


def test_sarif_mixed_origins_keep_the_resources_order(origin_report):
    locations = _locations(origin_report, "Open through")
    assert [loc["logicalLocations"][0]["fullyQualifiedName"] for loc in locations] == [
        "Deployment/prod/web",
        "NetworkPolicy/prod/allow-web",
        "SecurityRule/allow-web-443",
    ]
    assert locations[0]["physicalLocation"]["region"] == {"startLine": 7}
    assert "physicalLocation" not in locations[1]


def test_sarif_multitool_accepts_every_origin(origin_report, tmp_path):
    tool = _require_multitool()
    problems = _multitool_problems(tool, render_sarif(origin_report), tmp_path)
    assert not problems, "\n".join(problems)
