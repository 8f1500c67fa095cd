"""Tests of firewall generate, one module per generator."""
