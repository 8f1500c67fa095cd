"""Helpers tests share: real servers and network namespaces they start."""
