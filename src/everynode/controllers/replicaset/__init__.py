"""The ReplicaSet controller (upstream ``pkg/controller/replicaset``): keeps ``spec.replicas`` pods of
each ReplicaSet running, adopting matching orphans and releasing pods that stopped matching."""
