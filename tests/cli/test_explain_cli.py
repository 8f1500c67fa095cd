"""``netfence explain SRC DST PATH... [--port P/PROTO] [-o json]`` on the fixture cluster.

Requirements: README "Commands" (one flow's verdict per direction, and the policy, rule, peer
and port entry behind it), docs/json-connectivity.md (explain JSON keys), and the exit codes
(2 with one error line for an unknown endpoint or a bad ``--port``).

The fixture (tests/conftest.py ``SHOP_MANIFEST``): shop is default-deny; frontend's egress
allows backend on 9090 (``egress[0]``) and 192.168.0.0/16 except 192.168.1.0/24 on TCP 443
(``egress[1]``); backend's ingress allows frontend on the named port ``api`` = 9090
(``ingress[0]``); ops/toolbox is selected by no policy.
"""

from __future__ import annotations

import json
import os

import pytest

# Comments on the port entries of SHOP_MANIFEST (tests/conftest.py), to find their lines.
INGRESS_API = "# ingress[0] ports[0]"
EGRESS_BACKEND = "# egress[0] ports[0]"
EGRESS_IPBLOCK = "# egress[1] ports[0]"


def explain(cli, path, *args: str):
    """Run ``netfence explain`` on the fixture; returns the CliResult."""
    return cli("explain", *args[:2], path, *args[2:])


def explain_json(cli, path, *args: str) -> dict:
    result = explain(cli, path, *args, "-o", "json")
    assert result.code == 0, result.err
    assert result.err == ""
    return json.loads(result.out)


def marker_line(path, marker: str) -> int:
    """1-based line of the fixture line carrying ``marker`` (a comment in SHOP_MANIFEST)."""
    lines = [i for i, text in enumerate(path.read_text().splitlines(), 1) if marker in text]
    assert len(lines) == 1, marker
    return lines[0]


def one_error_line(result) -> str:
    assert result.code == 2
    assert result.out == ""
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("netfence: error: ")
    return result.err_lines[0]


# --- text ---------------------------------------------------------------------------------


def test_allowed_flow_names_policies_rule_paths_and_file_lines(cli, shop_cluster):
    """An allowed flow names, per direction, the tier, the policy, the field path down to the
    peer and port entry (``spec.egress[0].to[0].ports[0]``), the action and the file:line of the
    entry that allowed it (NetworkPolicy API reference: an isolated pod's allowed traffic is
    the union of the selecting policies' rules)."""
    result = explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "9090/TCP")
    assert result.code == 0, result.err
    assert result.err == ""
    lines = result.out.splitlines()
    assert lines[0].startswith("shop/frontend -> shop/backend")
    assert lines[0].endswith("on TCP 9090: ALLOWED")
    path = os.fspath(shop_cluster)
    egress = marker_line(shop_cluster, EGRESS_BACKEND)
    ingress = marker_line(shop_cluster, INGRESS_API)
    assert (
        "  [NetworkPolicy] NetworkPolicy/shop/frontend-egress spec.egress[0].to[0].ports[0] "
        f"Allow (TCP 9090) ({path}:{egress})" in lines
    )
    assert (
        "  [NetworkPolicy] NetworkPolicy/shop/backend-from-frontend "
        f"spec.ingress[0].from[0].ports[0] Allow (TCP 9090) ({path}:{ingress})" in lines
    )
    assert (
        "  selected by: NetworkPolicy/shop/default-deny, NetworkPolicy/shop/frontend-egress"
        in lines
    )
    assert (
        "  selected by: NetworkPolicy/shop/backend-from-frontend, NetworkPolicy/shop/default-deny"
        in lines
    )


def test_workload_destination_is_judged_on_one_of_its_pods(cli, shop_cluster):
    """A workload name stands for its pods; the report says which pod it judged and how many
    the workload has (backend has two)."""
    result = explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "9090")
    assert result.code == 0
    assert "shop/backend (judged on pod shop/backend-5f7b9c-x" in result.out
    assert "1 of 2)" in result.out


def test_pod_name_is_an_endpoint_too(cli, shop_cluster):
    """``ns/pod`` names a single pod; without ``--port`` the allowed ports are listed."""
    result = explain(cli, shop_cluster, "shop/frontend", "shop/backend-5f7b9c-x2")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "shop/frontend -> shop/backend-5f7b9c-x2 on any port: ALLOWED"
    assert "  allowed: TCP 9090" in lines


def test_denied_flow_names_the_selecting_policies_and_no_matching_rule(cli, shop_cluster):
    """A denied flow says which policies select each endpoint and that no rule of them matches
    (backend -> frontend: both isolated by default-deny, no rule allows it)."""
    result = explain(cli, shop_cluster, "shop/backend", "shop/frontend", "--port", "8080/TCP")
    assert result.code == 0, "a DENIED verdict is an answer, not an error"
    lines = result.out.splitlines()
    assert lines[0].endswith("on TCP 8080: DENIED")
    assert lines.count("  no rule of the selecting policies matches: denied") == 2
    assert "Egress from shop/backend: no ports" in lines
    assert "Ingress to shop/frontend: no ports" in lines
    assert lines.count("  selected by: NetworkPolicy/shop/default-deny") == 2
    assert lines.count("  [NetworkPolicy] end of tier Deny (TCP 8080)") == 2


def test_denied_when_only_one_direction_blocks(cli, shop_cluster):
    """Both directions must allow: toolbox is not isolated for egress, but backend's ingress
    admits only frontend, so the flow is denied at backend's ingress."""
    result = explain(cli, shop_cluster, "ops/toolbox", "shop/backend", "--port", "9090/TCP")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].endswith(": DENIED")
    assert "  no policy selects ops/toolbox for Egress: it is not isolated" in lines
    assert "  no rule of the selecting policies matches: denied" in lines


def test_endpoint_selected_by_no_policy_is_not_isolated(cli, shop_cluster):
    """An endpoint no policy selects is reported as not isolated (all allowed on its side);
    an external destination has no NetworkPolicy side at all."""
    result = explain(cli, shop_cluster, "ops/toolbox", "203.0.113.7")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "ops/toolbox -> 203.0.113.7 (external) on any port: ALLOWED"
    assert "  no policy selects ops/toolbox for Egress: it is not isolated" in lines
    assert "  an external endpoint: no policy governs its side" in lines
    assert "  allowed: All" in lines


@pytest.mark.parametrize(
    ("address", "port", "verdict"),
    [
        pytest.param("192.168.3.4", "443/TCP", "ALLOWED", id="inside-cidr"),
        pytest.param("192.168.1.4", "443/TCP", "DENIED", id="inside-except"),
        pytest.param("192.168.3.4", "80/TCP", "DENIED", id="other-port"),
        pytest.param("192.168.3.4", "443/UDP", "DENIED", id="other-protocol"),
        pytest.param("10.9.9.9", "443/TCP", "DENIED", id="outside-cidr"),
    ],
)
def test_external_ip_destination(cli, shop_cluster, address, port, verdict):
    """An IP address as destination is judged against ipBlock peers: cidr minus except, on the
    rule's ports and protocol only."""
    result = explain(cli, shop_cluster, "shop/frontend", address, "--port", port)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == (
        f"shop/frontend -> {address} (external) on {port.split('/')[1]} "
        f"{port.split('/')[0]}: {verdict}"
    )
    rule = (
        "  [NetworkPolicy] NetworkPolicy/shop/frontend-egress spec.egress[1].to[0].ports[0] "
        f"Allow (TCP 443) ({shop_cluster}:"
    )
    assert any(line.startswith(rule) for line in lines) == (verdict == "ALLOWED")


def test_external_ip_source(cli, shop_cluster):
    """An IP address as source: the destination's ingress decides (toolbox is not isolated;
    backend admits only frontend)."""
    open_ = explain(cli, shop_cluster, "198.51.100.1", "ops/toolbox", "--port", "22/TCP")
    assert open_.out.splitlines()[0].endswith(": ALLOWED")
    closed = explain(cli, shop_cluster, "198.51.100.1", "shop/backend", "--port", "9090/TCP")
    assert closed.out.splitlines()[0].endswith(": DENIED")


def test_named_port_is_resolved_on_the_destination(cli, shop_cluster):
    """``--port api/TCP`` resolves the name on the destination's container ports (backend's
    ``api`` = 9090), and the verdict is for that number."""
    result = explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "api/TCP")
    assert result.code == 0
    assert result.out.splitlines()[0].endswith("on TCP 9090: ALLOWED")
    doc = explain_json(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "api")
    assert doc["port"] == {"protocol": "TCP", "port": 9090}
    assert doc["allowed"] is True


def test_protocol_in_port_is_case_insensitive_on_the_command_line(cli, shop_cluster):
    """``--port 9090/tcp`` is read as TCP (the documented ``53/udp`` form)."""
    doc = explain_json(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "9090/tcp")
    assert doc["port"] == {"protocol": "TCP", "port": 9090}


# --- JSON ---------------------------------------------------------------------------------


def test_json_allowed_flow(cli, shop_cluster):
    """Explain JSON (docs/json-explain.md): schema_version "2", src, dst, port, allowed,
    allowed_ports, and per direction endpoint, selected_by, allowed, reason and the steps of
    the walk, each naming layer, tier, action, ports, policy, rule (index, peer and port
    entry, path) and location."""
    doc = explain_json(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "9090/TCP")
    assert doc["schema_version"] == "2"
    assert (doc["src"], doc["dst"]) == ("shop/frontend", "shop/backend")
    assert doc["port"] == {"protocol": "TCP", "port": 9090}
    assert doc["allowed"] is True
    assert doc["allowed_ports"] == {"TCP": [[9090, 9090]]}
    egress, ingress = doc["egress"], doc["ingress"]
    assert egress["direction"] == "Egress" and ingress["direction"] == "Ingress"
    assert egress["endpoint"] == "shop/frontend" and ingress["endpoint"] == "shop/backend"
    assert egress["selected_by"] == [
        "NetworkPolicy/shop/default-deny",
        "NetworkPolicy/shop/frontend-egress",
    ]
    assert ingress["selected_by"] == [  # in walk order: by order, then name
        "NetworkPolicy/shop/backend-from-frontend",
        "NetworkPolicy/shop/default-deny",
    ]
    (step,) = egress["steps"]
    assert step["policy"] == {
        "kind": "NetworkPolicy",
        "namespace": "shop",
        "name": "frontend-egress",
    }
    assert step["rule"] == {
        "direction": "Egress",
        "index": 0,
        "name": None,
        "peer_index": 0,
        "port_index": 0,
        "path": "spec.egress[0].to[0].ports[0]",
    }
    assert (step["kind"], step["layer"], step["tier"], step["action"]) == (
        "rule",
        "policy",
        "NetworkPolicy",
        "Allow",
    )
    assert step["ports"] == {"TCP": [[9090, 9090]]}
    assert step["location"]["file"] == os.fspath(shop_cluster)
    assert step["location"]["line"] == marker_line(shop_cluster, EGRESS_BACKEND)
    (step,) = ingress["steps"]
    assert step["rule"]["path"] == "spec.ingress[0].from[0].ports[0]"
    assert step["what"] == (
        "NetworkPolicy/shop/backend-from-frontend spec.ingress[0].from[0].ports[0]"
    )
    assert step["location"]["line"] == marker_line(shop_cluster, INGRESS_API)


def test_json_without_port_lists_everything_allowed(cli, shop_cluster):
    """Without ``--port``, ``port`` is null and ``allowed_ports`` is what both directions allow
    (only 443/TCP towards 192.168.3.4); the walk ends in the tier's end-of-tier deny for the
    rest."""
    doc = explain_json(cli, shop_cluster, "shop/frontend", "192.168.3.4")
    assert doc["port"] is None
    assert doc["allowed"] is True
    assert doc["allowed_ports"] == {"TCP": [[443, 443]]}
    allow, end = doc["egress"]["steps"]
    assert (allow["policy"]["name"], allow["rule"]["index"], allow["rule"]["peer_index"]) == (
        "frontend-egress",
        1,
        0,
    )
    assert allow["rule"]["port_index"] == 0
    assert allow["location"]["line"] == marker_line(shop_cluster, EGRESS_IPBLOCK)
    assert (end["kind"], end["action"], end["policy"], end["rule"]) == (
        "end-of-tier",
        "Deny",
        None,
        None,
    )
    assert doc["ingress"]["selected_by"] == []
    assert doc["ingress"]["steps"] == []


def test_json_denied_flow(cli, shop_cluster):
    """A denied flow in JSON: allowed false, nothing allowed, the selecting policies named,
    no rule step (only the end-of-tier deny), and a reason saying no rule matches."""
    doc = explain_json(cli, shop_cluster, "shop/backend", "shop/frontend", "--port", "8080/TCP")
    assert doc["allowed"] is False
    assert doc["allowed_ports"] == {}
    for part in (doc["egress"], doc["ingress"]):
        assert part["selected_by"] == ["NetworkPolicy/shop/default-deny"]
        assert [s["kind"] for s in part["steps"]] == ["end-of-tier"]
        assert part["allowed"] == {}
        assert "no rule" in part["reason"] and "denied" in part["reason"]


def test_json_not_isolated(cli, shop_cluster):
    """An endpoint selected by no policy: selected_by empty, everything allowed by the default
    step, and the reason says it is not isolated."""
    doc = explain_json(cli, shop_cluster, "ops/toolbox", "203.0.113.7", "--port", "53/UDP")
    assert doc["allowed"] is True
    assert doc["egress"]["selected_by"] == []
    assert [(s["kind"], s["action"]) for s in doc["egress"]["steps"]] == [("default", "Allow")]
    assert doc["egress"]["allowed"] == {"UDP": [[53, 53]]}
    assert "not isolated" in doc["egress"]["reason"]


def test_json_shape_is_the_same_whatever_families_are_present(cli, shop_cluster, tmp_path):
    """The contract does not change shape when an unrelated BaselineAdminNetworkPolicy joins
    the input: the same steps name the same policy the same way (network-policy-api: the
    Baseline tier only decides what every other tier left undecided)."""
    before = explain_json(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", "9090")
    baseline = tmp_path / "banp.yaml"
    baseline.write_text(
        "apiVersion: policy.networking.k8s.io/v1alpha1\n"
        "kind: BaselineAdminNetworkPolicy\n"
        "metadata: {name: default}\n"
        "spec:\n"
        "  subject: {namespaces: {matchLabels: {team: nobody}}}\n"
        "  ingress:\n"
        "  - {name: deny-all, action: Deny, from: [{namespaces: {}}]}\n"
    )
    result = cli(
        "explain",
        "shop/frontend",
        "shop/backend",
        shop_cluster,
        baseline,
        "--port",
        "9090",
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    assert json.loads(result.out) == before


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        pytest.param("shop/nope", "shop/backend", id="unknown-source"),
        pytest.param("shop/frontend", "shop/nope", id="unknown-destination"),
        pytest.param("frontend", "shop/backend", id="name-without-namespace"),
        pytest.param("999.1.1.1", "shop/backend", id="not-an-address"),
    ],
)
def test_unknown_endpoint_is_one_error_line(cli, shop_cluster, src, dst):
    """An endpoint that names no workload, pod or IP address: exit 2, one line naming it."""
    unknown = src if src != "shop/frontend" else dst
    line = one_error_line(explain(cli, shop_cluster, src, dst))
    assert repr(unknown) in line


def test_two_external_endpoints_are_refused(cli, shop_cluster):
    """A flow needs at least one in-cluster end (external-to-external is outside NetworkPolicy)."""
    one_error_line(explain(cli, shop_cluster, "198.51.100.1", "203.0.113.7"))


@pytest.mark.parametrize(
    ("port", "fragment"),
    [
        pytest.param("0", "outside 1-65535", id="zero"),
        pytest.param("65536/TCP", "outside 1-65535", id="too-large"),
        pytest.param("80/ICMP", "unknown protocol", id="unknown-protocol"),
        pytest.param("80/TCP/UDP", "unknown protocol", id="two-protocols"),
        pytest.param("http/TCP", "no TCP port named 'http'", id="name-not-on-destination"),
        pytest.param("api/UDP", "no UDP port named 'api'", id="name-with-other-protocol"),
        pytest.param("", "port", id="empty"),
    ],
)
def test_bad_port_is_one_error_line(cli, shop_cluster, port, fragment):
    """A bad ``--port`` (out of range, unknown protocol, a name the destination does not
    declare): exit 2, one error line, nothing on stdout."""
    line = one_error_line(
        explain(cli, shop_cluster, "shop/frontend", "shop/backend", "--port", port)
    )
    assert fragment in line


def test_named_port_towards_an_external_address_is_an_error(cli, shop_cluster):
    """A port name can only be resolved on an in-cluster destination."""
    line = one_error_line(
        explain(cli, shop_cluster, "shop/frontend", "192.168.3.4", "--port", "https/TCP")
    )
    assert "in-cluster destination" in line


def test_bad_output_format_is_a_usage_error(cli, shop_cluster):
    """explain supports ``-o text|json`` only; anything else is a usage error (exit 2)."""
    one_error_line(explain(cli, shop_cluster, "shop/frontend", "shop/backend", "-o", "csv"))


LAYERED = """
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: prod}}
---
apiVersion: v1
kind: Pod
metadata: {name: frontend, namespace: prod, labels: {app: frontend}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: prod, labels: {app: client}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: guardrails}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {name: block-telnet, action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: 23}}]}
  - {name: delegate, action: Pass, from: [{namespaces: {}}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-frontend, namespace: prod}
spec:
  podSelector: {matchLabels: {app: frontend}}
  ingress: [{from: [{podSelector: {}}], ports: [{port: http}]}]
"""


def test_explain_walks_the_layers(cli, write):
    """With AdminNetworkPolicy objects, explain shows the walk through the layers: the Admin
    tier's Pass (rule named) hands the flow to the NetworkPolicy that allows it; a Deny in the
    Admin tier is final (network-policy-api: ANP precedence over NetworkPolicy)."""
    path = write(LAYERED)
    allowed = cli("explain", "prod/client", "prod/frontend", path, "--port", "8080")
    assert allowed.code == 0
    lines = allowed.out.splitlines()
    start = lines.index("Ingress to prod/frontend: TCP 8080")
    assert lines[start + 3].startswith(
        "  [Admin] AdminNetworkPolicy/guardrails spec.ingress[1].from[0] (delegate) Pass (TCP 8080)"
    )
    assert lines[start + 4].startswith(
        "  [NetworkPolicy] NetworkPolicy/prod/allow-frontend spec.ingress[0].from[0].ports[0] "
        "Allow (TCP 8080)"
    )
    denied = cli("explain", "prod/client", "prod/frontend", path, "--port", "23", "-o", "json")
    doc = json.loads(denied.out)
    assert doc["allowed"] is False
    assert [(s["tier"], s["action"]) for s in doc["ingress"]["steps"]] == [("Admin", "Deny")]


# --- facts the input lacks ------------------------------------------------------------------

UNADDRESSED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1, ports: [{containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
"""


def test_explain_names_the_rule_whose_verdict_needs_a_pod_address(cli, write):
    """docs/json-explain.md ``missing_facts``: the destination has no address in the input
    (a template from git) and the source's egress rule matches 10.0.0.0/8, which may hold it
    (ipBlock, API reference); text and JSON say so and name the rule."""
    path = write(UNADDRESSED)
    doc = explain_json(cli, path, "shop/web", "shop/db", "--port", "5432")
    assert doc["allowed"] is False
    (fact,) = doc["missing_facts"]
    assert fact["fact"] == "pod addresses"
    assert fact["direction"] == "Egress"
    assert fact["rule"] == "NetworkPolicy/shop/web-egress spec.egress[0]"
    assert "shop/db has no address in the input" in fact["detail"]
    text = explain(cli, path, "shop/web", "shop/db", "--port", "5432").out
    assert "Depends on facts the input lacks" in text
    assert "NetworkPolicy/shop/web-egress spec.egress[0] matches 10.0.0.0/8" in text


def test_explain_has_no_missing_facts_once_pods_have_addresses(cli, write):
    """``missing_facts`` is empty when the other end has its status.podIP: the ipBlock is
    judged against the real address."""
    pod = (
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: db-0, namespace: shop, labels: "
        "{app: db}}\nspec: {containers: [{name: db, image: db:1}]}\nstatus: {podIP: 10.1.0.7}\n"
    )
    path = write(UNADDRESSED + pod)
    doc = explain_json(cli, path, "shop/web", "shop/db-0", "--port", "5432")
    assert doc["allowed"] is True
    assert doc["missing_facts"] == []
    assert "Depends on facts" not in explain(cli, path, "shop/web", "shop/db-0").out


def test_explain_an_address_in_pod_space_no_pod_has(cli, write):
    """An external address inside the pod address space (no pod CIDR: the private ranges)
    that no pod of the input has may be a pod's in the cluster."""
    doc = explain_json(cli, write(UNADDRESSED), "shop/web", "10.9.9.9", "--port", "443")
    (fact,) = doc["missing_facts"]
    assert fact["rule"] is None
    assert "10.9.9.9 is in the private ranges" in fact["detail"]


def test_explain_leaves_out_rules_whose_ports_miss_the_asked_port(cli, write):
    """``missing_facts`` names only rules that could decide the asked port: an ipBlock rule
    on TCP 443 says nothing about TCP 5432."""
    text = UNADDRESSED.replace(
        "  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]",
        "  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n    ports: [{port: 443}]",
    )
    path = write(text)
    assert explain_json(cli, path, "shop/web", "shop/db", "--port", "5432")["missing_facts"] == []
    (fact,) = explain_json(cli, path, "shop/web", "shop/db", "--port", "443")["missing_facts"]
    assert fact["rule"] == "NetworkPolicy/shop/web-egress spec.egress[0]"
