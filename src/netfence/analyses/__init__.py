"""Analyses over the engine's results: the connectivity map, and (later) audits and diffs."""

from __future__ import annotations
