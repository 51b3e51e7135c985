"""The names the Deployment controller shares with kubectl and users: labels, annotations, condition
types and reasons, event reasons (upstream ``deployment_util.go``'s constants, ``apps/v1`` names).

They are an interface: ``kubectl rollout history/undo/status`` reads the annotations and conditions by
these exact strings.
"""

from __future__ import annotations

# The label a Deployment adds to each ReplicaSet (selector, template, own labels) and so to its pods.
POD_TEMPLATE_HASH = "pod-template-hash"

# ReplicaSet (and Deployment) annotations.
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"  # apps/v1's remnant of extensions' spec.rollbackTo
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Annotations a Deployment never copies to its ReplicaSets (upstream ``annotationsToSkip``).
SKIPPED_ANNOTATIONS = frozenset(
    {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
)

# The revision-history annotation stays under this many characters (``maxRevHistoryLengthInChars``).
MAX_REVISION_HISTORY_CHARS = 2000

# Condition types.
AVAILABLE = "Available"
PROGRESSING = "Progressing"
REPLICA_FAILURE = "ReplicaFailure"

# Progressing reasons.
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_REPLICA_SET_CREATED = "NewReplicaSetCreated"
FOUND_NEW_REPLICA_SET = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"

# Available reasons.
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"

# Event reasons.
SCALING_REPLICA_SET = "ScalingReplicaSet"
SELECTING_ALL = "SelectingAll"
ROLLBACK_DONE = "DeploymentRollback"
ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"

NORMAL, WARNING = "Normal", "Warning"

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"

MAX_INT32 = 2**31 - 1  # progressDeadlineSeconds / revisionHistoryLimit meaning "no limit"
