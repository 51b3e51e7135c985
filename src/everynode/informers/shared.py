"""One informer per (resource, namespace, selectors), shared by every component of a process
(client-go's SharedInformerFactory).

Components that run in one process (the controller-manager runs five) would otherwise each list and
watch the same resources, and decode the same JSON stream once per copy. Here each asks the factory
for what it needs; the first request creates the informer, later ones get the same object, and each
caller adds its own handlers and indexers to it. Indexers are merged: asking for an index name that
exists already is fine with the same function and a ``ValueError`` with another.

Lifecycle: whoever owns the factory calls ``run()`` once, after every component has asked for its
informers and added its handlers; components wait for ``informer.synced`` and never run shared
informers themselves. Asking for an informer after ``run()`` has started is a ``RuntimeError``: it
would not be running, and (unlike client-go, which replays the cache to late handlers) a handler
added after the first list would never hear of the objects already listed.

Objects in the stores and those handed to handlers are shared by every component: read them, and
copy before changing anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Protocol

from everynode.core.clock import Clock, RealClock
from everynode.core.resources import ResourceInfo
from everynode.informers.informer import Informer, Lister
from everynode.informers.store import IndexFunc

InformerKey = tuple[ResourceInfo, str | None, str, str]  # resource, namespace, label and field selectors


class ResourceSource(Protocol):
    """What the factory needs of a client (``client.rest.RestClient`` is one)."""

    def resource(self, info: ResourceInfo) -> Lister: ...


class SharedInformers:
    def __init__(self, client: ResourceSource, *, clock: Clock | None = None) -> None:
        self.client = client
        self.clock = clock or RealClock()
        self._informers: dict[InformerKey, Informer] = {}
        self._started = False

    @property
    def started(self) -> bool:
        return self._started

    def informer(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        indexers: Mapping[str, IndexFunc] | None = None,
    ) -> Informer:
        """The informer of ``info`` in ``namespace`` (None: all) with these selectors, created on the
        first request; ``indexers`` are added to its store (``ValueError`` on a conflicting name)."""
        key: InformerKey = (info, namespace, label_selector, field_selector)
        found = self._informers.get(key)
        if found is None:
            if self._started:
                raise RuntimeError(
                    f"informer for {describe(key)} asked for after the shared informers started: "
                    "ask for every informer before SharedInformers.run()"
                )
            found = Informer(
                self.client.resource(info),
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                clock=self.clock,
            )
            self._informers[key] = found
        if indexers:
            found.store.add_indexers(indexers)
        return found

    def informers(self) -> dict[InformerKey, Informer]:
        """Every informer created so far, by key (a copy)."""
        return dict(self._informers)

    async def run(self) -> None:
        """Run every informer created so far, until cancelled (returns at once if there are none).
        Only once per factory."""
        if self._started:
            raise RuntimeError("SharedInformers.run() called twice")
        self._started = True
        async with asyncio.TaskGroup() as group:
            for key, informer in self._informers.items():
                group.create_task(informer.run(), name=f"informer-{describe(key)}")

    async def wait_for_sync(self) -> None:
        """Until every informer created so far has listed once."""
        await wait_synced(self._informers.values())


async def wait_synced(informers: Iterable[Informer]) -> None:
    """Until each of ``informers`` has listed once."""
    await asyncio.gather(*(informer.synced.wait() for informer in informers))


def describe(key: InformerKey) -> str:
    """``pods``, ``leases in kube-node-lease``, ``pods labels=a=b fields=spec.nodeName=n``."""
    info, namespace, labels, fields = key
    text = info.resource if not info.group else f"{info.resource}.{info.group}"
    if namespace:
        text += f" in {namespace}"
    if labels:
        text += f" labels={labels}"
    if fields:
        text += f" fields={fields}"
    return text
