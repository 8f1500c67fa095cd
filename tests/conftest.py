"""Shared fixtures for the netfence test suite.

- ``require_tool``: find an external program (e.g. Graphviz ``dot``); skip the test when it is
  missing on a developer machine, but fail it when the ``CI`` environment variable is set, so a
  CI run can never silently skip what it must check.
- ``cli``: run ``netfence`` in-process through ``netfence.cli.main.main`` and capture its exit
  code, stdout and stderr.
- ``write``: write a (dedented) manifest into the test's temporary directory.
- ``line_of``: the 1-based line of the line of a text containing a marker, so that tests can
  assert the exact line an error (or an explanation) must name.
- ``shop_cluster``: a small cluster (namespace shop with frontend/backend Deployments, a
  default-deny, an allow rule on a named port, an egress ipBlock with except; and ops/toolbox,
  selected by no policy) written to a file, for the CLI tests.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from netfence.cli.main import main

# Under CI the property tests draw the same examples every run, so a red CI always means a
# change broke something, never a new random draw; locally they explore afresh each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _require_tool(name: str) -> str:
    """The path of program ``name``; skip when missing locally, fail when ``CI`` is set."""
    found = shutil.which(name)
    if found is not None:
        return found
    message = f"required tool {name!r} is not installed (not on PATH)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


@pytest.fixture
def require_tool() -> Callable[[str], str]:
    """``require_tool(name) -> path``: skip locally, fail under CI, when ``name`` is missing."""
    return _require_tool


@dataclass(frozen=True)
class CliResult:
    """What one in-process ``netfence`` run produced."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """stderr split into lines (without line ends)."""
        return self.err.splitlines()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """``cli(*argv) -> CliResult``: run ``main(argv)`` in-process and capture its output."""

    def run(*argv: str | os.PathLike[str]) -> CliResult:
        capsys.readouterr()  # drop anything captured before this run
        code = main([os.fspath(a) for a in argv])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write(text, name="manifest.yaml") -> path``: write dedented text under tmp_path."""

    def _write(text: str | bytes, name: str = "manifest.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


def _line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line of ``text`` containing ``marker``."""
    hits = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if marker in line]
    assert len(hits) >= occurrence, f"marker {marker!r} occurs {len(hits)} times"
    return hits[occurrence - 1]


@pytest.fixture
def line_of() -> Callable[..., int]:
    """``line_of(text, marker, occurrence=1) -> int``, 1-based, on the dedented text."""
    return _line_of


SHOP_MANIFEST = """\
# The fixture cluster of the CLI tests. Namespace shop is default-deny; frontend may reach
# backend's named port "api" (9090) and 192.168.0.0/16 except 192.168.1.0/24 on TCP 443.
# ops/toolbox is a bare pod no policy selects.
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: retail}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  namespace: shop
spec:
  selector:
    matchLabels: {app: frontend}
  template:
    metadata:
      labels: {app: frontend}
    spec:
      containers:
        - name: web
          ports:
            - {name: http, containerPort: 8080}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
  namespace: shop
spec:
  selector:
    matchLabels: {app: backend}
  template:
    metadata:
      labels: {app: backend}
    spec:
      containers:
        - name: api
          ports:
            - {name: api, containerPort: 9090}
---
apiVersion: v1
kind: Pod
metadata:
  name: backend-5f7b9c-x1
  namespace: shop
  labels: {app: backend, pod-template-hash: 5f7b9c}
  ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: backend-5f7b9c, controller: true}
spec:
  containers:
    - name: api
      ports:
        - {name: api, containerPort: 9090}
---
apiVersion: v1
kind: Pod
metadata:
  name: backend-5f7b9c-x2
  namespace: shop
  labels: {app: backend, pod-template-hash: 5f7b9c}
  ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: backend-5f7b9c, controller: true}
spec:
  containers:
    - name: api
      ports:
        - {name: api, containerPort: 9090}
---
apiVersion: v1
kind: Pod
metadata:
  name: toolbox
  namespace: ops
  labels: {app: toolbox}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: backend-from-frontend
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: backend}
  ingress:
    - from:
        - podSelector:
            matchLabels: {app: frontend}
      ports:
        - port: api  # ingress[0] ports[0]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-egress
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: frontend}
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector:
            matchLabels: {app: backend}
      ports:
        - port: 9090  # egress[0] ports[0]
    - to:
        - ipBlock:
            cidr: 192.168.0.0/16
            except: [192.168.1.0/24]
      ports:
        - {protocol: TCP, port: 443}  # egress[1] ports[0]
"""


@pytest.fixture
def shop_cluster(tmp_path: Path) -> Path:
    """The CLI fixture cluster (``SHOP_MANIFEST``) written to ``tmp_path/cluster/shop.yaml``."""
    path = tmp_path / "cluster" / "shop.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SHOP_MANIFEST, encoding="utf-8")
    return path
