"""What the commands do differently on a terminal: color, tables, and progress.

Color follows https://no-color.org: ``NO_COLOR`` set to any non-empty value turns color off;
``--color always`` or ``never``, given for one run, overrides it. ``auto`` colors only when
the stream is a terminal. Output for programs (JSON, SARIF, CSV, dot, ...) is never colored.

Progress is a status line on standard error, drawn only when standard error is a terminal and
only once a run has lasted about a second: pipes, files and tests see nothing of it.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import IO, Final

from rich.console import Console, RenderableType
from rich.status import Status

PROGRESS_DELAY: Final = 1.0
"""Seconds a run lasts before its progress is drawn: shorter runs draw nothing."""


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is a terminal (a test's capture or a closed stream is not)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def color_wanted(choice: str, stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """Whether to color what is written to ``stream`` under ``--color choice``."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):  # any non-empty value, whatever it says
        return False
    return is_terminal(stream)


def terminal_width() -> int:
    """The terminal's width in columns (80 when it cannot be told)."""
    return shutil.get_terminal_size((80, 24)).columns


def render_to_text(renderable: RenderableType, color: bool, width: int) -> str:
    """What rich draws for ``renderable`` as a string: ANSI styles only with ``color``."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,  # decided here, not by rich's own reading of NO_COLOR
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
    )
    console.print(renderable)
    return buffer.getvalue()


class Progress:
    """A status line (a spinner and the current stage) on a console, shown once the run has
    lasted ``delay`` seconds and removed when it ends.

    ``console`` None means standard error, drawn only when it is a terminal; tests pass a
    console forced into terminal mode. ``delay`` None is :data:`PROGRESS_DELAY`.
    """

    def __init__(
        self, console: Console | None = None, delay: float | None = None, color: bool = True
    ) -> None:
        if console is None:
            console = Console(stderr=True, no_color=not color, highlight=False)
            # Asked of the stream itself: rich would also take FORCE_COLOR for a terminal.
            self._enabled = is_terminal(console.file)
        else:
            self._enabled = True
        self._console = console
        self._delay = PROGRESS_DELAY if delay is None else delay
        self._stage = "working"
        self._lock = threading.Lock()
        self._status: Status | None = None
        self._timer: threading.Timer | None = None
        self._done = False

    @property
    def enabled(self) -> bool:
        """Whether anything will ever be drawn."""
        return self._enabled

    def __enter__(self) -> Progress:
        if self._enabled:
            self._timer = threading.Timer(self._delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def stage(self, text: str) -> None:
        """Name what the run is doing now (``reading manifests``, ``checks``)."""
        with self._lock:
            self._stage = text
            if self._status is not None:
                self._status.update(text)

    def close(self) -> None:
        """Remove the status line; nothing is drawn after this."""
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
            if self._status is not None:
                self._status.stop()
                self._status = None

    def _show(self) -> None:
        with self._lock:
            if self._done:
                return
            status = Status(self._stage, console=self._console, spinner="dots")
            status.start()
            self._status = status
