"""Tests of the firewall analyses."""
