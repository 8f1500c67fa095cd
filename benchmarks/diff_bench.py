"""Benchmark of ``netfence diff`` on two generated clusters that differ in some policies, beside
nca's ``--semantic_diff`` at a size nca can finish.

The BEFORE cluster is ``generate_cluster.py``'s; the AFTER cluster has the same topology and
``--changed`` of its policies changed (deterministically, by ``--seed``), in four ways taken in
turn: a policy's ingress opened to every namespace, its podSelector widened to the whole
namespace, the policy removed, or its last ingress rule dropped (or, without ingress rules,
its egress closed).

Usage::

    python benchmarks/diff_bench.py --pods 10000 --policies 4000 --changed 50 \
        --nca-pods 1000 --nca-policies 400 --work /some/scratch/dir

With ``--nca-python`` (or ``NETFENCE_NCA_PYTHON``), nca runs at ``--nca-pods``/``--nca-policies``
and netfence on the same pair, and the pod pairs whose allowed set changed are compared
(``compare_nca``: over nca's representative pods; TCP, UDP and SCTP).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare_nca  # noqa: E402  (benchmarks/ is not a package)
from run_benchmark import Run, measure  # noqa: E402

Obj = dict[str, Any]


class _NoAliases(yaml.SafeDumper):
    """nca reads YAML aliases badly; every object is written out."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _open_ingress(spec: Obj) -> None:
    spec["ingress"] = [{"from": [{"namespaceSelector": {}}]}]
    types = spec.get("policyTypes")
    if types is not None and "Ingress" not in types:
        types.insert(0, "Ingress")  # nca accepts only [Ingress], [Egress], [Ingress, Egress]


def _narrow(spec: Obj) -> None:
    if spec.get("ingress"):
        spec["ingress"] = spec["ingress"][:-1]
        return
    spec["egress"] = []
    types = spec.setdefault("policyTypes", ["Ingress"])
    if "Egress" not in types:
        types.append("Egress")


def mutate_policies(items: list[Obj], changed: int, seed: int) -> list[Obj]:
    """The policies with ``changed`` of them changed, four kinds of change in turn."""
    out = [copy.deepcopy(p) for p in items]
    chosen = random.Random(seed).sample(range(len(out)), min(changed, len(out)))
    removed = set()
    for turn, index in enumerate(chosen):
        spec = out[index]["spec"]
        kind = turn % 4
        if kind == 0:
            _open_ingress(spec)
        elif kind == 1:
            spec["podSelector"] = {}
        elif kind == 2:
            removed.add(index)
        else:
            _narrow(spec)
    return [p for i, p in enumerate(out) if i not in removed]


def make_pair(out: Path, pods: int, policies: int, changed: int, seed: int) -> tuple[Path, Path]:
    """Generate BEFORE (``out/before``) and AFTER (``out/after``) with the same topology."""
    before, after = out / "before", out / "after"
    if not (before / "policies.yaml").exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_cluster.py"), "--pods", str(pods),
             "--policies", str(policies), "--seed", str(seed), "--out", str(before)],
            check=True, capture_output=True,
        )  # fmt: skip
    after.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(before / "topology.yaml", after / "topology.yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (before / "policies.yaml").open(encoding="utf-8") as f:
        document = yaml.load(f, Loader=loader)
    document["items"] = mutate_policies(document["items"], changed, seed)
    with (after / "policies.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(document, f, Dumper=_NoAliases, sort_keys=False)
    return before, after


def netfence_diff_cmd(before: Path, after: Path, pod: bool = True) -> list[str]:
    """The measured netfence command."""
    cmd = [sys.executable, "-m", "netfence", "diff", str(before), str(after), "-o", "json"]
    return cmd + (["--granularity", "pod"] if pod else [])


def nca_diff_cmd(
    python: str, before: Path, after: Path, script: list[str] | None = None
) -> list[str]:
    """nca's semantic diff of the two policy sets over the (shared) topology."""
    return [
        python, *(script or ["-m", "nca"]),
        "--semantic_diff", str(after / "policies.yaml"),
        "--base_np_list", str(before / "policies.yaml"),
        "--pod_list", str(after / "topology.yaml"),
        "--ns_list", str(after / "topology.yaml"),
        "-o", "txt_no_fw_rules", "--output_endpoints", "pods",
    ]  # fmt: skip


def parse_nca_diff(text: str) -> tuple[compare_nca.ConnMap, compare_nca.ConnMap]:
    """(added, removed) pod pairs of nca's ``txt_no_fw_rules`` semantic diff."""
    sections: dict[str, list[str]] = {"added": [], "removed": []}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("Added connections"):
            current = sections["added"]
        elif line.startswith("Removed connections"):
            current = sections["removed"]
        elif current is not None:
            current.append(line)
    return (
        compare_nca.parse_nca("\n".join(sections["added"])),
        compare_nca.parse_nca("\n".join(sections["removed"])),
    )


def parse_netfence_diff(document: Obj) -> tuple[compare_nca.ConnMap, compare_nca.ConnMap]:
    """(added, removed) pod pairs of ``netfence diff -o json --granularity pod`` (pods only;
    TCP, UDP and SCTP, as nca models them)."""
    out: list[dict[compare_nca.Pair, dict[str, list[tuple[int, int]]]]] = [{}, {}]
    for change in document["changes"]:
        for k, key in enumerate(("added", "removed")):
            ports = {p: r for p, r in change[key].items() if p in compare_nca.PROTOCOLS}
            if not ports:
                continue
            for s in change["src"]:
                for d in change["dst"]:
                    if s != d:
                        compare_nca.merge_into(out[k].setdefault((s, d), {}), ports)
    return tuple(  # type: ignore[return-value]
        {pair: pm for pair, a in side.items() if (pm := compare_nca.finish(a))} for side in out
    )


def strip_pair(pair: Path) -> tuple[Path, Path]:
    """The pair with pod IPs removed from both topologies (``noip-before``, ``noip-after``)."""
    out = []
    for side in ("before", "after"):
        target = pair / f"noip-{side}"
        target.mkdir(exist_ok=True)
        compare_nca.strip_pod_ips(pair / side / "topology.yaml", target / "topology.yaml")
        shutil.copyfile(pair / side / "policies.yaml", target / "policies.yaml")
        out.append(target)
    return out[0], out[1]


def compare_diffs(pair: Path, nf_json: Path, nca_txt: Path, noip_json: Path | None = None,
                  fixed_txt: Path | None = None) -> str:  # fmt: skip
    """Changed pod pairs of netfence and nca compared over nca's representative pods, the
    differences classified by the documented causes when the IP-stripped netfence run and the
    fixed nca run are given."""
    pods = compare_nca.nca_representative_pods(pair / "after" / "topology.yaml")
    nf = parse_netfence_diff(json.loads(nf_json.read_text(encoding="utf-8")))
    nca = parse_nca_diff(nca_txt.read_text(encoding="utf-8"))
    noip = parse_netfence_diff(json.loads(noip_json.read_text())) if noip_json else None
    fixed = parse_nca_diff(fixed_txt.read_text(encoding="utf-8")) if fixed_txt else None
    out = []
    for k, what in enumerate(("added", "removed")):
        result = compare_nca.compare(
            pods, nf[k], nca[k], noip[k] if noip else None, fixed[k] if fixed else None
        )
        changed = len({p for p in nf[k] if p[0] in pods and p[1] in pods})
        out.append(f"{what}: {changed:,} changed pairs; {result.summary()}")
    return "\n".join(out)


def _classified(small: Path, args: argparse.Namespace) -> str:
    """The comparison at the small size, with the runs that explain differences (untimed)."""
    noip_before, noip_after = strip_pair(small)
    with (small / "netfence-noip.json").open("w") as out:
        subprocess.run(netfence_diff_cmd(noip_before, noip_after), stdout=out, check=True,
                       cwd=HERE.parent)  # fmt: skip
    script = [str(HERE / "nca_patched.py")]
    with (small / "nca-fixed.txt").open("w") as out:
        subprocess.run(nca_diff_cmd(args.nca_python, small / "before", small / "after", script),
                       stdout=out, stderr=subprocess.DEVNULL, check=False)  # fmt: skip
    return compare_diffs(small, small / "netfence.json", small / "nca.txt",
                         small / "netfence-noip.json", small / "nca-fixed.txt")  # fmt: skip


def _row(label: str, run: Run) -> str:
    return f"| {label} | {run.time_str()} | {run.rss_str()} |"


def main(argv: list[str] | None = None) -> int:
    """Generate, run, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--policies", type=int, default=4000)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--nca-pods", type=int, default=1000)
    parser.add_argument("--nca-policies", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--nca-python", default=os.environ.get("NETFENCE_NCA_PYTHON"))
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    lines = ["| run | time | peak RSS |", "|---|---:|---:|"]
    big = args.work / f"{args.pods}-{args.policies}"
    before, after = make_pair(big, args.pods, args.policies, args.changed, args.seed)
    for pod in (False, True):
        granularity = "pod" if pod else "workload"
        run = measure(
            netfence_diff_cmd(before, after, pod),
            big / f"netfence-{granularity}.json", big / f"netfence-{granularity}.err",
            args.timeout, cwd=HERE.parent,
        )  # fmt: skip
        label = f"netfence diff {args.pods}/{args.policies}, {granularity}"
        lines.append(_row(label, run))
        if run.ok:
            summary = json.loads((big / f"netfence-{granularity}.json").read_text())["summary"]
            lines[-1] += f" {summary['opened']} opened, {summary['closed']} closed groups"
    if args.nca_python:
        small = args.work / f"{args.nca_pods}-{args.nca_policies}"
        s_before, s_after = make_pair(
            small, args.nca_pods, args.nca_policies, args.changed, args.seed
        )
        nf = measure(netfence_diff_cmd(s_before, s_after), small / "netfence.json",
                     small / "netfence.err", args.timeout, cwd=HERE.parent)  # fmt: skip
        nca = measure(nca_diff_cmd(args.nca_python, s_before, s_after), small / "nca.txt",
                      small / "nca.err", args.timeout)  # fmt: skip
        if nca.returncode == 1 and not nca.timed_out:  # nca's "not equivalent"
            nca.returncode = 0
        lines.append(_row(f"netfence diff {args.nca_pods}/{args.nca_policies}, pod", nf))
        lines.append(_row(f"nca --semantic_diff {args.nca_pods}/{args.nca_policies}", nca))
        if nf.ok and nca.ok and nf.wall_s > 0:
            lines.append(f"\nratio nca / netfence at {args.nca_pods}/{args.nca_policies}: "
                         f"{nca.wall_s / nf.wall_s:.1f}x")  # fmt: skip
        if nf.ok and nca.ok:
            lines.append("\n" + _classified(small, args))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
