"""The four informer caches the DaemonSet controller reads, and how they are indexed.

Pods and ControllerRevisions are indexed by controller (``informers.store.OWNED_INDEXERS``): a
DaemonSet reads its own objects and the orphans of its namespace, never another controller's. The
lookups on the DaemonSets themselves (selector, ``resolveControllerRef``, ``GetPodDaemonSets``) are
``runtime.owners.Owners``'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, partial

from everynode.informers.store import OWNED_INDEXERS, Store
from everynode.runtime.owners import OWNERS_INDEXERS, Owners

KIND = "DaemonSet"


@dataclass
class Caches:
    daemonsets: Store = field(default_factory=partial(Store, OWNERS_INDEXERS))
    pods: Store = field(default_factory=partial(Store, OWNED_INDEXERS))
    nodes: Store = field(default_factory=Store)
    revisions: Store = field(default_factory=partial(Store, OWNED_INDEXERS))

    @cached_property
    def owners(self) -> Owners:
        return Owners(self.daemonsets, KIND)
