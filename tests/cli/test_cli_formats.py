"""``netfence connectivity`` output formats, options and entry points, on the fixture cluster.

Requirements: README "Commands" (``-o text|json|csv|md|dot``, ``--granularity workload|pod``,
``-n NS`` repeatable, exit codes 0 and 2), docs/json-connectivity.md (the JSON contract), and
that the dot output is valid Graphviz (rendered by the real ``dot``).

The fixture (tests/conftest.py ``SHOP_MANIFEST``) allows exactly:

- shop/frontend -> shop/backend on TCP 9090 (egress rule on 9090, ingress rule on named port
  ``api`` = 9090 on backend);
- shop/frontend -> 192.168.0.0/16 minus 192.168.1.0/24 on TCP 443;
- ops/toolbox (selected by no policy) -> everything outside shop, and everything outside
  shop -> ops/toolbox, on every port;
and nothing else (shop is default-deny for both directions).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

from netfence import __version__
from netfence.analyses.connectivity_map import ConnectivityMap, Granularity, connectivity_map
from netfence.sources.manifests import load_cluster

ALL = {
    "TCP": [[1, 65535]],
    "UDP": [[1, 65535]],
    "SCTP": [[1, 65535]],
    "UDPLite": [[1, 65535]],
    "ICMP": [[0, 65535]],
    "ICMPv6": [[0, 65535]],
    "OTHER": [[0, 0], [2, 5], [7, 16], [18, 57], [59, 131], [133, 135], [137, 255]],
}
TCP_443 = {"TCP": [[443, 443]]}
TCP_9090 = {"TCP": [[9090, 9090]]}
FORMATS = ["text", "json", "csv", "md", "dot"]
GRANULARITIES = ["workload", "pod"]
BACKEND_PODS = ["shop/backend-5f7b9c-x1", "shop/backend-5f7b9c-x2"]
EVERYTHING = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "arc-cluster"
FRONTEND_EGRESS = sorted(
    ipaddress.ip_network("192.168.0.0/16").address_exclude(ipaddress.ip_network("192.168.1.0/24")),
    key=lambda n: int(n.network_address),
)


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _is_cidr(name: str) -> bool:
    try:
        ipaddress.ip_network(name)
    except ValueError:
        return False
    return True


def _term_networks(cidr: str, excepts: list[str]) -> list:
    """The networks of one ipBlock-shaped term: ``cidr`` less each of ``excepts``."""
    nets = [ipaddress.ip_network(cidr)]
    for carved in map(ipaddress.ip_network, excepts):
        nets = [
            piece
            for n in nets
            for piece in (n.address_exclude(carved) if carved.subnet_of(n) else [n])
        ]
    return nets


def _address_cell(cell: str) -> list | None:
    """The networks a CSV address cell stands for (terms joined by "; "), or None for a name."""
    networks = []
    for term in cell.split("; "):
        cidr, _, excepts = term.partition(" except ")
        if not _is_cidr(cidr):
            return None
        networks.extend(_term_networks(cidr, excepts.split(", ") if excepts else []))
    return _collapsed(networks)


def _collapsed(names) -> list:
    nets = [ipaddress.ip_network(n) for n in names]
    return sorted(
        [*ipaddress.collapse_addresses(n for n in nets if n.version == 4)]
        + [*ipaddress.collapse_addresses(n for n in nets if n.version == 6)],
        key=lambda n: (n.version, int(n.network_address)),
    )


def summarize(doc: dict):
    """The JSON pairs as (in-cluster pairs -> allowed, external reach -> collapsed networks).

    In-cluster pairs skip loopback (docs: never asserted). External endpoints are address
    terms (``CIDR except A, B``), compared as address sets, not as a particular
    decomposition: ``("to", src, ports)`` and
    ``("from", dst, ports)`` map to the collapsed networks reachable / reaching.
    """
    internal: dict[tuple[str, str], dict] = {}
    external: dict[tuple[str, str, str], list] = defaultdict(list)
    terms = {name: _address_cell(name) for name in _pair_names(doc)}
    terms = {name: nets for name, nets in terms.items() if nets is not None}
    for conn in doc["pairs"]:
        ports = json.dumps(conn["allowed"], sort_keys=True)
        for src in _names(conn["src"]):
            for dst in _names(conn["dst"]):
                if src == dst:
                    continue
                if src in terms and dst in terms:
                    pytest.fail(f"external-to-external connection listed: {src} -> {dst}")
                if dst in terms:
                    external[("to", src, ports)].extend(terms[dst])
                elif src in terms:
                    external[("from", dst, ports)].extend(terms[src])
                else:
                    assert (src, dst) not in internal, "pair listed twice"
                    internal[(src, dst)] = conn["allowed"]
    return internal, {k: _collapsed(v) for k, v in external.items()}


def expected(granularity: str):
    """What the fixture allows, in ``summarize``'s shape."""
    backends = ["shop/backend"] if granularity == "workload" else BACKEND_PODS
    internal = {("shop/frontend", b): TCP_9090 for b in backends}
    key = json.dumps
    external = {
        ("to", "shop/frontend", key(TCP_443, sort_keys=True)): FRONTEND_EGRESS,
        ("to", "ops/toolbox", key(ALL, sort_keys=True)): EVERYTHING,
        ("from", "ops/toolbox", key(ALL, sort_keys=True)): EVERYTHING,
    }
    return internal, external


def run_json(cli, *args: str | os.PathLike[str]) -> dict:
    """The pairs form of the JSON contract (``-o json --flat``)."""
    result = cli("connectivity", *args, "-o", "json", "--flat")
    assert result.code == 0, result.err
    assert result.err == ""
    return json.loads(result.out)


def run_map(path: os.PathLike[str], granularity: str = "workload") -> ConnectivityMap:
    """The map the text, csv, md and dot formats render."""
    return connectivity_map(load_cluster([str(path)]), Granularity(granularity))


def _pair_names(doc: dict) -> set[str]:
    return {p[side] for p in doc["pairs"] for side in ("src", "dst")}


# --- every format at every granularity ----------------------------------------------------


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_and_granularity_succeeds(cli, shop_cluster, fmt, granularity):
    """Each ``-o`` format at each ``--granularity`` exits 0, writes a non-empty result ending in
    a newline to stdout and nothing to stderr."""
    result = cli("connectivity", shop_cluster, "-o", fmt, "--granularity", granularity)
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out.strip()
    assert result.out.endswith("\n")


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_json_contract_and_exact_connections(cli, shop_cluster, granularity):
    """docs/json-connectivity.md, pairs form: ``schema_version`` "3", ``form`` "pairs",
    ``granularity`` and ``pairs`` with ``src``/``dst``/``allowed``; the pairs are exactly the
    fixture's allowed flows (frontend->backend TCP 9090, frontend->192.168.0.0/16 minus
    192.168.1.0/24 TCP 443, toolbox to and from everything), nothing more."""
    doc = run_json(cli, shop_cluster, "--granularity", granularity)
    assert doc["schema_version"] == "3"
    assert doc["form"] == "pairs"
    assert doc["granularity"] == granularity
    for conn in doc["pairs"]:
        assert set(conn) >= {"src", "dst", "allowed"}
        for ranges in conn["allowed"].values():
            assert ranges == sorted(ranges)
            assert all(0 <= lo <= hi <= 65535 for lo, hi in ranges)
    assert summarize(doc) == expected(granularity)


def test_json_groups_name_members_kinds_and_addresses(cli, shop_cluster):
    """docs/json-connectivity.md, groups form: each group names its namespace and members
    (workloads with their kind and pods at workload granularity, pod names at pod
    granularity); external groups are ipBlock-shaped terms, ``cidr`` and the ``except`` CIDRs
    inside it, named ``CIDR`` or ``CIDR except A, B``, IPv4 before IPv6."""
    result = cli("connectivity", shop_cluster, "-o", "json")
    assert result.code == 0, result.err
    workload = json.loads(result.out)
    assert (workload["schema_version"], workload["form"]) == ("3", "groups")
    members = sorted(
        (m["name"], m["kind"], m["pods"], g["namespace"])
        for g in workload["groups"]
        for m in g["members"]
    )
    assert members == [
        ("ops/toolbox", "Pod", 1, "ops"),
        ("shop/backend", "Deployment", 2, "shop"),
        ("shop/frontend", "Deployment", 1, "shop"),
    ]
    terms = [t for g in workload["external"] for t in g["addresses"]]
    for e in terms:
        cidr = ipaddress.ip_network(e["cidr"])
        assert all(ipaddress.ip_network(x).subnet_of(cidr) for x in e["except"])
        assert e["name"] == (
            f"{e['cidr']} except {', '.join(e['except'])}" if e["except"] else e["cidr"]
        )
    ids = {g["id"] for g in (*workload["groups"], *workload["external"])}
    named = {n for c in workload["connections"] for k in ("src", "dst") for n in c[k]}
    assert named <= ids

    result = cli("connectivity", shop_cluster, "-o", "json", "--granularity", "pod")
    pod = json.loads(result.out)
    # Concrete pods are Pods; a workload given without pods stays one endpoint of its kind.
    assert sorted(m for g in pod["groups"] for m in g["members"]) == [
        "ops/toolbox",
        "shop/backend-5f7b9c-x1",
        "shop/backend-5f7b9c-x2",
        "shop/frontend",
    ]
    assert [m for g in pod["groups"] for m in g["replicated"]] == ["shop/frontend"]


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_csv_has_a_header_and_one_row_per_pair(cli, shop_cluster, granularity):
    """CSV: header ``src,dst,connections`` then one row per pair of endpoints, where the
    external addresses an endpoint reaches (or is reached from) on the same ports form one
    address set, written as its terms: exactly the JSON's in-cluster pairs, each once, and
    exactly its external reach. A single pod to itself is loopback, never asserted; a
    workload on both sides stays (its replicas may connect)."""
    doc = run_json(cli, shop_cluster, "--granularity", granularity)
    result = cli("connectivity", shop_cluster, "-o", "csv", "--granularity", granularity)
    assert result.code == 0
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == ["src", "dst", "connections"]
    body = rows[1:]
    assert all(len(r) == 3 for r in body)
    pairs = [(s, d) for s, d, _ in body]
    assert len(pairs) == len(set(pairs)), "a pair appears in more than one row"
    from_json = {
        (p["src"], p["dst"])
        for p in doc["pairs"]
        if _address_cell(p["src"]) is None and _address_cell(p["dst"]) is None
    }
    internal = {(s, d) for s, d, _ in body if _address_cell(s) is None and _address_cell(d) is None}
    assert internal == from_json
    external = {}
    for src, dst, ports in body:
        if (networks := _address_cell(dst)) is not None:
            external[("to", src, ports)] = networks
        elif (networks := _address_cell(src)) is not None:
            external[("from", dst, ports)] = networks
    assert external == {
        ("to", "shop/frontend", "TCP 443"): FRONTEND_EGRESS,
        ("to", "ops/toolbox", "All"): EVERYTHING,
        ("from", "ops/toolbox", "All"): EVERYTHING,
    }
    assert ["shop/frontend", "192.168.0.0/16 except 192.168.1.0/24", "TCP 443"] in body
    assert ["ops/toolbox", "0.0.0.0/0; ::/0", "All"] in body
    backends = ["shop/backend"] if granularity == "workload" else BACKEND_PODS
    for backend in backends:
        assert ["shop/frontend", backend, "TCP 9090"] in body


def test_csv_of_the_example_is_one_row_per_connection_not_per_fragment(cli):
    """The bundled example's ranges such as 0.0.0.0/0 less three addresses are one cell each
    (``0.0.0.0/0 except 10.240.0.0/24, ...``), so 19 workloads give about a hundred rows, not
    the thousands of one row per CIDR fragment."""
    result = cli("connectivity", EXAMPLE, "-o", "csv")
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO(result.out)))[1:]
    assert len(rows) <= 150
    cells = {cell for row in rows for cell in row[:2]}
    assert "0.0.0.0/0 except 10.240.0.0/24, 168.63.129.16/32, 169.254.169.254/32" in cells
    assert "0.0.0.0/0 except 168.63.129.16/32, 169.254.169.254/32; ::/0" in cells


def test_csv_keeps_a_workloads_replicas_reaching_each_other(cli, write):
    """docs/json-connectivity.md: at workload granularity, a workload in both src and dst means
    its replicas may reach each other. CSV (one row per pair) must then carry that pair too, or
    it says less than the JSON: two replicas allowed to talk must not vanish."""
    replicas = [
        "apiVersion: v1\nkind: Pod\nmetadata:\n"
        f"  name: db-h-{i}\n  namespace: s\n  labels: {{app: db, pod-template-hash: h}}\n"
        "  ownerReferences: [{kind: ReplicaSet, name: db-h, controller: true}]\n"
        for i in (1, 2)
    ]
    peers_only = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: peers-only, namespace: s}\n"
        "spec:\n"
        "  podSelector: {}\n"
        "  policyTypes: [Ingress, Egress]\n"
        "  ingress: [{from: [{podSelector: {}}]}]\n"
        "  egress: [{to: [{podSelector: {}}]}]\n"
    )
    text = "---\n".join([*replicas, peers_only])
    path = write(text)
    doc = run_json(cli, path)
    assert [(c["src"], c["dst"]) for c in doc["pairs"]] == [("s/db", "s/db")]
    result = cli("connectivity", path, "-o", "csv")
    assert result.out.splitlines()[1:] == ["s/db,s/db,All"]


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_markdown_is_a_table_of_the_connections(cli, shop_cluster, granularity):
    """Markdown: a header row, a separator row and one row per grouped connection."""
    cmap = run_map(shop_cluster, granularity)
    result = cli("connectivity", shop_cluster, "-o", "md", "--granularity", granularity)
    lines = result.out.splitlines()
    assert lines[0] == "| src | dst | connections |"
    assert lines[1] == "|---|---|---|"
    assert len(lines) == 2 + len(cmap.connections)
    for line in lines[2:]:
        assert line.startswith("| ") and line.endswith(" |")
        assert line.count(" | ") == 2
    backends = "shop/backend" if granularity == "workload" else ", ".join(BACKEND_PODS)
    assert f"| shop/frontend | {backends} | TCP 9090 |" in lines
    # External addresses as ipBlock terms, not the CIDRs that make them up.
    assert "| shop/frontend | 192.168.0.0/16 except 192.168.1.0/24 | TCP 443 |" in lines


def test_text_lists_connections_and_a_summary(cli, shop_cluster):
    """Text: one ``SOURCES => DESTINATIONS : PORTS`` line per grouped connection, then a summary
    line counting groups, endpoints and external ranges."""
    cmap = run_map(shop_cluster)
    doc = run_json(cli, shop_cluster)
    result = cli("connectivity", shop_cluster)  # text is the default
    lines = result.out.splitlines()
    assert len(lines) == len(cmap.connections) + 1
    assert "shop/frontend => shop/backend : TCP 9090" in lines
    # Address terms: one for the ipBlock with its except; terms apart by "; " (an except list
    # uses ", "), after the in-cluster names.
    assert "shop/frontend => 192.168.0.0/16 except 192.168.1.0/24 : TCP 443" in lines
    assert "ops/toolbox => ops/toolbox; 0.0.0.0/0; ::/0 : All" in lines
    ranges = sum(1 for name in _pair_names(doc) if _address_cell(name) is not None)
    assert lines[-1] == (
        f"{len(cmap.connections)} connection groups; 3 workloads, {ranges} external ranges"
    )


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_dot_renders_with_graphviz(cli, shop_cluster, require_tool, granularity):
    """The dot output is valid Graphviz: the real ``dot -Tsvg`` renders it, and the SVG names
    every endpoint (namespaces as clusters, ipBlock ranges included) and every edge's ports."""
    dot = require_tool("dot")
    doc = run_json(cli, shop_cluster, "--granularity", granularity)
    result = cli("connectivity", shop_cluster, "-o", "dot", "--granularity", granularity)
    rendered = subprocess.run(
        [dot, "-Tsvg"], input=result.out, capture_output=True, text=True, timeout=60, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stderr == ""
    root = ET.fromstring(rendered.stdout)
    assert root.tag.endswith("svg")
    texts = {el.text for el in root.iter() if el.text and el.text.strip()}
    for name in _pair_names(doc):
        assert name in texts, f"{name} (node id) missing from the SVG"
        if _address_cell(name) is None:
            assert name.split("/", 1)[1] in texts, f"label of {name} missing from the SVG"
    assert {"shop", "ops", "external"} <= texts
    # One node for the ipBlock term, labelled with its CIDR and its excepts line by line.
    assert {"192.168.0.0/16 except", "192.168.1.0/24"} <= texts
    assert "192.168.128.0/17" not in texts
    assert {"TCP 9090", "TCP 443", "All"} <= texts
    edges = {t for t in texts if "->" in t}
    backends = ["shop/backend"] if granularity == "workload" else BACKEND_PODS
    for backend in backends:
        assert f"shop/frontend->{backend}" in edges


def _points(length: str) -> float:
    assert length.endswith("pt"), length
    return float(length[:-2])


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_dot_of_the_example_stays_small(cli, require_tool, granularity):
    """The bundled example draws as a readable picture: a cluster per namespace, one node per
    external term (``0.0.0.0/0 except ...``) rather than one per CIDR fragment, one edge per
    pair of nodes: at most 60 nodes, and an SVG under 5,000 pt tall (and wide)."""
    dot = require_tool("dot")
    doc = run_json(cli, EXAMPLE, "--granularity", granularity)
    result = cli("connectivity", EXAMPLE, "-o", "dot", "--granularity", granularity)
    assert result.code == 0, result.err
    rendered = subprocess.run(
        [dot, "-Tsvg"], input=result.out, capture_output=True, text=True, timeout=60, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stderr == ""
    root = ET.fromstring(rendered.stdout)
    svg = "{http://www.w3.org/2000/svg}"
    groups = list(root.iter(f"{svg}g"))
    titles: dict[str | None, list[str | None]] = defaultdict(list)
    for g in groups:
        title = g.find(f"{svg}title")
        if title is not None:
            titles[g.get("class")].append(title.text)
    nodes = titles.get("node", [])
    assert len(nodes) <= 60
    names = _pair_names(doc)
    external = {name for name in names if _address_cell(name) is not None}
    assert external <= set(nodes)
    assert "0.0.0.0/0 except 168.63.129.16/32, 169.254.169.254/32" in nodes
    namespaces = {name.split("/", 1)[0] for name in names - external}
    assert {f"cluster_{ns}" for ns in namespaces} <= set(titles.get("cluster", []))
    edges = titles.get("edge", [])
    assert len(edges) == len(set(edges)), "parallel edges are merged into one"
    assert _points(root.get("height", "")) < 5000
    assert _points(root.get("width", "")) < 5000


def test_require_tool_skips_locally_and_fails_under_ci(require_tool, monkeypatch, tmp_path):
    """The tools rule of tests/conftest.py: a missing tool skips the test on a developer
    machine, but fails it when the CI environment variable is set; a present tool is found."""
    missing = "netfence-test-no-such-tool"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_tool(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=missing):
        require_tool(missing)
    tool = tmp_path / "netfence-test-tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", os.fspath(tmp_path))
    assert os.path.samefile(require_tool(tool.name), tool)


# --- options ------------------------------------------------------------------------------


def test_namespace_filter_keeps_connections_with_an_end_in_it(cli, shop_cluster):
    """``-n NS`` keeps exactly the connections with at least one end in NS; repeatable."""
    full = summarize(run_json(cli, shop_cluster))

    def ns_of(name: str) -> str:
        return name.split("/", 1)[0]

    for namespaces in (["shop"], ["ops"], ["shop", "ops"], ["elsewhere"]):
        argv = [a for ns in namespaces for a in ("-n", ns)]
        internal, external = summarize(run_json(cli, shop_cluster, *argv))
        assert internal == {
            (s, d): v
            for (s, d), v in full[0].items()
            if ns_of(s) in namespaces or ns_of(d) in namespaces
        }
        # External keys are (direction, in-cluster endpoint, ports).
        assert external == {k: v for k, v in full[1].items() if ns_of(k[1]) in namespaces}
    only_ops = summarize(run_json(cli, shop_cluster, "-n", "ops"))
    assert only_ops[0] == {}
    assert {k[1] for k in only_ops[1]} == {"ops/toolbox"}


def test_version(cli):
    """``--version`` prints ``netfence <version>`` and exits 0."""
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"netfence {__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["connectivity", "--help"], ["explain", "--help"]])
def test_help_exits_zero(cli, argv):
    """``--help`` (top level and per command) prints usage to stdout and exits 0."""
    result = cli(*argv)
    assert result.code == 0
    assert result.out.startswith("usage: netfence")
    assert result.err == ""
    if argv == ["--help"]:
        assert "connectivity" in result.out and "explain" in result.out
    if argv[0] == "connectivity":
        for option in ("--output", "--granularity", "--namespace", "--verbose"):
            assert option in result.out


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["-o", "yaml"], id="unknown-format"),
        pytest.param(["--granularity", "namespace"], id="unknown-granularity"),
        pytest.param(["--no-such-option"], id="unknown-option"),
    ],
)
def test_usage_errors_exit_two_with_one_line(cli, shop_cluster, argv):
    """README exit codes: a usage error exits 2 with one ``netfence: error:`` line, no output."""
    result = cli("connectivity", shop_cluster, *argv)
    assert result.code == 2
    assert result.out == ""
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("netfence: error: ")
    assert argv[0] in result.err_lines[0] or argv[-1] in result.err_lines[0]


@pytest.mark.parametrize("argv", [[], ["connectivity"], ["frobnicate", "x"]])
def test_missing_or_unknown_command_is_a_usage_error(cli, argv):
    """No command, no PATH, or an unknown command: exit 2, one error line."""
    result = cli(*argv)
    assert result.code == 2
    assert result.out == ""
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith("netfence: error: ")


# --- entry points -------------------------------------------------------------------------


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return env


def test_python_dash_m_netfence(cli, shop_cluster, tmp_path):
    """``python -m netfence`` runs the CLI: same JSON as in-process (the pairs form, streamed
    to a real pipe), exit 0; and an input error exits 2 with one stderr line."""
    in_process = run_json(cli, shop_cluster)
    ok = subprocess.run(
        [
            *(sys.executable, "-m", "netfence", "connectivity", os.fspath(shop_cluster)),
            *("-o", "json", "--flat"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_subprocess_env(),
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == in_process
    bad = subprocess.run(
        [sys.executable, "-m", "netfence", "connectivity", os.fspath(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_subprocess_env(),
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.splitlines()) == 1
    assert bad.stderr.startswith("netfence: error: ")


def test_console_script(shop_cluster, tmp_path):
    """The ``netfence`` console script (pyproject [project.scripts]) runs the CLI."""
    script = shutil.which("netfence")
    if script is None:
        pytest.skip("the netfence console script is not on PATH")
    done = subprocess.run(
        [script, "connectivity", os.fspath(shop_cluster), "-o", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_subprocess_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "src,dst,connections"
    assert "shop/frontend,shop/backend,TCP 9090" in done.stdout.splitlines()
    version = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert (version.returncode, version.stdout.strip()) == (0, f"netfence {__version__}")


def test_output_written_in_chunks_is_the_whole_output(cli, shop_cluster, monkeypatch):
    """A large output is written a chunk at a time; the chunks add up to the same text."""
    from netfence.cli import main as cli_main

    whole = cli("connectivity", shop_cluster, "-o", "json").out
    writes: list[str] = []
    real_write = sys.stdout.write

    def spy(text: str) -> int:
        writes.append(text)
        return real_write(text)

    monkeypatch.setattr(cli_main, "_CHUNK", 97)
    monkeypatch.setattr(sys.stdout, "write", spy)
    chunked = cli("connectivity", shop_cluster, "-o", "json").out
    assert chunked == whole
    assert len(writes) == -(-len(whole) // 97) and max(map(len, writes)) == 97


def test_flat_is_a_form_of_json_only(cli, shop_cluster):
    """docs/json-connectivity.md: ``--flat`` is the pairs form of ``-o json``; with another
    format, or with ``--firewall``, it is a usage error of one line (exit 2)."""
    result = cli("connectivity", shop_cluster, "-o", "csv", "--flat")
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.splitlines()) == 1 and "--flat" in result.err
