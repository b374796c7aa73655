"""Benchmarks printed by `make bench`: each figure and each ratio on one line."""
