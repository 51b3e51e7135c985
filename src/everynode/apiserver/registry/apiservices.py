"""An APIService's ``Available`` condition, which the registry keeps true to what everynode does.

Upstream's strategy (kube-aggregator ``registry/apiservice/strategy.go``) clears the status of a new
APIService and marks a local one (no ``spec.service``) Available at once; its availability controller
then probes the named service and reports, e.g., ``False (ServiceNotFound)`` while the service is
missing. everynode aggregates nothing: a request for the group and version an APIService names is not
proxied (it is a 404, and discovery does not list the group). So an APIService backed by a service is
written ``Available: False`` with upstream's reason for an unreachable backend, ``ServiceNotFound``, and
a message that says why; saying ``True`` would be a lie, and leaving the condition out (``Unknown``)
would hide what is already known. The condition follows the spec on every update of the main
resource, as upstream's controller would re-derive it; the ``status`` subresource still writes what a
client sends, as upstream allows.
"""

from __future__ import annotations

from typing import Any

from everynode.core.timestamps import now_time
from everynode.core.types import Obj

__all__ = ["api_service_created", "api_service_updated", "available_condition"]

AVAILABLE = "Available"
LOCAL_REASON, LOCAL_MESSAGE = "Local", "Local APIServices are always available"
NOT_AGGREGATED_REASON = "ServiceNotFound"


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def available_condition(api_service: Obj, now: str) -> Obj:
    """The ``Available`` condition ``api_service`` has here, as of ``now``."""
    spec = _dict(api_service.get("spec"))
    service = spec.get("service")
    if not isinstance(service, dict):
        status, reason, message = "True", LOCAL_REASON, LOCAL_MESSAGE
    else:
        group_version = f"{spec.get('group') or ''}/{spec.get('version') or ''}".lstrip("/")
        backend = f"{service.get('namespace') or ''}/{service.get('name') or ''}"
        status, reason = "False", NOT_AGGREGATED_REASON
        message = (
            f"everynode does not aggregate APIs: requests for {group_version} are not proxied to "
            f"service {backend}"
        )
    return {
        "type": AVAILABLE,
        "status": status,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def api_service_created(api_service: Obj) -> None:
    """A new APIService's status is only its ``Available`` condition (whatever status it was sent
    with), dated at its creation."""
    now = _dict(api_service.get("metadata")).get("creationTimestamp") or now_time()
    api_service["status"] = {"conditions": [available_condition(api_service, now)]}


def api_service_updated(new: Obj, old: Obj) -> None:
    """The stored status (already carried over) gets the ``Available`` condition the new spec implies;
    its ``lastTransitionTime`` moves only when its status does (``SetAPIServiceCondition``)."""
    status = new.get("status")
    if not isinstance(status, dict):
        status = new["status"] = {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    current = next((c for c in conditions if c.get("type") == AVAILABLE), None)
    wanted = available_condition(new, now_time())
    if current is not None and current.get("status") == wanted["status"]:
        wanted["lastTransitionTime"] = current.get("lastTransitionTime") or wanted["lastTransitionTime"]
    status["conditions"] = (
        [wanted if c is current else c for c in conditions] if current else [*conditions, wanted]
    )
