"""Allow ``python -m netfence``."""

from __future__ import annotations

from netfence.cli.main import entry_point

entry_point()
