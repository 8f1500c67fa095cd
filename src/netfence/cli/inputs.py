"""Reading the cluster a command was given, from manifests or a live API server: what is said
about it on standard error, and the refusal of an input that holds no Kubernetes object."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from netfence.cli.terminal import Progress
from netfence.errors import InputError, QueryError
from netfence.model.cluster import Cluster
from netfence.report.printable import printable
from netfence.sources.file_kinds import NetfenceFileKind, netfence_file_kind, netfence_text_kind
from netfence.sources.live import LiveOptions, read_live
from netfence.sources.manifests import cluster_from_documents, iter_input_files, load_documents
from netfence.sources.yamldocs import Document

FILES_SHOWN: Final = 5
"""Files named per skipped kind with ``-v``; the rest are counted."""


@dataclass
class FoundInputs:
    """netfence's own inputs found in directories beside the manifests, for a command that
    reads them (``scan``), in file order."""

    firewalls: list[str] = field(default_factory=list)
    """Firewall exports."""
    address_plans: list[str] = field(default_factory=list)
    """Address plans."""
    private_link: list[str] = field(default_factory=list)
    """Private Link settings."""
    dns_answers: list[str] = field(default_factory=list)
    """DNS answer files."""
    connectivity_tests: list[str] = field(default_factory=list)
    """Connectivity-test specs (read by ``netfence test`` when named, never by ``scan``)."""

    def add(self, name: str, kind: NetfenceFileKind) -> None:
        """File ``name`` under its kind."""
        {
            NetfenceFileKind.ADDRESS_PLAN: self.address_plans,
            NetfenceFileKind.PRIVATE_LINK: self.private_link,
            NetfenceFileKind.DNS_ANSWERS: self.dns_answers,
            NetfenceFileKind.CONNECTIVITY_TESTS: self.connectivity_tests,
        }[kind].append(name)


_LIVE_ONLY = ("kubeconfig", "context", "all_namespaces")
"""Options that mean something only with ``--live``."""


def cluster_from_args(
    args: argparse.Namespace,
    *,
    progress: Progress | None = None,
    found: FoundInputs | None = None,
    live_namespaces: Sequence[str] = (),
) -> Cluster:
    """The cluster a command was given: the manifests at ``args.paths``, or with ``--live``
    the cluster its API server serves (``live_namespaces``: the namespaced kinds of these
    namespaces only; empty for all). Either one, never both, never neither."""
    paths = list(args.paths or ())
    live = bool(getattr(args, "live", False))
    if not live:
        refuse_live_only(args)
        if not paths:
            raise QueryError(
                "no input: give PATH (manifest files or directories, '-' for stdin) or --live"
            )
        return _kept(
            read_cluster(
                paths, strict=args.strict, verbose=args.verbose, progress=progress, found=found
            )
        )
    if paths:
        raise QueryError("give PATH or --live, not both")
    if args.all_namespaces and live_namespaces:
        raise QueryError("-A reads every namespace and -n one: give one of them")
    return _kept(
        read_live_cluster(
            live_options(args, live_namespaces), verbose=args.verbose, progress=progress
        )
    )


def _kept(cluster: Cluster) -> Cluster:
    """The cluster a command works on, set aside from the cyclic collector: it lives as long
    as the process, and at 100,000 pods it is millions of objects that each full collection
    during the analyses would walk again. Reference counting still frees what is dropped; a
    command runs once per process, and `main` gives the collector back when it ends."""
    gc.freeze()
    return cluster


def live_options(args: argparse.Namespace, namespaces: Sequence[str] = ()) -> LiveOptions:
    """The live source's options as the command line gave them (``namespaces``: read the
    namespaced kinds of these only; empty for all)."""
    return LiveOptions(
        kubeconfig=args.kubeconfig,
        context=args.context,
        namespaces=tuple(dict.fromkeys(namespaces)),
        request_timeout=args.request_timeout,
        chunk_size=args.chunk_size,
        strict=args.strict,
    )


def refuse_live_only(args: argparse.Namespace) -> None:
    """An error for an option of the live source given without ``--live``."""
    for name in _LIVE_ONLY:
        if getattr(args, name, None):
            option = "-A" if name == "all_namespaces" else "--" + name
            raise QueryError(f"{option} is an option of the live source: add --live")


def optional_cluster_from_args(
    args: argparse.Namespace, *, progress: Progress | None = None
) -> Cluster | None:
    """For a command whose cluster is optional (``--cluster PATH...``): the manifests named
    there, or with ``--live`` the cluster its API server serves, or None without either."""
    if getattr(args, "live", False) and args.cluster:
        raise QueryError("give --cluster PATH or --live, not both")
    if not getattr(args, "live", False) and not args.cluster:
        refuse_live_only(args)
        return None
    shaped = argparse.Namespace(**vars(args))
    shaped.paths = list(args.cluster)
    return cluster_from_args(shaped, progress=progress)


def read_live_cluster(
    options: LiveOptions, *, verbose: bool, progress: Progress | None = None
) -> Cluster:
    """The cluster its API server serves, with what was not read said on stderr, one line
    each (``netfence: live: ...``)."""
    read = read_live(options, progress.stage if progress is not None else None)
    for note in read.notes:
        print(f"netfence: live: {printable(note)}", file=sys.stderr)
    _report_skipped(read.cluster, verbose)
    return read.cluster


def read_cluster(
    paths: Sequence[str],
    *,
    strict: bool,
    verbose: bool,
    progress: Progress | None = None,
    found: FoundInputs | None = None,
) -> Cluster:
    """The cluster the inputs describe, with the skipped kinds reported on stderr (each kind
    with its count and files under ``verbose``, one counting line otherwise).

    InputError when the inputs hold no Kubernetes document at all (empty files, an empty
    directory, only files without apiVersion/kind): an audit or a map of nothing would
    report on a cluster that is not there.

    Firewall exports, address plans, Private Link settings and DNS answer files found in a
    directory beside the manifests are no manifests: they are added to ``found`` when the
    command reads them (``scan``), else named under ``verbose``. Other files without a
    Kubernetes object are warned about.
    """
    set_aside: list[str] = []
    documents = load_documents(paths, set_aside=set_aside)
    return read_cluster_from(
        documents, set_aside, lambda: _inputs_named(paths), strict=strict, verbose=verbose,
        progress=progress, found=found,
    )  # fmt: skip


def read_cluster_from(
    documents: Iterable[Document],
    set_aside: list[str],
    named: Callable[[], str],
    *,
    strict: bool,
    verbose: bool,
    progress: Progress | None = None,
    found: FoundInputs | None = None,
    contents: Mapping[str, str] | None = None,
) -> Cluster:
    """:func:`read_cluster` for documents of any source (a git revision's tree): the files
    the source set aside are added to ``set_aside`` as the documents are read; ``named``
    gives the inputs' name for the error of no Kubernetes object. ``contents`` holds the text
    of set-aside files that are not on disk (a git tree's), by name."""
    counter = _Counter(progress)
    cluster = cluster_from_documents(counter.counted(documents), strict)
    _sort_set_aside(set_aside, found, verbose, contents or {})
    if counter.objects == 0:
        raise InputError(f"{named()}: no Kubernetes objects (apiVersion/kind) found")
    _report_skipped(cluster, verbose)
    return cluster


def _sort_set_aside(
    files: list[str], found: FoundInputs | None, verbose: bool, contents: Mapping[str, str]
) -> None:
    """Say what the files without a Kubernetes object are, or hand on netfence's own inputs
    (recognized from ``contents`` for a file not on disk)."""
    if not files:
        return
    # Imported only when a file is set aside: recognizing a firewall export loads every
    # firewall language, which a run of manifests alone never needs.
    from netfence.analyses.firewall.inputs import firewall_kind_of, firewall_text_kind

    for name in files:
        text = contents.get(name)
        kind = firewall_kind_of(name) if text is None else firewall_text_kind(text, name)
        if kind is not None:
            if found is not None:
                found.firewalls.append(name)
            elif verbose:
                print(
                    f"netfence: {printable(name)}: {kind.value} export, not a manifest (scan"
                    " and firewall check read it)",
                    file=sys.stderr,
                )
            continue
        own = netfence_file_kind(name) if text is None else netfence_text_kind(text, name)
        if own is None:
            print(
                f"netfence: warning: {printable(name)}: no Kubernetes object (apiVersion/kind)"
                " in it; skipped",
                file=sys.stderr,
            )
        elif found is not None:
            found.add(name, own)
        elif verbose:
            reader = "netfence test" if own is NetfenceFileKind.CONNECTIVITY_TESTS else "scan"
            print(
                f"netfence: {printable(name)}: netfence input ({own.value}), not a manifest"
                f" ({reader} reads it)",
                file=sys.stderr,
            )


class _Counter:
    """Counts the Kubernetes-shaped documents (a mapping with apiVersion or kind; an empty
    List, as kubectl prints for no objects, is one) read, naming the count on the status
    line now and then."""

    def __init__(self, progress: Progress | None) -> None:
        self.objects = 0
        self._progress = progress

    def counted(self, documents: Iterable[Document]) -> Iterator[Document]:
        """The documents, counted as they pass."""
        progress = self._progress
        if progress is not None:
            progress.stage("reading manifests")
        for count, document in enumerate(documents, 1):
            body = document.body
            if isinstance(body, dict) and ("apiVersion" in body or "kind" in body):
                self.objects += 1
            if progress is not None and count % 1000 == 0:
                progress.stage(f"reading manifests ({count} documents)")
            yield document


def _inputs_named(paths: Sequence[str]) -> str:
    """The inputs as an error names them: the one path, or the count of files read."""
    if len(paths) == 1 and paths[0] == "-":
        return "<stdin>"
    files = sum(1 for name in iter_input_files(paths))
    if len(paths) == 1:
        return f"{paths[0]} ({files} {'file' if files == 1 else 'files'} read)"
    return f"{len(paths)} inputs ({files} {'file' if files == 1 else 'files'} read)"


def _report_skipped(cluster: Cluster, verbose: bool) -> None:
    if not cluster.skipped:
        return
    if not verbose:
        total = sum(cluster.skipped.values())
        print(f"netfence: skipped {total} objects of other kinds (-v lists them)", file=sys.stderr)
        return
    for kind, count in cluster.skipped.items():
        where = _files(cluster, kind)
        print(f"netfence: skipped {printable(kind)} x{count} in {where}", file=sys.stderr)


def _files(cluster: Cluster, kind: str) -> str:
    files = [printable(f) for f in cluster.skipped_files.get(kind, ())]
    shown = ", ".join(files[:FILES_SHOWN])
    more = len(files) - FILES_SHOWN
    return f"{shown} and {more} more files" if more > 0 else shown
