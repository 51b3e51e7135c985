"""Pod GC: force-deletes pods of deleted nodes, unscheduled terminating pods, and excess terminated pods."""
