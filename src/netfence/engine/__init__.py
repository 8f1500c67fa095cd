"""Endpoint equivalence classes, connectivity between them, and the explanation of one flow."""

from __future__ import annotations
