"""everynode's own child processes, started and stopped cleanly: a real etcd, an API server. Used by
the benchmarks, the CLI and the tests alike (``everynode.testing`` holds what only tests use)."""
