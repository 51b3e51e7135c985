"""Server-side apply and field ownership (``metadata.managedFields``), without any I/O.

The decisions of upstream's structured-merge-diff (``fieldpath``, ``typed``, ``merge``) and of
apimachinery's field manager (``pkg/util/managedfields/internal``), in small modules:

- ``schema``: how values merge at each position (built-in kinds, CRD schemas, deduced);
- ``fieldpath`` / ``fieldset``: field paths and sets, in ``fieldsV1``'s own JSON shape;
- ``typed``: field sets of values, comparisons, merges, removals;
- ``updater``: ownership after an update, the merge and conflicts of an apply;
- ``managedfields``: entries in and out, the ten-updater cap;
- ``lastapplied``: the client-side to server-side apply upgrade;
- ``conflicts``: the 409 an apply conflict answers;
- ``manager``: :class:`FieldManager`, the two calls the API server makes;
- ``resetfields``: what each endpoint never owns.

Typical use, one ``FieldManager`` per endpoint, built once::

    fm = FieldManager(ObjectSchema.builtin("apps", "v1", "DaemonSet"), "apps/v1", "DaemonSet",
                      reset_fields=reset_fields("apps", "DaemonSet", "", has_status=True))
    stored = fm.update(old, new, "kubectl-edit", now)            # create (old None), update, patch
    stored = fm.apply(old, config, "kubectl", force=False, now=now)  # PATCH application/apply-patch+yaml
"""

from everynode.apiserver.apply.conflicts import ApplyConflict
from everynode.apiserver.apply.lastapplied import ANNOTATION as LAST_APPLIED_ANNOTATION
from everynode.apiserver.apply.manager import (
    BEFORE_FIRST_APPLY,
    FieldManager,
    manager_or_user_agent,
    with_managed_fields,
    without_managed_fields,
)
from everynode.apiserver.apply.resetfields import reset_fields
from everynode.apiserver.apply.schema import ObjectSchema

__all__ = [
    "BEFORE_FIRST_APPLY",
    "LAST_APPLIED_ANNOTATION",
    "ApplyConflict",
    "FieldManager",
    "ObjectSchema",
    "manager_or_user_agent",
    "reset_fields",
    "with_managed_fields",
    "without_managed_fields",
]
