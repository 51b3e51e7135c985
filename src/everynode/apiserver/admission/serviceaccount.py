"""Upstream's ServiceAccount admission plugin (``plugin/pkg/admission/serviceaccount``), for pod
creates: the pod runs as ``default`` unless it names another account, and an account it names
must exist (403 otherwise, so a DaemonSet whose account is missing records ``FailedCreate``).

One difference, on purpose: the ``default`` account is not required to exist yet. Upstream's
controller creates it moments after its namespace, and upstream retries the lookup for a second
to cover that; here a pod in a namespace whose ``default`` account has not appeared is admitted.
The token volume upstream mounts is not added (no tokens are issued yet).
"""

from __future__ import annotations

from everynode.apiserver.admission import Lookup, forbidden
from everynode.core import resources as r
from everynode.core.types import Obj

DEFAULT_ACCOUNT = "default"


def admit_pod(pod: Obj, old: Obj | None, lookup: Lookup) -> None:
    spec = pod.get("spec")
    if old is not None or not isinstance(spec, dict):
        return
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or DEFAULT_ACCOUNT
    spec["serviceAccountName"] = spec["serviceAccount"] = name
    if name == DEFAULT_ACCOUNT:
        return
    namespace = str((pod.get("metadata") or {}).get("namespace") or "")
    if lookup.get(r.SERVICE_ACCOUNTS, namespace, str(name)) is None:
        raise forbidden(
            r.PODS,
            pod,
            f'error looking up service account {namespace}/{name}: serviceaccount "{name}" not found',
        )
