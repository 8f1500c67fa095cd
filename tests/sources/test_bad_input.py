"""Bad input is refused through the CLI with exit code 2, no partial output, and one error line.

Requirement (README "Exit codes"): a usage or input error exits 2 with ONE line on stderr of the
form ``netfence: error: FILE: document N, line L: FIELD: message`` naming the file, the 1-based
document index, the 1-based line of the offending value and, where one applies, the field path;
stdout stays empty and no traceback is shown.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from netfence.cli.main import main
from netfence.errors import InputError
from netfence.sources.manifests import load_cluster

EXIT_ERROR = 2

# A Namespace first, so every policy case below is document 2 of its file: the document index
# must be counted, not assumed to be 1.
_POLICY_HEAD = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: bad
  namespace: shop
spec:
"""


def policy(spec: str) -> str:
    """A two-document manifest whose second document is a NetworkPolicy with this ``spec``."""
    return _POLICY_HEAD + textwrap.indent(textwrap.dedent(spec), "  ")


def ingress_port(entry: str) -> str:
    """A policy whose only ingress rule has one port entry (given as block YAML lines)."""
    return policy(
        "podSelector: {}\n"
        "policyTypes: [Ingress]\n"
        "ingress:\n"
        "  - ports:\n" + textwrap.indent(textwrap.dedent(entry), "      ")
    )


def ip_block(cidr: str, excepted: str | None = None) -> str:
    """A policy with one ingress peer ``ipBlock: {cidr, except: [excepted]}``."""
    text = f"podSelector: {{}}\ningress:\n  - from:\n      - ipBlock:\n          cidr: {cidr}\n"
    if excepted is not None:
        text += f"          except:\n            - {excepted}\n"
    return policy(text)


def selector_expression(expression: str) -> str:
    """A policy whose podSelector has one matchExpressions entry (block YAML lines)."""
    return policy(
        "podSelector:\n  matchExpressions:\n" + textwrap.indent(textwrap.dedent(expression), "    ")
    )


def egress_peer(peer: str) -> str:
    """A policy whose only egress rule has one peer (block YAML lines)."""
    return policy(
        "podSelector: {}\n"
        "policyTypes: [Egress]\n"
        "egress:\n"
        "  - to:\n" + textwrap.indent(textwrap.dedent(peer), "      ")
    )


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
"""


def assert_one_error_line(result, *fragments: str) -> str:
    """Exit 2, empty stdout, exactly one ``netfence: error: `` line holding every fragment."""
    assert result.code == EXIT_ERROR, result
    assert result.out == "", "no partial output may be written on error"
    assert "Traceback" not in result.err
    assert result.err.endswith("\n")
    lines = result.err.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {result.err!r}"
    line = lines[0]
    assert line.startswith("netfence: error: "), line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def assert_located_error(
    result, path: Path, document: int, line: int, field: str | None, fragment: str
) -> str:
    """The one error line names FILE, document N, line L, then FIELD (when given), exactly."""
    text = assert_one_error_line(result, fragment)
    prefix = f"netfence: error: {os.fspath(path)}: document {document}, line {line}: "
    if field is not None:
        prefix += f"{field}: "
    assert text.startswith(prefix), f"{text!r} does not start with {prefix!r}"
    return text


# (text, marker on the offending line, field path or None, message fragment, document)
LOCATED_CASES = [
    # --- malformed YAML / JSON and document shape -------------------------------------------
    pytest.param(
        POD + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n labels: {}\n",
        " labels: {}",
        None,
        "malformed YAML",
        2,
        id="yaml-bad-indentation",
    ),
    pytest.param(
        POD + "---\nkind: Pod\nmetadata: {name: [db}\n---\nkind: Pod\nmetadata: {name: c}\n",
        "{name: [db}",
        None,
        "malformed YAML",
        2,
        id="yaml-unclosed-bracket",
    ),
    pytest.param(
        POD + "---\napiVersion: v1  # no kind\nmetadata:\n  name: db\n",
        "# no kind",
        "kind",
        "required",
        2,
        id="no-kind",
    ),
    pytest.param(
        "- apiVersion: v1\n- kind: Pod\n",
        "- apiVersion",
        "(document)",
        "expected a mapping",
        1,
        id="document-is-a-list",
    ),
    pytest.param(
        POD + "---\njust a string\n",
        "just a string",
        "(document)",
        "expected a mapping",
        2,
        id="document-is-a-scalar",
    ),
    pytest.param(
        POD + "  labels:\n    app: web\n    app: db\n",
        "app: db",
        None,
        "duplicate key 'app'",
        1,
        id="duplicate-mapping-key",
    ),
    # --- ipBlock ----------------------------------------------------------------------------
    pytest.param(
        ip_block("10.0.0.0/33"),
        "cidr:",
        "spec.ingress[0].from[0].ipBlock.cidr",
        "invalid CIDR '10.0.0.0/33'",
        2,
        id="cidr-prefix-too-long",
    ),
    pytest.param(
        ip_block("not-an-ip/8"),
        "cidr:",
        "spec.ingress[0].from[0].ipBlock.cidr",
        "invalid CIDR 'not-an-ip/8'",
        2,
        id="cidr-not-an-address",
    ),
    pytest.param(
        ip_block("10.0.0.0"),
        "cidr:",
        "spec.ingress[0].from[0].ipBlock.cidr",
        "prefix length is required",
        2,
        id="cidr-without-prefix",
    ),
    pytest.param(
        ip_block("10.0.0.0/8", "11.0.0.0/16"),
        "- 11.0.0.0/16",
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "outside cidr 10.0.0.0/8",
        2,
        id="except-outside-cidr",
    ),
    pytest.param(
        ip_block("10.0.0.0/8", "10.0.0.0/8"),
        "- 10.0.0.0/8",
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "strictly smaller",
        2,
        id="except-equal-to-cidr",
    ),
    pytest.param(
        ip_block("10.0.0.0/8", "'10.1.0.0/16'\n            - 10.0.0.0/33"),
        "- 10.0.0.0/33",
        "spec.ingress[0].from[0].ipBlock.except[1]",
        "invalid CIDR '10.0.0.0/33'",
        2,
        id="bad-cidr-in-second-except",
    ),
    # --- ports ------------------------------------------------------------------------------
    pytest.param(
        ingress_port("- protocol: TCP\n  port: 0\n"),
        "port: 0",
        "spec.ingress[0].ports[0].port",
        "port 0 is outside 1-65535",
        2,
        id="port-zero",
    ),
    pytest.param(
        ingress_port("- protocol: TCP\n  port: 65536\n"),
        "port: 65536",
        "spec.ingress[0].ports[0].port",
        "port 65536 is outside 1-65535",
        2,
        id="port-65536",
    ),
    pytest.param(
        ingress_port("- port: 80\n  endPort: 79\n"),
        "endPort: 79",
        "spec.ingress[0].ports[0].endPort",
        "endPort 79 is below port 80",
        2,
        id="endport-below-port",
    ),
    pytest.param(
        ingress_port("- port: http\n  endPort: 90\n"),
        "endPort: 90",
        "spec.ingress[0].ports[0].endPort",
        "named port 'http'",
        2,
        id="endport-with-named-port",
    ),
    pytest.param(
        ingress_port("- protocol: TCP\n  endPort: 90\n"),
        "endPort: 90",
        "spec.ingress[0].ports[0].endPort",
        "endPort needs a numeric port",
        2,
        id="endport-without-port",
    ),
    pytest.param(
        ingress_port("- port: 80\n  protocol: ICMP\n"),
        "protocol: ICMP",
        "spec.ingress[0].ports[0].protocol",
        "unknown protocol 'ICMP'",
        2,
        id="protocol-icmp",
    ),
    pytest.param(
        ingress_port("- port: 80\n  protocol: tcp\n"),
        "protocol: tcp",
        "spec.ingress[0].ports[0].protocol",
        "unknown protocol 'tcp'",
        2,
        id="protocol-lowercase-is-case-sensitive",
    ),
    pytest.param(
        ingress_port('- protocol: TCP\n  port: "80"\n'),
        'port: "80"',
        "spec.ingress[0].ports[0].port",
        "invalid named port '80'",
        2,
        id="named-port-numeric-string",
    ),
    pytest.param(
        ingress_port("- protocol: TCP\n  port: HTTP\n"),
        "port: HTTP",
        "spec.ingress[0].ports[0].port",
        "invalid named port 'HTTP'",
        2,
        id="named-port-uppercase",
    ),
    pytest.param(
        ingress_port("- protocol: TCP\n  port: abcdefghijklmnop\n"),
        "port: abcdefghijklmnop",
        "spec.ingress[0].ports[0].port",
        "invalid named port 'abcdefghijklmnop'",
        2,
        id="named-port-longer-than-15",
    ),
    # --- selectors, peers, policy types -----------------------------------------------------
    pytest.param(
        selector_expression("- key: app\n  operator: Like\n  values: [web]\n"),
        "operator: Like",
        "spec.podSelector.matchExpressions[0].operator",
        "unknown operator 'Like'",
        2,
        id="unknown-selector-operator",
    ),
    pytest.param(
        selector_expression("- key: app\n  operator: In\n"),
        "- key: app",
        "spec.podSelector.matchExpressions[0]",
        "operator In needs at least one value",
        2,
        id="in-without-values",
    ),
    pytest.param(
        selector_expression("- key: app\n  operator: In\n  values: []\n"),
        "values: []",
        "spec.podSelector.matchExpressions[0].values",
        "operator In needs at least one value",
        2,
        id="in-with-empty-values",
    ),
    pytest.param(
        selector_expression("- key: app\n  operator: Exists\n  values: [web]\n"),
        "values: [web]",
        "spec.podSelector.matchExpressions[0].values",
        "operator Exists takes no values",
        2,
        id="exists-with-values",
    ),
    pytest.param(
        egress_peer("- podSelector: {}\n  ipBlock:\n    cidr: 10.0.0.0/8\n"),
        "ipBlock:",
        "spec.egress[0].to[0].ipBlock",
        "cannot be combined",
        2,
        id="peer-ipblock-and-podselector",
    ),
    pytest.param(
        egress_peer("- {}\n"),
        "- {}",
        "spec.egress[0].to[0]",
        "a peer needs podSelector, namespaceSelector or ipBlock",
        2,
        id="empty-peer",
    ),
    pytest.param(
        policy("podSelector: {}\npolicyTypes:\n  - Ingress\n  - egress\n"),
        "- egress",
        "spec.policyTypes[1]",
        "unknown policy type 'egress'",
        2,
        id="unknown-policy-type",
    ),
    # --- pods -------------------------------------------------------------------------------
    pytest.param(
        POD + "status:\n  podIP: 10.0.0.300\n",
        "podIP:",
        "status.podIP",
        "invalid IP address '10.0.0.300'",
        1,
        id="invalid-pod-ip",
    ),
    pytest.param(
        POD + "status:\n  podIPs:\n    - ip: 10.0.0.1\n    - ip: nope\n",
        "ip: nope",
        "status.podIPs[1].ip",
        "invalid IP address 'nope'",
        1,
        id="invalid-pod-ips-entry",
    ),
    pytest.param(
        POD + "  labels:\n    tier: web\n    app: 5\n",
        "app: 5",
        "metadata.labels.app",
        "expected a string value, got an integer",
        1,
        id="label-value-not-a-string",
    ),
]


@pytest.mark.parametrize(("text", "marker", "field", "fragment", "document"), LOCATED_CASES)
def test_bad_input_is_one_located_error_line(
    cli, write, line_of, text, marker, field, fragment, document
):
    """README exit-code contract: bad input -> exit 2, empty stdout, one line naming file,
    document, line of the offending value and field path (API validation rules per case id)."""
    path = write(text, "bad.yaml")
    result = cli("connectivity", path)
    assert_located_error(result, path, document, line_of(text, marker), field, fragment)


def test_the_same_errors_come_from_explain(cli, write, line_of):
    """Both commands load input the same way: explain reports bad input exactly like
    connectivity (exit 2, one located line, nothing on stdout)."""
    text = ip_block("10.0.0.0/8", "11.0.0.0/16")
    path = write(text, "bad.yaml")
    result = cli("explain", "shop/a", "shop/b", path)
    assert_located_error(
        result,
        path,
        2,
        line_of(text, "- 11.0.0.0/16"),
        "spec.ingress[0].from[0].ipBlock.except[0]",
        "outside cidr",
    )


def test_malformed_json_names_file_document_and_line(cli, write):
    """A .json file must be JSON (YAML would accept more): a syntax error is one line naming the
    file, document 1 and the line of the error."""
    text = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "web",}\n}\n'
    path = write(text, "pod.json")
    result = cli("connectivity", path)
    assert_located_error(result, path, 1, 4, None, "malformed JSON")


def test_json_field_errors_name_the_json_line(cli, write):
    """Field errors in JSON input name the JSON line of the offending value, like YAML."""
    text = (
        "{\n"
        '\t"apiVersion": "v1",\n'
        '\t"kind": "Pod",\n'
        '\t"metadata": {\n'
        '\t\t"name": "web",\n'
        '\t\t"labels": {"app": 5}\n'
        "\t}\n"
        "}\n"
    )
    path = write(text, "pod.json")
    result = cli("connectivity", path)
    assert_located_error(result, path, 1, 6, "metadata.labels.app", "expected a string value")


def test_duplicate_object_in_one_file_names_the_first(cli, write, line_of):
    """Object identity is kind/namespace/name: a second Pod shop/web in the same file is refused,
    at the second one, naming where the first was defined."""
    text = "# pods\n" + POD + "---\n" + POD
    path = write(text, "pods.yaml")
    result = cli("connectivity", path)
    line = assert_located_error(
        result, path, 2, line_of(text, "apiVersion: v1", 2), "(document)", "duplicate Pod shop/web"
    )
    assert f"first defined at {os.fspath(path)}: document 1, line 2" in line


def test_duplicate_object_across_files_names_the_first_file(cli, write):
    """A duplicate NetworkPolicy in a second file is refused naming the first file's location."""
    first = write(policy("podSelector: {}\n"), "a.yaml")
    only_policy = _POLICY_HEAD.split("---\n")[1] + "  podSelector: {}\n"
    second = write(only_policy, "b.yaml")
    result = cli("connectivity", first, second)
    line = assert_located_error(
        result, second, 1, 1, "(document)", "duplicate NetworkPolicy shop/bad"
    )
    assert f"first defined at {os.fspath(first)}: document 2, line 6" in line


def test_same_name_in_different_namespaces_or_kinds_is_not_a_duplicate(cli, write):
    """Identity includes kind and namespace: shop/web Pod, other/web Pod and a shop/web
    Deployment may coexist (control case for the duplicate checks)."""
    text = (
        POD
        + "---\n"
        + POD.replace("namespace: shop", "namespace: other")
        + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
    )
    result = cli("connectivity", write(text), "-o", "json")
    assert result.code == 0, result.err


def test_non_utf8_file_is_refused_with_its_location(cli, write):
    """Input must be UTF-8 text: a stray Latin-1 byte is one error line naming the file,
    document 1 and the line of the byte (line 4 here)."""
    path = write(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n", "latin1.yaml")
    result = cli("connectivity", path)
    assert_located_error(result, path, 1, 4, None, "UTF-8")


def test_alias_bomb_is_refused_quickly(cli, write):
    """Alias expansion is bounded: a "billion laughs" document (9 levels of 9 aliases, ~387M
    nodes once expanded) is refused within seconds, naming aliases, not expanded."""
    lines = [
        "apiVersion: v1",
        "kind: Pod",
        "a: &a [" + ", ".join(["lol"] * 9) + "]",
    ]
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append("metadata: {name: bomb}")
    path = write("\n".join(lines) + "\n", "bomb.yaml")
    started = time.monotonic()
    result = cli("connectivity", path)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"alias bomb took {elapsed:.1f}s"
    line = assert_one_error_line(result, os.fspath(path), "document 1")
    assert "alias" in line.lower()


def test_recursive_nesting_is_refused(cli, write):
    """Nesting depth is bounded: 500 nested flow sequences are an input error, not a crash."""
    path = write("apiVersion: v1\nkind: Pod\nx: " + "[" * 500 + "]" * 500 + "\n", "deep.yaml")
    result = cli("connectivity", path)
    assert_located_error(result, path, 1, 3, None, "nesting deeper")


@pytest.mark.parametrize(
    "document",
    [
        pytest.param('!!python/object/apply:os.system ["{cmd}"]\n', id="whole-document"),
        pytest.param('--- !!python/object/apply:os.system\nargs: ["{cmd}"]\n', id="tagged-mapping"),
        pytest.param(
            POD + '  labels:\n    app: !!python/object/apply:os.system ["{cmd}"]\n',
            id="label-value",
        ),
        pytest.param(
            POD + '  annotations:\n    note: !!python/object/apply:os.system ["{cmd}"]\n',
            id="unread-annotation",
        ),
        pytest.param(
            POD.replace("name: web", 'name: !!python/object/apply:os.system ["{cmd}"]'),
            id="object-name",
        ),
        pytest.param(POD + "  labels:\n    app: !!python/name:os.system web\n", id="python-name"),
    ],
)
def test_python_tags_are_refused_and_never_executed(write, tmp_path, capfd, document):
    """Only the safe YAML schema is used: Python-specific tags are bad input (exit 2, one error
    line, nothing on stdout) wherever they appear, and nothing in them is ever executed."""
    marker = tmp_path / "hacked"
    text = document.replace("{cmd}", f"echo hacked; touch {marker}")
    path = write(text, "evil.yaml")
    code = main(["connectivity", os.fspath(path)])
    # capfd sees the real file descriptors too, where a spawned shell would have written.
    captured = capfd.readouterr()
    assert not marker.exists(), "a YAML tag executed a shell command"
    assert "hacked" not in captured.out
    assert_one_error_line(
        SimpleNamespace(code=code, out=captured.out, err=captured.err), os.fspath(path)
    )


@pytest.mark.parametrize(
    "value",
    ["!!int abc", "!!float x", "!!bool maybe", "!!timestamp not-a-date"],
)
def test_explicitly_tagged_scalars_with_bad_values_are_input_errors(cli, write, line_of, value):
    """Explicit core-schema tags with values they cannot hold are malformed input: exit 2 and
    one located line, never a Python traceback."""
    text = POD + f"  annotations:\n    x: {value}\n"
    path = write(text, "tagged.yaml")
    result = cli("connectivity", path)
    assert_located_error(result, path, 1, line_of(text, value), None, "")


def test_over_large_input_is_refused_by_load_cluster(write):
    """Input size is bounded: a file over ``max_bytes`` raises InputError naming the limit."""
    path = write(POD + "# " + "x" * 2000 + "\n", "big.yaml")
    with pytest.raises(InputError) as info:
        load_cluster([os.fspath(path)], max_bytes=1000)
    assert "limit" in str(info.value)
    assert "1000" in str(info.value)
    assert os.fspath(path) in str(info.value)


def test_input_size_limit_is_a_total_over_all_files(write):
    """The limit is per run, not per file: two 600-byte files exceed a 1000-byte budget, while
    each alone fits."""
    pad = "# " + "x" * (600 - len(POD) - 3) + "\n"
    first = write(POD + pad, "a.yaml")
    second = write(POD.replace("name: web", "name: db ") + pad, "b.yaml")
    assert load_cluster([os.fspath(first)], max_bytes=1000).pods
    assert load_cluster([os.fspath(second)], max_bytes=1000).pods
    with pytest.raises(InputError, match="limit"):
        load_cluster([os.fspath(first), os.fspath(second)], max_bytes=1000)


def test_over_large_stdin_is_refused(monkeypatch):
    """Standard input is bounded like files: more than ``max_bytes`` raises InputError."""
    import io

    class FakeStdin:
        buffer = io.BytesIO((POD + "# " + "x" * 2000 + "\n").encode())

    monkeypatch.setattr("sys.stdin", FakeStdin())
    with pytest.raises(InputError, match="limit"):
        load_cluster(["-"], max_bytes=1000)


def test_nonexistent_path_is_one_error_line(cli, tmp_path):
    """A path that does not exist is an input error: exit 2, one line naming the path."""
    missing = tmp_path / "no-such-dir" / "cluster.yaml"
    result = cli("connectivity", missing)
    assert_one_error_line(result, os.fspath(missing), "no such file")


def test_an_error_in_a_later_file_leaves_stdout_empty(cli, write):
    """Output is written only once complete: a good first file and a bad second one print
    nothing on stdout."""
    good = write(POD, "a.yaml")
    bad = write(ingress_port("- port: 0\n"), "b.yaml")
    result = cli("connectivity", good, bad, "-o", "json")
    assert_one_error_line(result, os.fspath(bad), "port 0")
