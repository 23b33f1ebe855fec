"""Benchmarks: each prints times measured side by side in one run, and their ratio."""
