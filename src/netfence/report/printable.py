"""Text from the input made safe to print on one line of a terminal or a text report.

File names and values come from the user's files and may hold anything a file system or a YAML
string allows: line breaks (which would forge lines of output), other control characters
(terminal escapes), and the bytes of a file name that is not UTF-8, which Python carries as lone
surrogates (U+DC80-U+DCFF) and which no UTF-8 stream can write. ``printable`` writes each of
them as a visible escape (``\\n``, ``\\x1b``, ``\\xff``), so one value stays on one line and the
output stays valid UTF-8.
"""

from __future__ import annotations

import re
from typing import Final

from rich.color import ColorSystem
from rich.style import Style

_UNPRINTABLE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""C0 and C1 controls, DEL, the Unicode line and paragraph separators, and surrogates."""

_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters, line separators and surrogates written as escapes."""
    return _UNPRINTABLE.sub(_escape, text)


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (the bytes of a file name that is not UTF-8) written as
    ``\\xff``-style escapes, everything else as it is: for formats that escape line breaks
    themselves (JSON, XML) but must still be valid UTF-8."""
    return _SURROGATE.sub(_escape, text)


def json_text(text: str) -> str:
    """A JSON document written with ``ensure_ascii=False`` made valid UTF-8: each lone
    surrogate, which can only stand inside a JSON string, becomes the escape ``printable``
    writes (so a JSON reader sees the same ``\\xff`` as the text report shows)."""
    return _SURROGATE.sub(lambda m: _escape(m).replace("\\", "\\\\"), text)


MAX_MESSAGE: Final = 1000
"""Longest message printed whole; an input value can be megabytes long."""


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``printable(text)``, its middle cut when longer than ``limit``: the start names the place
    and the end the reason, so both stay."""
    text = printable(text)
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 3
    return f"{text[:head]} ...[{len(text) - head - tail} characters cut]... {text[-tail:]}"


def styled(text: str, style: str, color: bool) -> str:
    """``text`` in a rich style (``bold red``) as ANSI escapes when ``color``, else as it is."""
    if not color:
        return text
    return Style.parse(style).render(text, color_system=ColorSystem.STANDARD)
