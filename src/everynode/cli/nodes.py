"""`everynode nodes create`: simulated nodes, which the node agent then runs.

A simulated node is an ordinary Node object carrying the annotation ``everynode.io/simulated: "true"``
(a manifest applied with kubectl works the same); the node agent fills in its status and heartbeats.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
from typing import Any

from everynode.cli import eventloop
from everynode.client.config import load_kubeconfig
from everynode.client.rest import RestClient
from everynode.core import errors, wellknown
from everynode.core import resources as r
from everynode.core.names import is_qualified_name, is_valid_label_value, name_is_dns_subdomain
from everynode.core.types import Obj

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("nodes", help="manage simulated nodes")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    create = verbs.add_parser("create", help="create simulated nodes")
    create.add_argument("--kubeconfig", default=".everynode/kubeconfig", help="kubeconfig of the cluster")
    create.add_argument("--count", type=int, default=1, help="how many nodes")
    create.add_argument("--name-prefix", default="node-", help="names are the prefix and 5 random characters")
    create.add_argument("--labels", default="", help="k=v,… added to every node")
    create.add_argument("--taints", default="", help="k=v:Effect,… (or k:Effect) on every node")
    create.set_defaults(run=run_create)


def parse_labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"label {item!r}: expected key=value")
        problems = is_qualified_name(key) + is_valid_label_value(value)
        if problems:
            raise ValueError(f"label {item!r}: {'; '.join(problems)}")
        labels[key] = value
    return labels


def parse_taints(text: str) -> list[Obj]:
    taints: list[Obj] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        spec, sep, effect = item.rpartition(":")
        if not sep or effect not in EFFECTS:
            raise ValueError(
                f"taint {item!r}: expected key[=value]:Effect with Effect one of {', '.join(EFFECTS)}"
            )
        key, _, value = spec.partition("=")
        problems = is_qualified_name(key) + (is_valid_label_value(value) if value else [])
        if problems:
            raise ValueError(f"taint {item!r}: {'; '.join(problems)}")
        taint: Obj = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        taints.append(taint)
    return taints


def simulated_node(
    *, name: str | None = None, generate_name: str | None = None, labels: dict[str, str], taints: list[Obj]
) -> Obj:
    meta: Obj = {
        "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", **labels},
        "annotations": {wellknown.ANNOTATION_SIMULATED: "true"},
    }
    if name:
        meta["name"] = name
        meta["labels"].setdefault(wellknown.LABEL_HOSTNAME, name)
    else:
        meta["generateName"] = generate_name
    spec: Obj = {"taints": taints} if taints else {}
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec}


async def create_nodes(client: RestClient, nodes: Iterable[Obj], *, exist_ok: bool = False) -> list[str]:
    """Create ``nodes`` (64 at a time); the names created. With ``exist_ok`` a name taken is skipped."""
    resource = client.resource(r.NODES)
    limit = asyncio.Semaphore(64)
    created: list[str] = []

    async def one(node: Obj) -> None:
        async with limit:
            try:
                made = await resource.create(node)
            except errors.AlreadyExists:
                if not exist_ok:
                    raise
                return
            name = made["metadata"]["name"]
            if not node["metadata"].get("name"):
                # a generated name: the hostname label follows the name, as a kubelet's would
                labels = {wellknown.LABEL_HOSTNAME: name}
                await resource.patch(name, {"metadata": {"labels": labels}})
            created.append(name)

    await asyncio.gather(*(one(node) for node in nodes))
    return sorted(created)


def run_create(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise ValueError("--count must be at least 1")
    if name_is_dns_subdomain(args.name_prefix, True):
        raise ValueError(f"--name-prefix {args.name_prefix!r} is not a valid node name prefix")
    labels = parse_labels(args.labels)
    taints = parse_taints(args.taints)
    config = load_kubeconfig(args.kubeconfig)
    nodes = [
        simulated_node(generate_name=args.name_prefix, labels=labels, taints=taints)
        for _ in range(args.count)
    ]

    async def main() -> list[str]:
        async with RestClient(config) as client:
            return await create_nodes(client, nodes)

    try:
        names = eventloop.run(main())
    except errors.ApiError as exc:
        raise ValueError(f"creating nodes failed: {exc}") from None
    for name in names:
        print(f"node/{name} created")
    return 0
