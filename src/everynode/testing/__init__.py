"""Public test harness: helpers that start real processes for tests and benchmarks."""
