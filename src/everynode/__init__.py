"""everynode: a Kubernetes-compatible control plane that runs one pod on every eligible node."""

__version__ = "0.1.0"
