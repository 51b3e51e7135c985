"""The DaemonSet controller: one pod on every eligible node, with upstream Kubernetes semantics."""
