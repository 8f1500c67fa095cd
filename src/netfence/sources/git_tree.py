"""Read manifests as they stood at a revision of a git repository, without a checkout.

An input ``git:REV:PATH`` names the file or directory PATH in the tree of revision REV of
the repository that holds the current directory. REV ends at the first ``:`` after ``git:``
(git refuses ``:`` in ref names, and object names have none, so the rule is never
ambiguous); the rest, which may itself hold ``:``, is PATH. PATH follows git's own
``REV:PATH`` rule: relative to the top of the repository, or to the current directory when
it starts with ``./`` or ``../``; an empty PATH is the whole tree.

Git is run with an argument list (never through a shell) and only to read: ``rev-parse``,
``cat-file`` and ``ls-tree``. A directory is read as the file reader reads one: its
``.yaml``, ``.yml`` and ``.json`` files in sorted order, hidden ones left out, a file without
any Kubernetes-shaped document set aside. Each file is named ``REV:PATH/file.yaml`` in
errors and origins.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from netfence.errors import InputError
from netfence.sources.manifests import MANIFEST_SUFFIXES, MAX_INPUT_BYTES, decode_utf8, iter_text
from netfence.sources.yamldocs import Document

PREFIX: Final = "git:"
"""What marks an input as a revision's tree."""


@dataclass(frozen=True)
class GitSpec:
    """A parsed ``git:REV:PATH`` input."""

    revision: str
    """The revision, as git understands it (a branch, a tag, a commit, ``HEAD~1``)."""
    path: str
    """The file or directory in the revision's tree; empty for the whole tree."""

    @property
    def label(self) -> str:
        """``REV:PATH``, as files under it are named."""
        return f"{self.revision}:{self.path}"


def is_git_spec(text: str) -> bool:
    """Whether an input names a revision's tree."""
    return text.startswith(PREFIX)


def parse_git_spec(text: str) -> GitSpec:
    """Split ``git:REV:PATH`` at the first ``:`` after the prefix."""
    rest = text[len(PREFIX) :]
    revision, colon, path = rest.partition(":")
    if not colon or not revision:
        raise InputError(f"{text}: expected git:REV:PATH (for example git:main:deploy/)")
    if revision.startswith("-"):  # would be read as an option by git
        raise InputError(f"{text}: a revision cannot start with '-'")
    return GitSpec(revision, path.rstrip("/") if path not in ("/", "") else "")


def _git(args: list[str], what: str, stdin: bytes | None = None, cwd: str | None = None) -> bytes:
    """Run git to read; a failure is an InputError: git's own reason, else ``what``."""
    try:
        done = subprocess.run(
            ["git", *args], input=stdin, capture_output=True, check=False, timeout=300, cwd=cwd
        )
    except FileNotFoundError:
        raise InputError(f"{what}: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{what}: git did not answer in time") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if not message:
            raise InputError(what)
        raise InputError(f"{what}: {message[-1].removeprefix('fatal: ')}")
    return done.stdout


@dataclass(frozen=True)
class _Entry:
    name: str
    object_id: str


def _entries(spec: GitSpec, text: str, cwd: str | None) -> tuple[list[_Entry], bool]:
    """The blobs to read, and whether they came from a directory."""
    _git(
        ["rev-parse", "--verify", "--quiet", f"{spec.revision}^{{commit}}"],
        f"{text}: no revision {spec.revision!r} in the repository",
        cwd=cwd,
    )
    object_name = f"{spec.revision}:{spec.path}"
    missing = f"{text}: no file or directory {spec.path!r} at revision {spec.revision!r}"
    try:
        found = _git(["rev-parse", "--verify", "--quiet", object_name], missing, cwd=cwd)
    except InputError:
        raise InputError(missing) from None
    top_id = found.decode().strip()
    kind_text = _git(["cat-file", "-t", top_id], text, cwd=cwd).decode().strip()
    if kind_text == "blob":
        return [_Entry(spec.label, top_id)], False
    if kind_text != "tree":
        raise InputError(f"{text}: a {kind_text}, not a file or directory")
    # --full-tree: ls-tree otherwise keeps only what lies below the current directory.
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", top_id], text, cwd=cwd)
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_name = record.partition(b"\t")
        mode, object_type, object_id = meta.decode().split()
        name = raw_name.decode("utf-8", "surrogateescape")
        if object_type != "blob" or mode == "120000":  # submodules and links are no manifests
            continue
        if any(part.startswith(".") for part in name.split("/")):
            continue
        if not name.endswith(MANIFEST_SUFFIXES):
            continue
        shown = f"{spec.label}/{name}" if spec.path else f"{spec.revision}:{name}"
        entries.append(_Entry(shown, object_id))
    entries.sort(key=lambda e: e.name)
    return entries, True


def _blobs(entries: list[_Entry], text: str, cwd: str | None) -> Iterator[tuple[str, bytes]]:
    """Each entry's content, read in one ``cat-file --batch``, within the input limit."""
    if not entries:
        return
    request = "".join(f"{e.object_id}\n" for e in entries).encode()
    out = _git(["cat-file", "--batch"], text, request, cwd=cwd)
    offset = 0
    total = 0
    for entry in entries:
        header_end = out.index(b"\n", offset)
        header = out[offset:header_end].decode().split()
        size = int(header[2])
        total += size
        if total > MAX_INPUT_BYTES:
            raise InputError(f"{text}: input is over the {MAX_INPUT_BYTES}-byte limit")
        start = header_end + 1
        yield entry.name, out[start : start + size]
        offset = start + size + 1


def git_documents(
    text: str,
    set_aside: list[str] | None = None,
    cwd: str | None = None,
    contents: dict[str, str] | None = None,
) -> Iterator[Document]:
    """Every document of a ``git:REV:PATH`` input, as the file reader yields them.

    ``cwd`` is the directory whose repository is read (the current one by default). In a
    directory, a file with no Kubernetes-shaped document is added to ``set_aside`` (when
    given), its text to ``contents`` (the file is not on disk for anyone to read again), or
    skipped; a file named alone is always read.
    """
    spec = parse_git_spec(text)
    entries, in_directory = _entries(spec, text, cwd)
    for name, data in _blobs(entries, text, cwd):
        decoded = decode_utf8(data, name)
        documents = list(iter_text(decoded, name))
        if in_directory and not any(_kubernetes_shaped(d) for d in documents):
            if documents and set_aside is not None:
                set_aside.append(name)
                if contents is not None:
                    contents[name] = decoded
            continue
        yield from documents


def _kubernetes_shaped(document: Document) -> bool:
    body = document.body
    return isinstance(body, dict) and ("apiVersion" in body or "kind" in body)
