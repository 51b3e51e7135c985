"""A live API server (a child process on SQLite) and official-client handles onto it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kubernetes import client

from everynode.spawn.apiserver import ApiServerProcess
from tests.integration.support import BACKENDS, own_apiserver


@dataclass
class Clients:
    api: client.ApiClient
    core: client.CoreV1Api
    apps: client.AppsV1Api
    coordination: client.CoordinationV1Api


def make_clients(url: str) -> Clients:
    configuration = client.Configuration()
    configuration.host = url
    api = client.ApiClient(configuration)
    return Clients(api, client.CoreV1Api(api), client.AppsV1Api(api), client.CoordinationV1Api(api))


@pytest.fixture(scope="module", params=BACKENDS)
def apiserver(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    """A live API server on SQLite, and again on a real etcd."""
    with own_apiserver(request, tmp_path_factory, "apiserver") as server:
        yield server


@pytest.fixture(scope="module")
def k8s(apiserver: ApiServerProcess) -> Iterator[Clients]:
    clients = make_clients(apiserver.url)
    yield clients
    clients.api.close()


@pytest.fixture
def namespace(k8s: Clients) -> str:
    """A fresh namespace for one test."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    k8s.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name
