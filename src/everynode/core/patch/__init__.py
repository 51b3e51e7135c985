"""The three PATCH algorithms of the Kubernetes API, as pure functions on JSON values.

- ``application/merge-patch+json``: :func:`apply_merge_patch` (RFC 7386, module ``merge``);
- ``application/json-patch+json``: :func:`apply_json_patch` (RFC 6902, module ``jsonpatch``);
- ``application/strategic-merge-patch+json``: :func:`apply_strategic_merge_patch` (module ``strategic``),
  which needs a :class:`PatchSchema` to know which lists merge by key.

None of them mutates its inputs: each works on a private copy of the original, so the caller may hand
in an object straight from a cache. Every failure raises :class:`PatchError`, whose ``code`` is the HTTP
status kube-apiserver answers for the same mistake (see its docstring).
"""

from __future__ import annotations

from everynode.core.patch.failure import PatchError, clone_json
from everynode.core.patch.jsonpatch import apply_json_patch
from everynode.core.patch.merge import apply_merge_patch
from everynode.core.patch.strategic import PatchSchema, StaticSchema, apply_strategic_merge_patch

__all__ = [
    "PatchError",
    "PatchSchema",
    "StaticSchema",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
    "clone_json",
]
