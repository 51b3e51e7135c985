"""The node lifecycle controller: stale heartbeats make a node ``Ready=Unknown``; Ready taints follow."""
