"""The shape every Kubernetes object has in this code base: the JSON object as Python data, with
Kubernetes' own camelCase field names (``obj["metadata"]["resourceVersion"]``)."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
