"""Write the generated fixes of an audit as files, safely.

A fix directory may come from a pull request, so nothing here follows a symbolic link: the
directory is opened with O_NOFOLLOW and every file is created beside it with O_EXCL (a fresh
temporary name) and renamed into place, refusing a name that is already a link. The whole set
is written first and renamed only once every file is complete, so an error leaves no partial
set behind. File names map resource names one to one (percent-encoding), so two resources
never share a file. A namespace's fix set is one file, named for the checks it resolves and
the namespace: ``NF004-NF005-Namespace_kube-system.yaml``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from netfence.analyses.audit.fixes import request_of
from netfence.analyses.audit.report import AuditReport
from netfence.analyses.remediation import FixOutcome, FixPlan, FlowChange
from netfence.errors import OutputError
from netfence.model.findings import Finding

MAX_NAME_BYTES: Final = 200
"""Longest file name written (file systems allow 255 bytes; the rest is kept for a suffix)."""


def fix_file_name(check_id: str, resource: str) -> str:
    """``<check>-<resource>.yaml``, the resource's parts percent-encoded and joined by ``_``
    (which the encoding never leaves in a part), so that distinct resources get distinct names;
    over-long names are cut and given a digest of the whole."""
    parts = [_encode(part) for part in resource.split("/")]
    stem = f"{check_id}-{'_'.join(parts)}"
    if len(stem.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(stem.encode()).hexdigest()[:16]
        stem = f"{stem[: MAX_NAME_BYTES - 17]}-{digest}"
    return f"{stem}.yaml"


_PLAIN: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
"""Characters kept as they are: those of kinds and of DNS-1123 names (names are lower case
by validation, so even a file system that ignores case keeps them apart)."""


def _encode(part: str) -> str:
    """``part`` with every other character as ``%XX`` per UTF-8 byte."""
    return "".join(
        ch if ch in _PLAIN else "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        for ch in part
    )


def _open_directory(directory: Path, option: str) -> int:
    """A descriptor of ``directory`` (created if missing), refusing a symbolic link."""
    if "\0" in str(directory):
        raise OutputError(f"{option} {str(directory)!r}: a directory name cannot hold a NUL byte")
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        try:
            os.makedirs(directory)
        except OSError as exc:
            raise OutputError(
                f"{option} {directory}: cannot create the directory: {_why(exc)}"
            ) from None
        info = os.lstat(directory)
    except OSError as exc:
        raise OutputError(f"{option} {directory}: {_why(exc)}") from None
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{option} {directory}: is a symbolic link; give a real directory")
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{option} {directory}: is not a directory")
    try:
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise OutputError(f"{option} {directory}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    return exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))


def _write_temporary(dir_fd: int, text: str) -> str:
    """A new file in the directory holding ``text``; returns its name."""
    name = f".netfence-fix-{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    return name


def _refuse_link(dir_fd: int, directory: Path, name: str, option: str) -> None:
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(
            f"{option} {directory}: {name} is a symbolic link; refusing to replace it"
        )
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{option} {directory}: {name} exists and is not a regular file")


def _remove(dir_fd: int, names: Iterable[str]) -> None:
    for name in names:
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            pass


def _file_stem(finding: Finding, carriers: list[Finding]) -> tuple[str, str]:
    """(checks, resource) a fix file is named by: a namespace's set by every check it
    resolves and the namespace; any other fix by its finding's check and resource."""
    request = request_of(finding)
    if request is not None:
        checks = "-".join(sorted({f.check.check_id for f in carriers}))
        return checks, f"Namespace/{request.namespace}"
    return finding.check.check_id, finding.primary.key if finding.primary else "cluster"


def planned_fixes(report: AuditReport) -> dict[str, str]:
    """File name -> content for every distinct generated fix, in report order."""
    carriers: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if finding.fix:
            carriers.setdefault(finding.fix, []).append(finding)
    planned: dict[str, str] = {}
    for text, findings in carriers.items():
        name = fix_file_name(*_file_stem(findings[0], findings))
        stem, count = name.removesuffix(".yaml"), 2
        while name in planned:  # two fixes of one check for one resource: number them
            name = f"{stem}-{count}.yaml"
            count += 1
        planned[name] = text
    return planned


def write_fixes(report: AuditReport, directory: Path) -> list[Path]:
    """Write each distinct generated fix to ``directory/<check>-<resource>.yaml``, all or none."""
    return write_files(planned_fixes(report), directory, "--fix")


def write_files(planned: dict[str, str], directory: Path, option: str) -> list[Path]:
    """Write each file name -> text of ``planned`` into ``directory`` (created if missing),
    all or none, never through a symbolic link; ``option`` names the directory in errors."""
    dir_fd = _open_directory(directory, option)
    temporaries: dict[str, str] = {}
    try:
        for name, text in planned.items():
            _refuse_link(dir_fd, directory, name, option)
            temporaries[name] = _write_temporary(dir_fd, text)
        for name, temporary in temporaries.items():
            os.rename(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        temporaries.clear()
        os.fsync(dir_fd)
    except OSError as exc:
        raise OutputError(f"{option} {directory}: cannot write the files: {_why(exc)}") from None
    finally:
        _remove(dir_fd, temporaries.values())  # whatever was not renamed into place
        os.close(dir_fd)
    return [directory / name for name in planned]


SHOWN_CHANGES: Final = 3
"""Changed flows listed per set; the rest are counted."""


def _flow(change: FlowChange, removed: bool) -> str:
    ports = change.removed if removed else change.added
    return f"{change.src} -> {change.dst} ({ports.describe()})"


def _outcome_lines(outcome: FixOutcome, file: str | None) -> list[str]:
    resolved = ", ".join(sorted({f.check.check_id for f in outcome.resolves}))
    count = len(outcome.resolves)
    if file is None:
        return [
            f"netfence: fix for namespace {outcome.namespace} not written: {outcome.reason}",
        ]
    lines = [
        f"netfence: wrote {file}: namespace {outcome.namespace}, "
        f"{len(outcome.policies)} polic{'y' if len(outcome.policies) == 1 else 'ies'} "
        f"({', '.join(outcome.policies)}); resolves {count} finding(s) ({resolved})",
        f"netfence:   flows kept: {outcome.kept}, removed: {len(outcome.removed)}, "
        f"added: {len(outcome.added)}",
    ]
    for label, changes, removed in (
        ("removed", outcome.removed, True),
        ("added", outcome.added, False),
    ):
        lines.extend(f"netfence:   {label}: {_flow(c, removed)}" for c in changes[:SHOWN_CHANGES])
        if len(changes) > SHOWN_CHANGES:
            lines.append(f"netfence:   ... and {len(changes) - SHOWN_CHANGES} more {label}")
    return lines


def describe_plan(plan: FixPlan, written: list[Path]) -> str:
    """What ``--fix`` wrote and what each file changes, one namespace after another; the
    sets refused, with why; a line saying so when no finding asked for a fix."""
    if not plan.outcomes:
        return "netfence: no finding asks for a generated fix: nothing written\n"
    by_text = {p.read_text(encoding="utf-8"): p for p in written}
    lines: list[str] = []
    for outcome in plan.outcomes:
        path = by_text.get(outcome.text) if outcome.proven else None
        lines.extend(_outcome_lines(outcome, str(path) if path is not None else None))
    return "".join(f"{line}\n" for line in lines)
