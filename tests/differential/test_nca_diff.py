"""Differential tests of ``netfence diff`` against nca 2.1.0's ``--semantic_diff``.

Two generated clusters share a topology and differ in some policies
(``benchmarks/diff_bench.py``: policies opened, widened, removed and narrowed). nca's added and
removed pod pairs (``txt_no_fw_rules``, over the pods nca keeps: at most two per class of
indistinguishable pods) are compared with netfence's at pod granularity, TCP, UDP and SCTP.
Every difference must have a documented cause (docs/nca-deviations.md): netfence matching
ipBlocks against pod IPs (netfence re-run on the topology without pod IPs agrees with nca), or
an nca bug (nca with it fixed, ``benchmarks/nca_patched.py``, agrees with netfence); with both
removed the two diffs are identical. nca comes from its own virtual environment, given by
NETFENCE_NCA_PYTHON; without it the test is skipped locally and fails under CI.
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
import diff_bench  # noqa: E402


def _netfence(before: Path, after: Path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["diff", str(before), str(after), "-o", "json", "--granularity", "pod"])
    assert code == 0
    return diff_bench.parse_netfence_diff(json.loads(out.getvalue()))


def _nca(python: str, script: list[str], before: Path, after: Path):
    done = subprocess.run(
        diff_bench.nca_diff_cmd(python, before, after, script),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: "not semantically equivalent"
    return diff_bench.parse_nca_diff(done.stdout)


def _strip(pair: Path, side: str) -> Path:
    out = pair / f"noip-{side}"
    out.mkdir()
    compare_nca.strip_pod_ips(pair / side / "topology.yaml", out / "topology.yaml")
    (out / "policies.yaml").write_text((pair / side / "policies.yaml").read_text())
    return out


@pytest.mark.parametrize(
    ("pods", "policies", "changed", "seed"),
    [(60, 24, 6, 1), (80, 32, 8, 2), (120, 48, 12, 3), (200, 80, 10, 4)],
)
def test_changed_pod_pairs_agree_with_nca_semantic_diff(tmp_path, pods, policies, changed, seed):
    """Added and removed pod pairs agree with nca --semantic_diff, up to documented causes."""
    python = nca_python()
    before, after = diff_bench.make_pair(tmp_path, pods, policies, changed, seed)
    netfence = _netfence(before, after)
    stripped = _netfence(_strip(tmp_path, "before"), _strip(tmp_path, "after"))
    nca = _nca(python, ["-m", "nca"], before, after)
    fixed = _nca(python, [str(ROOT / "benchmarks" / "nca_patched.py")], before, after)
    representatives = compare_nca.nca_representative_pods(after / "topology.yaml")
    changed_pairs = 0
    for k, what in enumerate(("added", "removed")):
        result = compare_nca.compare(representatives, netfence[k], nca[k], stripped[k], fixed[k])
        assert result.agrees, f"{what}:\n{result.report(10)}"
        exact = result.checks[-1]
        assert exact.title.startswith("exact")
        assert not exact.differences, f"{what}:\n{result.report(10)}"
        changed_pairs += len(netfence[k])
    assert changed_pairs > 0  # the clusters really differ
