"""Benchmarks: `python -m benchmarks [--quick] [NAME ...]` (see README)."""
