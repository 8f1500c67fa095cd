"""Conformance suite: one test per networking.k8s.io/v1 NetworkPolicy semantic rule."""
