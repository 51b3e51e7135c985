"""Test helpers: what only the tests use (a kubectl to drive); processes that benchmarks and the CLI
spawn too live in ``everynode.spawn``."""
