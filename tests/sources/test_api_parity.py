"""Input as the API server sees it: what it refuses is refused, what it accepts is accepted.

Every refusal is one line on stderr (``netfence: error: FILE: document N, line L: FIELD:
message``), exit 2, nothing on stdout. Each case names the API server rule it follows:
apimachinery validation functions (NameIsDNSLabel, NameIsDNSSubdomain, ValidateLabels,
ValidateLabelSelector, IsValidPortName, IsValidPortNum), the Pod, NetworkPolicy, Service,
Endpoints and EndpointSlice validation of Kubernetes, Go's net.ParseCIDR, Go's JSON decoder
(no NaN, Infinity or integers past 64 bits) and the Calico and network-policy-api
references. docs/validation.md lists them.
"""

from __future__ import annotations

import json
import logging
import textwrap

import pytest

from netfence import load, loads
from netfence.errors import InputError
from tests.sources.test_bad_input import assert_located_error, policy

EXIT_OK = 0


def named(kind: str, name: str, api: str = "v1", namespace: str | None = None) -> str:
    """A minimal object of ``kind`` with this metadata.name (a YAML scalar as written)."""
    text = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n"
    if namespace is not None:
        text += f"  namespace: {namespace}\n"
    return text


def pod(spec: str, labels: str = "") -> str:
    """A Pod in namespace shop with this spec (block YAML) and optional label lines."""
    head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n"
    if labels:
        head += "  labels:\n" + textwrap.indent(textwrap.dedent(labels), "    ")
    return head + "spec:\n" + textwrap.indent(textwrap.dedent(spec), "  ")


def container_ports(entries: str) -> str:
    """A Pod with one container whose ports are these entries (block YAML)."""
    return pod(
        "containers:\n  - name: c\n    image: nginx\n    ports:\n"
        + textwrap.indent(textwrap.dedent(entries), "      ")
    )


def calico_gnp(spec: str, name: str = "guard") -> str:
    """A Calico GlobalNetworkPolicy with this spec (block YAML)."""
    return (
        named("GlobalNetworkPolicy", name, "projectcalico.org/v3")
        + "spec:\n"
        + (textwrap.indent(textwrap.dedent(spec), "  "))
    )


def api_service(ports: str) -> str:
    """The default/kubernetes Service with these ports (block YAML)."""
    return (
        named("Service", "kubernetes", namespace="default")
        + "spec:\n  clusterIP: 10.96.0.1\n  ports:\n"
        + textwrap.indent(textwrap.dedent(ports), "    ")
    )


def selector(expression: str) -> str:
    """A NetworkPolicy (document 2) whose podSelector has one matchExpressions entry."""
    return policy(
        "podSelector:\n  matchExpressions:\n" + textwrap.indent(textwrap.dedent(expression), "    ")
    )


def ingress_port(entry: str) -> str:
    """A NetworkPolicy (document 2) whose only ingress rule has this port entry."""
    return policy(
        "podSelector: {}\ningress:\n  - ports:\n"
        + textwrap.indent(textwrap.dedent(entry), "      ")
    )


def ip_block(cidr: str, excepted: str | None = None) -> str:
    """A NetworkPolicy (document 2) with one ingress ipBlock peer."""
    text = f"podSelector: {{}}\ningress:\n  - from:\n      - ipBlock:\n          cidr: {cidr}\n"
    if excepted is not None:
        text += f"          except: [{excepted}]\n"
    return policy(text)


LONG = "a" * 300
# (text, marker on the offending line, field, message fragment, document)
REFUSED = [
    # --- object and namespace names (NameIsDNSLabel / NameIsDNSSubdomain per kind) ---------
    pytest.param(
        named("Namespace", "'10.0.0.0'"),
        "name:",
        "metadata.name",
        "DNS-1123 label",
        1,
        id="ValidateNamespaceName-dots",
    ),
    pytest.param(
        named("Namespace", "UPPER"), "name:", "metadata.name", "DNS-1123 label", 1, id="ns-upper"
    ),
    pytest.param(
        named("Namespace", "a" * 64),
        "name:",
        "metadata.name",
        "at most 63",
        1,
        id="ValidateNamespaceName-64-chars",
    ),
    pytest.param(
        named("Pod", "'../../etc/x'"),
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="ValidatePodName-path",
    ),
    pytest.param(
        named("Pod", '"web\\nforged line"'),
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="ValidatePodName-newline",
    ),
    pytest.param(
        named("Pod", LONG), "name:", "metadata.name", "at most 253", 1, id="ValidatePodName-300"
    ),
    pytest.param(
        named("Pod", "web", namespace="'10.0.0.0'"),
        "namespace:",
        "metadata.namespace",
        "invalid namespace '10.0.0.0'",
        1,
        id="ValidateObjectMeta-namespace-is-a-label",
    ),
    pytest.param(
        named("NetworkPolicy", "a/b", "networking.k8s.io/v1", "shop"),
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="ValidateNetworkPolicyName-slash",
    ),
    pytest.param(
        named("Deployment", "Web", "apps/v1", "shop"),
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="ValidateDeploymentName-upper",
    ),
    pytest.param(
        named("StatefulSet", "db.primary", "apps/v1", "shop"),
        "name:",
        "metadata.name",
        "DNS-1123 label",
        1,
        id="ValidateStatefulSetName-is-a-label",
    ),
    pytest.param(
        named("CronJob", "c" * 53, "batch/v1", "shop"),
        "name:",
        "metadata.name",
        "at most 52",
        1,
        id="ValidateCronJob-52-chars",
    ),
    pytest.param(
        named("Job", "j" * 64, "batch/v1", "shop"),
        "name:",
        "metadata.name",
        "at most 63",
        1,
        id="ValidateJob-job-name-label",
    ),
    pytest.param(
        named("ServiceAccount", "a_b", namespace="shop"),
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="ValidateServiceAccountName",
    ),
    pytest.param(
        named("Node", "Node-1"),
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="ValidateNodeName",
    ),
    pytest.param(
        calico_gnp("selector: all()", name="Guard"),
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="calico-ObjectMeta-name",
    ),
    pytest.param(
        named("AdminNetworkPolicy", "a/b", "policy.networking.k8s.io/v1alpha1")
        + "spec:\n  priority: 1\n  subject: {namespaces: {}}\n",
        "name:",
        "metadata.name",
        "DNS-1123 subdomain",
        1,
        id="anp-ObjectMeta-name",
    ),
    # --- labels (ValidateLabels: IsQualifiedName keys, IsValidLabelValue values) --------------
    pytest.param(
        pod("containers: []\n", labels="'bad key': x\n"),
        "'bad key'",
        "metadata.labels.bad key",
        "invalid label key",
        1,
        id="ValidateLabels-key-space",
    ),
    pytest.param(
        pod("containers: []\n", labels="Example.com/app: x\n"),
        "Example.com",
        "metadata.labels.Example.com/app",
        "prefix",
        1,
        id="ValidateLabels-key-prefix",
    ),
    pytest.param(
        pod("containers: []\n", labels=f"app: {'v' * 64}\n"),
        "app:",
        "metadata.labels.app",
        "invalid label value",
        1,
        id="ValidateLabels-value-64-chars",
    ),
    pytest.param(
        named("Namespace", "shop") + "  labels:\n    team: -retail\n",
        "team:",
        "metadata.labels.team",
        "invalid label value",
        1,
        id="ValidateLabels-namespace-value",
    ),
    # --- selectors (ValidateLabelSelector) ----------------------------------------------------
    pytest.param(
        policy("podSelector:\n  matchLabels:\n    app: 'a b'\n"),
        "app:",
        "spec.podSelector.matchLabels.app",
        "invalid label value",
        2,
        id="ValidateLabelSelector-matchLabels-value",
    ),
    pytest.param(
        selector("- key: 'a/b/c'\n  operator: Exists\n"),
        "key:",
        "spec.podSelector.matchExpressions[0].key",
        "invalid label key",
        2,
        id="ValidateLabelSelectorRequirement-key",
    ),
    pytest.param(
        selector("- key: app\n  operator: In\n  values: ['bad value']\n"),
        "values:",
        "spec.podSelector.matchExpressions[0].values[0]",
        "invalid label value",
        2,
        id="ValidateLabelSelectorRequirement-value",
    ),
    pytest.param(
        selector("- key: app\n  operator: NotIn\n  values: []\n"),
        "values:",
        "spec.podSelector.matchExpressions[0].values",
        "needs at least one value",
        2,
        id="ValidateLabelSelectorRequirement-NotIn-empty",
    ),
    pytest.param(
        selector("- key: app\n  operator: DoesNotExist\n  values: [x]\n"),
        "values:",
        "spec.podSelector.matchExpressions[0].values",
        "takes no values",
        2,
        id="ValidateLabelSelectorRequirement-DoesNotExist-values",
    ),
    # --- container ports (validateContainerPorts) ---------------------------------------------
    pytest.param(
        container_ports("- containerPort: 80\n  name: HTTP\n"),
        "name: HTTP",
        "spec.containers[0].ports[0].name",
        "IANA_SVC_NAME",
        1,
        id="IsValidPortName-upper",
    ),
    pytest.param(
        container_ports("- containerPort: 80\n  name: a-very-long-name-x\n"),
        "name: a-very",
        "spec.containers[0].ports[0].name",
        "at most 15",
        1,
        id="IsValidPortName-16-chars",
    ),
    pytest.param(
        container_ports("- containerPort: 80\n  name: '8080'\n"),
        "name: '8080'",
        "spec.containers[0].ports[0].name",
        "at least one letter",
        1,
        id="IsValidPortName-no-letter",
    ),
    pytest.param(
        container_ports(
            "- containerPort: 80\n  name: http\n- containerPort: 81\n  name: http # dup\n"
        ),
        "# dup",
        "spec.containers[0].ports[1].name",
        "duplicate port name 'http'",
        1,
        id="validateContainerPorts-duplicate-name",
    ),
    pytest.param(
        container_ports("- containerPort: 0\n"),
        "containerPort",
        "spec.containers[0].ports[0].containerPort",
        "outside 1-65535",
        1,
        id="IsValidPortNum-containerPort-0",
    ),
    pytest.param(
        container_ports("- containerPort: 70000\n"),
        "containerPort",
        "spec.containers[0].ports[0].containerPort",
        "outside 1-65535",
        1,
        id="IsValidPortNum-containerPort-70000",
    ),
    pytest.param(
        container_ports("- containerPort: 80\n  protocol: tcp\n"),
        "protocol",
        "spec.containers[0].ports[0].protocol",
        "unknown protocol",
        1,
        id="validateContainerPorts-protocol-case",
    ),
    # --- NetworkPolicy (ValidateNetworkPolicySpec, ValidateNetworkPolicyPort, ValidateIPBlock) -
    pytest.param(
        policy("podSelector: {}\npolicyTypes: [Ingress, Egress, Ingress]\n"),
        "policyTypes",
        "spec.policyTypes",
        "at most 2 policy types",
        2,
        id="ValidateNetworkPolicySpec-three-policyTypes",
    ),
    pytest.param(
        policy("podSelector: {}\npolicyTypes: [ingress]\n"),
        "policyTypes",
        "spec.policyTypes[0]",
        "unknown policy type",
        2,
        id="ValidateNetworkPolicySpec-policyType-case",
    ),
    pytest.param(
        ingress_port("- port: 0\n"),
        "port: 0",
        "spec.ingress[0].ports[0].port",
        "outside 1-65535",
        2,
        id="ValidateNetworkPolicyPort-port-0",
    ),
    pytest.param(
        ingress_port("- port: 65536\n"),
        "port: 65536",
        "spec.ingress[0].ports[0].port",
        "outside 1-65535",
        2,
        id="ValidateNetworkPolicyPort-port-65536",
    ),
    pytest.param(
        ingress_port("- port: 80\n  endPort: 70\n"),
        "endPort",
        "spec.ingress[0].ports[0].endPort",
        "below port 80",
        2,
        id="ValidateNetworkPolicyPort-endPort-below-port",
    ),
    pytest.param(
        ingress_port("- port: 80\n  endPort: 65536\n"),
        "endPort",
        "spec.ingress[0].ports[0].endPort",
        "outside 1-65535",
        2,
        id="ValidateNetworkPolicyPort-endPort-65536",
    ),
    pytest.param(
        ingress_port("- port: http\n  endPort: 90\n"),
        "endPort",
        "spec.ingress[0].ports[0].endPort",
        "named port 'http'",
        2,
        id="ValidateNetworkPolicyPort-endPort-non-numeric",
    ),
    pytest.param(
        ingress_port("- endPort: 90\n"),
        "endPort",
        "spec.ingress[0].ports[0].endPort",
        "port is not specified",
        2,
        id="ValidateNetworkPolicyPort-endPort-without-port",
    ),
    pytest.param(
        ingress_port("- port: web--api\n"),
        "port: web",
        "spec.ingress[0].ports[0].port",
        "IANA_SVC_NAME",
        2,
        id="ValidateNetworkPolicyPort-IsValidPortName",
    ),
    pytest.param(
        ip_block("'fe80::%eth0/64'"),
        "cidr:",
        "spec.ingress[0].from[0].ipBlock.cidr",
        "zone",
        2,
        id="ParseCIDR-ipv6-zone",
    ),
    pytest.param(
        ip_block("010.0.0.0/8"),
        "cidr:",
        "spec.ingress[0].from[0].ipBlock.cidr",
        "leading zeros",
        2,
        id="ParseCIDR-leading-zero-octet",
    ),
    pytest.param(
        ip_block("' 10.0.0.0/8'"),
        "cidr:",
        "spec.ingress[0].from[0].ipBlock.cidr",
        "invalid CIDR",
        2,
        id="ParseCIDR-whitespace",
    ),
    pytest.param(
        ip_block("10.0.0.0/255.0.0.0"),
        "cidr:",
        "spec.ingress[0].from[0].ipBlock.cidr",
        "decimal",
        2,
        id="ParseCIDR-netmask-length",
    ),
    pytest.param(
        ip_block("10.0.0.0/8", "10.0.0.0/8"),
        "except:",
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "strictly smaller",
        2,
        id="ValidateIPBlock-except-not-strict-subset",
    ),
    pytest.param(
        ip_block("10.0.0.0/8", "'10.1.0.0/255.255.0.0'"),
        "except:",
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "decimal",
        2,
        id="ValidateIPBlock-except-ParseCIDR",
    ),
    # --- the API server's Service, Endpoints and EndpointSlice (IsValidPortNum) ---------------
    pytest.param(
        api_service("- port: 0\n"),
        "port: 0",
        "spec.ports[0].port",
        "outside 1-65535",
        1,
        id="ValidateService-port-0",
    ),
    pytest.param(
        api_service("- port: 70000\n"),
        "port: 70000",
        "spec.ports[0].port",
        "outside 1-65535",
        1,
        id="ValidateService-port-70000",
    ),
    pytest.param(
        named("Endpoints", "kubernetes", namespace="default")
        + "subsets:\n  - addresses: [{ip: 10.0.0.1}]\n    ports: [{port: 0}]\n",
        "ports:",
        "subsets[0].ports[0].port",
        "outside 1-65535",
        1,
        id="validateEndpointPort-0",
    ),
    pytest.param(
        named("EndpointSlice", "kubernetes", "discovery.k8s.io/v1", "default")
        + "  labels: {kubernetes.io/service-name: kubernetes}\n"
        + "addressType: IPv4\nports: [{port: 70000}]\nendpoints: []\n",
        "ports:",
        "ports[0].port",
        "outside 1-65535",
        1,
        id="validateEndpointSlicePorts-70000",
    ),
    # --- numbers as Go's JSON decoder reads them ----------------------------------------------
    pytest.param(
        calico_gnp("order: .nan\n"),
        "order",
        "spec.order",
        "finite number",
        1,
        id="calico-order-NaN",
    ),
    pytest.param(
        calico_gnp("order: -.inf\n"),
        "order",
        "spec.order",
        "finite number",
        1,
        id="calico-order-Infinity",
    ),
    pytest.param(
        named("Tier", "security", "projectcalico.org/v3") + "spec:\n  order: .inf\n",
        "order",
        "spec.order",
        "finite number",
        1,
        id="calico-tier-order-Infinity",
    ),
    pytest.param(
        calico_gnp("order: NaN\n"),
        "order",
        "spec.order",
        "expected a number, got the string 'NaN'",
        1,
        id="calico-order-NaN-is-a-string-in-YAML",
    ),
    pytest.param(
        container_ports(f"- containerPort: {'9' * 5000}\n"),
        "containerPort",
        None,
        "5000 digits is out of range",
        1,
        id="integer-past-4300-digits",
    ),
    pytest.param(
        container_ports(f"- containerPort: 0x{'f' * 5000}\n"),
        "containerPort",
        "spec.containers[0].ports[0].containerPort",
        "larger than 64 bits",
        1,
        id="integer-past-64-bits",
    ),
    pytest.param(
        calico_gnp(
            "ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n"
            f"      ports: ['{'9' * 5000}']\n"
        ),
        "ports:",
        "spec.ingress[0].destination.ports[0]",
        "port is outside 0-65535",
        1,
        id="calico-port-string-past-4300-digits",
    ),
    pytest.param(
        calico_gnp("ingress:\n  - action: Allow\n    protocol: '٦'\n"),
        "protocol",
        "spec.ingress[0].protocol",
        "unknown protocol",
        1,
        id="calico-protocol-non-ascii-digit",
    ),
]


@pytest.mark.parametrize(("text", "marker", "field", "fragment", "document"), REFUSED)
def test_refused_as_the_api_server_refuses(
    cli, write, line_of, text, marker, field, fragment, document
):
    """Each input the API server refuses: exit 2, one line naming file, document, line and
    field (the case id names the API server's rule)."""
    path = write(text, "bad.yaml")
    result = cli("connectivity", path)
    assert_located_error(result, path, document, line_of(text, marker), field, fragment)


def test_json_nan_literal_is_refused(cli, write):
    """RFC 8259 has no NaN or Infinity, and Go's encoding/json refuses them: a JSON file with
    one is refused at its line, not read as a string or a float."""
    text = (
        '{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",\n'
        ' "metadata": {"name": "guard"},\n'
        ' "spec": {"order": NaN}}\n'
    )
    path = write(text, "bad.json")
    assert_located_error(cli("connectivity", path), path, 1, 3, None, "NaN is not a JSON number")


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity"])
def test_json_infinity_literal_is_refused(cli, write, literal):
    """Go's encoding/json refuses Infinity literals too."""
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    text = json.dumps(body)[:-1] + f', "x": {literal}}}\n'
    path = write(text, "bad.json")
    assert_located_error(cli("connectivity", path), path, 1, 1, None, "is not a JSON number")


def test_json_integer_past_4300_digits_is_refused(cli, write):
    """Python refuses to convert such an integer; it is an input error, not a traceback."""
    path = write('{"apiVersion": "v1", "kind": "Namespace",\n "x": ' + "7" * 4400 + "}\n", "b.json")
    assert_located_error(cli("connectivity", path), path, 1, 2, None, "4400 digits")


def test_forged_output_lines_are_impossible():
    """A namespace "10.0.0.0" with a pod "8" would print as the range 10.0.0.0/8, a name with
    a newline would forge output lines: both names are refused (NameIsDNSLabel,
    NameIsDNSSubdomain)."""
    with pytest.raises(InputError, match="DNS-1123 label"):
        loads(named("Pod", "'8'", namespace="'10.0.0.0'"))
    with pytest.raises(InputError, match="DNS-1123 subdomain"):
        loads(named("Pod", '"a\\nshop/b -> shop/c"', namespace="shop"))


# --- accepted boundary values --------------------------------------------------------------


def test_boundary_names_are_accepted():
    """63-character namespace (label), 253-character pod (subdomain), 52-character CronJob,
    63-character Job and StatefulSet, a pod name of digits only (NameIsDNSSubdomain)."""
    subdomain = ".".join(["p" * 63] * 3 + ["p" * 61])
    text = "---\n".join(
        [
            named("Namespace", "n" * 63),
            named("Pod", subdomain, namespace="n" * 63),
            named("Pod", "'8'", namespace="shop"),
            named("CronJob", "c" * 52, "batch/v1", "shop"),
            named("Job", "j" * 63, "batch/v1", "shop"),
            named("StatefulSet", "s" * 63, "apps/v1", "shop"),
            calico_gnp("selector: all()", name="security.guard"),
        ]
    )
    cluster = loads(text)
    assert {p.name for p in cluster.pods} >= {subdomain, "8"}


def test_boundary_labels_are_accepted():
    """A 63-character label value, an empty value, a 253+63 qualified key (ValidateLabels),
    and selectors over them (ValidateLabelSelector)."""
    key = ".".join(["k" * 63] * 3 + ["k" * 61]) + "/" + "n" * 63
    text = pod("containers: []\n", labels=f"app: {'v' * 63}\nempty: ''\n{key}: x\n")
    text += "---\n" + policy(
        "podSelector:\n  matchLabels: {empty: ''}\n  matchExpressions:\n"
        f"    - {{key: '{key}', operator: In, values: ['{'v' * 63}', '']}}\n"
    ).replace("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n", "")
    cluster = loads(text)
    assert cluster.pods[0].labels["app"] == "v" * 63
    assert cluster.pods[0].labels["empty"] == ""


def test_boundary_ports_are_accepted():
    """Port 65535 and 1, a 15-character port name, hostPort 0 (validateContainerPorts),
    endPort equal to port and 65535 (ValidateNetworkPolicyPort), Service port 65535."""
    text = container_ports(
        "- containerPort: 65535\n  name: abcdefghijklmno\n- containerPort: 1\n  hostPort: 0\n"
    )
    text += "---\n" + ingress_port("- port: 65535\n  endPort: 65535\n").split("---\n", 1)[1]
    text += "---\n" + api_service("- port: 65535\n")
    cluster = loads(text)
    assert [p.number for p in cluster.pods[0].ports] == [65535, 1]
    assert ("10.96.0.1", 65535) in cluster.api_servers


def test_repeated_policy_type_is_accepted_as_the_api_server_accepts_it():
    """ValidateNetworkPolicySpec refuses more than two entries and values other than
    Ingress/Egress, but not a repeated entry: [Ingress, Ingress] is Ingress."""
    cluster = loads(policy("podSelector: {}\npolicyTypes: [Egress, Egress]\n"))
    assert {d.value for d in cluster.policies[0].policy_types} == {"Egress"}


def test_cidr_forms_net_parsecidr_accepts():
    """net.ParseCIDR accepts host bits (cleared) and leading zeros in the length."""
    loads(ip_block("10.1.2.3/08", "10.1.0.0/16"))


def test_port_name_in_two_containers_is_a_warning(cli, write):
    """The API server warns (not refuses) when two containers of a pod use one port name:
    services and probes that select the port by name use the first."""
    text = pod(
        "containers:\n"
        "  - {name: a, image: x, ports: [{containerPort: 80, name: http}]}\n"
        "  - {name: b, image: x, ports: [{containerPort: 81, name: http}]}\n"
    )
    path = write(text)
    result = cli("connectivity", path)
    assert result.code == EXIT_OK
    assert "spec.containers[1].ports[0].name: duplicate port name 'http' with" in result.err
    assert "spec.containers[0].ports[0]" in result.err


# --- unknown fields: warnings by default, errors with --strict -------------------------------

UNKNOWN = [
    pytest.param(
        policy("podSelector: {}\ningres:\n  - {}\n"),
        "ingres:",
        "spec.ingres",
        "did you mean ingress?",
        2,
        id="networkpolicy-spec",
    ),
    pytest.param(
        policy("podSelector:\n  matchLabel: {app: web}\n"),
        "matchLabel:",
        "spec.podSelector.matchLabel",
        "did you mean matchLabels?",
        2,
        id="label-selector",
    ),
    pytest.param(
        container_ports("- containerPor: 80\n  containerPort: 81\n"),
        "containerPor:",
        "spec.containers[0].ports[0].containerPor",
        "did you mean containerPort?",
        1,
        id="container-port",
    ),
    pytest.param(
        named("Namespace", "shop") + "  lables: {a: b}\n",
        "lables:",
        "metadata.lables",
        "did you mean labels?",
        1,
        id="metadata",
    ),
    pytest.param(
        named("Deployment", "web", "apps/v1", "shop")
        + "spec:\n  template:\n    spec:\n      hostNetwrk: true\n      containers: []\n",
        "hostNetwrk:",
        "spec.template.spec.hostNetwrk",
        "did you mean hostNetwork?",
        1,
        id="pod-template",
    ),
    pytest.param(
        calico_gnp("selecter: all()\n"),
        "selecter:",
        "spec.selecter",
        "did you mean selector?",
        1,
        id="calico-spec",
    ),
    pytest.param(
        calico_gnp("ingress:\n  - action: Allow\n    destination: {port: [80]}\n"),
        "destination:",
        "spec.ingress[0].destination.port",
        "did you mean ports?",
        1,
        id="calico-entity-rule",
    ),
    pytest.param(
        named("AdminNetworkPolicy", "guard", "policy.networking.k8s.io/v1alpha1")
        + "spec:\n  priority: 1\n  subject: {namespaces: {}}\n  egres: []\n",
        "egres:",
        "spec.egres",
        "did you mean egress?",
        1,
        id="admin-spec",
    ),
]


@pytest.mark.parametrize(("text", "marker", "field", "fragment", "document"), UNKNOWN)
def test_unknown_field_is_a_warning_by_default(
    cli, write, line_of, text, marker, field, fragment, document
):
    """An unknown field (pruned by the API server) is a located warning naming the closest
    valid field; the run goes on (kubectl --validate=warn)."""
    path = write(text)
    result = cli("connectivity", path)
    assert result.code == EXIT_OK, result
    expected = (
        f"netfence: warning: {path}: document {document}, line {line_of(text, marker)}:"
        f" {field}: unknown field"
    )
    assert expected in result.err, result.err
    assert fragment in result.err


@pytest.mark.parametrize(("text", "marker", "field", "fragment", "document"), UNKNOWN)
@pytest.mark.parametrize("command", ["connectivity", "scan"])
def test_unknown_field_is_an_error_with_strict(
    cli, write, line_of, text, marker, field, fragment, document, command
):
    """--strict refuses an unknown field as kubectl --validate=strict: exit 2, one line."""
    path = write(text)
    result = cli(command, "--strict", path)
    assert_located_error(result, path, document, line_of(text, marker), field, fragment)


def test_strict_on_explain(cli, write, line_of):
    """explain takes --strict too."""
    text = policy("podSelector: {}\ningres: []\n")
    path = write(text)
    result = cli("explain", "shop/a", "shop/b", "--strict", path)
    assert_located_error(result, path, 2, line_of(text, "ingres"), "spec.ingres", "unknown field")


def test_library_strict(tmp_path, caplog):
    """netfence.load(paths, strict=True) raises InputError; without it a warning is logged on
    the "netfence" logger and the object is read."""
    path = tmp_path / "p.yaml"
    path.write_text(policy("podSelector: {}\ningres: []\n"), encoding="utf-8")
    with pytest.raises(InputError, match="unknown field 'ingres'"):
        load(str(path), strict=True)
    with caplog.at_level(logging.WARNING, logger="netfence"):
        cluster = load(str(path))
    assert len(cluster.policies) == 1
    assert any("spec.ingres: unknown field" in r.getMessage() for r in caplog.records)


def test_status_and_unmodelled_kinds_are_not_checked(cli, write):
    """status is the API server's to write, and kinds netfence does not read are skipped:
    neither gives unknown-field warnings."""
    text = named("Pod", "web", namespace="shop") + "status:\n  whatever: 1\n"
    text += "---\n" + named("ConfigMap", "c", namespace="shop") + "bogus: 1\n"
    result = cli("connectivity", "--strict", write(text))
    assert result.code == EXIT_OK, result
    assert "unknown field" not in result.err


def test_every_documented_field_is_known():
    """A manifest using the fields netfence reads, spelt right, warns about nothing."""
    text = pod(
        "hostNetwork: false\nserviceAccountName: sa\n"
        "initContainers:\n  - {name: i, image: x, restartPolicy: Always,"
        " ports: [{containerPort: 9, name: side, protocol: UDP, hostPort: 9, hostIP: 0.0.0.0}]}\n"
        "containers:\n  - name: c\n    image: x\n    ports: [{containerPort: 80}]\n"
    )
    text += "---\n" + calico_gnp(
        "order: 10\ntier: default\nselector: all()\ntypes: [Ingress]\n"
        "namespaceSelector: all()\nserviceAccountSelector: all()\n"
        "doNotTrack: false\npreDNAT: false\napplyOnForward: false\n"
        "ingress:\n  - action: Allow\n    protocol: ICMP\n    icmp: {type: 8, code: 0}\n"
        "    ipVersion: 4\n    metadata: {annotations: {a: b}}\n"
        "    source: {nets: [10.0.0.0/8], notNets: [10.1.0.0/16], selector: all(),"
        " notSelector: a == 'b', namespaceSelector: all(),"
        " serviceAccounts: {names: [x], selector: all()}}\n"
    )
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("netfence")
    handler = Keep()
    logger.addHandler(handler)
    try:
        loads(text, strict=True)
    finally:
        logger.removeHandler(handler)
    assert records == []
