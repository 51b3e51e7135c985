"""The objects every cluster has from its first start, created when missing: the system
PriorityClasses (upstream's ``scheduling/bootstrap-system-priority-classes`` post-start hook) and the
``kubernetes`` Service in ``default`` (upstream's kubernetesservice controller: the first address of
the service range, port 443 to the API server's port, no selector)."""

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


async def seed_kubernetes_service(registry: Registry, api_port: int) -> None:
    if registry.lookup.get(r.SERVICES, "default", "kubernetes") is not None:
        return  # made at an earlier start (and, as upstream's, not reconciled afterwards)
    service = {
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": registry.lookup.service_network.first_ip,
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": api_port}],
        },
    }
    with contextlib.suppress(errors.AlreadyExists, errors.NotFound):
        await registry.create(r.SERVICES, "default", service)
