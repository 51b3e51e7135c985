"""`everynode <command>`: argument parsing and dispatch. Errors end as one line on stderr."""

from __future__ import annotations

import argparse
import faulthandler
import sys
from collections.abc import Sequence

from everynode import __version__
from everynode.cli import apiserver, bench, controller_manager, up


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
    bench.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    faulthandler.enable()  # a crash in C code still leaves a traceback on stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"everynode {args.command}: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
