"""ConfigMap, Secret and ServiceAccount tables: how many entries each holds, and its age.

Upstream declares every DATA / SECRETS column ``string`` although the cells are integers; kept for
fidelity (kubectl prints the number either way).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from everynode.apiserver.tables.columns import (
    AGE,
    NAME,
    Cells,
    Column,
    Printer,
    mapping,
    metadata,
    name_of,
    text,
)
from everynode.apiserver.tables.timefmt import since


def configmap_cells(cm: Mapping[str, Any], now: datetime) -> Cells:
    return [
        name_of(cm),
        len(mapping(cm.get("data"))) + len(mapping(cm.get("binaryData"))),
        since(metadata(cm).get("creationTimestamp"), now),
    ]


CONFIGMAPS = Printer(
    (NAME, Column("Data", description="Number of entries in data and binaryData."), AGE),
    configmap_cells,
)


def secret_cells(secret: Mapping[str, Any], now: datetime) -> Cells:
    # Upstream merges stringData into data when decoding, so a stored Secret never carries stringData;
    # counting the union of both key sets gives the same number either way.
    keys = set(mapping(secret.get("data"))) | set(mapping(secret.get("stringData")))
    return [
        name_of(secret),
        text(secret.get("type")),
        len(keys),
        since(metadata(secret).get("creationTimestamp"), now),
    ]


SECRETS = Printer(
    (
        NAME,
        Column("Type", description="What the secret holds (Opaque, kubernetes.io/tls…)."),
        Column("Data", description="Number of entries in data."),
        AGE,
    ),
    secret_cells,
)


def serviceaccount_cells(sa: Mapping[str, Any], now: datetime) -> Cells:
    secrets = sa.get("secrets")
    return [
        name_of(sa),
        len(secrets) if isinstance(secrets, list) else 0,
        since(metadata(sa).get("creationTimestamp"), now),
    ]


SERVICE_ACCOUNTS = Printer(
    (NAME, Column("Secrets", description="Number of secrets listed for the service account."), AGE),
    serviceaccount_cells,
)
