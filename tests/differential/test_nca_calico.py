"""Differential tests against nca 2.1.0 (PyPI) on generated clusters with Calico policies.

nca, a peer analyzer that reads Kubernetes and Calico policies, runs on the same generated
input; every pod-to-pod difference must be explained by a documented cause
(docs/nca-deviations.md): netfence matching ipBlocks and Calico nets against pod IPs (shown
by re-running netfence on the topology without pod IPs), or an nca bug (shown by nca with
the bug fixed, benchmarks/nca_patched.py). nca comes from its own virtual environment,
given by NETFENCE_NCA_PYTHON (.ci/run creates it); without it the test is skipped locally
and fails under CI.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from netfence.cli.main import main
from tests.support.nca import nca_python

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import compare_nca  # noqa: E402  (benchmarks/ is not a package)


def _netfence(directory: Path) -> dict[tuple[str, str], dict[str, list[tuple[int, int]]]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["connectivity", str(directory), "-o", "json", "--granularity", "pod"])
    assert code == 0
    return compare_nca.parse_netfence(json.loads(out.getvalue()))


def _nca(python: str, script: list[str], directory: Path) -> dict:
    args = [
        "--connectivity",
        str(directory / "policies.yaml"),
        "--pod_list",
        str(directory / "topology.yaml"),
        "--ns_list",
        str(directory / "topology.yaml"),
        "-o",
        "txt_no_fw_rules",
        "--output_endpoints",
        "pods",
    ]
    done = subprocess.run(
        [python, *script, *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode in (0, 1, 2, 3), done.stderr[-2000:]
    return compare_nca.parse_nca(done.stdout)


@pytest.mark.parametrize(
    ("pods", "policies", "seed", "calico"),
    [(60, 24, 1, "0.3"), (60, 24, 2, "0.4"), (80, 32, 3, "0.3"), (60, 24, 4, None)],
)
def test_every_difference_with_nca_is_explained(tmp_path, pods, policies, seed, calico):
    """Pod-to-pod connectivity agrees with nca on every pair, up to documented causes."""
    python = nca_python()
    cluster = tmp_path / "cluster"
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "generate_cluster.py"),
        "--pods",
        str(pods),
        "--policies",
        str(policies),
        "--seed",
        str(seed),
        "--out",
        str(cluster),
    ]
    if calico:
        command += ["--calico", calico, "--calico-default-tier-only"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    stripped = tmp_path / "noip"
    stripped.mkdir()
    compare_nca.strip_pod_ips(cluster / "topology.yaml", stripped / "topology.yaml")
    (stripped / "policies.yaml").write_text((cluster / "policies.yaml").read_text())

    result = compare_nca.compare(
        compare_nca.nca_representative_pods(cluster / "topology.yaml"),
        _netfence(cluster),
        _nca(python, ["-m", "nca"], cluster),
        _netfence(stripped),
        _nca(python, [str(ROOT / "benchmarks" / "nca_patched.py")], cluster),
    )
    assert result.main.pairs > 0
    assert result.agrees, result.report(10)
    exact = result.checks[-1]
    assert exact.title.startswith("exact")
    assert not exact.differences, result.report(10)
