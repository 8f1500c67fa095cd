"""``netfence test SPEC PATH...`` and ``netfence test --init`` (docs/connectivity-tests.md):
exit codes 0 / 1 / 2, the text, JUnit and SARIF outputs, and a starting spec that passes on
its inputs and fails once a policy breaks a flow it marks."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.report.test_sarif import _multitool_problems, _require_multitool, _validate

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "arc-cluster"
EXAMPLE_SPEC = EXAMPLE / "tests" / "connectivity-tests.yaml"
HEADER = "format: netfence.connectivity-tests\nversion: 1\ntests:\n"

FAILING = (
    HEADER + "  - name: the api reaches the database\n"  # line 4
    "    from: shop/backend\n"
    "    to: shop/database\n"
    "    port: postgres\n"
    "    expect: allow\n"
    "  - name: the frontend reaches the database\n"  # line 9
    "    from: shop/frontend\n"
    "    to: shop/database\n"
    "    port: 5432\n"
    "    expect: allow\n"
    "    reason: a wish the policies do not grant\n"
    "  - name: the api never reaches the payment provider\n"  # line 15
    "    from: shop/backend\n"
    "    to: {cidr: 203.0.113.0/24}\n"
    "    port: 443\n"
    "    expect: deny\n"
    "  - name: a workload that is not there\n"  # line 20
    "    from: shop/cache\n"
    "    to: shop/database\n"
    "    expect: deny\n"
)
"""One pass, two failures (an allow that is denied, a deny that is allowed) and one error."""


@pytest.fixture
def failing_spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(FAILING, encoding="utf-8")
    return path


def test_the_example_spec_passes_on_the_example_cluster(cli):
    """The bundled assertions (the frontend reaches the api, nothing but the api reaches the
    database, DNS egress, no metadata service) hold for the example: exit 0."""
    result = cli("test", EXAMPLE_SPEC, EXAMPLE)
    assert result.code == 0, result.out + result.err
    lines = [line for line in result.out.splitlines() if not line.startswith(" ")]
    assert all(line.startswith("PASS  ") for line in lines[:-1])
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed, 0 errors"
    assert result.err == ""
    # The example's pods come from templates (no addresses): a deny that an allowing ipBlock
    # rule may open in the cluster says so under its PASS line; an allow it cannot close
    # does not.
    assert (
        "PASS  nothing but the api reaches the database: holds for 19 pairs\n"
        "      depends on facts the input lacks (the cluster's outcome may differ):\n"
    ) in result.out
    assert "NetworkPolicy/shop/report-egress-anywhere spec.egress[0] matches" in result.out
    assert "PASS  every shop pod resolves names: holds for 6 pairs\nPASS" in result.out


def test_scan_of_the_example_says_nothing_about_the_spec_beside_its_manifests(cli):
    """The spec sits inside the example's directory: scan recognises it as a netfence input
    (sources/file_kinds.py) and warns about nothing."""
    result = cli("scan", EXAMPLE, "-q")
    assert "connectivity-tests.yaml" not in result.err
    assert "warning" not in result.err


def test_failures_print_the_walk_and_exit_1(cli, failing_spec):
    result = cli("test", failing_spec, EXAMPLE)
    assert result.code == 1
    out = result.out
    assert out.startswith("PASS  the api reaches the database: holds for 1 pair\n")
    assert "FAIL  the frontend reaches the database: denied for 2 of 2 pairs" in out
    assert f"expected: allow shop/frontend -> shop/database on TCP 5432 ({failing_spec}:9)" in out
    assert "reason: a wish the policies do not grant" in out
    # The walk, as explain prints it: the verdict, each direction, the deciding steps.
    assert "shop/frontend (judged on pod shop/frontend-7d9c5b8f6d-abcde, 1 of 2)" in out
    assert "Ingress to shop/database: no ports" in out
    assert "FAIL  the api never reaches the payment provider: allowed for 1 of 1 pair" in out
    assert "NetworkPolicy/shop/backend-egress spec.egress[1].to[0].ports[0] Allow (TCP 443)" in out
    assert "ERROR a workload that is not there: from: shop/cache matches no endpoint" in out
    assert out.rstrip().endswith("1 passed, 2 failed, 1 error")


def test_junit_has_one_testcase_per_assertion(cli, failing_spec):
    result = cli("test", failing_spec, EXAMPLE, "-o", "junit")
    assert result.code == 1
    root = ET.fromstring(result.out)
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.tag == "testsuite" and suite.get("name") == "netfence test"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "1")
    cases = list(suite)
    assert [c.get("name") for c in cases] == [
        "the api reaches the database",
        "the frontend reaches the database",
        "the api never reaches the payment provider",
        "a workload that is not there",
    ]
    assert [c.get("line") for c in cases] == ["4", "9", "15", "20"]
    assert {c.get("file") for c in cases} == {str(failing_spec)}
    assert {c.get("classname") for c in cases} == {"netfence.test"}
    assert list(cases[0]) == []
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "expect allow"
    assert failure.get("message").startswith("denied for 2 of 2 pairs")
    assert "walk of the first failing pair:" in failure.text
    assert cases[2].find("failure").get("type") == "expect deny"
    error = cases[3].find("error")
    assert error is not None and "matches no endpoint" in error.get("message")


def _sarif(cli, spec: Path) -> dict:
    result = cli("test", spec, EXAMPLE, "-o", "sarif")
    assert result.code == 1
    return json.loads(result.out)


def test_sarif_is_valid_and_points_at_the_spec_and_the_deciding_rules(cli, failing_spec):
    log = _sarif(cli, failing_spec)
    _validate(log)
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [
        "assertion-fails",
        "assertion-fails",
        "assertion-cannot-be-evaluated",
    ]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]
    assert lines == [9, 15, 20]
    related = results[1]["relatedLocations"]
    assert [r["message"]["text"] for r in related] == [
        "Egress: NetworkPolicy/shop/backend-egress spec.egress[1].to[0].ports[0]"
    ]
    physical = related[0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("examples/arc-cluster/policies/shop.yaml")
    policy_lines = (EXAMPLE / "policies" / "shop.yaml").read_text().splitlines()
    assert "ports" in policy_lines[physical["region"]["startLine"] - 2]  # the entry under ports:
    isolating = [r["message"]["text"] for r in results[0]["relatedLocations"]]
    assert "Ingress: NetworkPolicy/shop/default-deny-all isolates shop/database for Ingress" in (
        isolating
    )


def test_sarif_passes_the_multitool_with_github_rules(cli, failing_spec, tmp_path):
    tool = _require_multitool()
    log = json.dumps(_sarif(cli, failing_spec))
    problems = _multitool_problems(tool, log, tmp_path)
    assert not problems, "\n".join(problems)


# --- usage and input errors: exit 2, one line -------------------------------------------------


def one_error_line(result) -> str:
    assert result.code == 2, result.out + result.err
    assert result.out == ""
    assert len(result.err_lines) == 1, result.err
    assert "Traceback" not in result.err
    return result.err_lines[0]


def test_a_bad_spec_is_one_line_with_file_line_and_field(cli, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(HEADER + "  - {name: a, from: shop/a, to: shop/b, expct: allow}\n")
    line = one_error_line(cli("test", spec, EXAMPLE))
    assert line == (
        f"netfence: error: {spec}: document 1, line 4: tests[0].expct: unknown field"
        " (did you mean 'expect'?)"
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-o", "json"], "expected one of text, junit, sarif"),
        (["--must-hold", "a->b"], "--must-hold goes with --init"),
    ],
)
def test_usage_errors(cli, args, fragment):
    assert fragment in one_error_line(cli("test", EXAMPLE_SPEC, EXAMPLE, *args))


def test_a_spec_without_manifests_is_a_usage_error(cli):
    assert "at least one manifest PATH" in one_error_line(cli("test", EXAMPLE_SPEC))


def test_standard_input_holds_the_spec_or_the_manifests_not_both(cli):
    assert "not both" in one_error_line(cli("test", "-", "-"))


def test_namespace_keeps_the_assertions_naming_it(cli, failing_spec):
    result = cli("test", EXAMPLE_SPEC, EXAMPLE, "-n", "monitoring")
    assert result.code == 0
    assert result.out.splitlines() == [
        "PASS  Prometheus scrapes the api's metrics: holds for 1 pair",
        "1 passed, 0 failed, 0 errors",
    ]
    assert "no assertion" in one_error_line(cli("test", EXAMPLE_SPEC, EXAMPLE, "-n", "nowhere"))


# --- --init ---------------------------------------------------------------------------------


def test_init_writes_a_spec_that_passes_and_fails_once_a_marked_flow_breaks(cli, tmp_path):
    cluster = tmp_path / "cluster"
    shutil.copytree(EXAMPLE, cluster, ignore=shutil.ignore_patterns("tests"))
    spec = tmp_path / "connectivity-tests.yaml"
    written = cli(
        "test",
        "--init",
        cluster,
        "--must-hold",
        "shop/*->shop/database",
        "--must-hold",
        "shop/frontend->*/*",
        "--deny-others",
        "-o",
        spec,
    )
    assert written.code == 0, written.err
    assert written.err == f"netfence: wrote {spec}\n"
    text = spec.read_text()
    assert '- name: "shop/backend -> shop/database TCP 5432"' in text
    assert '- name: "shop/frontend -> shop/backend TCP 8443"' in text
    assert '- name: "shop/frontend -> shop/database denied"' in text
    assert "delete those that" not in text  # only the marked flows: nothing to prune
    passing = cli("test", spec, cluster)
    assert passing.code == 0, passing.out
    # A guardrail that denies the api's database traffic breaks a marked flow.
    (cluster / "policies" / "lockdown.yaml").write_text(
        "apiVersion: projectcalico.org/v3\n"
        "kind: GlobalNetworkPolicy\n"
        "metadata:\n"
        "  name: security.database-lockdown\n"
        "spec:\n"
        "  tier: security\n"
        "  order: 1\n"
        "  selector: app == 'database'\n"
        "  types: [Ingress]\n"
        "  ingress:\n"
        "    - action: Deny\n"
    )
    failing = cli("test", spec, cluster)
    assert failing.code == 1
    assert "FAIL  shop/backend -> shop/database TCP 5432" in failing.out
    assert "GlobalNetworkPolicy/database-lockdown spec.ingress[0] Deny (TCP 5432)" in failing.out


def test_init_to_stdout_marks_every_connection_and_says_to_prune(cli, tmp_path):
    result = cli("test", "--init", EXAMPLE, "-o", "-")
    assert result.code == 0
    assert result.out.startswith("# Connectivity assertions for netfence test")
    assert "delete those that" in result.out
    spec = tmp_path / "all.yaml"
    spec.write_text(result.out)
    assert cli("test", spec, EXAMPLE).code == 0


def test_init_never_overwrites_nor_follows_a_link(cli, tmp_path):
    existing = tmp_path / "spec.yaml"
    existing.write_text("keep\n")
    line = one_error_line(cli("test", "--init", EXAMPLE, "-o", existing))
    assert "exists; use --force" in line and existing.read_text() == "keep\n"
    target = tmp_path / "elsewhere.yaml"
    target.write_text("keep\n")
    link = tmp_path / "link.yaml"
    os.symlink(target, link)
    line = one_error_line(cli("test", "--init", EXAMPLE, "-o", link, "--force"))
    assert "symbolic link" in line and target.read_text() == "keep\n"


def test_init_refuses_a_pattern_that_matches_nothing(cli):
    line = one_error_line(cli("test", "--init", EXAMPLE, "--must-hold", "nowhere/*->*/*"))
    assert "matches --must-hold" in line
    assert "expected SRC->DST" in one_error_line(cli("test", "--init", EXAMPLE, "--must-hold", "x"))
