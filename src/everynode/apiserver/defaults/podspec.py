"""Defaults of a ``PodSpec`` wherever it appears (pods and pod templates): upstream's
``SetDefaults_PodSpec``, ``_Container``, ``_Probe``, ``_HTTPGetAction``, ``_Volume`` and friends."""

from __future__ import annotations

import re
from typing import Any

from everynode.apiserver.validation.volumes import SOURCE_FIELDS
from everynode.core.quantity import canonical_text
from everynode.core.types import Obj

DEFAULT_FILE_MODE = 0o644  # 420
DEFAULT_TOKEN_EXPIRATION = 3600
CONTAINER_KINDS = ("initContainers", "containers", "ephemeralContainers")

# The container image reference grammar (distribution/reference), enough to find the tag.
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_PART}(?:/{_PATH_PART})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?"
)


def child_obj(parent: Obj, key: str) -> Obj | None:
    """``parent[key]`` as an object, created when absent; ``None`` when it holds something else."""
    value = parent.get(key)
    if value is None:
        value = parent[key] = {}
    return value if isinstance(value, dict) else None


def objects(parent: Obj, key: str) -> list[Obj]:
    value = parent.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def set_if_absent(obj: Obj, key: str, value: Any, *, zero_counts: bool = False) -> None:
    """Set ``obj[key]`` when missing or null (or 0 / empty, for fields whose Go type is not a pointer)."""
    current = obj.get(key)
    if current is None or (zero_counts and current in (0, "")):
        obj[key] = value


def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged, undigested reference; ``IfNotPresent`` otherwise
    (including references that do not parse)."""
    match = _REFERENCE.fullmatch(image)
    if match is None or len(match.group("path")) + len(match.group("domain") or "") > 255:
        return "IfNotPresent"
    tag, digest = match.group("tag"), match.group("digest")
    return "Always" if tag == "latest" or (not tag and not digest) else "IfNotPresent"


def _http_get(handler: Any) -> None:
    if isinstance(handler, dict) and isinstance(handler.get("httpGet"), dict):
        set_if_absent(handler["httpGet"], "path", "/", zero_counts=True)
        set_if_absent(handler["httpGet"], "scheme", "HTTP", zero_counts=True)


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        set_if_absent(probe, key, value, zero_counts=True)
    _http_get(probe)


def field_ref(selector: Any) -> None:
    if isinstance(selector, dict):
        set_if_absent(selector, "apiVersion", "v1", zero_counts=True)


def resource_list(resources: Obj, key: str) -> None:
    """Quantities rounded up to milli precision and written canonically (``0.5`` → ``500m``)."""
    values = resources.get(key)
    if isinstance(values, dict):
        for name, raw in values.items():
            values[name] = canonical_text(raw, milli=True)


def container_defaults(ctr: Obj) -> None:
    if not ctr.get("imagePullPolicy"):
        image = ctr.get("image")
        ctr["imagePullPolicy"] = image_pull_policy(image if isinstance(image, str) else "")
    set_if_absent(ctr, "terminationMessagePath", "/dev/termination-log", zero_counts=True)
    set_if_absent(ctr, "terminationMessagePolicy", "File", zero_counts=True)
    for port in objects(ctr, "ports"):
        set_if_absent(port, "protocol", "TCP", zero_counts=True)
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(ctr.get(kind))
    lifecycle = ctr.get("lifecycle")
    if isinstance(lifecycle, dict):
        _http_get(lifecycle.get("postStart"))
        _http_get(lifecycle.get("preStop"))
    for var in objects(ctr, "env"):
        value_from = var.get("valueFrom")
        if isinstance(value_from, dict):
            field_ref(value_from.get("fieldRef"))
    resources = ctr.get("resources")
    if isinstance(resources, dict):
        resource_list(resources, "limits")
        resource_list(resources, "requests")


def _downward_items(source: Obj) -> None:
    for item in objects(source, "items"):
        field_ref(item.get("fieldRef"))


def volume_defaults(volume: Obj) -> None:
    if all(volume.get(field) is None for field in SOURCE_FIELDS):
        volume["emptyDir"] = {}
    for kind in ("secret", "configMap", "downwardAPI", "projected"):
        source = volume.get(kind)
        if isinstance(source, dict):
            set_if_absent(source, "defaultMode", DEFAULT_FILE_MODE)
    if isinstance(volume.get("downwardAPI"), dict):
        _downward_items(volume["downwardAPI"])
    if isinstance(volume.get("hostPath"), dict):
        set_if_absent(volume["hostPath"], "type", "")
    if isinstance(volume.get("projected"), dict):
        for source in objects(volume["projected"], "sources"):
            token = source.get("serviceAccountToken")
            if isinstance(token, dict):
                set_if_absent(token, "expirationSeconds", DEFAULT_TOKEN_EXPIRATION)
            if isinstance(source.get("downwardAPI"), dict):
                _downward_items(source["downwardAPI"])


def pod_spec_defaults(spec: Obj) -> None:
    """Defaults shared by pods and templates (the template's hash is computed after these)."""
    set_if_absent(spec, "dnsPolicy", "ClusterFirst", zero_counts=True)
    set_if_absent(spec, "restartPolicy", "Always", zero_counts=True)
    set_if_absent(spec, "securityContext", {})
    set_if_absent(spec, "terminationGracePeriodSeconds", 30)
    set_if_absent(spec, "schedulerName", "default-scheduler", zero_counts=True)
    for volume in objects(spec, "volumes"):
        volume_defaults(volume)
    for kind in CONTAINER_KINDS:
        for ctr in objects(spec, kind):
            container_defaults(ctr)
    overhead = spec.get("overhead")
    if isinstance(overhead, dict):
        resource_list(spec, "overhead")


def pod_template_defaults(template: Obj) -> None:
    spec = child_obj(template, "spec")
    if spec is not None:
        pod_spec_defaults(spec)
