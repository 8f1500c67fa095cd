"""Where the time of one netfence connectivity run goes, stage by stage.

Stages: import, read (YAML parsing, then building the model), classes, compile, walk (the
connectivity matrix), group (the map), render (JSON). ``--readers`` also times YAML readers
on the same files: libyaml's events alone, netfence's loader (events plus its builder),
libyaml composing nodes, and ``yaml.load_all`` with ``CSafeLoader``. ``--profile N`` prints
the N functions with the most own time (cProfile) over the stages after import.

Usage::

    python benchmarks/profile_stages.py benchmarks/out/1000-400/input --readers
    python benchmarks/profile_stages.py benchmarks/out/scale/1000-400-ip50000/input --profile 25
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

started = time.perf_counter()
import yaml  # noqa: E402

from netfence.analyses.connectivity_groups import connectivity_groups  # noqa: E402
from netfence.analyses.connectivity_map import Granularity  # noqa: E402
from netfence.engine.classes import build_classes  # noqa: E402
from netfence.engine.connectivity import compile_policies, compute_connectivity  # noqa: E402
from netfence.report.connectivity_groups import render_groups_json  # noqa: E402
from netfence.sources.manifests import cluster_from_documents, load_documents  # noqa: E402
from netfence.sources.yamldocs import parse_documents  # noqa: E402

imported = time.perf_counter()


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def readers(files: list[Path], repeat: int) -> None:
    """Time YAML readers on the files (best of ``repeat``)."""
    texts = [f.read_text(encoding="utf-8") for f in files]

    def events() -> None:
        for text in texts:
            loader = yaml.CSafeLoader(text)
            while loader.check_event():
                loader.get_event()
            loader.dispose()

    def nodes() -> None:
        for text in texts:
            loader = yaml.CSafeLoader(text)
            while loader.check_node():
                loader.get_node()
            loader.dispose()

    def netfence() -> None:
        for file, text in zip(files, texts, strict=True):
            list(parse_documents(text, str(file)))

    def load_all() -> None:
        for text in texts:
            list(yaml.load_all(text, Loader=yaml.CSafeLoader))

    for name, fn in (
        ("libyaml events only", events),
        ("netfence loader (libyaml events + builder)", netfence),
        ("libyaml composing nodes (CSafeLoader.get_node)", nodes),
        ("yaml.load_all with CSafeLoader", load_all),
    ):
        print(f"  {name}: {_best(fn, repeat):.3f} s")


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="a generated cluster directory")
    parser.add_argument("--readers", action="store_true", help="also time YAML readers")
    parser.add_argument("--repeat", type=int, default=5, help="runs per reader (best kept)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="top N by own time")
    args = parser.parse_args()
    files = sorted(args.input.glob("*.yaml"))
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    marks = [("import", imported - started)]
    t = time.perf_counter()

    def mark(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        marks.append((name, now - t))
        t = now

    documents = list(load_documents([str(args.input)]))
    mark("read: YAML")
    cluster = cluster_from_documents(documents)
    mark("read: model")
    classes = build_classes(cluster)
    mark("classes")
    compiled = compile_policies(classes)
    mark("compile")
    matrix = compute_connectivity(classes, compiled)
    mark("walk")
    groups = connectivity_groups(cluster, Granularity.WORKLOAD, None, computed=(matrix, compiled))
    mark("group")
    text = "".join(render_groups_json(groups))
    mark("render")
    if profile is not None:
        profile.disable()
    print(
        f"{args.input}: {len(cluster.pods)} pods, {len(classes.members)} classes, "
        f"{len(classes.ip_atoms)} address atoms, {len(text) / 2**20:.1f} MiB of JSON"
    )
    print("  " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in marks))
    if args.readers:
        readers(files, args.repeat)
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
