"""Side-by-side benchmark of netfence and nca (np-guard network-config-analyzer 2.1.0).

For each requested size the runner generates a cluster with ``generate_cluster.py`` into
``benchmarks/out/<pods>-<policies>/input/`` and then runs, one after the other:

* ``python -m netfence connectivity input/ -o json`` (workload granularity),
* ``python -m netfence connectivity input/ -o json --granularity pod``,
* ``nca --connectivity policies.yaml --pod_list topology.yaml --ns_list topology.yaml
  -o txt_no_fw_rules --output_endpoints pods`` (from ``benchmarks/.nca-venv``, created on demand),
* for the comparison only (not in the timing columns): netfence at pod granularity on a copy of
  the topology with the pod IPs removed (``input-noip/``), and nca with its podSelector
  Exists/DoesNotExist scoping and Calico namespace-label bugs fixed (``nca_patched.py``);
  ``compare_nca.py`` then checks the
  pod-to-pod maps and explains every difference or reports it as unexplained.

Wall time of each command (measured by the runner) and its peak RSS (``Maximum resident set
size`` from GNU ``/usr/bin/time -v``, or, without it, ``ru_maxrss`` of ``os.wait4`` in a small
helper that forks the command) are recorded. A Markdown table is printed and written
to ``benchmarks/out/results.md``; raw figures go to ``benchmarks/out/results.json``.

With ``--calico F`` / ``--admin F`` the generator writes that share of the policies as Calico
or admin policies. Such runs go to ``benchmarks/out/<pods>-<policies>-calico<F>-admin<F>/`` and
``results-calico<F>-admin<F>.{md,json}``. nca 2.1.0 refuses a Calico policy with a ``tier``
field, so Calico policies are all in the default tier unless ``--calico-tiers`` is given
(netfence only, with ``--skip-nca``). ``--ip-prefixes N`` adds allow-list rules with N
ipBlock prefixes in all (suffix ``-ip<N>``).

Usage::

    python benchmarks/run_benchmark.py --sizes 200/80,1000/400
    python benchmarks/run_benchmark.py --sizes 10000/4000 --skip-nca
    python benchmarks/run_benchmark.py --sizes 200/80,1000/400 --calico 0.3
    python benchmarks/run_benchmark.py --sizes 1000/400 --skip-nca --ip-prefixes 50000 --scan
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import compare_nca  # noqa: E402
import generate_cluster  # noqa: E402

NCA_VERSION = "2.1.0"
NCA_VENV = BENCH_DIR / ".nca-venv"
DEFAULT_OUT = BENCH_DIR / "out"


def rel(path: Path) -> str:
    """Path relative to the repository root when possible (for printing)."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- nca installation


def ensure_nca_venv(venv: Path = NCA_VENV, python: str = sys.executable) -> Path:
    """Create ``venv`` with network-config-analyzer installed if needed; return the nca script."""
    nca = venv / "bin" / "nca"
    if nca.exists():
        return nca
    print(f"creating {rel(venv)} with network-config-analyzer=={NCA_VERSION}", file=sys.stderr)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"network-config-analyzer=={NCA_VERSION}",
        ],
        check=True,
    )
    if not nca.exists():
        raise RuntimeError(f"{nca} missing after installing network-config-analyzer")
    return nca


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    """One measured child process."""

    command: list[str]
    wall_s: float
    max_rss_kib: int
    returncode: int
    timed_out: bool = False
    timeout_s: float | None = None
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        """True when the process finished in time with exit status 0."""
        return not self.timed_out and self.returncode == 0

    def time_str(self) -> str:
        """Wall time for the table."""
        if self.timed_out:
            return f"> {self.timeout_s:.0f} s"
        if self.returncode != 0:
            return f"failed (rc {self.returncode})"
        return f"{self.wall_s:.2f} s"

    def rss_str(self) -> str:
        """Peak RSS for the table."""
        if self.timed_out:
            return "n/a (killed)"
        if self.returncode != 0:
            return "n/a"
        return f"{self.max_rss_kib / 1024:.0f} MiB"


GNU_TIME = Path("/usr/bin/time")

# Fallback when GNU time is missing: a small interpreter forks the command, waits for it and
# writes the grandchild's ru_maxrss (KiB) and exit code to the file named by argv[1].
_FORK_HELPER = """
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\\n")
sys.exit(min(abs(os.waitstatus_to_exitcode(status)), 255))
"""


def _wrap(cmd: list[str], stats: Path) -> list[str]:
    """Command line that runs ``cmd`` and records its peak RSS into ``stats``.

    The measuring process must be small: Linux carries a process's RSS high-water mark across
    ``exec``, so a command exec'd straight from this (large) runner would report the runner's
    RSS whenever that is bigger. GNU ``time -v`` (or the helper) forks the command itself.
    """
    if GNU_TIME.exists():
        return [str(GNU_TIME), "-v", "-o", str(stats), *cmd]
    return [sys.executable, "-S", "-c", _FORK_HELPER, str(stats), *cmd]


def _read_stats(stats: Path) -> tuple[int, int | None]:
    """Peak RSS (KiB) and exit code of the measured command (exit code None if unknown)."""
    try:
        text = stats.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0, None
    if not GNU_TIME.exists():
        parts = text.split()
        return (int(parts[0]), int(parts[1])) if len(parts) == 2 else (0, None)
    rss, code = 0, None
    for line in text.splitlines():
        key, _, value = line.strip().partition(": ")
        if key == "Maximum resident set size (kbytes)":
            rss = int(value)
        elif key == "Exit status":
            code = int(value)
    return rss, code


def measure(
    cmd: list[str], stdout: Path, stderr: Path, timeout: float | None = None, cwd: Path = REPO_ROOT
) -> Run:
    """Run ``cmd`` to completion (or kill its process group after ``timeout`` seconds)."""
    stdout.parent.mkdir(parents=True, exist_ok=True)
    stats = stdout.with_name(stdout.name + ".rusage")
    stats.unlink(missing_ok=True)
    timed_out = threading.Event()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            _wrap(cmd, stats), stdout=out, stderr=err, cwd=cwd, start_new_session=True
        )

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            returncode = proc.wait()
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - start
    rss, code = _read_stats(stats)
    tail = stderr.read_text(encoding="utf-8", errors="replace")[-2000:]
    return Run(
        command=cmd,
        wall_s=wall,
        max_rss_kib=rss,
        returncode=returncode if code is None else code,
        timed_out=timed_out.is_set(),
        timeout_s=timeout,
        stderr_tail=tail,
    )


def measure_best(
    cmd: list[str], stdout: Path, stderr: Path, repeat: int, timeout: float | None = None
) -> Run:
    """Run ``repeat`` times; return the run with the median wall time (peak RSS is the max)."""
    runs = []
    for _ in range(max(1, repeat)):
        run = measure(cmd, stdout, stderr, timeout)
        runs.append(run)
        if not run.ok:
            return run
    runs.sort(key=lambda r: r.wall_s)
    chosen = runs[len(runs) // 2]
    chosen.max_rss_kib = max(r.max_rss_kib for r in runs)
    return chosen


# --------------------------------------------------------------------------- one size


@dataclass
class SizeResult:
    """All measurements for one cluster size."""

    pods: int
    policies: int
    netfence_workload: Run | None = None
    netfence_pod: Run | None = None
    netfence_pod_noip: Run | None = None
    nca: Run | None = None
    nca_fixed: Run | None = None
    netfence_scan: Run | None = None
    comparison: str = ""
    comparison_report: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``pods/policies``."""
        return f"{self.pods}/{self.policies}"


def netfence_cmd(python: str, input_dir: Path, pod: bool) -> list[str]:
    """Command line of a netfence connectivity run."""
    cmd = [python, "-m", "netfence", "connectivity", str(input_dir), "-o", "json"]
    if pod:
        cmd += ["--granularity", "pod"]
    return cmd


def nca_cmd(nca: Path, topology: Path, policies: Path) -> list[str]:
    """Command line of the nca connectivity run."""
    return [
        str(nca),
        "--connectivity",
        str(policies),
        "--pod_list",
        str(topology),
        "--ns_list",
        str(topology),
        "-o",
        "txt_no_fw_rules",
        "--output_endpoints",
        "pods",
    ]


def run_size(
    pods: int,
    policies: int,
    args: argparse.Namespace,
    nca: Path | None,
) -> SizeResult:
    """Generate one cluster and run every tool on it."""
    res = SizeResult(pods, policies)
    base = args.out / f"{pods}-{policies}{mode_suffix(args)}"
    inp, inp_noip, results = base / "input", base / "input-noip", base / "results"
    for d in (inp, inp_noip, results):
        if d.exists():
            shutil.rmtree(d)
    topo, pol = generate_cluster.generate(
        pods,
        policies,
        args.seed,
        inp,
        args.calico,
        args.admin,
        args.calico_tiers,
        args.ip_prefixes,
    )
    compare_nca.strip_pod_ips(topo, inp_noip / "topology.yaml")
    shutil.copyfile(pol, inp_noip / "policies.yaml")
    print(f"== {res.label}: generated {rel(inp)}", file=sys.stderr)

    def step(
        name: str, cmd: list[str], out_name: str, timeout: float | None = None, repeat: int = 1
    ) -> Run:
        print(
            f"   {name}: {' '.join(rel(Path(c)) if '/' in c else c for c in cmd)}", file=sys.stderr
        )
        run = measure_best(cmd, results / out_name, results / f"{out_name}.stderr", repeat, timeout)
        print(f"     -> {run.time_str()}, peak RSS {run.rss_str()}", file=sys.stderr)
        if not run.ok and not run.timed_out:
            print("     stderr tail:\n" + run.stderr_tail, file=sys.stderr)
        return run

    if not args.skip_netfence:
        res.netfence_workload = step(
            "netfence (workload)",
            netfence_cmd(args.python, inp, False),
            "netfence-workload.json",
            repeat=args.netfence_repeat,
        )
        res.netfence_pod = step(
            "netfence (pod)",
            netfence_cmd(args.python, inp, True),
            "netfence-pod.json",
            repeat=args.netfence_repeat,
        )
    if args.scan:
        res.netfence_scan = step(
            "netfence scan",
            [args.python, "-m", "netfence", "scan", str(inp), "-o", "json"],
            "netfence-scan.json",
            repeat=args.netfence_repeat,
        )
    if nca is not None:
        res.nca = step("nca", nca_cmd(nca, topo, pol), "nca.txt", args.nca_timeout, args.nca_repeat)
    if (
        not args.skip_netfence
        and nca is not None
        and not args.no_compare
        and res.nca is not None
        and res.nca.ok
        and res.netfence_pod is not None
        and res.netfence_pod.ok
    ):
        res.netfence_pod_noip = step(
            "netfence (pod, IPs stripped; comparison only)",
            netfence_cmd(args.python, inp_noip, True),
            "netfence-pod-noip.json",
        )
        res.nca_fixed = step(
            "nca with its bugs fixed (comparison only)",
            [
                str(nca.parent / "python"),
                str(BENCH_DIR / "nca_patched.py"),
                *nca_cmd(nca, topo, pol)[1:],
            ],
            "nca-fixed.txt",
            args.nca_timeout,
        )
        try:
            cmp = compare_nca.compare_files(
                topo,
                results / "nca.txt",
                results / "netfence-pod.json",
                results / "netfence-pod-noip.json" if res.netfence_pod_noip.ok else None,
                results / "nca-fixed.txt" if res.nca_fixed.ok else None,
            )
            res.comparison = cmp.summary()
            res.comparison_report = cmp.report()
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            res.comparison = f"comparison failed: {exc}"
            res.comparison_report = res.comparison
        (results / "comparison.txt").write_text(res.comparison_report + "\n", encoding="utf-8")
        print("   comparison:\n" + _indent(res.comparison_report, 5), file=sys.stderr)
    elif nca is None:
        res.comparison = "n/a (nca skipped)"
    elif args.skip_netfence:
        res.comparison = "n/a (netfence skipped)"
    else:
        res.comparison = "n/a"
    return res


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())


# --------------------------------------------------------------------------- reporting


def _ratio(nca: Run | None, nf: Run | None) -> str:
    if nca is None or nf is None or not nf.ok:
        return "n/a"
    if nca.timed_out:
        return f"> {(nca.timeout_s or nca.wall_s) / nf.wall_s:.0f}x"
    if not nca.ok:
        return "n/a"
    return f"{nca.wall_s / nf.wall_s:.1f}x"


def markdown_table(results: list[SizeResult]) -> str:
    """The results as a Markdown table."""

    def cell(run: Run | None, what: str) -> str:
        if run is None:
            return "skipped"
        return run.time_str() if what == "time" else run.rss_str()

    head = (
        "| pods/policies | netfence time (workload) | netfence peak RSS (workload) "
        "| netfence time (pod) | netfence peak RSS (pod) | nca time | nca peak RSS "
        "| nca/netfence time (workload; pod) | pod-to-pod connectivity agrees |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    scan = any(r.netfence_scan is not None for r in results)
    if scan:
        first, rule = head.split("\n")
        head = f"{first} netfence scan time | netfence scan peak RSS |\n{rule}---|---|"
    rows = [head]
    for r in results:
        ratio = f"{_ratio(r.nca, r.netfence_workload)}; {_ratio(r.nca, r.netfence_pod)}"
        rows.append(
            f"| {r.label} | {cell(r.netfence_workload, 'time')} "
            f"| {cell(r.netfence_workload, 'rss')} | {cell(r.netfence_pod, 'time')} "
            f"| {cell(r.netfence_pod, 'rss')} | {cell(r.nca, 'time')} | {cell(r.nca, 'rss')} "
            f"| {ratio} | {r.comparison} |"
            + (
                f" {cell(r.netfence_scan, 'time')} | {cell(r.netfence_scan, 'rss')} |"
                if scan
                else ""
            )
        )
    return "\n".join(rows)


def machine_info() -> dict[str, str]:
    """Machine description for the report."""
    return {
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def mode_suffix(args: argparse.Namespace) -> str:
    """``""`` for Kubernetes NetworkPolicies only, else e.g. ``-calico0.3`` or
    ``-calico0.2-admin0.1`` (``-tiers`` when Calico Tiers are written)."""
    out = ""
    if args.calico:
        out += f"-calico{args.calico:g}"
    if args.admin:
        out += f"-admin{args.admin:g}"
    if args.calico and args.calico_tiers:
        out += "-tiers"
    if args.ip_prefixes:
        out += f"-ip{args.ip_prefixes}"
    return out


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """Parse ``200/80,1000/400``."""
    sizes = []
    for tok in text.split(","):
        pods, _, pols = tok.strip().partition("/")
        sizes.append((int(pods), int(pols)))
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("200/80,1000/400"),
        help="comma-separated pods/policies pairs (default 200/80,1000/400)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work directory")
    parser.add_argument("--skip-nca", action="store_true", help="run netfence only")
    parser.add_argument("--skip-netfence", action="store_true", help="run nca only")
    parser.add_argument(
        "--fresh", action="store_true", help="forget earlier sizes in results.json/results.md"
    )
    parser.add_argument("--no-compare", action="store_true", help="skip the connectivity check")
    parser.add_argument(
        "--scan", action="store_true", help="also time `python -m netfence scan DIR -o json`"
    )
    parser.add_argument(
        "--nca-timeout", type=float, default=900.0, help="kill nca after this many seconds"
    )
    parser.add_argument(
        "--netfence-repeat",
        type=int,
        default=3,
        help="runs per netfence command; the median wall time is kept (default 3)",
    )
    parser.add_argument(
        "--nca-repeat", type=int, default=1, help="runs of the nca command (default 1)"
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter with netfence installed"
    )
    parser.add_argument(
        "--calico",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share of the policies generated as Calico policies (default 0)",
    )
    parser.add_argument(
        "--admin",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share generated as Admin/BaselineAdmin/ClusterNetworkPolicies (default 0)",
    )
    parser.add_argument(
        "--calico-tiers",
        action="store_true",
        help="write Calico Tiers (security, platform); nca 2.1.0 cannot read them",
    )
    parser.add_argument(
        "--ip-prefixes",
        type=int,
        default=0,
        metavar="N",
        help="add allow-list rules with N ipBlock prefixes in all to each cluster (default 0)",
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    if args.calico_tiers and not args.skip_nca:
        parser.error("nca 2.1.0 rejects Calico tiers; add --skip-nca to --calico-tiers")

    nca = None if args.skip_nca else ensure_nca_venv()
    results = [run_size(p, q, args, nca) for p, q in args.sizes]

    info = machine_info()
    mode = mode_suffix(args)
    header = (
        f"Machine: {info['cpus']} CPUs, Python {info['python']}, {info['platform']}; "
        f"seed {args.seed}; nca {NCA_VERSION}"
    )
    if args.calico or args.admin:
        header += (
            f"; --calico {args.calico:g} --admin {args.admin:g}"
            f"{' --calico-tiers' if args.calico_tiers else ''}"
        )
    if args.ip_prefixes:
        header += f"; --ip-prefixes {args.ip_prefixes}"
    print(header)
    print()
    print(markdown_table(results))

    # results.json / results.md accumulate over runs (same seed), newest figures per size
    args.out.mkdir(parents=True, exist_ok=True)
    raw_path = args.out / f"results{mode}.json"
    merged: dict[tuple[int, int], SizeResult] = {}
    if raw_path.exists() and not args.fresh:
        try:
            old = json.loads(raw_path.read_text(encoding="utf-8"))
            if old.get("seed") == args.seed:
                for item in old.get("results", []):
                    r = size_result_from_dict(item)
                    merged[(r.pods, r.policies)] = r
        except (ValueError, KeyError, TypeError):
            merged = {}
    for r in results:
        merged[(r.pods, r.policies)] = r
    all_results = [merged[k] for k in sorted(merged)]
    raw = {
        "machine": info,
        "seed": args.seed,
        "nca_version": NCA_VERSION,
        "results": [asdict(r) for r in all_results],
    }
    raw_path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    (args.out / f"results{mode}.md").write_text(
        header + "\n\n" + markdown_table(all_results) + "\n", encoding="utf-8"
    )
    print(f"\nall sizes so far: {rel(args.out / f'results{mode}.md')}", file=sys.stderr)
    return 0


def size_result_from_dict(item: dict[str, Any]) -> SizeResult:
    """Rebuild a SizeResult from its ``asdict`` form."""
    runs = {}
    for key in (
        "netfence_workload",
        "netfence_pod",
        "netfence_pod_noip",
        "nca",
        "nca_fixed",
        "netfence_scan",
    ):
        value = item.get(key)
        runs[key] = Run(**value) if isinstance(value, dict) else None
    return SizeResult(
        pods=int(item["pods"]),
        policies=int(item["policies"]),
        comparison=str(item.get("comparison", "")),
        comparison_report=str(item.get("comparison_report", "")),
        notes=list(item.get("notes", [])),
        **runs,
    )


if __name__ == "__main__":
    sys.exit(main())
