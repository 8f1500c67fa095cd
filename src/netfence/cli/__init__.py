"""The ``netfence`` command line: thin commands wiring a source, an analysis and a renderer."""

from __future__ import annotations
