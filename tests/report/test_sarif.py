"""SARIF output: the official 2.1.0 schema, Microsoft's SARIF Multitool, and GitHub's needs.

The Multitool test runs ``Sarif.Multitool validate`` with the SARIF rules and GitHub's ingestion
rules (``--rule-kind "Gh;Sarif"``) and fails on any error or warning it reports. It finds the tool
through ``NETFENCE_SARIF_MULTITOOL`` (``.ci/run`` installs it and sets that), else at the place
``npm install --prefix .tools @microsoft/sarif-multitool-linux`` puts it, else on PATH; it skips
when the tool is missing, unless ``CI`` is set, when it fails.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.resources
import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from netfence.analyses.audit.report import Acceptance, AuditReport
from netfence.model.findings import Finding, ResourceRef, Severity
from netfence.model.origin import FileOrigin
from netfence.report.sarif import artifact_location, checked_docs_url, render_sarif, rule_name
from tests.report.conftest import CROWD

REPO = Path(__file__).resolve().parents[2]
MULTITOOL_ENV = "NETFENCE_SARIF_MULTITOOL"
MULTITOOL_RELATIVE = ".tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
MULTITOOL_IN_REPO = REPO / MULTITOOL_RELATIVE


def _schema():
    resource = importlib.resources.files("netfence.report") / "schemas" / "sarif-schema-2.1.0.json"
    return json.loads(resource.read_text(encoding="utf-8"))


def _validate(document) -> None:
    schema = _schema()
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft7Validator  # the schema's own "$schema"
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(document), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)


def _log(report: AuditReport):
    return json.loads(render_sarif(report))


def _require_multitool() -> str:
    """The Multitool's path; skip when it is missing locally, fail when ``CI`` is set."""
    configured = os.environ.get(MULTITOOL_ENV)
    if configured:
        # Set but wrong is a broken set-up, never a reason to skip.
        assert os.access(configured, os.X_OK), f"{MULTITOOL_ENV}={configured} is not executable"
        return configured
    if os.access(MULTITOOL_IN_REPO, os.X_OK):
        return str(MULTITOOL_IN_REPO)
    found = shutil.which("Sarif.Multitool")
    if found is not None:
        return found
    message = (
        f"SARIF Multitool not found ({MULTITOOL_ENV} unset, nothing at "
        f"{MULTITOOL_RELATIVE}, not on PATH); install it with "
        "`npm install --prefix .tools @microsoft/sarif-multitool-linux`"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


@pytest.mark.parametrize("name", ["audit_report", "clean_report"])
def test_validates_against_the_official_schema(name, request):
    _validate(_log(request.getfixturevalue(name)))


def test_schema_copy_is_the_official_one():
    schema = _schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"


def _multitool_problems(tool: str, log: str, tmp_path: Path) -> list[str]:
    """The errors and warnings ``Sarif.Multitool validate`` reports on ``log``."""
    target = tmp_path / "netfence.sarif"
    target.write_text(log, encoding="utf-8")
    out = tmp_path / "validation.sarif"
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    completed = subprocess.run(
        [tool, "validate", str(target), "-o", str(out), "--log", "ForceOverwrite",
         "--rule-kind", "Gh;Sarif", "--level", "Error;Warning"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.exists(), f"the Multitool wrote no log:\n{completed.stdout}\n{completed.stderr}"
    validation = json.loads(out.read_text(encoding="utf-8-sig"))
    problems = []
    for run in validation["runs"]:
        for invocation in run.get("invocations", []):
            assert invocation.get("executionSuccessful") is True, completed.stdout
            for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
                problems.extend(
                    f"{key}: {n['message'].get('text')}"
                    for n in invocation.get(key, [])
                    if n.get("level", "warning") in ("error", "warning")
                )
        for result in run.get("results", []):
            # A result without a level is a warning (SARIF 3.27.10).
            if result.get("level", "warning") in ("error", "warning"):
                problems.append(f"{result['ruleId']}: {result['message']}")
    return problems


@pytest.mark.parametrize("name", ["audit_report", "clean_report"])
def test_sarif_multitool_reports_no_errors_or_warnings(name, request, tmp_path):
    tool = _require_multitool()
    problems = _multitool_problems(tool, render_sarif(request.getfixturevalue(name)), tmp_path)
    assert not problems, "\n".join(problems)


def test_sarif_multitool_check_catches_what_github_rejects(audit_report, tmp_path):
    # A result without locations is valid SARIF, but GitHub rejects the upload: the check
    # above must see that, or it checks nothing.
    tool = _require_multitool()
    document = _log(audit_report)
    del document["runs"][0]["results"][0]["locations"]
    _validate(document)
    problems = _multitool_problems(tool, json.dumps(document), tmp_path)
    assert any(p.startswith("GH") for p in problems), problems


def test_one_rule_per_check_with_github_properties(audit_report):
    run = _log(audit_report)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "netfence"
    assert driver["semanticVersion"] == "9.9.9"
    assert driver["informationUri"] == "https://pypi.org/project/netfence/"
    rules = {r["id"]: r for r in driver["rules"]}
    assert sorted(rules) == sorted(c.check_id for c in audit_report.checks)
    deny = rules["NF-NP-001"]
    assert deny["name"] == "NamespaceHasNoDefaultDenyIngressPolicy"
    assert deny["shortDescription"]["text"] == "Namespace has no default-deny ingress policy"
    assert deny["help"]["text"].startswith("Add a NetworkPolicy")
    assert (
        "CIS 5.3.2" in deny["help"]["markdown"] and "kubescape: C-0260" in deny["help"]["markdown"]
    )
    assert deny["properties"]["tags"][:2] == ["security", "network-policy"]
    assert "CIS 5.3.2" in deny["properties"]["tags"]
    assert deny["properties"]["precision"] == "very-high"
    expected = {
        "NF-NP-010": ("error", "9.5"),
        "NF-NP-001": ("error", "8.0"),
        "NF-NP-040": ("warning", "5.5"),
        "NF-NP-020": ("note", "3.0"),
        "NF-NP-030": ("note", "0.0"),
    }
    for check_id, (level, score) in expected.items():
        assert rules[check_id]["defaultConfiguration"]["level"] == level
        assert rules[check_id]["properties"]["security-severity"] == score
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert "%SRCROOT%" in run["originalUriBaseIds"]


def test_results_point_at_rules_files_lines_and_resources(audit_report):
    run = _log(audit_report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(audit_report.findings) + len(audit_report.accepted)
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"]["netfence/v1"]) == 32
        # GitHub rejects an upload with a result lacking a location, or a file without a line.
        assert result["locations"]
        for location in result["locations"]:
            if "physicalLocation" in location:
                assert location["physicalLocation"]["artifactLocation"]["uri"]
                assert location["physicalLocation"]["region"]["startLine"] >= 1
            else:
                assert location["logicalLocations"]
    internet = results[0]
    assert internet["ruleId"] == "NF-NP-010" and internet["level"] == "error"
    # The primary location is the rule that causes the finding, at its line in the policy.
    (primary,) = internet["locations"]
    assert primary["physicalLocation"] == {
        "artifactLocation": {"uri": "manifests/shop.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 47},
    }
    assert primary["logicalLocations"] == [
        {
            "name": "allow-all",
            "fullyQualifiedName": "NetworkPolicy/shop/allow-all",
            "kind": "resource",
        },
        {
            "name": "spec.ingress[0]",
            "fullyQualifiedName": "NetworkPolicy/shop/allow-all spec.ingress[0]",
            "kind": "member",
        },
    ]
    # The workloads it affects are related locations, each at its own file and line.
    assert [
        (r["id"], r["physicalLocation"]["region"]["startLine"], r["message"]["text"])
        for r in internet["relatedLocations"]
    ] == [
        (0, 30, "affected: Deployment/shop/backend"),
        (1, 12, "affected: Deployment/shop/frontend"),
    ]
    assert internet["properties"]["cause"] == "NetworkPolicy/shop/allow-all spec.ingress[0]"
    assert internet["properties"]["affected"] == [
        "Deployment/shop/backend",
        "Deployment/shop/frontend",
    ]
    assert internet["properties"]["severity"] == "critical"
    assert internet["properties"]["evidence"]["ports"] == ["TCP 443", "TCP 8080"]
    assert "suppressions" not in internet


def test_each_rule_names_its_section_of_the_check_reference(audit_report):
    """No repository URL is declared (pyproject [project.urls]), so no helpUri is invented: the
    anchor of the check's section is in help.markdown and properties.documentation."""
    rules = _log(audit_report)["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:
        anchor = f"docs/checks.md#{rule['id'].lower()}"
        assert "helpUri" not in rule
        assert rule["properties"]["documentation"] == anchor
        assert f"`{anchor}`" in rule["help"]["markdown"]


def test_findings_without_a_file_get_logical_locations_not_an_unrelated_file(audit_report):
    """A finding on an object read from no file (a namespace only referenced) is placed on
    that object logically; one on no object at all, on the cluster: never on line 1 of some
    input file."""
    results = _log(audit_report)["runs"][0]["results"]
    ops = next(r for r in results if r["message"]["text"].startswith("Namespace ops"))
    (location,) = ops["locations"]
    assert location == {
        "logicalLocations": [
            {"name": "ops", "fullyQualifiedName": "Namespace/ops", "kind": "resource"}
        ]
    }
    shadowed = next(r for r in results if r["ruleId"] == "NF-NP-030")
    (location,) = shadowed["locations"]
    assert location == {
        "logicalLocations": [
            {"name": "cluster", "fullyQualifiedName": "Cluster/cluster", "kind": "resource"}
        ]
    }
    assert shadowed["properties"]["resources"] == []


def test_severity_override_sets_the_result_level(audit_report):
    results = _log(audit_report)["runs"][0]["results"]
    ops = next(r for r in results if r["message"]["text"].startswith("Namespace ops"))
    assert ops["level"] == "warning"
    assert ops["properties"]["severity"] == "medium"


def test_accepted_finding_is_an_external_suppression(audit_report):
    results = _log(audit_report)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Kept for the ops migration <ticket OPS-12> & rollback",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": ".netfence-baseline.yaml",
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": 4},
                }
            },
            "properties": {"expires": "2026-06-30"},
        }
    ]


def test_fix_and_non_json_evidence(audit_report):
    finding = audit_report.findings[0]
    odd = dataclasses.replace(
        finding,
        evidence={"ports": {443, 80}, "seen": datetime.date(2025, 1, 2), "level": Severity.LOW},
        fix="kind: NetworkPolicy\n",
    )
    report = dataclasses.replace(audit_report, findings=(odd,), accepted=())
    document = _log(report)
    _validate(document)
    properties = document["runs"][0]["results"][0]["properties"]
    assert properties["evidence"] == {"ports": [80, 443], "seen": "2025-01-02", "level": "low"}
    assert properties["fix"] == "kind: NetworkPolicy\n"


def test_findings_from_stdin_only_keep_their_logical_location(audit_report):
    piped = ResourceRef("Namespace", None, "shop", FileOrigin("<stdin>", 1, 3))
    finding = Finding(check=audit_report.checks[0], message="m.", resources=(piped,))
    report = AuditReport(
        findings=(finding,), accepted=(), checks=audit_report.checks, inputs=("-",)
    )
    document = _log(report)
    _validate(document)
    (location,) = document["runs"][0]["results"][0]["locations"]
    assert location == {
        "logicalLocations": [
            {"name": "shop", "fullyQualifiedName": "Namespace/shop", "kind": "resource"}
        ]
    }


def test_a_finding_of_a_check_not_listed_still_gets_a_rule(audit_report):
    finding = audit_report.findings[0]
    report = AuditReport(findings=(finding,), accepted=(), checks=(), inputs=())
    document = _log(report)
    _validate(document)
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [finding.check.check_id]
    assert run["results"][0]["ruleIndex"] == 0


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("manifests/shop.yaml", {"uri": "manifests/shop.yaml", "uriBaseId": "%SRCROOT%"}),
        ("./manifests//shop.yaml", {"uri": "manifests/shop.yaml", "uriBaseId": "%SRCROOT%"}),
        (
            "manifests\\win dows.yaml",
            {"uri": "manifests/win%20dows.yaml", "uriBaseId": "%SRCROOT%"},
        ),
        ("a#b%c.yaml", {"uri": "a%23b%25c.yaml", "uriBaseId": "%SRCROOT%"}),
        ("/srv/k8s/shop.yaml", {"uri": "file:///srv/k8s/shop.yaml"}),
        ("C:\\k8s\\shop.yaml", {"uri": "file:///C:/k8s/shop.yaml"}),
        ("<stdin>", None),
        ("-", None),
    ],
)
def test_artifact_location(file, expected):
    assert artifact_location(file) == expected


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Pod not isolated", "PodNotIsolated"),
        ("Egress to 0.0.0.0/0 allowed", "EgressTo00000Allowed"),
        ("hostPort bypasses policies", "HostPortBypassesPolicies"),
        ("3 policies overlap", "Check3PoliciesOverlap"),
    ],
)
def test_rule_name_is_pascal_case(title, name):
    assert rule_name(title) == name


def test_accepted_entry_without_file_or_expiry(audit_report):
    finding, entry = audit_report.accepted[0]
    bare = Acceptance(check_id=entry.check_id, resource=entry.resource, reason="ok")
    report = dataclasses.replace(audit_report, accepted=((finding, bare),))
    document = _log(report)
    _validate(document)
    suppressed = [r for r in document["runs"][0]["results"] if "suppressions" in r]
    assert suppressed[0]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "ok"}
    ]


@pytest.fixture
def no_multitool(monkeypatch, tmp_path):
    """An environment where the Multitool cannot be found."""
    monkeypatch.delenv(MULTITOOL_ENV, raising=False)
    monkeypatch.setattr(f"{__name__}.MULTITOOL_IN_REPO", tmp_path / "absent" / "Sarif.Multitool")
    monkeypatch.setenv("PATH", str(tmp_path))


def test_missing_multitool_skips_locally(no_multitool, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _require_multitool()


def test_missing_multitool_fails_under_ci(no_multitool, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        _require_multitool()


def test_configured_multitool_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(MULTITOOL_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(AssertionError, match="not executable"):
        _require_multitool()


DOCS = "https://docs.example.org/netfence/checks.md"


def test_help_uri_links_each_rule_to_its_section_when_the_docs_url_is_given(audit_report):
    """SARIF 2.1.0 3.49.12 (reportingDescriptor.helpUri, an absolute URI): with the address
    where docs/checks.md is published, every rule links its check's section; without one,
    no rule has a helpUri (netfence has no published address of its own to invent)."""
    with_docs = json.loads(render_sarif(audit_report, docs_url=DOCS))
    rules = with_docs["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all(r["helpUri"] == f"{DOCS}#{r['id'].lower()}" for r in rules)
    _validate(with_docs)
    without = _log(audit_report)
    assert all("helpUri" not in r for r in without["runs"][0]["tool"]["driver"]["rules"])


def test_sarif_with_help_uri_passes_the_multitool(audit_report, tmp_path):
    tool = _require_multitool()
    problems = _multitool_problems(tool, render_sarif(audit_report, docs_url=DOCS), tmp_path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "url", ["docs/checks.md", "ftp://host/checks.md", "https://host/checks.md#nf001", "https://"]
)
def test_docs_url_must_be_an_absolute_http_url_without_fragment(url):
    """helpUri is an absolute URI; the check anchors are netfence's to add."""
    with pytest.raises(ValueError):
        checked_docs_url(url)


def test_grouped_result_carries_its_count_and_a_sample_of_five(crowded_report):
    """scan.md SARIF output: a grouped result has the count of affected workloads
    (properties.affectedCount) and the first five, sorted, as properties.affected and as
    related locations; the findings JSON keeps the complete list."""
    (result,) = _log(crowded_report)["runs"][0]["results"]
    sample = [f"Deployment/shop/{n}" for n in CROWD[:5]]
    assert result["properties"]["affectedCount"] == 12
    assert result["properties"]["affected"] == sample
    assert [r["message"]["text"] for r in result["relatedLocations"]] == [
        f"affected: {key}" for key in sample
    ]
