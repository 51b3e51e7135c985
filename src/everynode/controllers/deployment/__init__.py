"""The Deployment controller (upstream ``pkg/controller/deployment``): ReplicaSets per template revision,
rolled by RollingUpdate or Recreate, scaled proportionally, with progress conditions and history."""
