"""Firewall layers against what the cluster requires: what they block of it, what they allow
beyond it, rules that are too broad, shadowed, redundant or cannot be decided, and the minimal
rules that allow exactly it."""

from __future__ import annotations
