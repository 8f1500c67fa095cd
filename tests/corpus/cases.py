"""The corpus of hostile inputs: one case per row, each with the outcome netfence must give.

A case is an input (a file's text or bytes, or a builder that lays out files, links, FIFOs
and odd names in a temporary directory) and the command that shows its point, with the
expected exit code and a fragment of the single ``netfence: error:`` line (exit 2), or
``error=None`` for an input that is accepted (exit 0), with an optional warning fragment.
The standard (README "Exit codes"): accept what the API server accepts, refuse what it
refuses, in one located line; never a traceback, never exit 1 without findings, never exit 3,
never a hang.

``tests/corpus/test_corpus.py`` checks each row's outcome; ``tests/test_hostile_inputs.py`` feeds
every row to every command and output format and checks the invariants.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FORGED = "[CRITICAL] NF999 forged finding"
"""Text a hostile file name or baseline reason tries to pass off as a line of the report."""

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
WEB = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n"
    "  labels: {app: web}\nspec:\n  containers:\n    - name: c\n"
    "      ports: [{name: http, containerPort: 80}]\n"
)
SHOP = NS + "---\n" + WEB
"""A namespace with one pod, ``shop/web``: the valid base most cases spoil one thing of."""


def pod(metadata: str = "", spec: str = "") -> str:
    """A Pod ``p`` in ``shop`` with extra metadata and spec lines (indented by the caller)."""
    head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n"
    return NS + "---\n" + head + metadata + ("spec:\n" + spec if spec else "")


def policy(spec: str) -> str:
    """A NetworkPolicy ``x`` in ``shop`` with this spec (lines indented two spaces)."""
    head = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: x, namespace: shop}\nspec:\n  podSelector: {}\n"
    )
    return SHOP + "---\n" + head + spec


def calico(spec: str) -> str:
    """A Calico GlobalNetworkPolicy ``x`` with this spec."""
    return (
        SHOP + "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
        "metadata: {name: x}\nspec:\n" + spec
    )


def service(port: int) -> str:
    """The default/kubernetes Service (the API server) on ``port``."""
    return (
        SHOP + "---\napiVersion: v1\nkind: Service\n"
        "metadata: {name: kubernetes, namespace: default}\n"
        f"spec:\n  clusterIP: 10.96.0.1\n  ports: [{{name: https, port: {port}}}]\n"
    )


def baseline(expires: str, reason: str = "accepted") -> str:
    return (
        f"accept:\n  - check: NF002\n    resource: '*'\n    reason: {reason}\n"
        f"    expires: {expires}\n"
    )


@dataclass(frozen=True)
class Setup:
    """What a builder laid out: the input paths, and files the options refer to."""

    inputs: list[str]
    files: dict[str, str] = field(default_factory=dict)
    """Names for ``{name}`` placeholders in a case's ``args`` (a baseline, a --fix target)."""


Builder = Callable[[Path, pytest.MonkeyPatch], Setup]


@dataclass(frozen=True)
class Case:
    """One hostile input and the outcome it must have."""

    name: str
    content: str | bytes | None = None
    """The input file's text or bytes (ignored when ``build`` is given)."""
    filename: str = "input.yaml"
    build: Builder | None = None
    command: str = "connectivity"
    """The command whose outcome is checked: connectivity, scan or explain."""
    args: tuple[str, ...] = ()
    """Options for ``command`` (``{name}`` placeholders filled from the Setup)."""
    exit: int = 0
    error: str | None = None
    """A fragment of the one error line; None: accepted."""
    warning: str | None = None
    """A fragment of a warning line an accepted input must give."""
    timeout: float = 20.0
    heavy: bool = False
    """A large input: the guard runs it for one format per command only."""
    no_line_starts_with: str | None = None
    """A text no line of standard output may start with (a forged line)."""


# ---- builders: what text alone cannot express -------------------------------------------


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")


def _with_file(name: str, data: str | bytes, key: str) -> Builder:
    """The SHOP cluster as input, plus a side file (a baseline) named ``{key}`` in args."""

    def build(tmp: Path, _: pytest.MonkeyPatch) -> Setup:
        _write(tmp / "in.yaml", SHOP)
        _write(tmp / name, data)
        return Setup([str(tmp / "in.yaml")], {key: str(tmp / name)})

    return build


def _fix_target(kind: str) -> Builder:
    """The SHOP cluster, and a --fix target that is no usable directory."""

    def build(tmp: Path, _: pytest.MonkeyPatch) -> Setup:
        _write(tmp / "in.yaml", SHOP)
        (tmp / "a-file").write_text("x", encoding="utf-8")
        (tmp / "real").mkdir()
        os.symlink(tmp / "real", tmp / "link")
        os.symlink(tmp / "nowhere", tmp / "dangling")
        target = {
            "file": tmp / "a-file",
            "under-file": tmp / "a-file" / "sub",
            "symlink": tmp / "link",
            "dangling": tmp / "dangling",
        }[kind]
        return Setup([str(tmp / "in.yaml")], {"fix": str(target)})

    return build


def _unreadable(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    """A file the user may not read. Root reads anything, so there the refusal the kernel
    would give is put in place of the open."""
    path = tmp / "secret.yaml"
    _write(path, SHOP)
    path.chmod(0)
    if os.geteuid() == 0:
        import builtins

        from netfence.sources import manifests

        def refusing_open(name: Any, *args: Any, **kwargs: Any) -> Any:
            if os.fspath(name) == str(path):
                raise PermissionError(13, "Permission denied", str(path))
            return builtins.open(name, *args, **kwargs)

        monkeypatch.setattr(manifests, "open", refusing_open, raising=False)
    return Setup([str(path)])


def _directory(*entries: tuple[str, str]) -> Builder:
    """A directory holding SHOP and entries: ("dangling", name), ("fifo", name),
    ("loop", name)."""

    def build(tmp: Path, _: pytest.MonkeyPatch) -> Setup:
        top = tmp / "manifests"
        _write(top / "shop.yaml", SHOP)
        for what, name in entries:
            if what == "dangling":
                os.symlink(tmp / "gone.yaml", top / name)
            elif what == "fifo":
                os.mkfifo(top / name)
            elif what == "loop":
                os.symlink(top, top / name)
        return Setup([str(top)])

    return build


def _odd_name(raw: bytes) -> Builder:
    """SHOP in a directory, under a file name of these bytes."""

    def build(tmp: Path, _: pytest.MonkeyPatch) -> Setup:
        top = tmp / "manifests"
        top.mkdir()
        with open(os.path.join(os.fsencode(top), raw), "w", encoding="utf-8") as out:
            out.write(SHOP)
        return Setup([str(top)])

    return build


def _stream_5mb(tmp: Path, _: pytest.MonkeyPatch) -> Setup:
    """About 5 MB of small documents: 2,000 Namespaces and Pods among 58,000 ConfigMaps."""
    parts = []
    for i in range(62_000):
        if i % 31 == 0:
            parts.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: n{i}}}\n")
        elif i % 31 == 1:
            parts.append(
                f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: n{i - 1},"
                f" labels: {{app: a{i % 50}}}}}\n"
            )
        else:
            parts.append(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: n1}}\n"
                "data: {key: value}\n"
            )
    text = "---\n".join(parts)
    assert len(text) > 5_000_000
    _write(tmp / "big.yaml", text)
    return Setup([str(tmp / "big.yaml")])


def _nested_block(depth: int) -> str:
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v: 1\n"


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)

# ---- the corpus ----------------------------------------------------------------------------

CASES: list[Case] = [
    # Integers of more than 4,300 digits (Python's int_max_str_digits).
    Case(
        "int-5000-digits-yaml",
        pod(
            spec="  containers:\n    - name: c\n      ports: [{containerPort: "
            + "9" * 5000
            + "}]\n"
        ),
        exit=2,
        error="document 2, line 14: an integer of 5000 digits is out of range",
    ),
    Case(
        "int-5000-digits-json",
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers":'
        ' [{"name": "c", "ports": [{"containerPort": ' + "9" * 5000 + "}]}]}}",
        filename="input.json",
        exit=2,
        error="document 1, line 1: an integer of 5000 digits is out of range",
    ),
    Case(
        "port-option-5000-digits",
        SHOP,
        command="explain",
        args=("shop/web", "shop/web", "--port", "9" * 5000 + "/TCP"),
        exit=2,
        error="port 999999999999... is outside 1-65535",
    ),
    Case(
        "baseline-expires-5000-digits",
        build=_with_file("baseline.yaml", baseline("9" * 5000), "baseline"),
        command="scan",
        args=("--baseline", "{baseline}"),
        exit=2,
        error="baseline.yaml: document 1, line 5: an integer of 5000 digits is out of range",
    ),
    # Plain timestamps. kubectl's YAML reader keeps an unquoted date a string.
    Case("label-value-valid-date", pod("  labels:\n    release: 2024-02-10\n")),
    # kubectl reads an unquoted date as its text: '2024-02-30' is a valid label value.
    Case("label-value-impossible-date", pod("  labels:\n    release: 2024-02-30\n")),
    Case(
        "label-value-date-and-time",
        pod("  labels:\n    release: 2024-02-10 10:00:00\n"),
        exit=2,
        error="invalid label value '2024-02-10 10:00:00'",
    ),
    Case(
        "baseline-expires-month-13",
        build=_with_file("baseline.yaml", baseline("2027-13-45"), "baseline"),
        command="scan",
        args=("--baseline", "{baseline}"),
        exit=2,
        error="document 1, line 5: accept[0].expires: expected a date YYYY-MM-DD, got '2027-13-45'",
    ),
    Case(
        "baseline-expires-quoted-month-13",
        build=_with_file("baseline.yaml", baseline("'2027-13-45'"), "baseline"),
        command="scan",
        args=("--baseline", "{baseline}"),
        exit=2,
        error="accept[0].expires: expected a date YYYY-MM-DD",
    ),
    Case(
        "baseline-reason-forging-a-line",
        build=_with_file("baseline.yaml", baseline("2099-01-01", f'"ok\\n{FORGED}"'), "baseline"),
        command="scan",
        args=("--baseline", "{baseline}"),
        no_line_starts_with=FORGED,
    ),
    # --fix DIR that is no directory to write into.
    Case(
        "fix-dir-is-a-file",
        build=_fix_target("file"),
        command="scan",
        args=("--fix", "{fix}"),
        exit=2,
        error="is not a directory",
    ),
    Case(
        "fix-dir-under-a-file",
        build=_fix_target("under-file"),
        command="scan",
        args=("--fix", "{fix}"),
        exit=2,
        error="Not a directory",
    ),
    Case(
        "fix-dir-is-a-symlink",
        build=_fix_target("symlink"),
        command="scan",
        args=("--fix", "{fix}"),
        exit=2,
        error="is a symbolic link; give a real directory",
    ),
    Case(
        "fix-dir-is-a-dangling-symlink",
        build=_fix_target("dangling"),
        command="scan",
        args=("--fix", "{fix}"),
        exit=2,
        error="is a symbolic link",
    ),
    Case(
        "fix-dir-empty-name",
        SHOP,
        command="scan",
        args=("--fix", ""),
        exit=2,
        error="--fix: the directory name is empty",
    ),
    # Files and directories.
    Case(
        "unreadable-file",
        build=_unreadable,
        exit=2,
        error="secret.yaml: cannot read: Permission denied",
    ),
    Case(
        "dangling-symlink-in-directory",
        build=_directory(("dangling", "gone.yaml")),
        exit=2,
        error="gone.yaml: dangling symbolic link",
    ),
    Case(
        "fifo-in-directory",
        build=_directory(("fifo", "pipe.yaml")),
        warning="pipe.yaml: not a regular file; skipped",
        timeout=10,
    ),
    Case("symlink-loop-in-directory", build=_directory(("loop", "again"))),
    Case(
        "file-name-not-utf8",
        build=_odd_name(b"bad\xffname.yaml"),
        command="scan",
        args=("-o", "sarif"),
    ),
    Case(
        "file-name-with-newlines",
        build=_odd_name(f"evil\n{FORGED}\nx.yaml".encode()),
        command="scan",
        args=("-o", "text"),
        no_line_starts_with=FORGED,
    ),
    # An input without one Kubernetes object is refused: a map or an audit of nothing would
    # describe a cluster that is not there.
    Case("empty-file", "", exit=2, error="no Kubernetes objects (apiVersion/kind) found"),
    Case(
        "only-comments",
        "# nothing\n# here\n",
        exit=2,
        error="no Kubernetes objects (apiVersion/kind) found",
    ),
    Case(
        "only-separators",
        "---\n---\n...\n",
        exit=2,
        error="no Kubernetes objects (apiVersion/kind) found",
    ),
    Case("byte-order-mark", "\ufeff" + SHOP),
    Case("crlf-line-ends", SHOP.replace("\n", "\r\n")),
    Case("not-utf8-content", SHOP.encode() + b"# \xff\n", exit=2, error="not UTF-8 text"),
    Case("utf16-content", SHOP.encode("utf-16"), exit=2, error="not UTF-8 text (byte 0)"),
    Case(
        "nul-byte",
        SHOP.encode().replace(b"web\n", b"we\x00b\n", 1),
        exit=2,
        error="document 2, line 9: character U+0000 is a control character",
    ),
    Case("escape-byte", SHOP.replace("name: shop", "name: sh\x1bop"), exit=2, error="U+001B"),
    # Namespace filters that no namespace can match.
    Case(
        "namespace-filter-newline-text",
        SHOP,
        args=("-o", "text", "-n", "shop\nforged"),
        exit=2,
        error="invalid namespace 'shop\\nforged'",
    ),
    Case(
        "namespace-filter-pipes-md",
        SHOP,
        args=("-o", "md", "-n", "|x|"),
        exit=2,
        error="invalid namespace '|x|'",
    ),
    Case("namespace-filter-upper", SHOP, args=("-n", "SHOP"), exit=2, error="invalid namespace"),
    Case("namespace-filter-absent", SHOP, args=("-o", "md", "-n", "nowhere")),
    # Names.
    Case(
        "name-with-newline",
        SHOP.replace("name: web", 'name: "we\\nb"'),
        exit=2,
        error="metadata.name: invalid Pod name 'we\\nb'",
    ),
    Case(
        "name-path-traversal",
        SHOP.replace("name: web", "name: ../../etc/x"),
        exit=2,
        error="invalid Pod name '../../etc/x'",
    ),
    Case(
        "name-upper",
        SHOP.replace("name: web", "name: UPPER"),
        exit=2,
        error="invalid Pod name 'UPPER'",
    ),
    Case(
        "name-300-characters",
        SHOP.replace("name: web", "name: " + "a" * 300),
        exit=2,
        error="must be at most 253 characters",
    ),
    Case(
        "namespace-name-64-characters",
        NS.replace("name: shop", "name: " + "n" * 64),
        exit=2,
        error="invalid Namespace name",
    ),
    Case(
        "namespace-path-traversal",
        SHOP.replace("namespace: shop", "namespace: ../etc"),
        exit=2,
        error="invalid namespace '../etc'",
    ),
    # Labels.
    Case(
        "label-key-leading-dash",
        pod("  labels: {-bad: x}\n"),
        exit=2,
        error="invalid label key '-bad'",
    ),
    Case(
        "label-key-two-slashes",
        pod("  labels: {a/b/c: x}\n"),
        exit=2,
        error="must contain at most one '/'",
    ),
    Case(
        "label-key-upper-prefix",
        pod("  labels: {Example.COM/x: x}\n"),
        exit=2,
        error="the prefix 'Example.COM' must be a DNS-1123 subdomain",
    ),
    Case(
        "label-value-space",
        pod("  labels: {a: 'x y'}\n"),
        exit=2,
        error="invalid label value 'x y'",
    ),
    Case(
        "label-value-64",
        pod("  labels: {a: " + "v" * 64 + "}\n"),
        exit=2,
        error="must be at most 63 characters",
    ),
    Case(
        "label-value-70000",
        pod("  labels: {a: " + "v" * 70_000 + "}\n"),
        exit=2,
        error="characters cut]",
    ),
    Case(
        "label-value-integer",
        pod("  labels: {a: 5}\n"),
        exit=2,
        error="expected a string value, got an integer",
    ),
    Case("label-value-bool", pod("  labels: {a: yes}\n"), exit=2, error="got a boolean"),
    Case("label-value-null", pod("  labels: {a: null}\n"), exit=2, error="got null"),
    Case("label-key-integer", pod("  labels: {5: x}\n")),
    # Container ports.
    Case(
        "duplicate-container-port-name",
        pod(
            spec="  containers:\n    - name: c\n      ports: [{name: http, containerPort: 80}, {name: http, containerPort: 81}]\n"
        ),
        exit=2,
        error="duplicate port name 'http'",
    ),
    Case(
        "invalid-container-port-name",
        pod(
            spec="  containers:\n    - name: c\n      ports: [{name: HTTP_X, containerPort: 80}]\n"
        ),
        exit=2,
        error="invalid port name 'HTTP_X'",
    ),
    Case(
        "container-port-name-16",
        pod(
            spec="  containers:\n    - name: c\n      ports: [{name: "
            + "a" * 16
            + ", containerPort: 80}]\n"
        ),
        exit=2,
        error="must be at most 15 characters",
    ),
    Case(
        "container-port-name-digits",
        pod(
            spec="  containers:\n    - name: c\n      ports: [{name: '8080', containerPort: 80}]\n"
        ),
        exit=2,
        error="must contain at least one letter",
    ),
    # Unknown fields: warnings, or errors with --strict.
    Case(
        "unknown-field-ingres",
        policy("  ingres: []\n"),
        warning="spec.ingres: unknown field 'ingres' (did you mean ingress?)",
    ),
    Case(
        "unknown-field-ingres-strict",
        policy("  ingres: []\n"),
        args=("--strict",),
        exit=2,
        error="unknown field 'ingres' (did you mean ingress?) (--strict refuses unknown fields)",
    ),
    Case(
        "unknown-field-matchLabel",
        SHOP
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  podSelector: {matchLabel: {a: b}}\n",
        warning="spec.podSelector.matchLabel: unknown field 'matchLabel' (did you mean matchLabels?)",
    ),
    Case(
        "unknown-field-matchLabel-strict",
        SHOP
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  podSelector: {matchLabel: {a: b}}\n",
        args=("--strict",),
        exit=2,
        error="spec.podSelector.matchLabel: unknown field",
    ),
    # YAML 1.1 numbers; NaN and Infinity.
    Case(
        "port-base-60",
        policy("  ingress:\n    - ports:\n        - port: 1:20\n"),
        # YAML 1.1 reads 1:20 as 80; kubectl's reader has no base-60 numbers and sends the
        # string "1:20", no valid port name, which the API server refuses.
        exit=2,
        error="invalid named port '1:20'",
    ),
    Case("port-hex", policy("  ingress:\n    - ports:\n        - port: 0x50\n")),
    Case(
        "nan-in-json",
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers":'
        ' [{"name": "c", "ports": [{"containerPort": NaN}]}]}}',
        filename="input.json",
        exit=2,
        error="malformed JSON: NaN is not a JSON number",
    ),
    Case(
        "infinity-in-json-calico-order",
        '{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata":'
        ' {"name": "x"}, "spec": {"order": -Infinity, "selector": "all()"}}',
        filename="input.json",
        exit=2,
        error="Infinity is not a JSON number",
    ),
    Case(
        "nan-calico-order",
        calico("  order: .nan\n  selector: all()\n"),
        exit=2,
        error="spec.order: expected a finite number, got nan",
    ),
    Case(
        "infinity-calico-order",
        calico("  order: .inf\n  selector: all()\n"),
        exit=2,
        error="expected a finite number, got inf",
    ),
    Case(
        "overflow-calico-order",
        calico("  order: 1.0e+400\n  selector: all()\n"),
        exit=2,
        error="expected a finite number, got inf",
    ),
    # Policies and addresses.
    Case(
        "policy-types-three-entries",
        policy("  policyTypes: [Ingress, Egress, Ingress]\n"),
        exit=2,
        error="spec.policyTypes: at most 2 policy types (Ingress, Egress), got 3",
    ),
    Case(
        "policy-types-lower-case",
        policy("  policyTypes: [ingress]\n"),
        exit=2,
        error="unknown policy type 'ingress'",
    ),
    Case(
        "ipv6-zone-in-ipblock",
        policy("  ingress:\n    - from:\n        - ipBlock: {cidr: 'fe80::1%eth0/64'}\n"),
        exit=2,
        error="zone identifiers are not allowed",
    ),
    Case(
        "ipv6-zone-in-calico-nets",
        calico(
            "  selector: all()\n  egress:\n    - action: Deny\n      destination: {nets: ['fe80::%eth0/64']}\n"
        ),
        exit=2,
        error="zone identifiers are not allowed",
    ),
    Case(
        "ipv6-zone-in-pod-ip",
        SHOP + "status: {podIP: 'fe80::1%eth0'}\n",
        exit=2,
        error="status.podIP: invalid IP address 'fe80::1%eth0'",
    ),
    Case(
        "cidr-prefix-33",
        policy("  ingress:\n    - from:\n        - ipBlock: {cidr: 10.0.0.0/33}\n"),
        exit=2,
        error="the prefix length must be at most 32",
    ),
    Case(
        "end-port-below-port",
        policy("  ingress:\n    - ports:\n        - {port: 80, endPort: 70}\n"),
        exit=2,
        error="endPort 70 is below port 80",
    ),
    Case(
        "api-server-service-port-0",
        service(0),
        exit=2,
        error="spec.ports[0].port: port 0 is outside 1-65535",
    ),
    Case(
        "api-server-service-port-70000",
        service(70000),
        exit=2,
        error="port 70000 is outside 1-65535",
    ),
    Case(
        "api-server-option-ipv6-zone",
        SHOP,
        command="scan",
        args=("--api-server", "[fe80::1%eth0]:443"),
        exit=2,
        error="an IPv6 zone (%eth0) is no cluster address",
    ),
    Case(
        "admin-policy-priority-1001",
        SHOP
        + "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec:\n  priority: 1001\n  subject: {namespaces: {}}\n",
        exit=2,
        error="spec.priority: priority 1001 is outside 0-1000",
    ),
    Case(
        "calico-selector-5000-parentheses",
        calico('  selector: "' + "(" * 5000 + "all()" + ")" * 5000 + '"\n'),
        exit=2,
        error="parentheses nest deeper than 100 levels",
    ),
    Case(
        "calico-selector-unclosed",
        calico('  selector: "((((("\n'),
        exit=2,
        error="spec.selector: bad selector '((((('",
    ),
    # YAML safety: aliases, nesting, tags, keys.
    Case("alias-bomb", BOMB, exit=2, error="YAML aliases expand past the safety limit"),
    Case(
        "deep-flow-nesting",
        "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
        exit=2,
        error="nesting deeper than 200 levels",
    ),
    Case("deep-block-nesting", _nested_block(300), exit=2, error="nesting deeper than 200 levels"),
    Case(
        "deep-json-nesting",
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
        filename="input.json",
        exit=2,
        error="JSON nests too deeply",
    ),
    Case(
        "python-object-tag",
        "!!python/object:os.system\nargs: [echo pwned]\n",
        exit=2,
        error="unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'",
    ),
    Case(
        "python-apply-tag-in-a-value",
        SHOP.replace("name: web", "name: !!python/object/apply:os.system ['echo pwned']"),
        exit=2,
        error="unsupported YAML tag",
    ),
    Case(
        "custom-tag",
        SHOP.replace("name: web", "name: !foo web"),
        exit=2,
        error="unsupported YAML tag '!foo'",
    ),
    Case(
        "duplicate-key-yaml",
        SHOP.replace("name: web", "name: web\n  name: web2"),
        exit=2,
        error="duplicate key 'name'",
    ),
    Case(
        "duplicate-key-json",
        json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}).replace(
            '"name"', '"name": "b", "name"'
        ),
        filename="input.json",
        exit=2,
        error="duplicate key 'name'",
    ),
    Case(
        "merge-key-scalar",
        "<<: 5\napiVersion: v1\n",
        exit=2,
        error="a merge key (<<) needs a mapping",
    ),
    Case(
        "tab-indentation",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: a\n",
        exit=2,
        error="malformed YAML",
    ),
    # Shapes.
    Case(
        "scalar-document",
        "hello\n",
        exit=2,
        error="(document): expected a mapping, got the string 'hello'",
    ),
    Case("list-document", "- a\n- b\n", exit=2, error="expected a mapping, got a list"),
    Case(
        "kind-is-a-list",
        '{"apiVersion": "v1", "kind": ["Pod"], "metadata": {"name": "p"}}',
        filename="input.json",
        exit=2,
        error="kind: expected a string, got a list",
    ),
    Case("list-items-null", "apiVersion: v1\nkind: List\nitems: null\n"),
    Case(
        "list-items-mapping",
        "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
        exit=2,
        error="items: expected a list, got a mapping",
    ),
    Case(
        "unknown-kind",
        SHOP + "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
        warning="skipped 1 objects of other kinds",
    ),
    Case(
        "surrogate-escape-in-json",
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "annotations": {"x": "\\ud800"}}}',
        filename="input.json",
        # The API server's decoder replaces a lone surrogate escape with U+FFFD and accepts
        # the annotation; so does netfence.
    ),
    # Endpoints given to explain.
    Case(
        "explain-path-traversal-endpoint",
        SHOP,
        command="explain",
        args=("../../etc/x", "shop/web"),
        exit=2,
        error="no workload, pod or IP address called '../../etc/x'",
    ),
    Case(
        "explain-newline-endpoint",
        SHOP,
        command="explain",
        args=("shop/we\nb", "shop/web"),
        exit=2,
        error="called 'shop/we\\nb'",
    ),
    Case(
        "explain-ipv6-zone-endpoint",
        SHOP,
        command="explain",
        args=("fe80::1%eth0", "shop/web"),
        exit=2,
        error="'fe80::1%eth0': an IPv6 zone (%eth0) is no cluster address",
    ),
    # Size.
    Case(
        "stream-of-5mb",
        build=_stream_5mb,
        warning="skipped 58000 objects of other kinds",
        heavy=True,
        timeout=30,
    ),
]
