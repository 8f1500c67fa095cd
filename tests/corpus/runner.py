"""Running a corpus case through the CLI in-process, under a time limit."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from netfence.cli.main import main
from tests.conftest import CliResult
from tests.corpus.cases import Case, Setup


class TimeLimitExceeded(BaseException):
    """Raised in the run by SIGALRM; a BaseException, so that the CLI's catch-all for bugs
    (``except Exception``) cannot swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM also breaks a blocking open or read)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"the run took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def prepare(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    """Lay out the case's input under ``tmp_path``."""
    if case.build is not None:
        return case.build(tmp_path, monkeypatch)
    assert case.content is not None, case.name
    path = tmp_path / case.filename
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        path.write_text(case.content, encoding="utf-8")
    return Setup([str(path)])


def options(case: Case, setup: Setup, keep_output: bool = True) -> list[str]:
    """The case's options with placeholders filled (``-o X`` dropped unless ``keep_output``)."""
    out: list[str] = []
    args = list(case.args)
    while args:
        arg = args.pop(0)
        if arg in ("-o", "--output") and not keep_output:
            args.pop(0)
            continue
        out.append(arg.format(**setup.files) if "{" in arg else arg)
    return out


def case_argv(case: Case, setup: Setup) -> list[str]:
    """The command line that shows the case's point."""
    if case.command == "explain":
        src, dst, *rest = options(case, setup)
        return ["explain", src, dst, *setup.inputs, *rest]
    return [case.command, *options(case, setup), *setup.inputs]


def run(argv: list[str], capsys: pytest.CaptureFixture[str], seconds: float) -> CliResult:
    """``main(argv)`` in-process with its output captured, within ``seconds``."""
    capsys.readouterr()
    with time_limit(seconds):
        code = main(argv)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
