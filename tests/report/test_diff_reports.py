"""The diff's renderers: the JSON contract validates against its schema, SARIF against the
official 2.1.0 schema and the SARIF Multitool, Markdown fits a pull-request comment."""

from __future__ import annotations

import importlib.resources
import json

import jsonschema
import pytest

from netfence.analyses.connectivity_map import Granularity
from netfence.analyses.diff import ClusterDiff, diff_clusters
from netfence.analyses.diff_forbid import forbidden, parse_forbid
from netfence.report.diff_json import SCHEMA_VERSION, render_diff_json
from netfence.report.diff_markdown import MAX_CHARS, render_diff_markdown
from netfence.report.diff_sarif import FORBIDDEN, OPENED, render_diff_sarif
from netfence.report.diff_text import render_diff_text
from netfence.sources.manifests import load_cluster_from_text
from tests.analyses.builders import (
    deployment,
    ip_block,
    manifests,
    match,
    namespace,
    policy,
    port,
)
from tests.report.test_sarif import _multitool_problems, _require_multitool
from tests.report.test_sarif import _validate as validate_sarif


def _diff(granularity: Granularity = Granularity.WORKLOAD) -> tuple[ClusterDiff, list]:
    base = [namespace("shop", team="shop"), namespace("data"), deployment("shop", "frontend"),
            deployment("shop", "cart"), deployment("data", "db")]  # fmt: skip
    before = [*base, policy("data", "db", match(app="db"), ingress=[
        {"from": [{"podSelector": match(app="cart"), "namespaceSelector": {}}]}])]  # fmt: skip
    after = [*base[:-1], deployment("data", "cache"), deployment("data", "db"),
             policy("data", "db", match(app="db"), ingress=[
                 {"from": [{"namespaceSelector": {}}, ip_block("0.0.0.0/0", "10.0.0.0/8")],
                  "ports": [port(5432)]}]),
             policy("shop", "out", match(app="frontend"), types=["Egress"],
                    egress=[{"to": [ip_block("203.0.113.0/24"), {"namespaceSelector": {}}]}])]  # fmt: skip
    diff = diff_clusters(
        load_cluster_from_text(manifests(*before), "before.yaml"),
        load_cluster_from_text(manifests(*after), "after.yaml"),
        granularity,
    )
    rules = [parse_forbid("shop/frontend->data/db:5432")]
    return diff, list(forbidden(diff, rules))


def _diff_schema() -> dict:
    resource = importlib.resources.files("netfence.report") / "schemas" / "diff-1.json"
    return json.loads(resource.read_text(encoding="utf-8"))


@pytest.mark.parametrize("granularity", list(Granularity))
def test_json_validates_against_its_schema(granularity):
    """The JSON contract (docs/json-diff.md): every output validates against diff-1.json."""
    diff, marks = _diff(granularity)
    document = json.loads(render_diff_json(diff, marks))
    validator = jsonschema.Draft202012Validator(_diff_schema())
    validator.check_schema(_diff_schema())
    errors = list(validator.iter_errors(document))
    assert not errors, [e.message for e in errors]
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["summary"]["forbidden"] == 1
    terms = [t for c in document["changes"] for t in c["src_addresses"]]
    assert {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]} in terms  # ipBlock-shaped
    empty = json.loads(render_diff_json(diff_clusters(*[load_cluster_from_text(manifests(
        namespace("a")))] * 2)))  # fmt: skip
    assert not list(validator.iter_errors(empty)) and empty["changes"] == []


def test_sarif_one_result_per_opened_flow_at_the_after_rule():
    """SARIF: one result per opened flow; error for a --forbid match, warning otherwise; the
    location is the AFTER-side rule that allows it."""
    diff, marks = _diff()
    log = json.loads(render_diff_sarif(diff, marks))
    validate_sarif(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(diff.opened)
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {FORBIDDEN: "error", OPENED: "warning"}
    forbidden_result = next(r for r in results if r["ruleId"] == FORBIDDEN)
    physical = forbidden_result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "after.yaml", "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] > 1


def test_sarif_multitool_reports_no_errors_or_warnings_on_a_diff(tmp_path):
    """The SARIF Multitool (SARIF and GitHub rules) finds nothing wrong with the log itself."""
    tool = _require_multitool()
    diff, marks = _diff()
    problems = _multitool_problems(tool, render_diff_sarif(diff, marks), tmp_path)
    assert not problems, "\n".join(problems)


def test_markdown_summary_first_opened_before_closed():
    """Markdown: the summary table first; forbidden, then opened rows, before closed rows."""
    diff, marks = _diff()
    text = render_diff_markdown(diff, marks)
    assert text.startswith("## netfence diff\n\n| Opened | Closed |")
    first_closed = text.index("| ➖ |")
    assert text.index("| ⛔ forbidden |") < text.index("| ➕ |") < first_closed
    assert "`data/cache`" in text


def test_markdown_is_truncated_under_githubs_comment_limit():
    """Markdown: past MAX_CHARS rows are left out and counted (GitHub refuses 65,536+)."""
    objects = [namespace("big")]
    objects += [deployment("big", f"w{i}", {"app": f"w{i}"}) for i in range(160)]
    before = load_cluster_from_text(manifests(*objects))
    after = load_cluster_from_text(manifests(*objects, *[
        policy("big", f"p{i}", match(app=f"w{i}"), ingress=[
            {"from": [{"podSelector": match(app=f"w{(i * 7 + j) % 160}")}
                      for j in range(3)], "ports": [port(1000 + i)]}])
        for i in range(160)]))  # fmt: skip
    diff = diff_clusters(before, after)
    text = render_diff_markdown(diff)
    assert len(text) < MAX_CHARS
    assert "more changed flows left out" in text


def test_text_lists_opened_then_closed_with_both_sides():
    """Text: a summary line, opened flows, closed flows, each with before and after."""
    diff, marks = _diff()
    text = render_diff_text(diff, marks)
    assert text.splitlines()[0].startswith("netfence diff (workloads): 1 FORBIDDEN")
    assert text.index("Opened (") < text.index("Closed (")
    assert "before: denied" in text and "after:  allowed" in text
    assert "0.0.0.0/0 except 10.0.0.0/8" in text
    assert "Endpoints only in AFTER (1):\n  data/cache (Deployment)" in text
