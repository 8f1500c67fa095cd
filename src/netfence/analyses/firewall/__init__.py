"""Analyses of firewall layers against what the cluster requires: consistency and generation."""
