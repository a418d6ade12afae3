"""Benchmarks: each prints its machine-readable line last."""
