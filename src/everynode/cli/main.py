"""`everynode <command>`: argument parsing and dispatch. Errors end as one line on stderr."""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import sys
from collections.abc import Sequence

from everynode import __version__
from everynode.cli import apiserver, bench, controller_manager, node_agent, nodes, scheduler, up


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="everynode",
        description="A Kubernetes-compatible control plane that runs one pod on every eligible node.",
    )
    parser.add_argument("--version", action="version", version=f"everynode {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    up.add_parser(commands)
    apiserver.add_parser(commands)
    controller_manager.add_parser(commands)
    nodes.add_parser(commands)
    node_agent.add_parser(commands)
    scheduler.add_parser(commands)
    bench.add_parser(commands)
    return parser


class _Terminated(BaseException):
    """SIGTERM before a command's event loop took the signal over: stop as cleanly as after."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    faulthandler.enable()  # a crash in C code still leaves a traceback on stderr
    # Everything everynode writes (state.db, logs, kubeconfig, etcd's data) is its owner's alone:
    # the state holds every object of the cluster, Secrets among them once they are served.
    os.umask(0o077)
    signal.signal(signal.SIGTERM, _terminate)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except _Terminated:
        return 0
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"everynode {args.command}: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
