"""Renderers: one function per output format; none of them recomputes a verdict."""

from __future__ import annotations
