"""Readers that turn inputs (manifest files, directories, stdin) into the model."""

from __future__ import annotations

from netfence.sources.manifests import load_cluster, load_documents

__all__ = ["load_cluster", "load_documents"]
