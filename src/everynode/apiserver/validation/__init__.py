"""Validation of the objects the API server serves, as upstream Kubernetes validates them.

One module per kind, each with its rules for a create, an update and (where the kind has one) a
status update; ``apiserver.kinds`` declares which rules a kind has. Each returns ``FieldError``s with
upstream's field paths and wording; an empty list means the object may be stored. They run after
defaulting and after the server has filled in the metadata it owns (uid, resourceVersion,
creationTimestamp, generation).
"""

from __future__ import annotations
