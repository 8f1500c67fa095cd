"""The map and the scan on large generated clusters: time, peak memory and output size, and
how each grows from one size to the next.

Every policy family is generated (``--calico``/``--admin`` shares, Calico tiers included).
Commands run one after the other, each measured by ``run_benchmark.measure`` (GNU time's
peak RSS of the command alone)::

    python benchmarks/scale_bench.py --sizes 10000/4000,30000/12000,100000/40000

Results go to ``benchmarks/out/scale-bench/results.md`` (and are printed).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_cluster import generate  # noqa: E402
from run_benchmark import Run, measure  # noqa: E402

OUT = Path(__file__).resolve().parent / "out" / "scale-bench"

RUNS = {
    "map": ["connectivity", "{dir}", "-o", "json"],
    "scan": ["scan", "{dir}", "-o", "json"],
}
"""What is measured at each size: the grouped map (workload granularity) and every check."""


@dataclass
class Measured:
    """One command at one size."""

    size: tuple[int, int]
    name: str
    run: Run
    output_bytes: int


def _cluster(pods: int, policies: int, args: argparse.Namespace) -> Path:
    where = args.out / f"{pods}-{policies}-calico{args.calico}-admin{args.admin}"
    if not (where / "policies.yaml").exists():
        generate(pods, policies, args.seed, where, calico=args.calico, admin=args.admin)
    return where


def _measure(size: tuple[int, int], name: str, cluster: Path, args: argparse.Namespace) -> Measured:
    command = [args.python, "-m", "netfence", *(a.format(dir=cluster) for a in RUNS[name])]
    stdout = args.out / "results" / f"{size[0]}-{name}.json"
    run = measure(command, stdout, stdout.with_suffix(".err"), args.timeout)
    return Measured(size, name, run, stdout.stat().st_size)


def _growth(now: float, before: float | None) -> str:
    return "" if not before else f" (x{now / before:.1f})"


def table(results: list[Measured]) -> str:
    """A Markdown table, with each figure's growth from the previous size in parentheses."""
    lines = [
        "| pods/policies | run | wall time | peak RSS | output |",
        "|---|---|---|---|---|",
    ]
    previous: dict[str, Measured] = {}
    for m in results:
        before = previous.get(m.name)
        mib = m.run.max_rss_kib / 1024
        out = m.output_bytes / 1e6
        status = "" if m.run.ok else " (failed: see .err)"
        lines.append(
            f"| {m.size[0]}/{m.size[1]} | {m.name}{status} "
            f"| {m.run.wall_s:.1f} s{_growth(m.run.wall_s, before and before.run.wall_s)} "
            f"| {mib:,.0f} MiB{_growth(mib, before and before.run.max_rss_kib / 1024)} "
            f"| {out:,.1f} MB{_growth(out, before and before.output_bytes / 1e6)} |"
        )
        previous[m.name] = m
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Generate, measure, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000/4000,30000/12000,100000/40000")
    parser.add_argument("--runs", default="map,scan", help="comma-separated: map, scan")
    parser.add_argument("--calico", type=float, default=0.2)
    parser.add_argument("--admin", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    results = []
    for size_text in args.sizes.split(","):
        pods, policies = (int(x) for x in size_text.split("/"))
        cluster = _cluster(pods, policies, args)
        for name in args.runs.split(","):
            results.append(_measure((pods, policies), name, cluster, args))
            print(table(results[-1:]).splitlines()[-1], flush=True)
    text = table(results)
    (args.out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
