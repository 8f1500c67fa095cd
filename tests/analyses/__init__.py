"""Tests of the network-hardening audit (netfence.analyses.audit), check by check."""
