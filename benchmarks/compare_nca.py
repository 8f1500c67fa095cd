"""Compare pod-to-pod connectivity computed by netfence and by nca on the same input.

netfence output (``python -m netfence connectivity DIR -o json --granularity pod``, schema 3,
docs/json-connectivity.md) in either form: groups (connections between group ids; a group's
``members`` are pod names) or pairs (``--flat``: one ``{"src", "dst", "allowed"}`` a pair)::

    {"schema_version": "3", "form": "groups", "granularity": "pod",
     "groups": [{"id": "g0", "members": ["ns/pod-1", ...], ...}, ...],
     "connections": [{"src": ["g0"], "dst": ["g0", "g3"],
                      "allowed": {"TCP": [[lo, hi], ...], "UDP": [...], "SCTP": [...]}}]}

Every pair of a source group's member and a destination group's member (no pod with itself) is
allowed at least the listed inclusive port ranges; pods are ``namespace/pod``, external groups
(``e...``) and external ends of pairs are dropped here.

nca output (``nca --connectivity ... -o txt_no_fw_rules --output_endpoints pods``) has one line
per (src, dst, connection cube set)::

    ns-a/pod-1 => ns-b/pod-2 : {protocols:TCP, UDP,dst_ports:53,8000-8100}
    ns-a/pod-1 => 0.0.0.0-9.255.255.255 : All connections
    ns-a/pod-1 => ns-c/pod-3 : All but {protocols:TCP,dst_ports:22}

nca keeps at most two pods per equivalence class (same namespace, owner workload and labels), so
the comparison runs over the ordered pairs of those representative pods (self pairs excluded).
Only TCP, UDP and SCTP are compared (nca's "All connections" also covers ICMP and other protocols).

nca never matches ipBlocks against pod IPs. Pairs where netfence (which does) differs from nca are
classified as "explained by ipBlock-on-pod-IP semantics" when netfence on a copy of the topology
with ``status.podIP``/``status.podIPs`` removed agrees with nca on that pair.

Usage::

    python benchmarks/compare_nca.py --topology T.yaml --nca NCA.txt --netfence NF.json \
        [--netfence-noip NF_NOIP.json]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import hexdigits
from typing import Any

import yaml

PROTOCOLS = ("TCP", "UDP", "SCTP")
FULL: tuple[tuple[int, int], ...] = ((1, 65535),)

Ranges = tuple[tuple[int, int], ...]
# protocol -> canonical (sorted, merged, non-empty) tuple of inclusive port ranges
PortMap = dict[str, Ranges]
Pair = tuple[str, str]
ConnMap = dict[Pair, PortMap]


# --------------------------------------------------------------------------- interval helpers


def normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sort, clip to 1..65535 and merge adjacent or overlapping inclusive ranges."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted((max(1, int(a)), min(65535, int(b))) for a, b in ranges):
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def subtract(a: Ranges, b: Ranges) -> Ranges:
    """Return the ranges of ``a`` not covered by ``b`` (both normalized)."""
    out: list[tuple[int, int]] = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
            if cur > hi:
                break
        if cur <= hi:
            out.append((cur, hi))
    return normalize(out)


def merge_into(target: dict[str, list[tuple[int, int]]], add: Mapping[str, Iterable[Any]]) -> None:
    """Add port ranges of ``add`` into the accumulating ``target``."""
    for proto, ranges in add.items():
        target.setdefault(proto, []).extend((int(r[0]), int(r[1])) for r in ranges)


def finish(acc: dict[str, list[tuple[int, int]]]) -> PortMap:
    """Normalize an accumulated port map, dropping empty protocols."""
    out: PortMap = {}
    for proto in PROTOCOLS:
        ranges = normalize(acc.get(proto, ()))
        if ranges:
            out[proto] = ranges
    return out


def format_portmap(pm: PortMap) -> str:
    """Human-readable port map, e.g. ``TCP 80,8000-8100; UDP 53``."""
    if not pm:
        return "nothing"
    parts = []
    for proto in PROTOCOLS:
        if proto in pm:
            rs = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in pm[proto])
            parts.append(f"{proto} {'all' if pm[proto] == FULL else rs}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- endpoints


def is_ip_endpoint(name: str) -> bool:
    """True for CIDR strings and nca's ``a.b.c.d-e.f.g.h`` ranges (and comma lists of them)."""
    for part in name.split(","):
        for piece in part.strip().split("-"):
            try:
                ipaddress.ip_network(piece.strip(), strict=False)
            except ValueError:
                return False
    return True


def nca_workload_name(namespace: str, pod_name: str, owners: list[dict[str, Any]]) -> str:
    """Replicate nca 2.1.0's ``Pod.workload_name``."""
    if not owners:
        return f"{namespace}/{pod_name}(Pod)"
    owner_name = str(owners[0].get("name", ""))
    owner_kind = str(owners[0].get("kind", ""))
    if not owner_name:
        return f"{namespace}/{pod_name}(Pod)"
    if owner_kind == "ReplicaSet":
        suffix = owner_name[owner_name.rfind("-") + 1 :]
        if all(c in hexdigits for c in suffix):
            return f"{namespace}/{owner_name[: owner_name.rfind('-')]}(Deployment-StatefulSet)"
        return f"{namespace}/{owner_name}(ReplicaSet)"
    return f"{namespace}/{owner_name}({owner_kind})"


def iter_pods(topology: Path) -> Iterable[dict[str, Any]]:
    """Yield the Pod objects of a topology file (``kind: List`` or multi-document)."""
    with topology.open(encoding="utf-8") as f:
        docs = list(yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    stack = [d for d in docs if isinstance(d, dict)]
    while stack:
        obj = stack.pop(0)
        if str(obj.get("kind", "")).endswith("List"):
            stack[0:0] = [i for i in obj.get("items") or [] if isinstance(i, dict)]
        elif obj.get("kind") == "Pod":
            yield obj


def nca_representative_pods(topology: Path) -> list[str]:
    """Pods nca keeps: the first two of each (namespace, workload, labels) class, in file order."""
    seen: dict[str, int] = {}
    reps: list[str] = []
    for pod in iter_pods(topology):
        md = pod.get("metadata") or {}
        ns = md.get("namespace") or "default"
        name = md.get("name", "")
        labels = md.get("labels") or {}
        key = (
            ns
            + "_"
            + nca_workload_name(ns, name, md.get("ownerReferences") or [])
            + "_"
            + "".join(f",({k},{v})" for k, v in sorted(labels.items()))
        )
        if seen.get(key, 0) >= 2:
            continue
        seen[key] = seen.get(key, 0) + 1
        reps.append(f"{ns}/{name}")
    return reps


def strip_pod_ips(src: Path, dst: Path) -> None:
    """Copy a topology file, removing ``status.podIP`` and ``status.podIPs`` from every pod."""
    with src.open(encoding="utf-8") as f:
        docs = list(yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))

    def strip(obj: Any) -> None:
        if isinstance(obj, dict):
            if obj.get("kind") == "Pod" and isinstance(obj.get("status"), dict):
                obj["status"].pop("podIP", None)
                obj["status"].pop("podIPs", None)
            for item in obj.get("items") or []:
                strip(item)

    for d in docs:
        strip(d)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", encoding="utf-8") as f:
        yaml.dump_all(
            docs,
            f,
            Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
            sort_keys=False,
            width=1000,
        )


# --------------------------------------------------------------------------- parsers


def parse_netfence(data: Mapping[str, Any] | Path) -> ConnMap:
    """Pod-to-pod connectivity from netfence's JSON (a path or the decoded document)."""
    if isinstance(data, Path):
        with data.open(encoding="utf-8") as f:
            data = json.load(f)
    assert isinstance(data, Mapping)
    if str(data.get("schema_version")) != "3":
        raise ValueError(f"unsupported netfence schema_version {data.get('schema_version')!r}")
    if data.get("granularity") != "pod":
        raise ValueError("netfence output must be at pod granularity (--granularity pod)")
    acc: dict[Pair, dict[str, list[tuple[int, int]]]] = {}
    for s, d, allowed in _netfence_pairs(data):
        if s != d:
            merge_into(acc.setdefault((s, d), {}), allowed)
    return {pair: pm for pair, pm in ((p, finish(a)) for p, a in acc.items()) if pm}


def _is_term(name: str) -> bool:
    """An address term (``CIDR`` or ``CIDR except A, B``): pod names are namespace/pod, and a
    namespace has neither "." nor ":"."""
    head = name.split("/", 1)[0]
    return "." in head or ":" in head


def _netfence_pairs(data: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(source pod, destination pod, allowed) of either form; external ends left out."""
    if data.get("form") == "pairs":
        for entry in data["pairs"]:
            if not (_is_term(entry["src"]) or _is_term(entry["dst"])):
                yield entry["src"], entry["dst"], entry.get("allowed") or {}
        return
    members = {g["id"]: g["members"] for g in data["groups"]}
    for entry in data["connections"]:
        srcs = [p for g in entry["src"] if g in members for p in members[g]]
        dsts = [p for g in entry["dst"] if g in members for p in members[g]]
        for s in srcs:
            for d in dsts:
                yield s, d, entry.get("allowed") or {}


_NCA_LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conn>.+)$")
_CUBE = re.compile(r"\{([^{}]*)\}")
_KEY = re.compile(r"(?:^|,)([a-z_]+):")


def _parse_ports(text: str) -> Ranges:
    ranges = []
    for tok in text.split(","):
        tok = tok.strip()
        if not tok:
            continue
        lo, _, hi = tok.partition("-")
        ranges.append((int(lo), int(hi or lo)))
    return normalize(ranges)


def _parse_protocols(text: str) -> set[str]:
    text = text.strip()
    if text in ("*", ""):
        return set(PROTOCOLS)
    negate = text.startswith("all but ")
    if negate:
        text = text[len("all but ") :]
    names = {t.strip().upper() for t in text.split(",") if t.strip()}
    # numeric forms of TCP(6), UDP(17), SCTP(132)
    names |= {p for p, n in (("TCP", "6"), ("UDP", "17"), ("SCTP", "132")) if n in names}
    chosen = {p for p in PROTOCOLS if p in names}
    return set(PROTOCOLS) - chosen if negate else chosen


def parse_nca_conn(conn: str) -> PortMap:
    """Parse nca's connection string for one line into a TCP/UDP/SCTP port map."""
    conn = conn.strip()
    if conn == "All connections":
        return dict.fromkeys(PROTOCOLS, FULL)
    if conn == "No connections":
        return {}
    negate = conn.startswith("All but ")
    acc: dict[str, list[tuple[int, int]]] = {}
    for cube in _CUBE.findall(conn):
        fields: dict[str, str] = {}
        parts = _KEY.split(cube)
        # parts = ['', key1, val1, key2, val2, ...]
        for i in range(1, len(parts) - 1, 2):
            fields[parts[i]] = parts[i + 1]
        protos = _parse_protocols(fields.get("protocols", "*"))
        ports = _parse_ports(fields["dst_ports"]) if "dst_ports" in fields else FULL
        unsupported = set(fields) - {"protocols", "dst_ports"}
        if unsupported:
            raise ValueError(f"unsupported nca connection dimensions {unsupported} in {conn!r}")
        for p in protos:
            acc.setdefault(p, []).extend(ports)
    pm = finish(acc)
    if negate:
        pm = {p: r for p in PROTOCOLS if (r := subtract(FULL, pm.get(p, ())))}
    return pm


def parse_nca(text: str) -> ConnMap:
    """Pod-to-pod connectivity from nca's ``txt_no_fw_rules`` output."""
    acc: dict[Pair, dict[str, list[tuple[int, int]]]] = {}
    for line in text.splitlines():
        m = _NCA_LINE.match(line.strip())
        if not m:
            continue
        src, dst = m["src"], m["dst"]
        if src == dst or is_ip_endpoint(src) or is_ip_endpoint(dst):
            continue
        merge_into(acc.setdefault((src, dst), {}), parse_nca_conn(m["conn"]))
    return {pair: pm for pair, pm in ((p, finish(a)) for p, a in acc.items()) if pm}


# --------------------------------------------------------------------------- comparison

AGREE = "agree"
IPBLOCK = "ipBlock-on-pod-IP"
NCA_SCOPING = "nca bug fixed in nca_patched.py"
BOTH = "ipBlock-on-pod-IP + nca bug fixed in nca_patched.py"
UNEXPLAINED = "unexplained"
EXPLANATIONS = (IPBLOCK, NCA_SCOPING, BOTH)


@dataclass
class Difference:
    """One ordered pod pair on which netfence and nca disagree."""

    src: str
    dst: str
    netfence: PortMap
    nca: PortMap
    reason: str = UNEXPLAINED

    def describe(self) -> str:
        """One-line description."""
        return (
            f"{self.src} -> {self.dst}: netfence {format_portmap(self.netfence)} | "
            f"nca {format_portmap(self.nca)} [{self.reason}]"
        )


@dataclass
class Check:
    """An exact comparison of two maps over all representative pairs."""

    title: str
    pairs: int
    differences: list[Difference]

    @property
    def agreeing(self) -> int:
        """Pairs with identical allowed sets."""
        return self.pairs - len(self.differences)


@dataclass
class Comparison:
    """netfence (pod granularity, with pod IPs) against stock nca, differences classified.

    A difference is explained by

    * ``ipBlock-on-pod-IP`` when netfence on the IP-stripped topology agrees with nca,
    * ``nca bug`` when nca with its bugs fixed (``nca_patched.py``: podSelector
      Exists/DoesNotExist scoping, Calico's ``projectcalico.org/name`` namespace label)
      agrees with netfence,
    * both, when netfence on the IP-stripped topology agrees with the fixed nca.
    """

    pods: int
    main: Check
    checks: list[Check] = field(default_factory=list)
    unknown_pods: list[str] = field(default_factory=list)

    def count(self, reason: str) -> int:
        """Differences with the given reason."""
        return sum(1 for d in self.main.differences if d.reason == reason)

    @property
    def unexplained(self) -> int:
        """Differences that no known semantic gap accounts for."""
        return self.count(UNEXPLAINED)

    @property
    def agrees(self) -> bool:
        """True when every difference is explained and every extra check agrees exactly."""
        return self.unexplained == 0 and not self.unknown_pods

    def summary(self) -> str:
        """Short verdict for a results table."""
        m = self.main
        parts = [f"{'yes' if self.agrees else 'NO'}: {m.agreeing:,}/{m.pairs:,} identical"]
        short = {IPBLOCK: "ipBlock-on-pod-IP", NCA_SCOPING: "nca-bug", BOTH: "both"}
        parts += [f"{self.count(r):,} {short[r]}" for r in EXPLANATIONS if self.count(r)]
        parts.append(f"{self.unexplained:,} unexplained")
        exact = [c for c in self.checks if c.title.startswith("exact")]
        if exact:
            parts.append(f"exact after both: {exact[0].agreeing:,}/{exact[0].pairs:,}")
        return ", ".join(parts)

    def report(self, limit: int = 10) -> str:
        """Multi-line report with the first ``limit`` differences."""
        m = self.main
        lines = [
            f"representative pods (nca keeps <= 2 per equivalence class): {self.pods}",
            f"pod-to-pod pairs compared: {m.pairs}",
            f"netfence vs nca: agreeing {m.agreeing}, differing {len(m.differences)}",
        ]
        lines += [f"  explained by {r}: {self.count(r)}" for r in EXPLANATIONS]
        lines.append(f"  unexplained: {self.unexplained}")
        lines += [
            f"{c.title}: agreeing {c.agreeing}, differing {len(c.differences)}" for c in self.checks
        ]
        if self.unknown_pods:
            lines.append(
                f"pods named by nca but not representatives: {len(self.unknown_pods)} "
                f"(e.g. {', '.join(self.unknown_pods[:3])})"
            )
        for reason in (UNEXPLAINED, *EXPLANATIONS):
            diffs = [d for d in m.differences if d.reason == reason]
            if diffs:
                lines.append(f"first differences [{reason}]:")
                lines += ["  " + d.describe() for d in diffs[:limit]]
        return "\n".join(lines)


def _diff(pods: list[str], a: ConnMap, b: ConnMap) -> tuple[int, list[Difference]]:
    pairs = 0
    diffs: list[Difference] = []
    for s in pods:
        for d in pods:
            if s == d:
                continue
            pairs += 1
            x, y = a.get((s, d), {}), b.get((s, d), {})
            if x != y:
                diffs.append(Difference(s, d, x, y))
    return pairs, diffs


def compare(
    pods: list[str],
    netfence: ConnMap,
    nca: ConnMap,
    netfence_noip: ConnMap | None = None,
    nca_fixed: ConnMap | None = None,
) -> Comparison:
    """Compare over all ordered pairs of ``pods`` (nca's representatives) and classify."""
    pairs, diffs = _diff(pods, netfence, nca)
    result = Comparison(pods=len(pods), main=Check("netfence vs nca", pairs, diffs))
    known = set(pods)
    result.unknown_pods = sorted({p for pair in nca for p in pair} - known)
    for d in diffs:
        key = (d.src, d.dst)
        if netfence_noip is not None and netfence_noip.get(key, {}) == d.nca:
            d.reason = IPBLOCK
        elif nca_fixed is not None and nca_fixed.get(key, {}) == d.netfence:
            d.reason = NCA_SCOPING
        elif (
            netfence_noip is not None
            and nca_fixed is not None
            and netfence_noip.get(key, {}) == nca_fixed.get(key, {})
        ):
            d.reason = BOTH
    if netfence_noip is not None:
        result.checks.append(
            Check("netfence (IP-stripped) vs nca", *_diff(pods, netfence_noip, nca))
        )
    if nca_fixed is not None:
        result.checks.append(Check("netfence vs fixed nca", *_diff(pods, netfence, nca_fixed)))
    if netfence_noip is not None and nca_fixed is not None:
        result.checks.append(
            Check(
                "exact: netfence (IP-stripped) vs fixed nca", *_diff(pods, netfence_noip, nca_fixed)
            )
        )
    return result


def compare_files(
    topology: Path,
    nca_txt: Path,
    netfence_json: Path,
    netfence_noip_json: Path | None = None,
    nca_fixed_txt: Path | None = None,
) -> Comparison:
    """Load the outputs from files and compare them."""
    pods = nca_representative_pods(topology)
    nca = parse_nca(nca_txt.read_text(encoding="utf-8"))
    nf = parse_netfence(netfence_json)
    nf_noip = parse_netfence(netfence_noip_json) if netfence_noip_json else None
    fixed = parse_nca(nca_fixed_txt.read_text(encoding="utf-8")) if nca_fixed_txt else None
    return compare(pods, nf, nca, nf_noip, fixed)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; exit status 1 when unexplained differences remain."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", type=Path, required=True, help="topology.yaml given to both")
    parser.add_argument("--nca", type=Path, required=True, help="nca txt_no_fw_rules output")
    parser.add_argument("--netfence", type=Path, required=True, help="netfence pod-level JSON")
    parser.add_argument(
        "--netfence-noip", type=Path, help="netfence pod-level JSON on the IP-stripped topology"
    )
    parser.add_argument(
        "--nca-fixed", type=Path, help="output of nca_patched.py (nca with its bugs fixed)"
    )
    parser.add_argument("--limit", type=int, default=10, help="differences to print per reason")
    args = parser.parse_args(argv)
    try:
        result = compare_files(
            args.topology, args.nca, args.netfence, args.netfence_noip, args.nca_fixed
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(result.report(args.limit))
    print(result.summary())
    return 0 if result.agrees else 1


if __name__ == "__main__":
    sys.exit(main())
