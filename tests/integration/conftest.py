"""A live API server (a child process on SQLite) and official-client handles onto it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client

from everynode.testing.apiserver import ApiServerProcess


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


@pytest.fixture(scope="module", params=["sqlite", pytest.param("etcd", marks=pytest.mark.etcd)])
def apiserver(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServerProcess]:
    """A live API server on SQLite, and again on a real etcd."""
    if request.param == "etcd":
        dsn = request.getfixturevalue("etcd_server").dsn
    else:
        path: Path = tmp_path_factory.mktemp("apiserver") / "state.db"
        dsn = f"sqlite:///{path}"
    with ApiServerProcess(dsn, extra_args=("--bookmark-interval", "1")) as server:
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
