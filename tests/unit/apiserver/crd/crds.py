"""Test CustomResourceDefinitions shaped like the ones real DaemonSet bundles bring (written for these
tests, not copied from any project): an IP-pool and a cluster-wide configuration like Calico's, and a
service monitor like prometheus-operator's. Each builder returns a fresh dict; tests change what they
need in place."""

from __future__ import annotations

import copy
from typing import Any

from everynode.core.types import Obj

INT_OR_STRING: Obj = {
    "anyOf": [{"type": "integer"}, {"type": "string"}],
    "x-kubernetes-int-or-string": True,
}
DURATION: Obj = {"type": "string", "pattern": "^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}


def definition(
    group: str,
    plural: str,
    kind: str,
    schema: Obj | None,
    *,
    scope: str = "Namespaced",
    versions: tuple[str, ...] = ("v1",),
    short_names: list[str] | None = None,
    categories: list[str] | None = None,
    columns: list[Obj] | None = None,
    subresources: Obj | None = None,
    status: Obj | None = None,
) -> Obj:
    """A v1 CustomResourceDefinition with the same schema in every version, the first the storage one."""
    names: Obj = {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"}
    if short_names is not None:
        names["shortNames"] = short_names
    if categories is not None:
        names["categories"] = categories
    built: list[Obj] = []
    for i, name in enumerate(versions):
        version: Obj = {"name": name, "served": True, "storage": i == 0}
        if schema is not None:
            version["schema"] = {"openAPIV3Schema": copy.deepcopy(schema)}
        if columns is not None:
            version["additionalPrinterColumns"] = copy.deepcopy(columns)
        if subresources is not None:
            version["subresources"] = copy.deepcopy(subresources)
        built.append(version)
    crd: Obj = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": names,
            "scope": scope,
            "versions": built,
            "conversion": {"strategy": "None"},
        },
        "status": status if status is not None else {"storedVersions": [versions[0]]},
    }
    return crd


def _object(properties: dict[str, Any], **extra: Any) -> Obj:
    return {"type": "object", "properties": properties, **extra}


def ip_pool_schema() -> Obj:
    """An IP pool: a CIDR, a block size with bounds and a default, encapsulation modes (enums), a node
    selector expression and the uses it may serve (a set)."""
    mode = {"type": "string", "enum": ["Never", "Always", "CrossSubnet"]}
    spec = _object(
        {
            "cidr": {"type": "string", "description": "The pool's addresses."},
            "blockSize": {"type": "integer", "minimum": 20, "maximum": 32, "default": 26},
            "ipipMode": {**mode, "default": "Never"},
            "vxlanMode": {**mode, "default": "Never"},
            "natOutgoing": {"type": "boolean"},
            "disabled": {"type": "boolean"},
            "nodeSelector": {"type": "string"},
            "allowedUses": {
                "type": "array",
                "items": {"type": "string", "enum": ["Workload", "Tunnel", "LoadBalancer"]},
                "x-kubernetes-list-type": "set",
            },
        },
        required=["cidr"],
    )
    return _object(
        {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        },
        description="A pool of addresses pods get theirs from.",
    )


def ip_pool() -> Obj:
    return definition(
        "crd.example-networking.org",
        "ippools",
        "IPPool",
        ip_pool_schema(),
        scope="Cluster",
        columns=[
            {"name": "CIDR", "type": "string", "jsonPath": ".spec.cidr"},
            {"name": "Block", "type": "integer", "jsonPath": ".spec.blockSize", "priority": 1},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    )


def felix_configuration_schema() -> Obj:
    """A cluster-wide agent configuration: many optional knobs, durations as patterned strings,
    int-or-string ports, a map of strings, and a free-form section kept as sent."""
    spec = _object(
        {
            "logSeverityScreen": {"type": "string", "enum": ["Debug", "Info", "Warning", "Error", "Fatal"]},
            "reportingInterval": DURATION,
            "iptablesRefreshInterval": DURATION,
            "healthPort": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 65535},
            "prometheusMetricsPort": INT_OR_STRING,
            "bpfEnabled": {"type": "boolean"},
            "interfacePrefix": {"type": "string", "maxLength": 64},
            "failsafeInboundHostPorts": {
                "type": "array",
                "items": _object(
                    {"protocol": {"type": "string", "default": "TCP"}, "port": {"type": "integer"}},
                    required=["port"],
                ),
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["protocol", "port"],
            },
            "routeTableRanges": {"type": "object", "additionalProperties": {"type": "string"}},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        }
    )
    return _object(
        {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        }
    )


def felix_configuration() -> Obj:
    return definition(
        "crd.example-networking.org",
        "felixconfigurations",
        "FelixConfiguration",
        felix_configuration_schema(),
        scope="Cluster",
    )


def service_monitor_schema() -> Obj:
    """A scrape target description: a label selector (atomic map), endpoints with ports, intervals,
    relabelings (an action enum with a default) and TLS settings, a status with conditions."""
    selector = _object(
        {
            "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
            "matchExpressions": {
                "type": "array",
                "items": _object(
                    {
                        "key": {"type": "string"},
                        "operator": {"type": "string"},
                        "values": {
                            "type": "array",
                            "items": {"type": "string"},
                            "x-kubernetes-list-type": "atomic",
                        },
                    },
                    required=["key", "operator"],
                ),
                "x-kubernetes-list-type": "atomic",
            },
        },
        **{"x-kubernetes-map-type": "atomic"},
    )
    relabel = _object(
        {
            "sourceLabels": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"},
            },
            "regex": {"type": "string"},
            "replacement": {"type": "string"},
            "targetLabel": {"type": "string"},
            "action": {
                "type": "string",
                "default": "replace",
                "enum": ["replace", "keep", "drop", "labelmap", "labeldrop", "labelkeep"],
            },
        }
    )
    endpoint = _object(
        {
            "port": {"type": "string"},
            "targetPort": INT_OR_STRING,
            "path": {"type": "string"},
            "scheme": {"type": "string", "enum": ["http", "https"]},
            "interval": {"type": "string", "pattern": "^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?)$"},
            "honorLabels": {"type": "boolean", "default": False},
            "relabelings": {"type": "array", "items": relabel},
            "tlsConfig": _object(
                {"insecureSkipVerify": {"type": "boolean"}, "serverName": {"type": "string"}}
            ),
        }
    )
    spec = _object(
        {
            "jobLabel": {"type": "string"},
            "endpoints": {"type": "array", "items": endpoint},
            "selector": selector,
            "namespaceSelector": _object(
                {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}
            ),
            "sampleLimit": {"type": "integer", "format": "int64", "minimum": 0},
        },
        required=["selector"],
    )
    status = _object(
        {
            "conditions": {
                "type": "array",
                "items": _object(
                    {
                        "type": {"type": "string", "minLength": 1},
                        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                        "lastTransitionTime": {"type": "string", "format": "date-time"},
                        "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
                    },
                    required=["type", "status"],
                ),
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"],
            }
        }
    )
    return _object(
        {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
        required=["spec"],
    )


def service_monitor() -> Obj:
    return definition(
        "monitoring.example.com",
        "servicemonitors",
        "ServiceMonitor",
        service_monitor_schema(),
        short_names=["smon"],
        categories=["prometheus-operator"],
        subresources={"status": {}},
    )
