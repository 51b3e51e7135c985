"""The objects every cluster has from its first start: the system PriorityClasses (upstream's
``scheduling/bootstrap-system-priority-classes`` post-start hook), created when missing."""

from __future__ import annotations

import contextlib

from everynode.apiserver.registry.store import Registry
from everynode.core import errors, wellknown
from everynode.core import resources as r


async def seed_priority_classes(registry: Registry) -> None:
    for name, (value, description) in wellknown.SYSTEM_PRIORITY_CLASSES.items():
        priority_class = {"metadata": {"name": name}, "value": value, "description": description}
        with contextlib.suppress(errors.AlreadyExists):
            await registry.create(r.PRIORITY_CLASSES, None, priority_class)
