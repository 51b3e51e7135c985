"""The disruption controller: each PodDisruptionBudget's status, from the pods it selects."""
