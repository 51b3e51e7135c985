"""Benchmarks behind `everynode bench …`: each prints a summary and, last, one JSON object."""
