"""``netfence scan`` and ``netfence checks`` through the CLI: exit codes, selection,
baseline, generated fixes and output formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "arc-cluster"
SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "netfence"
    / "report"
    / "schemas"
    / "sarif-schema-2.1.0.json"
)

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers:
      - name: coredns
        image: coredns
        ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: calico-node, namespace: calico-system}
spec:
  template:
    metadata: {labels: {k8s-app: calico-node}}
    spec: {containers: [{name: calico-node, image: calico/node}]}
"""


def findings(result) -> list[dict]:
    return json.loads(result.out)["findings"]


def ids(result) -> set[str]:
    return {f["check_id"] for f in findings(result)}


def test_scan_example_is_useful_and_exits_zero_without_fail_on(cli):
    """The README's main job: a report grouped by severity, exit 0 without --fail-on."""
    result = cli("scan", EXAMPLE)
    assert result.code == 0, result.err
    assert "== HIGH" in result.out
    assert "NF006 Rule allows all ingress" in result.out
    assert "azure-arc/arc-allow-all-ingress" in result.out
    assert result.out.rstrip().splitlines()[-1].endswith("(0 accepted by baseline)")


@pytest.mark.parametrize(("threshold", "code"), [("high", 1), ("critical", 0)])
def test_fail_on_sets_exit_code(cli, threshold, code):
    """Exit 1 when a finding at or above --fail-on stands (DESIGN: exit codes)."""
    assert cli("scan", EXAMPLE, "--fail-on", threshold).code == code


def test_example_report_reads_as_the_few_things_to_change(cli):
    """The example's text report opens with the summary, stays under 700 lines with its
    firewall layers, address plan and Private Link settings, and its HIGH findings are a
    handful of causes: one NF008 for the one `ingress: [{}]` that exposes eleven workloads, on
    that rule's file and line; the firewall exports' shortfall (NF101) and too-broad rule
    (NF103); the plan's overlap (NF201) and undersized pool (NF205); the registry name that
    resolves publicly (NF301)."""
    out = cli("scan", EXAMPLE).out
    lines = out.splitlines()
    assert len(lines) < 700
    assert lines[0].endswith("(0 accepted by baseline)") and lines[2].split()[0] == "Check"
    high = cli("scan", EXAMPLE, "-o", "json", "--severity", "high").out
    found = json.loads(high)["findings"]
    assert len(found) <= 14
    assert {f["check_id"] for f in found} >= {"NF101", "NF103", "NF201", "NF205", "NF301"}
    (nf008,) = [f for f in found if f["check_id"] == "NF008"]
    assert nf008["cause"]["name"] == "arc-allow-all-ingress"
    assert nf008["cause"]["path"] == "spec.ingress[0]"
    assert nf008["cause"]["file"].endswith("policies/azure-arc.yaml")
    assert len(nf008["affected"]) == 11
    heading = (
        "NetworkPolicy azure-arc/arc-allow-all-ingress spec.ingress[0] "
        f"({nf008['cause']['file']}:{nf008['cause']['line']})"
    )
    assert heading in lines


def test_namespace_keeps_the_findings_that_concern_it(cli):
    """-n/--namespace (repeatable) keeps findings on resources, affected workloads or causes in
    the namespace (or on the namespace itself)."""
    doc = json.loads(cli("scan", EXAMPLE, "-o", "json", "-n", "shop").out)
    assert doc["findings"]
    for f in doc["findings"]:
        refs = [*f["resources"], *f["affected"], *([f["cause"]] if f["cause"] else [])]
        assert any(
            r["namespace"] == "shop" or (r["kind"] == "Namespace" and r["name"] == "shop")
            for r in refs
        ), f
    both = json.loads(cli("scan", EXAMPLE, "-o", "json", "-n", "shop", "-n", "azure-arc").out)
    assert len(both["findings"]) > len(doc["findings"])


def test_severity_shows_findings_at_or_above_it(cli):
    """--severity LEVEL hides findings below LEVEL; --fail-on still sees every finding in
    scope."""
    doc = json.loads(cli("scan", EXAMPLE, "-o", "json", "--severity", "medium").out)
    assert {f["severity"] for f in doc["findings"]} <= {"critical", "high", "medium"}
    assert doc["summary"]["low"] == 0
    assert cli("scan", EXAMPLE, "--severity", "critical", "--fail-on", "high").code == 1
    assert cli("scan", EXAMPLE, "--severity", "bogus").code == 2


def test_quiet_prints_the_summary_only(cli):
    """-q/--quiet: the summary line and the table of counts, no findings."""
    out = cli("scan", EXAMPLE, "-q").out
    assert out.splitlines()[0].endswith("(0 accepted by baseline)")
    assert out.splitlines()[-1].split()[0] == "Total"
    assert "==" not in out and "Remediation" not in out


def test_show_fixes_prints_the_generated_yaml(cli):
    """Fix YAML is left out of the text report unless --show-fixes asks for it."""
    plain = cli("scan", EXAMPLE).out
    shown = cli("scan", EXAMPLE, "--show-fixes").out
    assert "kind: NetworkPolicy" not in plain
    # without planning, a finding a fix would answer says how to get it proven
    assert "    Fix: can be generated and proven (--show-fixes, or --fix DIR)\n" in plain
    assert "    Fix:\n      apiVersion: networking.k8s.io/v1" in shown


def test_select_and_ignore(cli, write):
    """--select runs only the named checks; --ignore drops them; IDs may be comma lists."""
    path = write(CLUSTER)
    selected = cli("scan", path, "-o", "json", "--select", "NF001,NF002")
    assert ids(selected) == {"NF001", "NF002"}
    ignored = cli("scan", path, "-o", "json", "--ignore", "NF001", "--ignore", "NF002")
    assert not ids(ignored) & {"NF001", "NF002"}
    assert ids(ignored)


def test_unknown_check_id_is_a_usage_error(cli, write):
    """An unknown check ID is refused with exit 2 and one line."""
    result = cli("scan", write(CLUSTER), "--select", "NF999")
    assert result.code == 2
    assert result.out == ""
    assert len(result.err_lines) == 1 and "NF999" in result.err


def test_baseline_accepts_and_expires(cli, write, tmp_path):
    """A baseline entry moves its finding to 'accepted'; an expired one no longer applies."""
    path = write(CLUSTER)
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(
        "accept:\n"
        "  - check: NF001\n"
        "    resource: Namespace/shop\n"
        "    reason: app team owns it\n"
        "  - check: NF003\n"
        "    resource: Deployment/shop/web\n"
        "    reason: temporary\n"
        "    expires: 2000-01-01\n"
    )
    result = cli("scan", path, "-o", "json", "--baseline", baseline, "--select", "NF001,NF003")
    doc = json.loads(result.out)
    standing = {
        (f["check_id"], r["name"])
        for f in doc["findings"]
        for r in (f["affected"] or f["resources"][:1])  # a grouped finding: the workloads
    }
    accepted = {(a["check_id"], a["resources"][0]["name"]) for a in doc["accepted"]}
    assert ("NF001", "shop") in accepted and ("NF001", "shop") not in standing
    assert ("NF003", "web") in standing  # expired acceptance
    assert doc["accepted"][0]["acceptance"]["reason"] == "app team owns it"


def test_baseline_in_working_directory_is_read(cli, write, tmp_path, monkeypatch):
    """Without --baseline, .netfence.yaml in the working directory is used."""
    path = write(CLUSTER)
    (tmp_path / ".netfence.yaml").write_text(
        "accept:\n  - {check: NF001, resource: '*', reason: reviewed}\n"
    )
    monkeypatch.chdir(tmp_path)
    result = cli("scan", path, "-o", "json", "--select", "NF001")
    assert ids(result) == set()
    assert json.loads(result.out)["summary"]["accepted"] >= 1


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("  - {check: NF001, resource: Namespace/shop, reason: ''}\n", "reason"),
        ("  - {check: NF001, resource: Namespace/shop}\n", "reason"),
        ("  - {check: NF999, resource: Namespace/shop, reason: x}\n", "NF999"),
        ("  - {check: NF001, resource: Namespace/shop, reason: x, expires: soon}\n", "date"),
    ],
)
def test_bad_baseline_is_one_located_error(cli, write, tmp_path, entry, fragment):
    """A baseline entry without a reason, with an unknown check or a bad date: exit 2, one
    line naming the file and line."""
    baseline = tmp_path / "b.yaml"
    baseline.write_text("accept:\n" + entry)
    result = cli("scan", write(CLUSTER), "--baseline", baseline)
    assert result.code == 2 and result.out == ""
    assert len(result.err_lines) == 1
    assert "b.yaml" in result.err and "line 2" in result.err and fragment in result.err


def test_generated_fixes_apply_and_clear_their_findings(cli, write, tmp_path):
    """--fix writes NetworkPolicy YAML; adding it to the input clears NF001/NF004/NF005 for
    the namespace and leaves DNS working (no NF012)."""
    path = write(CLUSTER)
    fixes = tmp_path / "fixes"
    before = cli("scan", path, "-o", "json", "--fix", fixes)
    assert ("NF001", "shop") in {
        (f["check_id"], f["resources"][0]["name"]) for f in findings(before)
    }
    written = sorted(fixes.glob("*.yaml"))
    assert written
    for file in written:
        for doc in yaml.safe_load_all(file.read_text()):
            assert doc["kind"] == "NetworkPolicy"
            assert doc["apiVersion"] == "networking.k8s.io/v1"
    shop_fix = [f for f in written if "shop" in f.name and f.name.startswith("NF001")]
    assert shop_fix
    after = cli("scan", path, shop_fix[0], "-o", "json")
    remaining = {(f["check_id"], f["resources"][0]["name"]) for f in findings(after)}
    for check_id in ("NF001", "NF004", "NF005", "NF002", "NF003", "NF012"):
        assert (check_id, "shop") not in remaining
        assert (check_id, "web") not in remaining


def test_every_format_renders(cli, write):
    """json, sarif (schema-valid), junit (parses), md and text all render the same scan."""
    path = write(CLUSTER)
    doc = json.loads(cli("scan", path, "-o", "json").out)
    assert doc["schema_version"] == "2" and doc["findings"]
    sarif = json.loads(cli("scan", path, "-o", "sarif").out)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {
        f["check_id"] for f in doc["findings"]
    }
    suite = ET.fromstring(cli("scan", path, "-o", "junit").out)
    assert int(suite.find("testsuite").get("failures")) == len(doc["findings"])
    markdown = cli("scan", path, "-o", "md").out
    assert "| Severity | Check | Resource | Message |" in markdown
    assert all(f["check_id"] in markdown for f in doc["findings"])


def test_color_only_when_asked_or_on_a_terminal(cli, write):
    """Text output has ANSI colors with --color always, none with never or off a TTY."""
    path = write(CLUSTER)
    assert "\x1b[" in cli("scan", path, "--color", "always").out
    assert "\x1b[" not in cli("scan", path, "--color", "never").out
    assert "\x1b[" not in cli("scan", path).out  # captured stdout is not a TTY


def test_api_server_option(cli, write):
    """--api-server adds an address NF011 checks reachability against."""
    path = write(CLUSTER)
    assert "NF011" not in ids(cli("scan", path, "-o", "json", "--select", "NF011"))
    found = cli("scan", path, "-o", "json", "--select", "NF011", "--api-server", "10.240.0.4:6443")
    assert {f["resources"][0]["name"] for f in findings(found)} >= {"web"}
    assert cli("scan", path, "--api-server", "nope").code == 2


def test_checks_catalog(cli):
    """netfence checks lists every check with controls and equivalent IDs."""
    doc = json.loads(cli("checks", "-o", "json").out)
    by_id = {c["check_id"]: c for c in doc["checks"]}
    # the audit's 30, the firewall layers' 12, the address plan's 12, separation's 5 and
    # Private Link's 19
    assert len(by_id) == 78
    assert "CIS 5.3.2" in by_id["NF001"]["controls"]
    assert "CIS 5.3.1" in by_id["NF020"]["controls"]
    assert by_id["NF002"]["peers"]["checkov"] == ["CKV2_K8S_6"]
    text = cli("checks").out
    assert "NF010" in text and "controls:" in text
    assert cli("checks", "-o", "md").out.startswith("| ID |")


def test_docs_url_gives_sarif_rules_a_help_uri_and_a_bad_one_exits_2(cli, tmp_path):
    """``scan --docs-url URL``: SARIF rules link URL#nfNNN; a relative or fragment URL is a
    usage error (exit 2, one line naming the argument)."""
    example = Path(__file__).resolve().parents[2] / "examples" / "arc-cluster"
    url = "https://docs.example.org/netfence/checks.md"
    ok = cli("scan", example, "-o", "sarif", "--docs-url", url)
    assert ok.code == 0
    rules = json.loads(ok.out)["runs"][0]["tool"]["driver"]["rules"]
    assert {r["helpUri"] for r in rules} == {f"{url}#{r['id'].lower()}" for r in rules}
    bad = cli("scan", example, "-o", "sarif", "--docs-url", "docs/checks.md")
    assert bad.code == 2 and "--docs-url" in bad.err and bad.out == ""


def test_scan_reads_the_plan_and_private_link_settings_found_beside_the_manifests(cli):
    """Issue 11: scan runs the address plan, separation and Private Link checks when a plan
    and settings are found among its inputs (recognised by their ``format``); with a plan,
    NF221 answers NF011's question, so NF011 is left out unless selected; the settings'
    answer file resolves the names when no --resolver is given."""
    api = ("--api-server", "10.240.0.100:6443")
    doc = json.loads(cli("scan", EXAMPLE, "-o", "json", *api).out)
    found = {f["check_id"] for f in doc["findings"]}
    assert {"NF201", "NF205", "NF221", "NF301"} <= found and "NF011" not in found
    (public,) = [f for f in doc["findings"] if f["check_id"] == "NF301"]
    assert public["evidence"]["name"] == "shopacr.azurecr.io"
    assert "plan/dns-answers.yaml" in public["evidence"]["answer"]
    selected = json.loads(cli("scan", EXAMPLE, "-o", "json", "--select", "NF011", *api).out)
    assert {f["check_id"] for f in selected["findings"]} == {"NF011"}


def test_scan_with_two_plans_found_asks_which_one(cli, tmp_path):
    """netfence never picks one of several plans for the user: exit 2, naming --plan."""
    import shutil

    copy = tmp_path / "cluster"
    shutil.copytree(EXAMPLE, copy)
    shutil.copy(copy / "plan" / "address-plan.yaml", copy / "second-plan.yaml")
    result = cli("scan", str(copy))
    assert result.code == 2 and "--plan" in result.err
    chosen = cli("scan", str(copy), "--plan", str(copy / "second-plan.yaml"), "-q")
    assert chosen.code == 0
