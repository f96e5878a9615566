"""The shape of `payout-service`'s command line: a tree of commands, each leaf with only its own
options, its help, an example, and the handler that runs it.

A handler takes the settings and the parsed arguments and returns the exit code (None: 0). A
leaf that talks to the broker says so (`needs_redis`): without REDIS_URL it is refused with one
line, before it starts, instead of failing half way.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from payout_service.infrastructure.settings import Settings

Handler: TypeAlias = Callable[[Settings, argparse.Namespace], int | None]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command(
    commands: Commands,
    name: str,
    help_: str,
    examples: Sequence[str],
    handler: Handler,
    *,
    needs_redis: bool = False,
) -> argparse.ArgumentParser:
    """A leaf: `payout-service ... NAME [its options]`."""
    parser = commands.add_parser(
        name,
        help=help_,
        description=help_,
        epilog=_examples(examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler, needs_redis=needs_redis)
    return parser


def add_group(commands: Commands, name: str, help_: str, examples: Sequence[str]) -> Commands:
    """A branch: `payout-service NAME ACTION ...`, whose actions are added to what it returns."""
    parser = commands.add_parser(
        name,
        help=help_,
        description=help_,
        epilog=_examples(examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="the same facts as JSON on stdout, for scripts"
    )


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def _examples(lines: Sequence[str]) -> str:
    return "\n".join(["example:" if len(lines) == 1 else "examples:", *(f"  {x}" for x in lines)])
