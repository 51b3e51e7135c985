"""``core/v1`` Event validation: upstream's legacy rules, then the common metadata checks every object
gets (for events the name need only be usable in a URL)."""

from __future__ import annotations

from everynode.apiserver.validation.fields import Errors, as_dict, as_str, expect
from everynode.apiserver.validation.meta import (
    validate_label_name,
    validate_object_meta,
    validate_object_meta_update,
)
from everynode.core import names, wellknown
from everynode.core.fielderrors import invalid, required
from everynode.core.types import Obj

REPORTING_INSTANCE_LIMIT = 128
ACTION_LIMIT = 128
REASON_LIMIT = 128
NOTE_LIMIT = 1024
_TYPES = {
    **dict.fromkeys(("involvedObject", "source", "series", "related"), "object"),
    **dict.fromkeys(
        (
            "reason",
            "message",
            "type",
            "action",
            "reportingComponent",
            "reportingInstance",
            "firstTimestamp",
            "lastTimestamp",
            "eventTime",
        ),
        "string",
    ),
    "count": "integer",
}


def _path_segment_name(name: str, prefix: bool) -> list[str]:
    del prefix
    return names.is_valid_path_segment_name(name)


def _legacy(event: Obj) -> Errors:
    errs = expect(event, _TYPES, "")
    namespace = as_str(as_dict(event.get("metadata")).get("namespace"))
    involved_namespace = as_str(as_dict(event.get("involvedObject")).get("namespace"))
    mismatch = invalid("involvedObject.namespace", involved_namespace, "does not match event.namespace")
    if not event.get("eventTime"):
        if not involved_namespace:
            if namespace not in ("", "default"):
                errs.append(mismatch)
        elif namespace != involved_namespace:
            errs.append(mismatch)
    else:
        if not involved_namespace and namespace not in ("default", wellknown.KUBE_SYSTEM):
            errs.append(mismatch)
        controller = as_str(event.get("reportingComponent"))
        if not controller:
            errs.append(required("reportingComponent"))
        errs.extend(validate_label_name(controller, "reportingComponent"))
        for field, limit in (
            ("reportingInstance", REPORTING_INSTANCE_LIMIT),
            ("action", ACTION_LIMIT),
            ("reason", REASON_LIMIT),
        ):
            value = as_str(event.get(field))
            if not value:
                errs.append(required(field))
            if len(value) > limit:
                errs.append(invalid(field, "", f"can have at most {limit} characters"))
        if len(as_str(event.get("message"))) > NOTE_LIMIT:
            errs.append(invalid("message", "", f"can have at most {NOTE_LIMIT} characters"))
    errs.extend(invalid("namespace", namespace, m) for m in names.is_dns1123_subdomain(namespace))
    return errs


def validate_event(event: Obj) -> Errors:
    errs = _legacy(event)
    errs.extend(
        validate_object_meta(
            event.get("metadata"), namespaced=True, name_fn=_path_segment_name, kube_finalizers=False
        )
    )
    return errs


def validate_event_update(new: Obj, old: Obj) -> Errors:
    errs = _legacy(new)
    errs.extend(validate_object_meta_update(new.get("metadata"), old.get("metadata"), kube_finalizers=False))
    return errs
