"""The `parley` command. Sub-commands import what they need only when they run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _register_dev(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = subparsers.add_parser(
        "dev", help="run the portal locally on the embedded AWS emulator, with demo data"
    )
    dev.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    dev.add_argument("--host", default="127.0.0.1")

    def run(args: argparse.Namespace) -> int:
        from chalicelib.cli.dev import run_dev

        return run_dev(host=args.host, port=args.port)

    dev.set_defaults(handler=run)


SUBCOMMANDS: list[Register] = [_register_dev]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parley", description="Parley secure message portal")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for register in SUBCOMMANDS:
        register(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
