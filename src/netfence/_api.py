"""The library's front door: load a cluster, analyze it, render the result.

``import netfence`` re-exports these functions and the result types; everything else in the
package is implementation and may change without notice.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Sequence
from typing import assert_never

from netfence.analyses.audit import AuditReport, run_audit
from netfence.analyses.audit.report import Acceptance
from netfence.analyses.connectivity_map import ConnectivityMap, Granularity, connectivity_map
from netfence.engine.explain import FlowExplanation, explain_flow
from netfence.model.cluster import Cluster
from netfence.report.connectivity import RENDERERS as CONNECTIVITY_RENDERERS
from netfence.report.explain import render_explain_json, render_explain_text
from netfence.report.findings_json import render_json as render_findings_json
from netfence.report.findings_markdown import render_markdown as render_findings_markdown
from netfence.report.findings_text import render_text as render_findings_text
from netfence.report.junit import render_junit
from netfence.report.sarif import render_sarif
from netfence.sources.live import LiveOptions, read_live
from netfence.sources.manifests import LOG, load_cluster, load_cluster_from_text


class Format(enum.StrEnum):
    """An output format; which ones a result supports depends on its type."""

    TEXT = "text"
    """For people (every result)."""
    JSON = "json"
    """The versioned JSON contracts in docs/ (every result)."""
    CSV = "csv"
    """Connectivity: one row per allowed pair."""
    MARKDOWN = "md"
    """Connectivity and findings."""
    DOT = "dot"
    """Connectivity, for Graphviz."""
    SARIF = "sarif"
    """Findings, SARIF 2.1.0."""
    JUNIT = "junit"
    """Findings, JUnit XML."""

    def __str__(self) -> str:
        return self.value


def load(paths: str | Sequence[str], strict: bool = False) -> Cluster:
    """Read manifests (files, directories searched recursively, or ``-`` for standard input)
    into a :class:`Cluster`. Raises :class:`InputError` naming the file, document, line and
    field of the first input the API server would refuse. A field the API does not define
    is a warning on the ``netfence`` logger, or with ``strict`` an :class:`InputError`."""
    return load_cluster([paths] if isinstance(paths, str) else list(paths), strict=strict)


def loads(text: str, name: str = "<text>", strict: bool = False) -> Cluster:
    """Build a :class:`Cluster` from manifests given as a string (``name`` names it in errors;
    ``strict`` as for :func:`load`)."""
    return load_cluster_from_text(text, name, strict=strict)


def load_live(
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    strict: bool = False,
) -> Cluster:
    """Read a running cluster from its API server, read-only (needs ``netfence[live]``).

    ``kubeconfig`` and ``context`` as kubectl takes them (None: KUBECONFIG, else
    ``~/.kube/config`` and its current context, else the pod's service account);
    ``namespace`` reads the namespaced kinds of that namespace only. Every object's origin is
    an :class:`APIObjectOrigin`. What was not read (an optional API group the server does not
    serve) is a warning on the ``netfence`` logger; anything that keeps the read from being
    complete (a refused request, a timeout) raises :class:`InputError`."""
    options = LiveOptions(
        kubeconfig=kubeconfig,
        context=context,
        namespaces=(namespace,) if namespace else (),
        strict=strict,
    )
    read = read_live(options)
    for note in read.notes:
        LOG.warning("live: %s", note)
    return read.cluster


def connectivity(
    cluster: Cluster,
    granularity: Granularity = Granularity.WORKLOAD,
    namespaces: Iterable[str] | None = None,
) -> ConnectivityMap:
    """Every allowed connection, grouped by workload (or pod); ``namespaces`` keeps only
    connections with an end in one of them."""
    return connectivity_map(cluster, granularity, namespaces)


def explain(cluster: Cluster, src: str, dst: str, port: str | None = None) -> FlowExplanation:
    """Why one flow is allowed or denied: ``src`` and ``dst`` are ``namespace/workload``,
    ``namespace/pod`` or an IP address; ``port`` is ``80``, ``80/TCP`` or ``http/TCP``.
    Raises :class:`QueryError` when an endpoint or port names nothing."""
    return explain_flow(cluster, src, dst, port)


def scan(
    cluster: Cluster,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    baseline: Sequence[Acceptance] = (),
    api_servers: Sequence[tuple[str, int]] = (),
    today: datetime.date | None = None,
) -> AuditReport:
    """The network-hardening audit: every selected check, findings a live baseline entry
    accepts set apart."""
    return run_audit(
        cluster,
        select=select,
        ignore=ignore,
        baseline=baseline,
        api_servers=tuple(api_servers),
        today=today,
    )


def render(result: ConnectivityMap | FlowExplanation | AuditReport, format: str = "text") -> str:
    """A result as text in ``format`` (a :class:`Format` value); raises ValueError for a format
    the result's type does not support."""
    chosen = Format(format)
    if isinstance(result, ConnectivityMap):
        renderer = CONNECTIVITY_RENDERERS.get(chosen.value)
        if renderer is None:
            raise ValueError(f"a connectivity map does not render as {chosen}")
        return renderer(result)
    if isinstance(result, FlowExplanation):
        if chosen is Format.TEXT:
            return render_explain_text(result)
        if chosen is Format.JSON:
            return render_explain_json(result)
        raise ValueError(f"an explanation does not render as {chosen}")
    return _render_report(result, chosen)


def _render_report(report: AuditReport, chosen: Format) -> str:
    match chosen:
        case Format.TEXT:
            return render_findings_text(report)
        case Format.JSON:
            return render_findings_json(report)
        case Format.MARKDOWN:
            return render_findings_markdown(report)
        case Format.SARIF:
            return render_sarif(report)
        case Format.JUNIT:
            return render_junit(report)
        case Format.CSV | Format.DOT:
            raise ValueError(f"findings do not render as {chosen}")
        case _:
            assert_never(chosen)
